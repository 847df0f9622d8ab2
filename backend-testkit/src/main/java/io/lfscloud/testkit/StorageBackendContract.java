package io.lfscloud.testkit;

import io.lfscloud.spi.ObjectInfo;
import io.lfscloud.spi.ObjectKeys;
import io.lfscloud.spi.StorageBackend;
import io.lfscloud.spi.StorageException;
import io.lfscloud.spi.TransferListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
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

    /**
     * A folder URL (ending in {@code /}) no object has used yet, for objects with awkward keys:
     * {@link #newFolder()} by default; a backend that cannot list gives a folder it can read.
     */
    protected URI newKeysFolder() {
        return newFolder();
    }

    /**
     * Stores {@code content} without the backend at the object whose key below {@code folder}
     * is {@code key} (its own text): by default {@link #putDirectly} with the key
     * percent-encoded, every byte but unreserved ones and {@code /} escaped.
     */
    protected void putKey(URI folder, String key, byte[] content) throws Exception {
        putDirectly(URI.create(folder + escaped(key, false)), content);
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

    /**
     * {@code key} percent-encoded as strictly as can be (only unreserved characters and
     * {@code /} stand for themselves), or with non-ASCII characters left as they are (a URL
     * as a user may type it).
     */
    protected static String escaped(String key, boolean keepNonAscii) {
        StringBuilder sb = new StringBuilder();
        key.codePoints().forEach(cp -> {
            if (cp < 0x80 && (Character.isLetterOrDigit(cp) || "-._~/".indexOf(cp) >= 0) || cp >= 0x80 && keepNonAscii) {
                sb.appendCodePoint(cp);
            } else {
                for (byte b : new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8)) {
                    sb.append('%').append(HexFormat.of().withUpperCase().toHexDigits(b));
                }
            }
        });
        return sb.toString();
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

    /** Keys with every character that URLs treat specially, unicode, and escapes that must stay text. */
    protected static final List<String> AWKWARD_KEYS = List.of("a+b.bin", "a#b?.bin", "100%.bin", "%41%2F.bin",
            "with space.bin", "café é.bin", "日本/語 +.bin", "sub/x+y#z?w%20 é.bin");

    @Test
    void objectsWithAwkwardKeysAreWrittenListedStatedAndReadBackByTheirKeys() throws Exception {
        URI folder = newKeysFolder();
        assumeTrue(folder != null, "the backend has no folders");
        Map<String, byte[]> contents = new LinkedHashMap<>();
        for (String key : AWKWARD_KEYS) {
            byte[] content = random(1_000 + contents.size(), 40 + contents.size());
            URI object = URI.create(folder + escaped(key, false));
            if (canWrite()) {
                assertTrue(backend().write(object, file(content), content.length, sha256(content), TransferListener.NONE),
                        key);
            } else {
                putKey(folder, key, content);
            }
            contents.put(key, content);
        }
        for (var e : contents.entrySet()) {
            for (URI object : List.of(URI.create(folder + escaped(e.getKey(), false)),
                    URI.create(folder + escaped(e.getKey(), true)))) {
                assertEquals(e.getValue().length, backend().stat(object).size(), object.toString());
                assertArrayEquals(e.getValue(), readAll(object, 0, null), object.toString());
            }
        }
        if (newFolder() == null) {
            return; // cannot list
        }
        Map<String, URI> listed = new ConcurrentHashMap<>();
        backend().list(folder, info -> listed.put(String.valueOf(ObjectKeys.keyBelow(folder, info.uri())), info.uri()));
        assertEquals(contents.keySet(), listed.keySet(), "a listed object's key below the folder is the key's own text: "
                + listed.values());
        for (var e : listed.entrySet()) {
            URI object = e.getValue();
            assertEquals(contents.get(e.getKey()).length, backend().stat(object).size(), "the listed " + object);
            assertArrayEquals(contents.get(e.getKey()), readAll(object, 0, null), "the listed " + object);
        }
    }

    @Test
    void aDotDotSegmentInAKeyNeverReachesAnObjectOutsideItsFolder() throws Exception {
        URI folder = newKeysFolder();
        assumeTrue(folder != null, "the backend has no folders");
        byte[] planted = random(500, 50);
        putKey(folder, "escaped.bin", planted);
        putKey(folder, "inner/sub/present.bin", random(10, 52)); // so that the folders a resolver walks exist
        URI outside = URI.create(folder + "escaped.bin");
        URI inner = URI.create(folder + "inner/");
        for (String dotted : List.of("sub/../../escaped.bin", "sub/%2E%2E/%2e%2E/escaped.bin", "./../escaped.bin")) {
            URI object = URI.create(inner + dotted);
            assertThrows(StorageException.class, () -> backend().stat(object), object + " is refused or a key of its own");
            assertThrows(StorageException.class, () -> readAll(object, 0, null), object + " is refused or a key of its own");
            if (canWrite()) {
                byte[] other = random(600, 51);
                boolean keptLiteral;
                try {
                    keptLiteral = backend().write(object, file(other), other.length, sha256(other), TransferListener.NONE);
                } catch (StorageException refused) {
                    keptLiteral = false;
                }
                if (keptLiteral) {
                    assertArrayEquals(other, readAll(object, 0, null), object + " kept as a key of its own");
                }
            }
            assertArrayEquals(planted, readAll(outside, 0, null), outside + " is untouched by " + object);
        }
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
