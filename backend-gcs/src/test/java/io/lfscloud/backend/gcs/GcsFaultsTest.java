package io.lfscloud.backend.gcs;

import io.lfscloud.spi.BackendConfig;
import io.lfscloud.spi.Diagnostics;
import io.lfscloud.spi.ObjectInfo;
import io.lfscloud.spi.RetryPolicy;
import io.lfscloud.spi.StorageException;
import io.lfscloud.spi.StorageException.Kind;
import io.lfscloud.spi.TransferListener;
import io.lfscloud.testkit.FakeGcs;
import io.lfscloud.testkit.FakeGcs.Fault;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Failures as GCS gives them, injected by {@link FakeGcs} per request count: a resumable upload
 * whose connection drops mid-chunk resumes in the same session; a range whose connection drops
 * resumes where it broke off; 429 and 503 are transient (retried inside a range, reported to the
 * agent elsewhere: the SDK retries nothing there); 412 on a create-only write of an object that
 * appeared with its size is success; errors name the bucket, and credentials are never printed.
 */
class GcsFaultsTest {

    @TempDir
    Path tmp;
    FakeGcs gcs;
    Path key;

    @BeforeEach
    void start() throws Exception {
        gcs = new FakeGcs();
        gcs.createBucket("b", false, false);
        key = gcs.serviceAccount(tmp, "faults@fake-project.iam.gserviceaccount.com", true);
    }

    @AfterEach
    void stop() {
        gcs.close();
    }

    private GcsBackend backend(Map<String, String> extra, Map<String, String> env) throws StorageException {
        Map<String, String> settings = new HashMap<>(Map.of("lfs-cloud.gcs.endpoint", gcs.endpoint().toString(),
                "lfs-cloud.gcs.chunkSize", "256k", "lfs-cloud.gcs.downloadPartSize", "1m", "lfs-cloud.gcs.timeoutSeconds", "5"));
        settings.putAll(extra);
        BackendConfig config = k -> Optional.ofNullable(settings.get(k));
        return new GcsBackend(GcsSettings.from(config), new RetryPolicy(3, 1), Diagnostics.NONE, env, tmp);
    }

    private GcsBackend backend() throws StorageException {
        return backend(Map.of(), Map.of("GOOGLE_APPLICATION_CREDENTIALS", key.toString()));
    }

    private static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    private Path file(byte[] content) throws Exception {
        return Files.write(Files.createTempFile(tmp, "src", ".bin"), content);
    }

    private static byte[] readAll(GcsBackend backend, URI object, ObjectInfo expected) throws Exception {
        try (InputStream in = backend.read(object, 0, expected)) {
            return in.readAllBytes();
        }
    }

    @Test
    void aResumableUploadWhoseConnectionDropsMidChunkResumesInTheSameSession() throws Exception {
        byte[] content = random(5 * 256 * 1024 + 999, 1);
        gcs.inject("PUT", "/upload/", 2, 1, Fault.DROP); // the third chunk's connection drops halfway
        try (GcsBackend backend = backend()) {
            assertTrue(backend.write(URI.create("gs://b/big.bin"), file(content), content.length, sha256(content),
                    TransferListener.NONE));
        }
        assertArrayEquals(content, gcs.content("b", "big.bin"));
        List<String> requests = gcs.requests();
        assertEquals(1, requests.stream().filter(r -> r.startsWith("POST /upload/") && r.contains("uploadType=resumable")).count(),
                "one session, resumed: " + requests);
    }

    @Test
    void aDroppedRangeResumesWhereItBrokeOff() throws Exception {
        byte[] content = random((3 << 20) + 5, 2);
        gcs.put("b", "ranged.bin", content);
        try (GcsBackend backend = backend()) {
            ObjectInfo info = backend.stat(URI.create("gs://b/ranged.bin"));
            gcs.inject("GET", "/b/b/o/ranged.bin", 1, 1, Fault.DROP);   // a media read sends half, then drops
            gcs.inject("GET", "/b/b/o/ranged.bin", 3, 1, Fault.UNAVAILABLE);
            gcs.inject("GET", "/b/b/o/ranged.bin", 4, 1, Fault.TOO_MANY_REQUESTS);
            assertArrayEquals(content, readAll(backend, info.uri(), info));
        }
    }

    @Test
    void throttlingAndServerErrorsOutsideRangesAreTransientForTheAgentToRetry() throws Exception {
        gcs.put("b", "x.bin", random(10, 3));
        try (GcsBackend backend = backend()) {
            backend.stat(URI.create("gs://b/x.bin")); // credentials fetched
            gcs.inject("GET", "/b/b/o/x.bin", 0, 1, Fault.TOO_MANY_REQUESTS);
            StorageException e = assertThrows(StorageException.class, () -> backend.stat(URI.create("gs://b/x.bin")));
            assertEquals(Kind.TRANSIENT, e.kind(), e.getMessage());
            assertTrue(e.getMessage().contains("HTTP 429"), e.getMessage());
            gcs.inject("GET", "/b/b/o/x.bin", 0, 1, Fault.UNAVAILABLE);
            e = assertThrows(StorageException.class, () -> backend.stat(URI.create("gs://b/x.bin")));
            assertEquals(Kind.TRANSIENT, e.kind(), e.getMessage());
            assertEquals(10, backend.stat(URI.create("gs://b/x.bin")).size(), "the SDK retried nothing; the next call works");
        }
    }

    @Test
    void aCreateOnlyWriteThatLosesToAnotherPusherOfTheSameBytesIsSuccess() throws Exception {
        byte[] content = random(3000, 4);
        byte[] other = random(3001, 5);
        try (GcsBackend backend = backend()) {
            // the object appears between the backend's check and its create (another pusher of the same oid)
            gcs.before("POST", "/upload/", 0, () -> gcs.put("b", "race.bin", content));
            assertFalse(backend.write(URI.create("gs://b/race.bin"), file(content), content.length, sha256(content),
                    TransferListener.NONE), "already there: GCS refused the create-only write with 412");
            assertArrayEquals(content, gcs.content("b", "race.bin"));
            // another size there meanwhile is a conflict, and what is there stays
            gcs.before("POST", "/upload/", 0, () -> gcs.put("b", "race2.bin", other));
            StorageException e = assertThrows(StorageException.class, () -> backend.write(URI.create("gs://b/race2.bin"),
                    file(content), content.length, sha256(content), TransferListener.NONE));
            assertEquals(Kind.CHANGED, e.kind(), e.getMessage());
            assertArrayEquals(other, gcs.content("b", "race2.bin"));
        }
        assertTrue(gcs.requests().stream().anyMatch(r -> r.contains("ifGenerationMatch=0")), "writes are create-only: "
                + gcs.requests());
    }

    @Test
    void aChecksumGcsRefusesIsCorruptAndNoObjectAppears() throws Exception {
        byte[] content = random(2 * 256 * 1024 + 10, 5);
        try (GcsBackend backend = backend()) {
            StorageException e = assertThrows(StorageException.class, () -> backend.write(URI.create("gs://b/liar.bin"),
                    file(content), content.length, sha256(random(10, 6)), TransferListener.NONE));
            assertEquals(Kind.CORRUPT, e.kind(), e.getMessage());
            assertFalse(e.getMessage().contains(sha256(content)), e.getMessage());
        }
        assertEquals(null, gcs.content("b", "liar.bin"));
        assertFalse(gcs.requests().stream().anyMatch(r -> r.startsWith("POST /upload/")), "nothing was sent");
    }

    @Test
    void errorsNameTheBucketAndTheCredentialsSourceButNoSecret() throws Exception {
        try (GcsBackend backend = backend()) {
            StorageException e = assertThrows(StorageException.class, () -> backend.stat(URI.create("gs://nope/x.bin")));
            assertEquals(Kind.MISCONFIGURED, e.kind());
            assertTrue(e.getMessage().contains("GCS bucket 'nope' does not exist at " + gcs.endpoint()), e.getMessage());
        }
        Path stranger = gcs.serviceAccount(Files.createDirectories(tmp.resolve("s")), "stranger@x.iam.gserviceaccount.com", false);
        try (GcsBackend backend = backend(Map.of(), Map.of("GOOGLE_APPLICATION_CREDENTIALS", stranger.toString()))) {
            StorageException e = assertThrows(StorageException.class, () -> backend.stat(URI.create("gs://b/x.bin")));
            assertEquals(Kind.ACCESS_DENIED, e.kind(), e.getMessage());
            assertTrue(e.getMessage().contains("GOOGLE_APPLICATION_CREDENTIALS"), e.getMessage());
            assertFalse(e.getMessage().contains("PRIVATE KEY"), e.getMessage());
        }
        try (GcsBackend backend = backend(Map.of(), Map.of())) {
            StorageException e = assertThrows(StorageException.class, () -> backend.stat(URI.create("gs://b/x.bin")));
            assertEquals(Kind.ACCESS_DENIED, e.kind());
            assertTrue(e.getMessage().contains("set GOOGLE_APPLICATION_CREDENTIALS") && e.getMessage().contains("lfs-cloud.gcs.anonymous"),
                    e.getMessage());
        }
        try (GcsBackend backend = backend(Map.of("lfs-cloud.gcs.anonymous", "true"), Map.of())) {
            StorageException e = assertThrows(StorageException.class, () -> backend.stat(URI.create("gs://b/x.bin")));
            assertEquals(Kind.ACCESS_DENIED, e.kind(), "a private bucket refuses anonymous callers: " + e.getMessage());
        }
        Path garbage = Files.writeString(tmp.resolve("garbage.json"), "{\"type\": \"service_account\", \"private_key\": \"secret-text\"}");
        try (GcsBackend backend = backend(Map.of(), Map.of("GOOGLE_APPLICATION_CREDENTIALS", garbage.toString()))) {
            StorageException e = assertThrows(StorageException.class, () -> backend.stat(URI.create("gs://b/x.bin")));
            assertEquals(Kind.ACCESS_DENIED, e.kind());
            assertFalse(e.getMessage().contains("secret-text"), e.getMessage());
        }
    }

    @Test
    void settingsOutOfRangeAreOneClearError() {
        for (Map.Entry<String, String> bad : Map.of("lfs-cloud.gcs.chunkSize", "300k", "lfs-cloud.gcs.downloadPartSize", "64m",
                "lfs-cloud.gcs.endpoint", "ftp://x", "lfs-cloud.gcs.timeoutSeconds", "0").entrySet()) {
            StorageException e = assertThrows(StorageException.class, () -> GcsSettings.from(k -> Optional.ofNullable(
                    k.equals(bad.getKey()) ? bad.getValue() : null)));
            assertEquals(Kind.MISCONFIGURED, e.kind());
            assertTrue(e.getMessage().contains(bad.getKey()), e.getMessage());
        }
    }

    @Test
    void bothUrlFormsNameOneObjectAndOnlyGcsHostsAreClaimed() throws Exception {
        GcsBackendProvider p = new GcsBackendProvider();
        assertEquals(new GcsLocation("b", "a b/c+d", false), GcsLocation.of(URI.create("gs://b/a%20b/c+d")));
        assertEquals(new GcsLocation("b", "a b/c+d", true), GcsLocation.of(URI.create("https://storage.googleapis.com/b/a%20b/c+d")));
        assertEquals(URI.create("https://storage.googleapis.com/b/x%23y"), new GcsLocation("b", "x#y", true).uri());
        assertTrue(p.priority(URI.create("https://storage.googleapis.com/b/x")) > 0);
        assertTrue(p.priority(URI.create("https://example.org/b/x")) < 0);
        assertTrue(p.priority(URI.create("https://storage.googleapis.com:8443/b/x")) < 0);
        assertEquals("b", p.scope(URI.create("https://storage.googleapis.com/b/x")));
        assertThrows(StorageException.class, () -> GcsLocation.of(URI.create("gs://b/a/../c")));
    }
}
