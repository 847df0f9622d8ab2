package io.lfscloud.backend.file;

import io.lfscloud.spi.ObjectInfo;
import io.lfscloud.spi.StorageException;
import io.lfscloud.spi.TransferListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FileBackendTest {

    @TempDir
    Path tmp;

    final FileBackend backend = new FileBackend();

    static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    private long filesUnder(Path dir) throws Exception {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).count();
        }
    }

    @Test
    void writeCreatesFoldersAndReadsBackFromAnOffset() throws Exception {
        byte[] content = "hello, object store".getBytes();
        Path source = Files.write(tmp.resolve("src"), content);
        URI object = tmp.resolve("store/ab/cd/obj").toUri();
        AtomicLong progress = new AtomicLong();
        assertTrue(backend.write(object, source, content.length, sha256(content), progress::addAndGet));
        assertEquals(content.length, progress.get());
        try (InputStream in = backend.read(object, 7, null)) {
            assertArrayEquals("object store".getBytes(), in.readAllBytes());
        }
        ObjectInfo info = backend.stat(object);
        assertEquals(content.length, info.size());
        assertTrue(info.etag() != null && !info.etag().isEmpty());
    }

    @Test
    void anObjectAlreadyStoredWithTheRightSizeIsNotRewritten() throws Exception {
        byte[] content = "same".getBytes();
        Path source = Files.write(tmp.resolve("src"), content);
        Path target = tmp.resolve("store/obj");
        assertTrue(backend.write(target.toUri(), source, 4, sha256(content), TransferListener.NONE));
        FileTime old = FileTime.fromMillis(1_000_000);
        Files.setLastModifiedTime(target, old);
        assertFalse(backend.write(target.toUri(), source, 4, sha256(content), TransferListener.NONE));
        assertEquals(old, Files.getLastModifiedTime(target));
    }

    @Test
    void aSourceThatDoesNotHashToTheOidIsRefusedAndLeavesNothing() throws Exception {
        Path source = Files.write(tmp.resolve("src"), "actual".getBytes());
        Path store = Files.createDirectories(tmp.resolve("store"));
        StorageException e = assertThrows(StorageException.class, () -> backend.write(store.resolve("obj").toUri(),
                source, 6, sha256("claimed".getBytes()), TransferListener.NONE));
        assertEquals(StorageException.Kind.CORRUPT, e.kind());
        assertEquals(0, filesUnder(store), "no temp file and no object");
    }

    @Test
    void aMissingObjectIsNotFound() {
        URI object = tmp.resolve("nothing").toUri();
        assertEquals(StorageException.Kind.NOT_FOUND, assertThrows(StorageException.class, () -> backend.stat(object)).kind());
        assertEquals(StorageException.Kind.NOT_FOUND,
                assertThrows(StorageException.class, () -> backend.read(object, 0, null)).kind());
    }

    @Test
    void aChangedObjectIsReportedWhenItsEtagWasRecorded() throws Exception {
        Path file = Files.writeString(tmp.resolve("tracked"), "v1");
        ObjectInfo recorded = backend.stat(file.toUri());
        Files.writeString(file, "v2 is longer");
        StorageException e = assertThrows(StorageException.class, () -> backend.read(file.toUri(), 0, recorded));
        assertEquals(StorageException.Kind.CHANGED, e.kind());
    }

    @Test
    void urlsThatAreNotLocalPathsAreMisconfiguration() {
        for (String url : new String[] {"file://otherhost/x", "s3://bucket/key"}) {
            StorageException e = assertThrows(StorageException.class, () -> backend.stat(URI.create(url)), url);
            assertEquals(StorageException.Kind.MISCONFIGURED, e.kind(), url);
        }
    }
}
