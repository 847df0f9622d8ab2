package io.lfscloud.backend.file;

import io.lfscloud.spi.ObjectInfo;
import io.lfscloud.spi.StorageException;
import io.lfscloud.spi.TransferListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The folder store: atomic verified writes, repair, refusal of what is not a regular file, permissions, temp files. */
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
    void aMissingStoreFolderIsNeverCreatedByAWrite() throws Exception {
        byte[] content = "pushed into an unmounted share".getBytes();
        String oid = sha256(content);
        Path source = Files.write(tmp.resolve("src"), content);
        Path root = tmp.resolve("unmounted share");
        URI object = root.resolve(oid.substring(0, 2) + "/" + oid.substring(2, 4) + "/" + oid).toUri();
        StorageException e = assertThrows(StorageException.class,
                () -> backend.write(object, source, content.length, oid, n -> { }));
        assertEquals(StorageException.Kind.MISCONFIGURED, e.kind());
        assertTrue(e.getMessage().contains("the store folder " + root + " does not exist"), e.getMessage());
        assertFalse(Files.exists(root), "the write made the store folder");
        Files.createDirectory(root);
        assertTrue(backend.write(object, source, content.length, oid, n -> { }));
        assertArrayEquals(content, Files.readAllBytes(Path.of(object)));
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
    void aRefusedSourceIsNotDescribedByItsActualHash() throws Exception {
        byte[] actual = "what the local file really holds".getBytes();
        Path source = Files.write(tmp.resolve("src"), actual);
        StorageException e = assertThrows(StorageException.class, () -> backend.write(
                tmp.resolve("store/obj").toUri(), source, actual.length, sha256("claimed".getBytes()),
                TransferListener.NONE));
        assertFalse(e.getMessage().contains(sha256(actual)), e.getMessage());
        assertTrue(e.getMessage().contains("does not match its oid"), e.getMessage());
    }

    @Test
    void aCorruptCopyOfTheRightSizeIsRewrittenAndAGoodOneIsOnlyRead() throws Exception {
        byte[] content = random(300_000, 1);
        String oid = sha256(content);
        Path source = Files.write(tmp.resolve("src"), content);
        Path target = objectPath(tmp.resolve("store"), oid);
        assertTrue(backend.write(target.toUri(), source, content.length, oid, TransferListener.NONE));
        byte[] corrupt = content.clone();
        corrupt[123_456] ^= 1;
        Files.write(target, corrupt);
        Object inode = Files.getAttribute(target, "unix:ino");
        assertTrue(backend.write(target.toUri(), source, content.length, oid, TransferListener.NONE), "rewritten");
        assertArrayEquals(content, Files.readAllBytes(target));
        assertNotEquals(inode, Files.getAttribute(target, "unix:ino"), "replaced by a rename, not patched in place");
        assertFalse(backend.write(target.toUri(), source, content.length, oid, TransferListener.NONE),
                "a good copy is left alone");
        assertEquals(1, filesUnder(tmp.resolve("store")), "no temp file left");
    }

    @Test
    void aCorruptSourceNeverReplacesAGoodCopy() throws Exception {
        byte[] content = random(10_000, 2);
        String oid = sha256(content);
        Path target = objectPath(tmp.resolve("store"), oid);
        assertTrue(backend.write(target.toUri(), Files.write(tmp.resolve("src"), content), content.length, oid,
                TransferListener.NONE));
        byte[] rotten = content.clone();
        rotten[7] ^= 1;
        Path source = Files.write(tmp.resolve("rotten"), rotten);
        StorageException e = assertThrows(StorageException.class,
                () -> backend.write(target.toUri(), source, content.length, oid, TransferListener.NONE));
        assertEquals(StorageException.Kind.CORRUPT, e.kind());
        assertArrayEquals(content, Files.readAllBytes(target), "the good copy stays");
        assertEquals(1, filesUnder(tmp.resolve("store")), "no temp file left");
    }

    @Test
    void whatIsNotARegularFileIsRefusedAtOnceWithoutOpeningIt() throws Exception {
        Path secret = Files.writeString(tmp.resolve("secret"), "not an object");
        Path fifo = tmp.resolve("fifo");
        mkfifo(fifo);
        Path folder = Files.createDirectories(tmp.resolve("folder"));
        Path link = Files.createSymbolicLink(tmp.resolve("link"), secret);
        Map<Path, String> expected = Map.of(fifo, "a FIFO", folder, "a folder", link, "a symbolic link",
                Path.of("/dev/zero"), "a character device");
        expected.forEach((p, type) -> assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            for (ThrowingRead r : new ThrowingRead[] {() -> backend.stat(p.toUri()),
                    () -> backend.read(p.toUri(), 0, null).close()}) {
                StorageException e = assertThrows(StorageException.class, r::run, p.toString());
                assertEquals(StorageException.Kind.CORRUPT, e.kind(), e.getMessage());
                assertFalse(e.kind().retriable());
                assertTrue(e.getMessage().contains("is " + type), e.getMessage());
                assertFalse(e.getMessage().contains("not an object"), "nothing read: " + e.getMessage());
            }
        }, p.toString()));
    }

    private interface ThrowingRead {
        void run() throws Exception;
    }

    @Test
    void aWriteReplacesALinkOrFifoAtTheObjectsPathButNotAFolder() throws Exception {
        byte[] content = "the object".getBytes();
        String oid = sha256(content);
        Path source = Files.write(tmp.resolve("src"), content);
        Path store = tmp.resolve("store");
        Path target = objectPath(store, oid);
        Files.createDirectories(target.getParent());
        Path victim = Files.writeString(tmp.resolve("victim"), "0123456789");
        Files.createSymbolicLink(target, victim);
        assertTrue(backend.write(target.toUri(), source, content.length, oid, TransferListener.NONE));
        assertTrue(Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS));
        assertEquals("0123456789", Files.readString(victim), "the link's target is untouched");
        Files.delete(target);
        mkfifo(target);
        assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> assertTrue(backend.write(target.toUri(), source, content.length, oid, TransferListener.NONE)));
        assertArrayEquals(content, Files.readAllBytes(target));
        Files.delete(target);
        Files.createDirectory(target);
        StorageException e = assertThrows(StorageException.class,
                () -> backend.write(target.toUri(), source, content.length, oid, TransferListener.NONE));
        assertEquals(StorageException.Kind.MISCONFIGURED, e.kind());
        assertTrue(e.getMessage().contains("a folder is in its place"), e.getMessage());
    }

    @Test
    void aStaleTempFileInTheFolderWrittenToIsSweptAndAFreshOneIsKept() throws Exception {
        byte[] content = "swept".getBytes();
        String oid = sha256(content);
        Path target = objectPath(tmp.resolve("store"), oid);
        Path folder = Files.createDirectories(target.getParent());
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        String host = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
        Path stale = Files.writeString(folder.resolve("." + oid + "-" + gone.pid() + "-k2j3-1@" + host + ".tmp"), "x");
        Path elsewhere = Files.writeString(folder.resolve("." + oid + "-1-k2j3-1@elsewhere.tmp"), "x");
        assertTrue(backend.write(target.toUri(), Files.write(tmp.resolve("src"), content), content.length, oid,
                TransferListener.NONE));
        assertFalse(Files.exists(stale), "its owner is gone");
        assertTrue(Files.exists(elsewhere), "a fresh file of another host may still be written");
    }

    @Test
    void foldersAndObjectsOfASharedStoreTakeTheRootsGroupAccessAndGroup() throws Exception {
        byte[] content = "shared".getBytes();
        String oid = sha256(content);
        Path root = Files.createDirectory(tmp.resolve("shared"));
        Files.setAttribute(root, "unix:gid", 4242);
        Files.setAttribute(root, "unix:mode", 02770);
        Path target = objectPath(root, oid);
        assertTrue(backend.write(target.toUri(), Files.write(tmp.resolve("src"), content), content.length, oid,
                TransferListener.NONE));
        for (Path folder : new Path[] {target.getParent().getParent(), target.getParent()}) {
            int mode = mode(folder);
            assertEquals(02070, mode & 02070, "setgid and group rwx on " + folder + ": " + Integer.toOctalString(mode));
            assertEquals(4242, Files.getAttribute(folder, "unix:gid"), folder.toString());
        }
        assertEquals(040, mode(target) & 060, "group-readable object: " + Integer.toOctalString(mode(target)));
        assertEquals(4242, Files.getAttribute(target, "unix:gid"));
    }

    @Test
    void aPrivateRootKeepsItsObjectsPrivate() throws Exception {
        byte[] content = "private".getBytes();
        String oid = sha256(content);
        Path root = Files.createDirectory(tmp.resolve("private"));
        Files.setAttribute(root, "unix:mode", 0700);
        Path target = objectPath(root, oid);
        assertTrue(backend.write(target.toUri(), Files.write(tmp.resolve("src"), content), content.length, oid,
                TransferListener.NONE));
        // the umask decides (as it does for this probe file and folder); the root adds nothing
        int file = mode(Files.createFile(tmp.resolve("probe-file"))) & 07777;
        int folder = mode(Files.createDirectory(tmp.resolve("probe-folder"))) & 07777;
        assertEquals(file, mode(target) & 07777, Integer.toOctalString(mode(target)));
        assertEquals(folder, mode(target.getParent()) & 07777, Integer.toOctalString(mode(target.getParent())));
    }

    private static int mode(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    }

    /** Where {@code oid} lives in the store at {@code root}, made as install makes it. */
    private static Path objectPath(Path root, String oid) throws IOException {
        Files.createDirectories(root);
        return root.resolve(oid.substring(0, 2)).resolve(oid.substring(2, 4)).resolve(oid);
    }

    private static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new java.util.Random(seed).nextBytes(b);
        return b;
    }

    private static void mkfifo(Path p) throws Exception {
        Process mk = new ProcessBuilder("mkfifo", p.toString()).inheritIO().start();
        assertEquals(0, mk.waitFor(), "mkfifo " + p);
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
