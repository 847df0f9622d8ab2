package io.lfscloud.backend.azure;

import io.lfscloud.spi.BackendConfig;
import io.lfscloud.spi.Diagnostics;
import io.lfscloud.spi.ObjectInfo;
import io.lfscloud.spi.RetryPolicy;
import io.lfscloud.spi.StorageBackend;
import io.lfscloud.spi.StorageException;
import io.lfscloud.spi.StorageException.Kind;
import io.lfscloud.spi.TransferListener;
import io.lfscloud.testkit.Azurite;
import io.lfscloud.testkit.FaultProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Azure backend against Azurite behind a {@link FaultProxy} that answers what real Azure
 * answers when it is busy or failing (503 ServerBusy, 500 InternalError), drops connections or
 * stops answering: blocks and ranges are retried as the context's {@link RetryPolicy} says, no
 * more and no less, then the failure is transient; the SDK itself retries nothing; a silent
 * server costs one {@code lfs-cloud.azure.timeoutSeconds}.
 */
class AzureRetryTest {

    /** The three failures a block or range meets, in turn. */
    static final List<FaultProxy.Fault> FAULTS = List.of(new FaultProxy.Fault(503, "ServerBusy"),
            new FaultProxy.Fault(500, "InternalError"), new FaultProxy.Fault(-1, "drop"));

    @TempDir
    static Path work;
    static Azurite azurite;
    static FaultProxy proxy;

    @BeforeAll
    static void start() throws Exception {
        azurite = new Azurite(work);
        azurite.createContainer("retry");
        proxy = new FaultProxy(azurite.port);
    }

    @AfterAll
    static void stop() throws Exception {
        proxy.close();
        azurite.close();
    }

    @AfterEach
    void forwardAll() {
        proxy.rule((m, t, n) -> null);
    }

    /** A backend whose requests go through the proxy, 1 MB blocks and ranges. */
    private static StorageBackend backend(RetryPolicy retry, String... more) throws StorageException {
        Map<String, String> settings = new HashMap<>(Map.of("lfs-cloud.azure.endpoint", proxy.endpoint() + "/" + Azurite.ACCOUNT,
                "lfs-cloud.azure.blockSize", "1m", "lfs-cloud.azure.downloadPartSize", "1m"));
        for (int i = 0; i < more.length; i += 2) {
            settings.put(more[i], more[i + 1]);
        }
        BackendConfig config = key -> Optional.ofNullable(settings.get(key));
        return new AzureBackend(AzureSettings.from(config), retry, Diagnostics.NONE,
                Map.of("AZURE_STORAGE_CONNECTION_STRING", azurite.connectionString()), work);
    }

    private static URI blob(String name) {
        return URI.create("az://" + Azurite.ACCOUNT + "/retry/" + name);
    }

    /** Requests whose log line starts with {@code prefix} (METHOD and path). */
    private static long count(String prefix) {
        return proxy.log().stream().filter(l -> l.startsWith(prefix)).count();
    }

    /** Each block's staging fails {@code times} times (503, 500, dropped, in turn) before it goes through. */
    private static void refuseEachBlock(int times) {
        Map<String, Integer> seen = new ConcurrentHashMap<>();
        proxy.rule((m, target, n) -> {
            Matcher block = Pattern.compile("blockid=[^&]+").matcher(target);
            if (!m.equals("PUT") || !target.contains("comp=block&") && !target.endsWith("comp=block") || !block.find()) {
                return null;
            }
            int k = seen.merge(block.group(), 1, Integer::sum);
            return k <= times ? FAULTS.get((k - 1) % FAULTS.size()) : null;
        });
    }

    /** The next {@code times} GETs fail (503, 500, dropped, in turn). */
    private static void refuseGets(int times) {
        AtomicInteger seen = new AtomicInteger();
        proxy.rule((m, target, n) -> {
            if (!m.equals("GET")) {
                return null;
            }
            int k = seen.incrementAndGet();
            return k <= times ? FAULTS.get((k - 1) % FAULTS.size()) : null;
        });
    }

    private static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(b));
    }

    @Test
    void blocksAreRetriedAsOftenAsThePolicySaysAndNoMore() throws Exception {
        byte[] content = new byte[(3 << 20) + 100];
        new Random(1).nextBytes(content);
        Path file = work.resolve("blocks.bin");
        Files.write(file, content);

        refuseEachBlock(3);
        try (StorageBackend fourAttempts = backend(new RetryPolicy(4, 1))) {
            assertTrue(fourAttempts.write(blob("a.bin"), file, content.length, sha256(content), TransferListener.NONE));
        }
        // four blocks, each tried four times: refused by 503, 500 and a dropped connection, then stored
        assertEquals(16, count("PUT /" + Azurite.ACCOUNT + "/retry/a.bin?comp=block&"), proxy.log().toString());
        assertEquals(12, proxy.log().stream().filter(l -> l.contains("a.bin?comp=block&") && !l.endsWith("forwarded")).count());
        assertEquals(1, count("PUT /" + Azurite.ACCOUNT + "/retry/a.bin?comp=blocklist"), "one commit: " + proxy.log());
        assertArrayEquals(content, azurite.get("/retry/a.bin"));

        refuseEachBlock(3);
        try (StorageBackend threeAttempts = backend(new RetryPolicy(3, 1))) {
            StorageException e = assertThrows(StorageException.class, () ->
                    threeAttempts.write(blob("b.bin"), file, content.length, sha256(content), TransferListener.NONE));
            assertEquals(Kind.TRANSIENT, e.kind(), e.getMessage());
        }
        assertEquals(0, count("PUT /" + Azurite.ACCOUNT + "/retry/b.bin?comp=blocklist"), "no commit: " + proxy.log());
        assertNull(azurite.get("/retry/b.bin"), "no blob");
    }

    @Test
    void rangesAreRetriedAsOftenAsThePolicySaysAndNoMore() throws Exception {
        byte[] content = new byte[4 << 20];
        new Random(2).nextBytes(content);
        azurite.put("/retry/ranges.bin", content);
        ObjectInfo info = ObjectInfo.of(blob("ranges.bin"), content.length);
        String get = "GET /" + Azurite.ACCOUNT + "/retry/ranges.bin";

        // four 1 MB ranges in flight at once: the first eight GETs are the first two attempts of each
        // (a second's pause between attempts lets every range's first attempt arrive before any second one)
        refuseGets(8);
        int before = (int) count(get);
        try (StorageBackend threeAttempts = backend(new RetryPolicy(3, 1000));
             InputStream in = threeAttempts.read(info.uri(), 0, info)) {
            assertArrayEquals(content, in.readAllBytes());
        }
        assertEquals(12, count(get) - before, "four ranges, three attempts each: " + proxy.log());

        refuseGets(8);
        try (StorageBackend twoAttempts = backend(new RetryPolicy(2, 1000))) {
            InputStream in = twoAttempts.read(info.uri(), 0, info);
            StorageException e = assertThrows(StorageException.class, in::readAllBytes);
            assertEquals(Kind.TRANSIENT, e.kind(), e.getMessage());
            in.close();
        }
    }

    @Test
    void theSdkRetriesNothingAndABusyServerIsTransient() throws Exception {
        proxy.rule((m, target, n) -> target.contains("busy.bin") ? new FaultProxy.Fault(503, "ServerBusy") : null);
        try (StorageBackend b = backend(new RetryPolicy(3, 1))) {
            StorageException e = assertThrows(StorageException.class, () -> b.stat(blob("busy.bin")));
            assertEquals(Kind.TRANSIENT, e.kind(), e.getMessage());
            assertTrue(e.getMessage().contains("busy or failing (HTTP 503 ServerBusy)"), e.getMessage());
        }
        assertEquals(1, count("HEAD /" + Azurite.ACCOUNT + "/retry/busy.bin"), "one request: " + proxy.log());
    }

    @Test
    void aServerThatStopsAnsweringCostsOneTimeout() throws Exception {
        byte[] content = new byte[4 << 20];
        new Random(3).nextBytes(content);
        azurite.put("/retry/silent.bin", content);
        ObjectInfo info = ObjectInfo.of(blob("silent.bin"), content.length);
        proxy.rule((m, target, n) -> m.equals("GET") && target.contains("silent.bin") ? new FaultProxy.Fault(0, "stall") : null);
        try (StorageBackend b = backend(new RetryPolicy(3, 1), "lfs-cloud.azure.timeoutSeconds", "2")) {
            long start = System.nanoTime();
            InputStream in = b.read(info.uri(), 0, info);
            StorageException e = assertThrows(StorageException.class, in::readAllBytes);
            double seconds = (System.nanoTime() - start) / 1e9;
            in.close();
            assertEquals(Kind.TRANSIENT, e.kind(), e.getMessage());
            assertTrue(e.getMessage().contains("did not answer within 2 s") && e.getMessage().contains(
                    "lfs-cloud.azure.timeoutSeconds"), e.getMessage());
            // each range waited once; none was tried again (the agent retries, resuming)
            assertTrue(seconds >= 2 && seconds < 6, seconds + " s");
        }
        assertEquals(4, count("GET /" + Azurite.ACCOUNT + "/retry/silent.bin"), proxy.log().toString());
    }
}
