package io.lfscloud.backend.s3;

import io.lfscloud.spi.support.RangedReader;
import io.lfscloud.spi.BackendConfig;
import io.lfscloud.spi.BackendContext;
import io.lfscloud.spi.ObjectInfo;
import io.lfscloud.spi.StorageBackend;
import io.lfscloud.spi.StorageException;
import io.lfscloud.testkit.S3Proxy;
import io.lfscloud.testkit.StorageBackendContract;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The S3 backend meets the backend contract against a real S3 server: s3proxy on 127.0.0.1
 * (the test kit's {@link S3Proxy}, in-memory store), with small thresholds so that large
 * objects go multipart (5 MB parts) and are read back as parallel 1 MB ranges.
 */
class S3BackendContractTest extends StorageBackendContract {

    @TempDir
    static Path work;
    static S3Proxy s3proxy;
    static String endpoint;
    static StorageBackend backend;
    static final AtomicInteger N = new AtomicInteger();

    @BeforeAll
    static void start() throws Exception {
        s3proxy = new S3Proxy(work);
        endpoint = s3proxy.endpoint();
        assertEquals(200, send("PUT", "/contract", null));
        // the SDK's default chain reads these system properties
        System.setProperty("aws.accessKeyId", "test-key");
        System.setProperty("aws.secretAccessKey", "test-secret");
        System.setProperty("aws.region", "us-east-1");
        Map<String, String> settings = Map.of("lfs-cloud.s3.endpoint", endpoint, "lfs-cloud.s3.multipartThreshold", "6m",
                "lfs-cloud.s3.partSize", "5m", "lfs-cloud.s3.downloadPartSize", "1m");
        BackendConfig config = key -> Optional.ofNullable(settings.get(key));
        backend = new S3BackendProvider().open(BackendContext.of(URI.create("s3://contract/"), config));
    }

    @AfterAll
    static void stop() throws InterruptedException {
        backend.close();
        s3proxy.close();
    }

    /** A plain (unsigned) request: s3proxy runs without authorization. */
    static int send(String method, String path, byte[] body) throws IOException, InterruptedException {
        return s3proxy.status(method, path, body);
    }

    @Override
    protected StorageBackend backend() {
        return backend;
    }

    @Override
    protected URI newObject(String name) {
        return URI.create("s3://contract/objects/" + N.incrementAndGet() + "/" + name);
    }

    @Override
    protected void putDirectly(URI object, byte[] content) throws Exception {
        assertEquals(200, send("PUT", "/" + object.getHost() + object.getRawPath(), content));
    }

    @Override
    protected URI newFolder() {
        return URI.create("s3://contract/folders/" + N.incrementAndGet() + "/");
    }

    @Override
    protected long largeSize() {
        return 13L << 20; // three parts up, thirteen ranges down
    }

    @Test
    void aStatInABucketThatDoesNotExistSaysSoInsteadOfNotFound() {
        // install and doctor probe a store with a stat: a missing object is fine, a missing bucket is not
        StorageException e = assertThrows(StorageException.class,
                () -> backend.stat(URI.create("s3://no-such-bucket/lfs/.probe")));
        assertEquals(StorageException.Kind.MISCONFIGURED, e.kind(), e.getMessage());
        assertTrue(e.getMessage().contains("S3 bucket 'no-such-bucket' does not exist"), e.getMessage());
        assertEquals(StorageException.Kind.NOT_FOUND, assertThrows(StorageException.class,
                () -> backend.stat(URI.create("s3://contract/lfs/.probe"))).kind());
    }

    @Test
    void rangedDownloadsShareABoundedMemoryBudgetAndStreamBeyondIt() throws Exception {
        Map<String, String> settings = Map.of("lfs-cloud.s3.endpoint", endpoint, "lfs-cloud.s3.downloadPartSize", "16m",
                "lfs-cloud.s3.downloadConcurrency", "3");
        try (StorageBackend big = new S3BackendProvider().open(BackendContext.of(URI.create("s3://contract/"),
                key -> Optional.ofNullable(settings.get(key))))) {
            URI object = newObject("budget.bin");
            byte[] content = new byte[32 << 20];
            new Random(5).nextBytes(content);
            putDirectly(object, content);
            ObjectInfo info = ObjectInfo.of(object, content.length);
            // each ranged read may hold (3 + 1) × 16 MiB: two of them take the agent's whole budget
            InputStream a = big.read(object, 0, info);
            InputStream b = big.read(object, 0, info);
            assertInstanceOf(RangedReader.class, a);
            assertInstanceOf(RangedReader.class, b);
            try (InputStream c = big.read(object, 0, info)) {
                assertFalse(c instanceof RangedReader, "a third one streams instead of holding more buffers");
                assertArrayEquals(content, c.readAllBytes());
            }
            a.close();
            try (InputStream d = big.read(object, 0, info)) {
                assertInstanceOf(RangedReader.class, d, "a closed reader gave its budget back");
                assertArrayEquals(content, d.readAllBytes());
            }
            b.close();
        }
    }
}
