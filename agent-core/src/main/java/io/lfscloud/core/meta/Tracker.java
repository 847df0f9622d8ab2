package io.lfscloud.core.meta;

import io.lfscloud.core.policy.UrlPolicy;
import io.lfscloud.core.policy.UrlRefusedException;
import io.lfscloud.core.BoundedTasks;
import io.lfscloud.core.Printable;
import io.lfscloud.core.ReadAheadInputStream;
import io.lfscloud.core.git.Git;
import io.lfscloud.core.git.Repository;
import io.lfscloud.core.store.BackendRegistry;
import io.lfscloud.core.store.Oids;
import io.lfscloud.core.temp.TempFiles;
import io.lfscloud.core.transfer.ChangeCheck;
import io.lfscloud.core.transfer.VerifyingSink;
import io.lfscloud.spi.ObjectInfo;
import io.lfscloud.spi.StorageBackend;
import io.lfscloud.spi.StorageException;
import io.lfscloud.spi.TransferListener;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.HashSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;

/**
 * Tracks files that already live in a store, in place: finds their SHA-256 the cheapest way
 * it can (given; known from an earlier ETag or MD5 mapping; reported by the store; or by
 * streaming the object once through a hasher), then writes a real LFS pointer and the
 * {@code .lfs-meta} records. Nothing is uploaded anywhere.
 */
public final class Tracker {

    /** {@code --fetch}'s temp files in git-lfs's temp folder, named and swept as the agent's downloads are. */
    private static final String TEMP_PREFIX = "lfs-cloud-";
    private static final String TEMP_SUFFIX = ".part";

    /** What the user asserts about the object; each given value is checked against the store. */
    public record Claims(Long size, String etag, String md5, String sha256) {
    }

    /** The outcome of tracking one file. */
    public record Tracked(String path, RemoteRecord record, String how, boolean local) {
    }

    private final Repository repo;
    private final BackendRegistry registry;
    private final MetaFiles files;
    private final BiFunction<String, Long, TransferListener> progress;
    private MetaLock lock;
    private Map<String, Set<String>> pathIndex;

    /**
     * @param progress the listener told of the bytes hashed of one object, given its path and size
     */
    public Tracker(Repository repo, BackendRegistry registry, BiFunction<String, Long, TransferListener> progress) {
        this.repo = repo;
        this.registry = registry;
        this.files = new MetaFiles(repo.workTree());
        this.progress = progress;
    }

    /**
     * Tracks {@code url} at working-tree path {@code path}.
     *
     * @param defer record a pending, ETag-keyed entry and no pointer ({@link #resolve} finishes it)
     * @param fetch keep the bytes: into {@code .git/lfs/objects} and the working tree
     * @param force replace a file already at {@code path}
     */
    public Tracked track(String path, URI url, Claims claims, boolean defer, boolean fetch, boolean force)
            throws TrackException {
        return track(path, url, claims, defer, fetch, force, true);
    }

    private Tracked track(String path, URI url, Claims claims, boolean defer, boolean fetch, boolean force,
                          boolean setAttributes) throws TrackException {
        String rel = relativePath(path);
        check(url);
        StorageBackend backend = backend(url);
        checkFolders(rel);
        ObjectInfo info = stat(backend, url);
        verifyClaims(url, info, claims);
        Path target = repo.workTree().resolve(rel);
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS) && !force && !isPointer(target)) {
            throw new TrackException(rel + " already exists; remove it first or use --force");
        }
        String etag = info.etag();
        String md5 = info.md5() != null ? info.md5() : lower(claims.md5());
        RemoteRecord base = new RemoteRecord(null, url, info.size(), etag, md5, info.versionId(), rel,
                Instant.now().truncatedTo(ChronoUnit.SECONDS), info.lastModified());
        if (defer) {
            if (etag == null) {
                throw new TrackException("--defer keys the pending entry by ETag, and " + url + " has none; track it without --defer");
            }
            try (MetaLock.Held held = lock()) {
                files.putEtagEntry(base);
            } catch (IOException | InvalidRecordException e) {
                throw new TrackException("cannot write " + MetaLayout.etagPath(etag) + ": " + e.getMessage());
            }
            return new Tracked(rel, base, "pending", false);
        }
        return finish(base, backend, claims, fetch, setAttributes, info.sha256());
    }

    /**
     * Tracks every object under {@code prefix} at the same relative path under {@code dir},
     * hashing at most {@code parallelism} objects at once. One {@code .gitattributes} pattern
     * ({@code dir/**}) covers them all. Failures of single objects go to {@code problems}.
     */
    public List<Tracked> trackRecursive(String dir, URI prefix, boolean fetch, boolean force, int parallelism,
                                        List<String> problems) throws TrackException {
        String relDir = relativePath(dir);
        URI folder = prefix.toString().endsWith("/") ? prefix : URI.create(prefix + "/");
        check(folder);
        StorageBackend backend = backend(folder);
        List<Tracked> done = java.util.Collections.synchronizedList(new ArrayList<>());
        List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        BoundedTasks tasks = new BoundedTasks(parallelism);
        try {
            backend.list(folder, info -> {
                String url = info.uri().toString();
                String key = io.lfscloud.spi.ObjectKeys.keyBelow(folder, info.uri()); // the key's own text
                if (key == null) {
                    return;
                }
                String rel = relDir + "/" + key;
                String bad = RepoPath.trackedFileProblem(rel);
                if (bad != null) {
                    failures.add(Printable.escape(url) + ": its name gives no usable path in the working tree (the path "
                            + bad + ")");
                    return;
                }
                tasks.submit(() -> {
                    try {
                        done.add(track(repo.workTree().resolve(rel).toString(), info.uri(), new Claims(null, null, null, null),
                                false, fetch, force, false));
                    } catch (TrackException e) {
                        failures.add(e.getMessage());
                    }
                });
            });
            tasks.awaitAll();
        } catch (StorageException e) {
            throw new TrackException(e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TrackException("interrupted");
        }
        problems.addAll(failures);
        if (!done.isEmpty()) {
            try (MetaLock.Held held = lock()) {
                ensureTracked(relDir + "/**", done.stream().anyMatch(t -> !t.local()));
            } catch (IOException e) {
                throw new TrackException(e.getMessage());
            }
        }
        return done;
    }

    /** Resolves pending entries: all of them, or those at the given paths. */
    public List<Tracked> resolve(List<String> paths, List<String> problems) throws TrackException {
        List<String> wanted = new ArrayList<>();
        for (String p : paths) {
            wanted.add(relativePath(p));
        }
        List<RemoteRecord> pending;
        try {
            pending = files.pending(problems);
        } catch (IOException e) {
            throw new TrackException("cannot read .lfs-meta/etag: " + e.getMessage());
        }
        List<Tracked> done = new ArrayList<>();
        for (RemoteRecord p : pending) {
            if (!wanted.isEmpty() && !wanted.contains(p.path())) {
                continue;
            }
            try {
                check(p.url());
                checkFolders(p.path());
                // a pending entry was written by whoever wrote the repository: it never replaces a
                // file that is there (only a pointer, as track-remote without --force)
                Path target = repo.workTree().resolve(p.path());
                if (Files.exists(target, LinkOption.NOFOLLOW_LINKS) && !isPointer(target)) {
                    throw new TrackException(Printable.escape(p.path()) + " already exists and is not an LFS pointer;"
                            + " resolve leaves it alone (move it away, or track it again with track-remote --force)");
                }
                StorageBackend backend = backend(p.url());
                ObjectInfo now = stat(backend, p.url());
                ChangeCheck.Result check = ChangeCheck.compare(p.tracked(), now); // the download's rule
                if (check.verdict() == ChangeCheck.Verdict.CHANGED) {
                    throw new TrackException(p.path() + ": " + p.url() + " changed since it was deferred ("
                            + check.detail() + "); track it again");
                }
                // the store's SHA-256 is the current object's: not the pinned version's unless it is that one
                boolean same = Objects.equals(p.versionId(), now.versionId()) || p.versionId() == null;
                done.add(finish(p, backend, new Claims(null, null, null, null), false, true, same ? now.sha256() : null));
            } catch (TrackException e) {
                problems.add(e.getMessage());
            }
        }
        return done;
    }

    // ---------------------------------------------------------------- core

    /** @param storeSha256 the SHA-256 the store reported for the whole object, or {@code null} */
    private Tracked finish(RemoteRecord base, StorageBackend backend, Claims claims, boolean fetch, boolean setAttributes,
                           String storeSha256) throws TrackException {
        String how;
        String sha = lower(claims.sha256());
        Path local = null;
        if (sha != null) {
            if (!Oids.isValid(sha)) {
                throw new TrackException("--sha256 must be 64 hex digits: " + claims.sha256());
            }
            how = "SHA-256 given";
        } else if ((sha = fromEtagMapping(base)) != null) {
            how = "SHA-256 known from an earlier ETag mapping";
        } else if (base.md5() != null && (sha = fromMd5Mapping(base)) != null) {
            how = "SHA-256 known from an earlier MD5 mapping";
        } else if (storeSha256 != null && Oids.isValid(lower(storeSha256))) {
            sha = lower(storeSha256);
            how = "SHA-256 reported by the store";
        } else {
            Hashed h = hash(base, backend, claims, fetch);
            sha = h.sha256;
            local = h.file;
            base = base.withMd5(h.md5);
            how = fetch ? "hashed while fetching" : "hashed by streaming the object once";
        }
        if (fetch && local == null) {
            local = hash(base, backend, claims, true).file; // the SHA-256 was known; the bytes are wanted anyway
        }
        RemoteRecord record = base.withSha256(sha);
        boolean present = placeInWorkTree(record, local); // its own file: no lock needed (a copy may take long)
        // ETag and MD5 files and .gitattributes are read, changed and written back: one command at a time
        try (MetaLock.Held held = lock()) {
            try {
                placeRecord(record);
                if (record.etag() != null) {
                    files.putEtagEntry(record);
                }
                if (record.md5() != null) {
                    files.putMd5(record.md5(), record.size(), sha);
                }
            } catch (IOException | InvalidRecordException e) {
                throw new TrackException("cannot write .lfs-meta records: " + e.getMessage());
            }
            if (setAttributes) {
                ensureTracked(record.path(), !present);
            }
            return new Tracked(record.path(), record, how, present);
        } catch (IOException e) {
            throw new TrackException(e.getMessage()); // the lock
        }
    }

    /**
     * Writes {@code record}'s one place into the record of its content, replacing any place at
     * the same path there, and takes that path out of the records of other content (a path holds
     * one file): a record left with no place is removed. Call with the lock held.
     */
    private void placeRecord(RemoteRecord record) throws IOException, InvalidRecordException {
        String path = record.path();
        Map<String, Set<String>> index = pathIndex();
        for (String oid : index.getOrDefault(path, Set.of())) {
            if (oid.equals(record.sha256())) {
                continue;
            }
            Optional<RemoteRecord> old;
            try {
                old = files.record(oid);
            } catch (InvalidRecordException e) {
                continue; // unreadable: 'verify' lists it; never rewritten from a guess
            }
            if (old.isEmpty()) {
                continue;
            }
            RemoteRecord left = old.get().without(path);
            if (left == null) {
                files.deleteRecord(oid);
            } else {
                files.writeRecord(left);
            }
        }
        Optional<RemoteRecord> same;
        try {
            same = files.record(record.sha256());
        } catch (InvalidRecordException e) {
            same = Optional.empty(); // replaced by a valid one: the content is known, its place just tracked
        }
        files.writeRecord(same.map(r -> r.with(record)).orElse(record));
        Set<String> now = new HashSet<>();
        now.add(record.sha256());
        index.put(path, now);
    }

    /**
     * Which records name each path: read once per tracker (under the lock), then kept up to date
     * by its own writes. Records are re-read before each change, so the index only says where to look.
     */
    private synchronized Map<String, Set<String>> pathIndex() throws IOException {
        if (pathIndex == null) {
            Map<String, Set<String>> index = new ConcurrentHashMap<>();
            for (RemoteRecord r : files.records(new ArrayList<>())) {
                for (RemoteRecord.Place p : r.places()) {
                    if (p.path() != null) {
                        index.computeIfAbsent(p.path(), k -> ConcurrentHashMap.newKeySet()).add(r.sha256());
                    }
                }
            }
            pathIndex = index;
        }
        return pathIndex;
    }

    private String fromEtagMapping(RemoteRecord base) throws TrackException {
        if (base.etag() == null) {
            return null;
        }
        try {
            for (RemoteRecord e : files.etagEntries(base.etag())) {
                if (e.sha256() != null && e.url().equals(base.url()) && e.size() == base.size()) {
                    return e.sha256();
                }
            }
            return null;
        } catch (IOException | InvalidRecordException e) {
            return null; // a broken mapping is only a missed shortcut
        }
    }

    private String fromMd5Mapping(RemoteRecord base) {
        try {
            return files.sha256ForMd5(base.md5(), base.size());
        } catch (IOException e) {
            return null;
        }
    }

    private record Hashed(String sha256, String md5, Path file) {
    }

    /** Streams the object once through SHA-256 and MD5; with {@code keep}, into git-lfs's object store too. */
    private Hashed hash(RemoteRecord base, StorageBackend backend, Claims claims, boolean keep) throws TrackException {
        ObjectInfo expected = base.tracked();
        try {
            VerifyingSink sink;
            if (keep) {
                Files.createDirectories(repo.lfsTmpDir());
                TempFiles.sweep(repo.lfsTmpDir(), TEMP_PREFIX, TEMP_SUFFIX);
                sink = VerifyingSink.create(repo.lfsTmpDir(), TEMP_PREFIX + "track", TEMP_SUFFIX, base.size(), null);
            } else {
                sink = VerifyingSink.discarding(base.size(), null);
            }
            // MD5 costs as much again as SHA-256: only when a given --md5 must be checked
            boolean md5 = claims.md5() != null && base.md5() == null;
            if (md5) {
                sink.withMd5();
            }
            try (VerifyingSink out = sink;
                 InputStream in = new ReadAheadInputStream(backend.read(base.url(), 0, expected), 1 << 20, 4)) {
                out.transferFrom(in, progress.apply(base.path(), base.size()));
                String oid = out.verify();
                String md5Hex = md5 ? out.md5() : base.md5();
                if (md5 && !claims.md5().equalsIgnoreCase(md5Hex)) {
                    throw new TrackException("--md5 " + claims.md5() + " does not match " + base.url() + ", whose MD5 is " + md5Hex);
                }
                Path kept = null;
                if (keep) {
                    kept = objectPath(oid);
                    Files.createDirectories(kept.getParent());
                    out.commit(kept, false);
                }
                return new Hashed(oid, md5Hex, kept);
            }
        } catch (VerifyingSink.Mismatch e) {
            throw new TrackException(base.url() + (e.what() == VerifyingSink.Mismatch.What.TOO_LARGE
                    ? " sends more than its size of " + base.size() + " bytes"
                    : " sent " + e.actualSize() + " bytes, its size is " + base.size()) + "; it may be changing: try again");
        } catch (StorageException e) {
            throw new TrackException(base.path() + ": " + e.getMessage());
        } catch (IOException e) {
            throw new TrackException(base.path() + ": reading " + base.url() + " failed: " + e.getMessage());
        }
    }

    /**
     * Writes the working-tree file: the content when the object is local, else the pointer;
     * makes sure git-lfs tracks the path. Returns whether the object is present locally.
     */
    private boolean placeInWorkTree(RemoteRecord r, Path local) throws TrackException {
        Path object = objectPath(r.sha256());
        boolean present = local != null || Files.isRegularFile(object);
        try {
            // a new file renamed into place: never written through a link at the path or above it
            if (present) {
                SafeFiles.copy(repo.workTree(), r.path(), object);
            } else {
                SafeFiles.write(repo.workTree(), r.path(), ("version https://git-lfs.github.com/spec/v1\noid sha256:"
                        + r.sha256() + "\nsize " + r.size() + "\n").getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new TrackException("cannot write " + r.path() + ": " + e.getMessage());
        }
        return present;
    }

    /**
     * Makes git-lfs track {@code pattern} (a path, or {@code dir/**}) unless it already does;
     * with {@code objectsElsewhere}, lets git-lfs push commits whose objects are not local.
     */
    private void ensureTracked(String pattern, boolean objectsElsewhere) throws TrackException {
        try {
            boolean literal = !pattern.endsWith("/**");
            String probe = literal ? pattern : pattern.substring(0, pattern.length() - 2) + "x";
            Git.Result attr = Git.run(repo.workTree(), List.of("check-attr", "filter", "--", probe));
            if (!attr.out().strip().endsWith(": filter: lfs")) {
                List<String> cmd = literal ? List.of("lfs", "track", "--filename", pattern) : List.of("lfs", "track", pattern);
                Git.Result t = Git.run(repo.workTree(), cmd);
                if (!t.ok()) {
                    throw new TrackException("'git " + String.join(" ", cmd) + "' failed: " + t.firstErrorLine());
                }
            }
            if (objectsElsewhere) {
                // git-lfs refuses to push commits whose objects are not local; these live at their URL
                Git.run(repo.workTree(), List.of("config", "--local", "lfs.allowincompletepush", "true"));
            }
        } catch (IOException e) {
            throw new TrackException("cannot run git: " + e.getMessage());
        }
    }

    // ---------------------------------------------------------------- helpers

    /**
     * Refuses at once, before anything is read, a path whose folders or whose {@code .lfs-meta}
     * folders are symbolic links (the writes would refuse them later anyway).
     */
    private void checkFolders(String rel) throws TrackException {
        try {
            SafeFiles.checkFolders(repo.workTree(), rel);
            for (String folder : List.of("sha256", "etag", "md5")) {
                SafeFiles.checkFolders(repo.workTree(), MetaLayout.DIR + "/" + folder + "/-");
            }
        } catch (IOException e) {
            throw new TrackException("cannot track " + rel + ": " + e.getMessage());
        }
    }

    /** Holds the working tree's {@link MetaLock}; a command that waits too long gets its message. */
    private MetaLock.Held lock() throws IOException {
        synchronized (this) {
            if (lock == null) {
                lock = MetaLock.of(repo.workTree());
            }
        }
        return lock.acquire();
    }

    private Path objectPath(String oid) {
        return repo.lfsDir().resolve("objects").resolve(oid.substring(0, 2)).resolve(oid.substring(2, 4)).resolve(oid);
    }

    private void check(URI url) throws TrackException {
        try {
            UrlPolicy.checkTrack(url);
            UrlPolicy.checkFollow(url, repo.backendConfig());
        } catch (UrlRefusedException e) {
            throw new TrackException(e.getMessage());
        }
    }

    private StorageBackend backend(URI url) throws TrackException {
        try {
            return registry.backendFor(url, repo.backendConfig());
        } catch (StorageException e) {
            throw new TrackException(e.getMessage());
        }
    }

    private static ObjectInfo stat(StorageBackend backend, URI url) throws TrackException {
        try {
            return backend.stat(url);
        } catch (StorageException e) {
            throw new TrackException(e.kind() == StorageException.Kind.NOT_FOUND ? "nothing to track: " + e.getMessage()
                    : e.getMessage());
        }
    }

    private static void verifyClaims(URI url, ObjectInfo info, Claims c) throws TrackException {
        if (c.size() != null && c.size() != info.size()) {
            throw new TrackException("--size " + c.size() + " does not match " + url + ", which has " + info.size() + " bytes");
        }
        if (c.etag() != null) {
            String given = ObjectInfo.unquoteEtag(c.etag());
            if (info.etag() == null) {
                throw new TrackException("--etag given, but " + url + " reports no ETag to check it against");
            }
            if (!given.equals(info.etag())) {
                throw new TrackException("--etag \"" + given + "\" does not match " + url + ", whose ETag is \"" + info.etag() + "\"");
            }
        }
        if (c.md5() != null) {
            if (!c.md5().matches("(?i)[0-9a-f]{32}")) {
                throw new TrackException("--md5 must be 32 hex digits: " + c.md5());
            }
            if (info.md5() != null && !info.md5().equalsIgnoreCase(c.md5())) {
                throw new TrackException("--md5 " + c.md5() + " does not match " + url + ", whose MD5 is " + info.md5());
            }
        }
    }

    /** A path the user typed, as a normalised path relative to the working tree's root. */
    private String relativePath(String path) throws TrackException {
        Path abs;
        try {
            abs = Path.of("").toAbsolutePath().resolve(path).normalize();
        } catch (InvalidPathException e) {
            throw new TrackException(Printable.escape(path) + " is not a usable path");
        }
        if (!abs.startsWith(repo.workTree())) {
            throw new TrackException(Printable.escape(path) + " is outside the working tree " + repo.workTree());
        }
        String rel = repo.workTree().relativize(abs).toString();
        String bad = RepoPath.trackedFileProblem(rel);
        if (bad != null) {
            throw new TrackException(Printable.escape(path) + " cannot hold a tracked file: the path " + bad);
        }
        return rel;
    }

    /** Whether {@code file} itself (not what a link there points to) is a small LFS pointer file. */
    private static boolean isPointer(Path file) {
        try {
            BasicFileAttributes a = SafeFiles.attributes(file);
            if (a == null || !a.isRegularFile() || a.size() > 1024) {
                return false;
            }
            return new String(SafeFiles.readAtMost(file, 1024), StandardCharsets.UTF_8)
                    .startsWith("version https://git-lfs.github.com/spec/v1");
        } catch (IOException e) {
            return false;
        }
    }

    private static String lower(String s) {
        return s == null ? null : s.toLowerCase(Locale.ROOT);
    }

}
