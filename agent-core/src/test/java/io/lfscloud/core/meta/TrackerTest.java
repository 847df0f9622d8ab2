package io.lfscloud.core.meta;

import io.lfscloud.core.lfs.Oid;
import io.lfscloud.spi.TransferListener;
import io.lfscloud.core.git.Repository;
import io.lfscloud.core.plugin.BackendRegistry;
import io.lfscloud.spi.BackendConfig;
import io.lfscloud.spi.ObjectInfo;
import io.lfscloud.spi.StorageBackend;
import io.lfscloud.spi.StorageBackendProvider;
import io.lfscloud.spi.StorageException;
import io.lfscloud.spi.TransferListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Tracking against a store that reports the SHA-256 itself (as S3 does with full-object checksums). */
class TrackerTest {

    static final String OID = "22ab5f63670800cc7be06dbed816012b0dc411e774754c7579467d2536a9cf3e";

    @TempDir
    Path repo;

    @Test
    void aSha256ReportedByTheStoreIsUsedWithoutReadingAByte() throws Exception {
        assertEquals(0, new ProcessBuilder("git", "init", "-q").directory(repo.toFile()).inheritIO().start().waitFor());
        StorageBackend backend = new StorageBackend() {
            public ObjectInfo stat(URI object) {
                return new ObjectInfo(object, 1234, "etag-1", "v7", null, OID, null);
            }

            public InputStream read(URI object, long offset, ObjectInfo expected) throws StorageException {
                throw new AssertionError("nothing may be read when the store reports the SHA-256");
            }

            public boolean write(URI o, Path s, long size, String sha, TransferListener p) {
                throw new AssertionError("never written");
            }
        };
        StorageBackendProvider provider = new StorageBackendProvider() {
            public String name() {
                return "mem";
            }

            public Set<String> schemes() {
                return Set.of("mem");
            }

            public StorageBackend open(io.lfscloud.spi.BackendContext context) {
                return backend;
            }
        };
        Repository r = Repository.open(repo);
        BackendRegistry registry = new BackendRegistry(List.of(new BackendRegistry.Found(provider, "test")), List.of());
        Tracker.Tracked t = new Tracker(r, registry, (p, total) -> TransferListener.NONE)
                .track(repo.resolve("data/x.bin").toString(), URI.create("mem://bucket/x.bin"),
                        new Tracker.Claims(1234L, null, null, null), Tracker.Options.DEFAULT);
        assertEquals("SHA-256 reported by the store", t.how());
        assertEquals(Oid.parse(OID), t.record().sha256());
        assertEquals("v7", t.record().versionId(), "the version is pinned in the record");
        assertTrue(Files.readString(repo.resolve("data/x.bin")).contains("oid sha256:" + OID));
        assertTrue(Files.readString(repo.resolve(MetaLayout.sha256Path(Oid.parse(OID)))).contains("\"versionId\": \"v7\""));
    }
}
