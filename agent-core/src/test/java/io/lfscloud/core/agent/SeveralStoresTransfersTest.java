package io.lfscloud.core.agent;

import io.lfscloud.core.Log;
import io.lfscloud.core.lfs.Oid;
import io.lfscloud.spi.ObjectInfo;
import io.lfscloud.spi.StorageBackend;
import io.lfscloud.spi.StorageException;
import io.lfscloud.spi.TransferListener;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reads falling through stores and writes needing copies, over stores {@code mem://NAME} the test controls. */
class SeveralStoresTransfersTest {

    @TempDir
    Path repo;

    private final Map<URI, byte[]> objects = new ConcurrentHashMap<>();
    /** Stores (by host) whose every request fails with this kind. */
    private final Map<String, StorageException.Kind> down = new ConcurrentHashMap<>();
    private final List<String> reads = new ArrayList<>();
    private final List<String> writes = new ArrayList<>();
    private final ByteArrayOutputStream log = new ByteArrayOutputStream();

    @BeforeEach
    void gitRepository() throws Exception {
        run("git", "init", "-q");
        Log.setStream(new PrintStream(log, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restoreLog() {
        Log.setStream(System.err);
    }

    private void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).directory(repo.toFile()).inheritIO().start();
        assertEquals(0, p.waitFor(), String.join(" ", command));
    }

    private void store(String name, int priority, boolean write) throws Exception {
        run("git", "config", "lfs-cloud.store." + name + ".url", "mem://" + name);
        run("git", "config", "lfs-cloud.store." + name + ".priority", Integer.toString(priority));
        run("git", "config", "lfs-cloud.store." + name + ".write", Boolean.toString(write));
    }

    private Transfers transfers() {
        return TestBackends.transfers(repo, "mem", Memory::new, 0);
    }

    private static URI uri(String store, String oid) {
        return URI.create("mem://" + store + "/" + oid.substring(0, 2) + "/" + oid.substring(2, 4) + "/" + oid);
    }

    private final class Memory implements StorageBackend {
        private void check(URI object) throws StorageException {
            StorageException.Kind kind = down.get(object.getHost());
            if (kind != null) {
                throw new StorageException(kind, object.getHost() + " is " + kind);
            }
        }

        public ObjectInfo stat(URI object) throws StorageException {
            check(object);
            byte[] b = objects.get(object);
            if (b == null) {
                throw new StorageException(StorageException.Kind.NOT_FOUND, "no such object " + object);
            }
            return ObjectInfo.of(object, b.length);
        }

        public InputStream read(URI object, long offset, ObjectInfo expected) throws StorageException {
            synchronized (reads) {
                reads.add(object.getHost());
            }
            byte[] b = objects.get(object);
            stat(object);
            return new ByteArrayInputStream(b, (int) offset, b.length - (int) offset);
        }

        public boolean write(URI object, Path source, long size, String sha256, TransferListener progress)
                throws StorageException {
            check(object);
            try {
                objects.put(object, Files.readAllBytes(source));
            } catch (IOException e) {
                throw new StorageException(StorageException.Kind.TRANSIENT, e.getMessage());
            }
            synchronized (writes) {
                writes.add(object.getHost());
            }
            progress.transferred(size);
            return true;
        }
    }

    private static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    @Test
    void aDownloadFallsThroughMissingFailingAndCorruptStoresToOneThatHoldsItIntact() throws Exception {
        store("gone", 30, true);
        store("corrupt", 20, true);
        store("broken", 10, true);
        store("good", 0, true);
        byte[] content = "the object".getBytes();
        String oid = sha256(content);
        byte[] other = content.clone();
        other[0] ^= 1;
        objects.put(uri("corrupt", oid), other);
        objects.put(uri("broken", oid), content);
        down.put("broken", StorageException.Kind.TRANSIENT);
        objects.put(uri("good", oid), content);

        Path file = transfers().download(Oid.parse(oid), content.length, TransferListener.NONE);

        assertArrayEquals(content, Files.readAllBytes(file));
        assertEquals(List.of("gone", "corrupt", "broken", "broken", "broken", "good"), reads,
                "in priority order, a failing store retried, each once otherwise");
        String said = log.toString(StandardCharsets.UTF_8);
        assertTrue(said.contains("lfs-cloud: warning: "), said);
        assertTrue(said.contains("not from store 'corrupt': object " + oid + " in store 'corrupt' is corrupt"), said);
        assertTrue(said.contains("not from store 'broken': broken is TRANSIENT; trying store 'good'"), said);
        assertFalse(said.contains("store 'gone'"), "a missing object is traced only: " + said);
    }

    @Test
    void withNoIntactCopyTheFailureNamesEveryStore() throws Exception {
        store("a", 1, true);
        store("b", 0, true);
        byte[] content = "nowhere intact".getBytes();
        String oid = sha256(content);
        TransferFailure missing = assertThrows(TransferFailure.class,
                () -> transfers().download(Oid.parse(oid), content.length, TransferListener.NONE));
        assertEquals(ErrorCode.NOT_FOUND, missing.code());
        assertTrue(missing.getMessage().startsWith("no store gave " + oid + ": store 'a': ")
                && missing.getMessage().contains("; store 'b': "), missing.getMessage());

        objects.put(uri("b", oid), "nowhere intacT".getBytes());
        TransferFailure corrupt = assertThrows(TransferFailure.class,
                () -> transfers().download(Oid.parse(oid), content.length, TransferListener.NONE));
        assertEquals(ErrorCode.CORRUPT, corrupt.code(), "the worse failure: " + corrupt.getMessage());
    }

    @Test
    void anUploadGoesToEveryWritableStoreAndNeedsCopiesOfIt() throws Exception {
        store("first", 1, true);
        store("mirror", 5, false);
        store("second", 0, true);
        Path file = Files.writeString(repo.resolve("f.bin"), "pushed");
        String oid = sha256(Files.readAllBytes(file));
        List<Long> progress = new ArrayList<>();

        transfers().upload(Oid.parse(oid), 6, "f.bin", progress::add);
        assertEquals(List.of("first", "second"), writes, "read-only stores get nothing");
        assertEquals(6, progress.stream().mapToLong(Long::longValue).sum(), "progress ends at the size, once");

        down.put("second", StorageException.Kind.ACCESS_DENIED);
        TransferFailure refused = assertThrows(TransferFailure.class,
                () -> transfers().upload(Oid.parse(oid), 6, "f.bin", TransferListener.NONE));
        assertEquals(ErrorCode.FORBIDDEN, refused.code());
        assertEquals(oid + " is in 1 of 2 stores, 2 needed: store 'second': second is ACCESS_DENIED", refused.getMessage());

        run("git", "config", "lfs-cloud.copies", "1");
        transfers().upload(Oid.parse(oid), 6, "f.bin", TransferListener.NONE);
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("not stored in store 'second': second is ACCESS_DENIED"));

        down.put("first", StorageException.Kind.TRANSIENT);
        TransferFailure none = assertThrows(TransferFailure.class,
                () -> transfers().upload(Oid.parse(oid), 6, "f.bin", TransferListener.NONE));
        assertTrue(none.getMessage().startsWith(oid + " is in 0 of 2 stores, 1 needed (lfs-cloud.copies): store 'first': "),
                none.getMessage());
    }
}
