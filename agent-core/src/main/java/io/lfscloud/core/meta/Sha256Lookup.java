package io.lfscloud.core.meta;

import io.lfscloud.core.git.Repository;
import io.lfscloud.core.lfs.Oid;
import io.lfscloud.core.temp.TempFiles;
import io.lfscloud.core.transfer.VerifyingSink;
import io.lfscloud.spi.ObjectInfo;
import io.lfscloud.spi.StorageBackend;
import io.lfscloud.spi.StorageException;
import io.lfscloud.spi.TransferListener;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.BiFunction;

/**
 * The SHA-256 of an object to be tracked, found the cheapest way there is, in this order:
 * given by the user; known from an earlier ETag mapping (same URL, ETag and size) or MD5
 * mapping (same MD5 and size); reported by the store (a metadata header); or by streaming
 * the object once through a hasher ({@link VerifyingSink}), kept in git-lfs's object store
 * when the bytes are wanted.
 */
final class Sha256Lookup {

    /** {@code --fetch}'s temp files in git-lfs's temp folder, named and swept as the agent's downloads are. */
    private static final String TEMP_PREFIX = "lfs-cloud-";
    private static final String TEMP_SUFFIX = ".part";

    /**
     * The SHA-256 and how it was found.
     *
     * @param md5   the MD5, when hashing computed it, else {@code null}
     * @param local the object in git-lfs's object store, when its bytes were kept, else {@code null}
     */
    record Found(Oid sha256, String how, String md5, Path local) {
    }

    private final Repository repo;
    private final MetaFiles files;
    private final BiFunction<String, Long, TransferListener> progress;

    Sha256Lookup(Repository repo, MetaFiles files, BiFunction<String, Long, TransferListener> progress) {
        this.repo = repo;
        this.files = files;
        this.progress = progress;
    }

    /**
     * Finds the SHA-256 of {@code base}'s object.
     *
     * @param fetch       keep the bytes in git-lfs's object store (read once even when the SHA-256 is known)
     * @param storeSha256 the SHA-256 the store reported for the whole object, or {@code null}
     */
    Found find(RemoteRecord base, StorageBackend backend, Tracker.Claims claims, boolean fetch, String storeSha256)
            throws TrackException {
        String sha = claims.sha256() == null ? null : claims.sha256().hex(); // parsed where it came in
        String how;
        if (sha != null) {
            how = "SHA-256 given";
        } else if ((sha = fromEtagMapping(base)) != null) {
            how = "SHA-256 known from an earlier ETag mapping";
        } else if (base.md5() != null && (sha = fromMd5Mapping(base)) != null) {
            how = "SHA-256 known from an earlier MD5 mapping";
        } else if (storeSha256 != null && Oid.isValid(lower(storeSha256))) {
            sha = lower(storeSha256);
            how = "SHA-256 reported by the store";
        } else {
            Hashed h = hash(base, backend, claims, fetch);
            return new Found(Oid.parse(h.sha256()), fetch ? "hashed while fetching" : "hashed by streaming the object once",
                    h.md5(), h.file());
        }
        // the SHA-256 was known; the bytes are wanted anyway
        Path local = fetch ? hash(base, backend, claims, true).file() : null;
        return new Found(Oid.parse(sha), how, null, local);
    }

    private String fromEtagMapping(RemoteRecord base) {
        if (base.etag() == null) {
            return null;
        }
        try {
            for (RemoteRecord e : files.etagEntries(base.etag())) {
                if (e.sha256() != null && e.url().equals(base.url()) && e.size() == base.size()) {
                    return e.sha256().hex();
                }
            }
            return null;
        } catch (IOException | InvalidRecordException e) {
            return null; // a broken mapping is only a missed shortcut
        }
    }

    private String fromMd5Mapping(RemoteRecord base) {
        try {
            Oid known = files.sha256ForMd5(base.md5(), base.size());
            return known == null ? null : known.hex();
        } catch (IOException e) {
            return null;
        }
    }

    record Hashed(String sha256, String md5, Path file) {
    }

    /** Streams the object once through SHA-256 and MD5; with {@code keep}, into git-lfs's object store too. */
    Hashed hash(RemoteRecord base, StorageBackend backend, Tracker.Claims claims, boolean keep) throws TrackException {
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
                 InputStream in = backend.read(base.url(), 0, expected)) {
                out.transferFrom(in, progress.apply(base.path(), base.size()));
                String oid = out.verify();
                String md5Hex = md5 ? out.md5() : base.md5();
                if (md5 && !claims.md5().equalsIgnoreCase(md5Hex)) {
                    throw new TrackException("--md5 " + claims.md5() + " does not match " + base.url() + ", whose MD5 is " + md5Hex);
                }
                Path kept = null;
                if (keep) {
                    kept = WorkTreeWriter.objectPath(repo, Oid.parse(oid));
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

    private static String lower(String s) {
        return s == null ? null : s.toLowerCase(Locale.ROOT);
    }
}
