package io.lfscloud.backend.s3;

import io.lfscloud.spi.BackendConfig;
import io.lfscloud.spi.ObjectInfo;
import io.lfscloud.spi.StorageBackend;
import io.lfscloud.testkit.StorageBackendContract;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.HttpURLConnection;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The S3 backend meets the backend contract against a real S3 server: s3proxy 4.1.0 on
 * 127.0.0.1 (in-memory store), with small thresholds so that large objects go multipart
 * (5 MB parts) and are read back as parallel 1 MB ranges.
 */
class S3BackendContractTest extends StorageBackendContract {

    @TempDir
    static Path work;
    static Process s3proxy;
    static String endpoint;
    static S3Backend backend;
    static final AtomicInteger N = new AtomicInteger();

    @BeforeAll
    static void start() throws Exception {
        Path jar = Path.of(System.getProperty("lfscloud.s3proxy", "target/s3proxy/s3proxy.jar"));
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        endpoint = "http://127.0.0.1:" + port;
        Path props = Files.writeString(work.resolve("s3proxy.conf"), """
                s3proxy.endpoint=%s
                s3proxy.authorization=none
                jclouds.provider=transient
                jclouds.identity=local-identity
                jclouds.credential=local-credential
                """.formatted(endpoint));
        Path log = work.resolve("s3proxy.log");
        s3proxy = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                jar.toString(), "--properties", props.toString()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                break;
            } catch (IOException notYet) {
                if (!s3proxy.isAlive() || System.nanoTime() > deadline) {
                    fail("s3proxy did not start:\n" + Files.readString(log));
                }
                Thread.sleep(100);
            }
        }
        assertEquals(200, send("PUT", "/contract", null));
        // the SDK's default chain reads these system properties
        System.setProperty("aws.accessKeyId", "test-key");
        System.setProperty("aws.secretAccessKey", "test-secret");
        System.setProperty("aws.region", "us-east-1");
        Map<String, String> settings = Map.of("lfs-cloud.s3.endpoint", endpoint, "lfs-cloud.s3.multipartThreshold", "6m",
                "lfs-cloud.s3.partSize", "5m", "lfs-cloud.s3.downloadPartSize", "1m");
        BackendConfig config = key -> Optional.ofNullable(settings.get(key));
        backend = new S3Backend(S3Settings.from(config));
    }

    @AfterAll
    static void stop() throws InterruptedException {
        backend.close();
        s3proxy.destroy();
        s3proxy.waitFor(10, TimeUnit.SECONDS);
    }

    /** A plain (unsigned) request: s3proxy runs without authorization. */
    static int send(String method, String path, byte[] body) throws IOException {
        HttpURLConnection c = (HttpURLConnection) URI.create(endpoint + path).toURL().openConnection();
        c.setRequestMethod(method);
        if (body != null) {
            c.setDoOutput(true);
            c.setRequestProperty("Content-Type", "application/octet-stream");
            c.setFixedLengthStreamingMode(body.length);
            try (OutputStream out = c.getOutputStream()) {
                out.write(body);
            }
        }
        int status = c.getResponseCode();
        c.disconnect();
        return status;
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
    void rangedDownloadsShareABoundedMemoryBudgetAndStreamBeyondIt() throws Exception {
        Map<String, String> settings = Map.of("lfs-cloud.s3.endpoint", endpoint, "lfs-cloud.s3.downloadPartSize", "16m",
                "lfs-cloud.s3.downloadConcurrency", "3");
        try (S3Backend big = new S3Backend(S3Settings.from(key -> Optional.ofNullable(settings.get(key))))) {
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
