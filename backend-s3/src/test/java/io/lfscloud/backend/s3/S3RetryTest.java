package io.lfscloud.backend.s3;

import io.lfscloud.spi.BackendConfig;
import io.lfscloud.spi.BackendContext;
import io.lfscloud.spi.Diagnostics;
import io.lfscloud.spi.ObjectInfo;
import io.lfscloud.spi.RetryPolicy;
import io.lfscloud.spi.StorageBackend;
import io.lfscloud.spi.StorageException;
import io.lfscloud.spi.TransferListener;
import io.lfscloud.testkit.FaultProxy;
import io.lfscloud.testkit.S3Proxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The S3 backend retries ranges and parts as the context's {@link RetryPolicy} says, no more
 * and no less: against s3proxy behind a {@link FaultProxy} that refuses each part or range a
 * given number of times before letting it through.
 */
class S3RetryTest {

    @TempDir
    static Path work;
    static S3Proxy s3proxy;
    static FaultProxy proxy;
    static final Map<String, String> SETTINGS = new ConcurrentHashMap<>();
    static final BackendConfig CONFIG = key -> Optional.ofNullable(SETTINGS.get(key));

    @BeforeAll
    static void start() throws Exception {
        s3proxy = new S3Proxy(work);
        s3proxy.createBucket("retry");
        proxy = new FaultProxy(s3proxy.port);
        System.setProperty("aws.accessKeyId", "test-key");
        System.setProperty("aws.secretAccessKey", "test-secret");
        System.setProperty("aws.region", "us-east-1");
        SETTINGS.putAll(Map.of("lfs-cloud.s3.endpoint", proxy.endpoint(), "lfs-cloud.s3.multipartThreshold", "5m",
                "lfs-cloud.s3.partSize", "5m", "lfs-cloud.s3.downloadPartSize", "1m"));
    }

    @AfterAll
    static void stop() throws Exception {
        proxy.close();
        s3proxy.close();
    }

    private static StorageBackend backend(RetryPolicy retry) throws StorageException {
        URI bucket = URI.create("s3://retry/");
        return new S3BackendProvider().open(new BackendContext(bucket, "retry", CONFIG, Diagnostics.NONE, retry));
    }

    /** Each part's PUT is refused {@code times} times (503 SlowDown) before it goes through. */
    private static void refuseEachPart(int times) {
        Map<String, Integer> seen = new ConcurrentHashMap<>();
        proxy.rule((m, target, n) -> {
            Matcher part = Pattern.compile("partNumber=\\d+").matcher(target);
            if (!m.equals("PUT") || !part.find()) {
                return null;
            }
            return seen.merge(part.group(), 1, Integer::sum) <= times ? new FaultProxy.Fault(503, "SlowDown") : null;
        });
    }

    /** The next {@code times} GETs are refused (503 SlowDown). */
    private static void refuseGets(int times) {
        AtomicInteger seen = new AtomicInteger();
        proxy.rule((m, target, n) -> m.equals("GET") && seen.incrementAndGet() <= times
                ? new FaultProxy.Fault(503, "SlowDown") : null);
    }

    private static long count(String prefix) {
        return proxy.log().stream().filter(l -> l.startsWith(prefix)).count();
    }

    @Test
    void partsAreRetriedAsOftenAsThePolicySaysAndNoMore() throws Exception {
        Path file = work.resolve("parts.bin");
        byte[] content = new byte[11 << 20];
        new Random(1).nextBytes(content);
        Files.write(file, content);

        refuseEachPart(3);
        try (StorageBackend fourAttempts = backend(new RetryPolicy(4, 1))) {
            assertTrue(fourAttempts.write(URI.create("s3://retry/a.bin"), file, content.length, null, TransferListener.NONE));
        }
        assertEquals(1, count("POST /retry/a.bin?uploads"), "one multipart upload: " + proxy.log());
        assertArrayEquals(content, s3proxy.get("retry", "a.bin"));

        refuseEachPart(3);
        try (StorageBackend threeAttempts = backend(new RetryPolicy(3, 1))) {
            StorageException e = assertThrows(StorageException.class, () ->
                    threeAttempts.write(URI.create("s3://retry/b.bin"), file, content.length, null, TransferListener.NONE));
            assertEquals(StorageException.Kind.TRANSIENT, e.kind(), e.getMessage());
        }
        assertEquals(null, s3proxy.get("retry", "b.bin"), "nothing stored");
        proxy.rule((m, target, n) -> null);
    }

    @Test
    void rangesAreRetriedAsOftenAsThePolicySaysAndNoMore() throws Exception {
        byte[] content = new byte[4 << 20];
        new Random(2).nextBytes(content);
        s3proxy.put("retry", "ranges.bin", content);
        ObjectInfo info = ObjectInfo.of(URI.create("s3://retry/ranges.bin"), content.length);

        // four 1 MB ranges in flight at once: the first eight GETs are the first two attempts of each
        // (a pause of a second between attempts lets every range's first attempt arrive before any second one)
        refuseGets(8);
        try (StorageBackend threeAttempts = backend(new RetryPolicy(3, 1000));
             InputStream in = threeAttempts.read(info.uri(), 0, info)) {
            assertArrayEquals(content, in.readAllBytes());
        }

        refuseGets(8);
        try (StorageBackend twoAttempts = backend(new RetryPolicy(2, 1000))) {
            InputStream in = twoAttempts.read(info.uri(), 0, info);
            StorageException e = assertThrows(StorageException.class, in::readAllBytes);
            assertEquals(StorageException.Kind.TRANSIENT, e.kind(), e.getMessage());
            in.close();
        }
        proxy.rule((m, target, n) -> null);
    }
}
