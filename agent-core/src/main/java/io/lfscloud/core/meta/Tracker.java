package io.lfscloud.core.meta;

import io.lfscloud.core.policy.UrlPolicy;
import io.lfscloud.core.policy.UrlRefusedException;
import io.lfscloud.core.BoundedTasks;
import io.lfscloud.core.Printable;
import io.lfscloud.core.git.Repository;
import io.lfscloud.core.plugin.BackendRegistry;
import io.lfscloud.core.lfs.LfsPointer;
import io.lfscloud.core.lfs.Oid;
import io.lfscloud.core.transfer.ChangeCheck;
import io.lfscloud.spi.ObjectInfo;
import io.lfscloud.spi.StorageBackend;
import io.lfscloud.spi.StorageException;
import io.lfscloud.spi.TransferListener;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.BiFunction;

/**
 * Tracks files that already live in a store, in place: the commands' flow. It checks the path,
 * the URL and the user's claims against the store, has {@link Sha256Lookup} find the SHA-256
 * the cheapest way it can, and {@link WorkTreeWriter} write a real LFS pointer and the
 * {@code .lfs-meta} records. Nothing is uploaded anywhere.
 */
public final class Tracker {

    /** What the user asserts about the object; each given value is checked against the store. */
    public record Claims(Long size, String etag, String md5, Oid sha256) {
    }

    /** The outcome of tracking one file. */
    public record Tracked(String path, RemoteRecord record, String how, boolean local) {
    }

    /**
     * How to track.
     *
     * @param defer record a pending, ETag-keyed entry and no pointer ({@link #resolve} finishes it)
     * @param fetch keep the bytes: into {@code .git/lfs/objects} and the working tree
     * @param force replace a file already at the path
     */
    public record Options(boolean defer, boolean fetch, boolean force) {
        /** Neither deferred nor fetched; an existing file (other than a pointer) is left alone. */
        public static final Options DEFAULT = new Options(false, false, false);
    }

    private final Repository repo;
    private final BackendRegistry registry;
    private final MetaFiles files;
    private final Sha256Lookup lookup;
    private final WorkTreeWriter writer;

    /**
     * @param progress the listener told of the bytes hashed of one object, given its path and size
     */
    public Tracker(Repository repo, BackendRegistry registry, BiFunction<String, Long, TransferListener> progress) {
        this.repo = repo;
        this.registry = registry;
        this.files = new MetaFiles(repo.workTree());
        this.lookup = new Sha256Lookup(repo, files, progress);
        this.writer = new WorkTreeWriter(repo, files);
    }

    /** Tracks {@code url} at working-tree path {@code path}. */
    public Tracked track(String path, URI url, Claims claims, Options options) throws TrackException {
        return track(path, url, claims, options, true);
    }

    private Tracked track(String path, URI url, Claims claims, Options options, boolean setAttributes)
            throws TrackException {
        String rel = relativePath(path);
        check(url);
        StorageBackend backend = backend(url);
        checkFolders(rel);
        ObjectInfo info = stat(backend, url);
        verifyClaims(url, info, claims);
        Path target = repo.workTree().resolve(rel);
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS) && !options.force() && !WorkTreeWriter.isPointer(target)) {
            throw new TrackException(rel + " already exists; remove it first or use --force");
        }
        String etag = info.etag();
        String md5 = info.md5() != null ? info.md5() : lower(claims.md5());
        RemoteRecord base = new RemoteRecord(null, url, info.size(), etag, md5, info.versionId(), rel,
                Instant.now().truncatedTo(ChronoUnit.SECONDS), info.lastModified());
        if (options.defer()) {
            if (etag == null) {
                throw new TrackException("--defer keys the pending entry by ETag, and " + url + " has none; track it without --defer");
            }
            writer.putPending(base);
            return new Tracked(rel, base, "pending", false);
        }
        return finish(base, backend, claims, options.fetch(), setAttributes, info.sha256());
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
                                new Options(false, fetch, force), false));
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
            try (MetaLock.Held held = writer.lock()) {
                writer.ensureTracked(relDir + "/**", done.stream().anyMatch(t -> !t.local()));
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
                if (Files.exists(target, LinkOption.NOFOLLOW_LINKS) && !WorkTreeWriter.isPointer(target)) {
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
        Sha256Lookup.Found found = lookup.find(base, backend, claims, fetch, storeSha256);
        RemoteRecord record = (found.md5() != null ? base.withMd5(found.md5()) : base).withSha256(found.sha256());
        boolean present = writer.placeFile(record, found.local()); // its own file: no lock needed (a copy may take long)
        writer.putRecords(record, present, setAttributes);
        return new Tracked(record.path(), record, found.how(), present);
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

    private static String lower(String s) {
        return s == null ? null : s.toLowerCase(Locale.ROOT);
    }

}
