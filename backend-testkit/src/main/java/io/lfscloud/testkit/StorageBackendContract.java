package io.lfscloud.testkit;

import io.lfscloud.spi.ObjectInfo;
import io.lfscloud.spi.StorageBackend;
import io.lfscloud.spi.StorageException;
import io.lfscloud.spi.TransferListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What every {@link StorageBackend} must do, whatever stands behind it. A backend's tests
 * extend this class, point it at a real server of the backend's API where one can run, and
 * say what the backend cannot do (read-only stores, stores that cannot list).
 *
 * <p>The agent relies on each of these: objects read back byte for byte from any offset;
 * an object already stored is not sent again; bytes that do not match the claimed SHA-256
 * never become an object (and the error does not say what they hash to); a missing object
 * is {@code NOT_FOUND}, not a generic failure; a read pinned to an ETag notices a changed
 * object; progress adds up to the size.
 */
public abstract class StorageBackendContract {

    @TempDir
    protected Path tmp;

    /** The backend under test. */
    protected abstract StorageBackend backend();

    /** A URL no object has used yet, in the backend's namespace ({@code name} may end up in it). */
    protected abstract URI newObject(String name);

    /** Stores {@code content} at {@code object} without the backend: another writer, out of band. */
    protected abstract void putDirectly(URI object, byte[] content) throws Exception;

    /** A "folder" URL (ending in {@code /}) no object has used yet, or {@code null} when the backend cannot list. */
    protected URI newFolder() {
        return null;
    }

    /** Whether the backend writes (an HTTP server serving tracked files only reads). */
    protected boolean canWrite() {
        return true;
    }

    /** A size that takes the backend's large-object paths (multipart, parallel ranges), if it has them. */
    protected long largeSize() {
        return 3L << 20;
    }

    // ---------------------------------------------------------------- helpers

    protected static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    protected static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private Path file(byte[] content) throws IOException {
        return Files.write(Files.createTempFile(tmp, "src", ".bin"), content);
    }

    private byte[] readAll(URI object, long offset, ObjectInfo expected) throws IOException {
        try (InputStream in = backend().read(object, offset, expected)) {
            return in.readAllBytes();
        }
    }

    private static byte[] tail(byte[] b, int from) {
        return java.util.Arrays.copyOfRange(b, from, b.length);
    }

    // ------------------------------------------------------------------ tests

    @Test
    void writtenObjectsReadBackWholeAndFromAnyOffset() throws Exception {
        assumeTrue(canWrite(), "read-only backend");
        for (int size : new int[] {0, 1, 100_000}) {
            byte[] content = random(size, size);
            URI object = newObject("plain-" + size);
            AtomicLong progress = new AtomicLong();
            assertTrue(backend().write(object, file(content), size, sha256(content), progress::addAndGet), "bytes were sent");
            assertEquals(size, progress.get(), "progress adds up to the size");
            assertEquals(size, backend().stat(object).size());
            assertArrayEquals(content, readAll(object, 0, null));
            for (int offset : new int[] {size / 2, size}) {
                assertArrayEquals(tail(content, offset), readAll(object, offset, ObjectInfo.of(object, size)),
                        "from offset " + offset + " of " + size);
            }
        }
    }

    @Test
    void largeObjectsTakeTheLargePathsAndStillRoundTrip() throws Exception {
        assumeTrue(canWrite(), "read-only backend");
        int size = (int) largeSize();
        byte[] content = random(size, 7);
        URI object = newObject("large");
        AtomicLong progress = new AtomicLong();
        assertTrue(backend().write(object, file(content), size, sha256(content), progress::addAndGet));
        assertEquals(size, progress.get(), "progress adds up to the size, whatever the parts");
        ObjectInfo info = backend().stat(object);
        assertEquals(size, info.size());
        assertArrayEquals(content, readAll(object, 0, info));
        int offset = size / 3 + 17;
        assertArrayEquals(tail(content, offset), readAll(object, offset, info), "resumed from " + offset);
    }

    @Test
    void anObjectAlreadyStoredWithItsSizeIsNotSentAgain() throws Exception {
        assumeTrue(canWrite(), "read-only backend");
        byte[] content = random(5_000, 2);
        URI object = newObject("twice");
        assertTrue(backend().write(object, file(content), content.length, sha256(content), TransferListener.NONE));
        AtomicLong progress = new AtomicLong();
        assertFalse(backend().write(object, file(content), content.length, sha256(content), progress::addAndGet),
                "nothing sent the second time");
        assertArrayEquals(content, readAll(object, 0, null));
    }

    @Test
    void bytesThatDoNotMatchTheirSha256NeverBecomeAnObject() throws Exception {
        assumeTrue(canWrite(), "read-only backend");
        byte[] content = random(20_000, 3);
        URI object = newObject("liar");
        StorageException e = assertThrows(StorageException.class, () -> backend().write(object, file(content),
                content.length, sha256("something else".getBytes()), TransferListener.NONE));
        assertEquals(StorageException.Kind.CORRUPT, e.kind(), e.getMessage());
        assertFalse(e.getMessage().contains(sha256(content)),
                "the error does not tell what the local file hashes to: " + e.getMessage());
        assertEquals(StorageException.Kind.NOT_FOUND,
                assertThrows(StorageException.class, () -> backend().stat(object)).kind(), "no object appeared");
    }

    @Test
    void aMissingObjectIsNotFound() {
        URI object = newObject("missing");
        assertEquals(StorageException.Kind.NOT_FOUND, assertThrows(StorageException.class, () -> backend().stat(object)).kind());
        StorageException e = assertThrows(StorageException.class, () -> readAll(object, 0, null));
        assertEquals(StorageException.Kind.NOT_FOUND, e.kind(), e.getMessage());
    }

    @Test
    void objectsWrittenByOthersAreReadWithTheirMetadata() throws Exception {
        byte[] content = random(70_000, 4);
        URI object = newObject("theirs");
        putDirectly(object, content);
        ObjectInfo info = backend().stat(object);
        assertEquals(content.length, info.size());
        assertNotNull(info.etag(), "an ETag (or the backend's equivalent) to notice changes by");
        assertArrayEquals(content, readAll(object, 0, info));
        assertArrayEquals(tail(content, 1234), readAll(object, 1234, info));
    }

    @Test
    void aReadPinnedToAnEtagNoticesThatTheObjectChanged() throws Exception {
        URI object = newObject("changing");
        putDirectly(object, random(30_000, 5));
        ObjectInfo before = backend().stat(object);
        assumeTrue(before.etag() != null, "the backend reports no ETag");
        putDirectly(object, random(31_000, 6));
        StorageException e = assertThrows(StorageException.class, () -> readAll(object, 0, before));
        assertEquals(StorageException.Kind.CHANGED, e.kind(), e.getMessage());
    }

    @Test
    void listingFindsEveryObjectUnderAFolderAndNothingElse() throws Exception {
        URI folder = newFolder();
        assumeTrue(folder != null, "the backend cannot list");
        Map<URI, Integer> expected = new java.util.HashMap<>();
        for (String name : new String[] {"a.bin", "sub/b.bin", "sub/deeper/c d.bin"}) {
            URI u = folder.resolve(name.replace(" ", "%20"));
            byte[] content = random(100 + expected.size(), expected.size());
            putDirectly(u, content);
            expected.put(u, content.length);
        }
        putDirectly(URI.create(folder.toString().replaceFirst("/$", "-sibling/x.bin")), random(10, 9));
        Map<URI, Long> found = new ConcurrentHashMap<>();
        backend().list(folder, info -> found.put(info.uri(), info.size()));
        assertEquals(expected.keySet(), found.keySet());
        expected.forEach((u, size) -> assertEquals((long) size, found.get(u), u.toString()));
    }

    @Test
    void concurrentWritesAndReadsDoNotMixObjects() throws Exception {
        assumeTrue(canWrite(), "read-only backend");
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> all = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                int n = i;
                all.add(pool.submit(() -> {
                    byte[] content = random(50_000 + n, 100 + n);
                    URI object = newObject("concurrent-" + n);
                    backend().write(object, file(content), content.length, sha256(content), TransferListener.NONE);
                    assertArrayEquals(content, readAll(object, 0, null), object.toString());
                    return null;
                }));
            }
            for (Future<?> f : all) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
