package io.lfscloud.backend.http;

import io.lfscloud.spi.BackendConfig;
import io.lfscloud.spi.ObjectInfo;
import io.lfscloud.spi.StorageBackend;
import io.lfscloud.spi.StorageException;
import io.lfscloud.spi.TransferListener;
import io.lfscloud.testkit.Nginx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The HTTP backend against a real nginx (the test kit's {@link Nginx}). */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HttpBackendTest {

    @TempDir
    static Path tmp;

    Nginx nginx;
    StorageBackend http;
    byte[] content = new byte[300_000];

    @BeforeAll
    void start() throws Exception {
        nginx = new Nginx(tmp);
        new Random(3).nextBytes(content);
        Files.write(nginx.root.resolve("data.bin"), content);
        http = new HttpBackendProvider().open(io.lfscloud.spi.BackendContext.of(URI.create(nginx.url("")), BackendConfig.EMPTY));
    }

    @AfterAll
    void stop() throws InterruptedException {
        nginx.close();
    }

    private URI url(String path) {
        return URI.create(nginx.url(path));
    }

    @Test
    void headGivesSizeEtagAndModificationTime() throws Exception {
        ObjectInfo info = http.stat(url("data.bin"));
        assertEquals(content.length, info.size());
        assertNotNull(info.etag());
        assertTrue(info.etag().matches("[0-9a-f]+-[0-9a-f]+"), "nginx's ETag, without quotes: " + info.etag());
        assertNotNull(info.lastModified());
    }

    @Test
    void readsWholeAndFromAnOffset() throws Exception {
        ObjectInfo info = http.stat(url("data.bin"));
        try (InputStream in = http.read(url("data.bin"), 0, info)) {
            assertArrayEquals(content, in.readAllBytes());
        }
        try (InputStream in = http.read(url("data.bin"), 123_456, info)) {
            assertArrayEquals(Arrays.copyOfRange(content, 123_456, content.length), in.readAllBytes());
        }
    }

    @Test
    void aChangedObjectIsRefusedNotMixedIn() throws Exception {
        Path f = Files.write(nginx.root.resolve("changing.bin"), content);
        ObjectInfo recorded = http.stat(url("changing.bin"));
        Files.write(f, "new content".getBytes());
        Files.setLastModifiedTime(f, FileTime.fromMillis(System.currentTimeMillis() + 5000));
        StorageException e = assertThrows(StorageException.class, () -> http.read(url("changing.bin"), 1000, recorded));
        assertEquals(StorageException.Kind.CHANGED, e.kind());
        assertTrue(e.getMessage().contains("changed"), e.getMessage());
    }

    @Test
    void errorsAreClassified() throws Exception {
        assertEquals(StorageException.Kind.NOT_FOUND,
                assertThrows(StorageException.class, () -> http.stat(url("missing.bin"))).kind());
        assertEquals(StorageException.Kind.ACCESS_DENIED,
                assertThrows(StorageException.class, () -> http.stat(url("forbidden/x.bin"))).kind());
        assertEquals(StorageException.Kind.TRANSIENT,
                assertThrows(StorageException.class, () -> http.stat(url("broken/x.bin"))).kind());
        StorageException refused = assertThrows(StorageException.class,
                () -> http.stat(URI.create("http://127.0.0.1:" + Nginx.freePort() + "/x")));
        assertEquals(StorageException.Kind.TRANSIENT, refused.kind());
        assertTrue(refused.getMessage().contains("cannot connect to 127.0.0.1"), refused.getMessage());
        StorageException unknown = assertThrows(StorageException.class, () -> http.stat(URI.create("http://nohost.invalid/x")));
        assertTrue(unknown.getMessage().contains("nohost.invalid") && unknown.getMessage().contains("no such host"),
                unknown.getMessage());
    }

    @Test
    void itIsReadOnly() throws Exception {
        Path src = Files.write(tmp.resolve("src"), content);
        StorageException e = assertThrows(StorageException.class,
                () -> http.write(url("new.bin"), src, content.length, "0".repeat(64), TransferListener.NONE));
        assertEquals(StorageException.Kind.MISCONFIGURED, e.kind());
        assertTrue(e.getMessage().contains("read-only"));
    }

    @Test
    void aServerThatTricklesIsDroppedBelowTheLowSpeedLimit() throws Exception {
        Files.createDirectories(nginx.root.resolve("slow"));
        Files.write(nginx.root.resolve("slow/trickle.bin"), Arrays.copyOf(content, 20_000)); // 64 B/s: five minutes
        BackendConfig strict = key -> switch (key) {
            case "http.lowSpeedLimit" -> java.util.Optional.of("1000");
            case "http.lowSpeedTime" -> java.util.Optional.of("2");
            default -> java.util.Optional.empty();
        };
        StorageBackend guarded = new HttpBackendProvider().open(io.lfscloud.spi.BackendContext.of(url(""), strict));
        long start = System.nanoTime();
        java.io.IOException e = assertThrows(java.io.IOException.class, () -> {
            try (InputStream in = guarded.read(url("slow/trickle.bin"), 0, null)) {
                in.readAllBytes();
            }
        });
        double seconds = (System.nanoTime() - start) / 1e9;
        assertTrue(e.getMessage().contains("below 1000 bytes a second") && e.getMessage().contains("http.lowSpeedLimit"),
                e.getMessage());
        assertTrue(seconds < 60, "dropped after about 2 s, not after the whole file: " + seconds);

        // a limit the server keeps to: the bytes arrive
        BackendConfig lenient = key -> switch (key) {
            case "http.lowSpeedLimit" -> java.util.Optional.of("10");
            case "http.lowSpeedTime" -> java.util.Optional.of("1");
            default -> java.util.Optional.empty();
        };
        StorageBackend patient = new HttpBackendProvider().open(io.lfscloud.spi.BackendContext.of(url(""), lenient));
        try (InputStream in = patient.read(url("slow/trickle.bin"), 0, null)) {
            assertArrayEquals(Arrays.copyOf(content, 128), in.readNBytes(128));
        }
    }

    @Test
    void lowSpeedSettingsAreChecked() {
        BackendConfig bad = key -> key.equals("http.lowSpeedTime") ? java.util.Optional.of("0") : java.util.Optional.empty();
        StorageException e = assertThrows(StorageException.class,
                () -> new HttpBackendProvider().open(io.lfscloud.spi.BackendContext.of(url(""), bad)));
        assertTrue(e.getMessage().contains("http.lowSpeedTime must be from 1 to 3600"), e.getMessage());
    }
}
