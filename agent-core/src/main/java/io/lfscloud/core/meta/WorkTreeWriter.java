package io.lfscloud.core.meta;

import io.lfscloud.core.git.Git;
import io.lfscloud.core.git.Repository;
import io.lfscloud.core.lfs.LfsPointer;
import io.lfscloud.core.lfs.Oid;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Writes what tracking a file in place leaves in the working tree: the file itself (its
 * content when the object is local, else its LFS pointer), its {@code .lfs-meta} records
 * (the SHA-256 record with its places, the ETag and MD5 mappings, pending entries), and
 * {@code git lfs track} for its path. Records, mappings and {@code .gitattributes} are read,
 * changed and written back under the working tree's {@link MetaLock}.
 */
final class WorkTreeWriter {

    private final Repository repo;
    private final MetaFiles files;
    private MetaLock lock;
    private Map<String, Set<Oid>> pathIndex;

    WorkTreeWriter(Repository repo, MetaFiles files) {
        this.repo = repo;
        this.files = files;
    }

    /** Records a pending, ETag-keyed entry (no pointer yet). */
    void putPending(RemoteRecord base) throws TrackException {
        try (MetaLock.Held held = lock()) {
            files.putEtagEntry(base);
        } catch (IOException | InvalidRecordException e) {
            throw new TrackException("cannot write " + MetaLayout.etagPath(base.etag()) + ": " + e.getMessage());
        }
    }

    /**
     * Writes the records of a tracked place: its SHA-256 record, its ETag and MD5 mappings;
     * with {@code setAttributes}, makes git-lfs track its path.
     *
     * @param present whether the object is local (else git-lfs is told it may push without it)
     */
    void putRecords(RemoteRecord record, boolean present, boolean setAttributes) throws TrackException {
        // ETag and MD5 files and .gitattributes are read, changed and written back: one command at a time
        try (MetaLock.Held held = lock()) {
            try {
                placeRecord(record);
                if (record.etag() != null) {
                    files.putEtagEntry(record);
                }
                if (record.md5() != null) {
                    files.putMd5(record.md5(), record.size(), record.sha256());
                }
            } catch (IOException | InvalidRecordException e) {
                throw new TrackException("cannot write .lfs-meta records: " + e.getMessage());
            }
            if (setAttributes) {
                ensureTracked(record.path(), !present);
            }
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
        Map<String, Set<Oid>> index = pathIndex();
        for (Oid oid : index.getOrDefault(path, Set.of())) {
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
        Set<Oid> now = new HashSet<>();
        now.add(record.sha256());
        index.put(path, now);
    }

    /**
     * Which records name each path: read once per tracker (under the lock), then kept up to date
     * by its own writes. Records are re-read before each change, so the index only says where to look.
     */
    private synchronized Map<String, Set<Oid>> pathIndex() throws IOException {
        if (pathIndex == null) {
            Map<String, Set<Oid>> index = new ConcurrentHashMap<>();
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

    /**
     * Writes the working-tree file: the content when the object is local, else the pointer;
     * makes sure git-lfs tracks the path. Returns whether the object is present locally.
     */
    boolean placeFile(RemoteRecord r, Path local) throws TrackException {
        Path object = objectPath(repo, r.sha256());
        boolean present = local != null || Files.isRegularFile(object);
        try {
            // a new file renamed into place: never written through a link at the path or above it
            if (present) {
                SafeFiles.copy(repo.workTree(), r.path(), object);
            } else {
                SafeFiles.write(repo.workTree(), r.path(), new LfsPointer(r.sha256(), r.size()).bytes());
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
    void ensureTracked(String pattern, boolean objectsElsewhere) throws TrackException {
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

    /** Holds the working tree's {@link MetaLock}; a command that waits too long gets its message. */
    MetaLock.Held lock() throws IOException {
        synchronized (this) {
            if (lock == null) {
                lock = MetaLock.of(repo.workTree());
            }
        }
        return lock.acquire();
    }

    /** Where git-lfs keeps object {@code oid} in this clone. */
    static Path objectPath(Repository repo, Oid oid) {
        return repo.lfsDir().resolve("objects").resolve(oid.shardedPath());
    }

    /** Whether {@code file} itself (not what a link there points to) is a small LFS pointer file. */
    static boolean isPointer(Path file) {
        try {
            BasicFileAttributes a = SafeFiles.attributes(file);
            if (a == null || !a.isRegularFile() || a.size() > LfsPointer.MAX_SIZE) {
                return false;
            }
            return LfsPointer.parse(SafeFiles.readAtMost(file, LfsPointer.MAX_SIZE)).isPresent();
        } catch (IOException e) {
            return false;
        }
    }

}
