package io.lfscloud.core.agent;

import io.lfscloud.core.lfs.Oid;
import io.lfscloud.core.transfer.VerifyingSink;
import io.lfscloud.spi.ObjectInfo;
import io.lfscloud.spi.StorageBackend;
import io.lfscloud.spi.StorageException;
import io.lfscloud.spi.TransferListener;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Download retries, resume and verification, with a backend that misbehaves on purpose. */
class TransfersTest {

    @TempDir
    Path repo;

    private final Map<URI, byte[]> objects = new ConcurrentHashMap<>();
    private final List<Long> readOffsets = new ArrayList<>();
    private int failuresLeft;
    private long failAfterBytes;

    @BeforeEach
    void gitRepository() throws Exception {
        run("git", "init", "-q");
        run("git", "config", "lfs-cloud.store", "flaky://store");
    }

    private void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).directory(repo.toFile()).inheritIO().start();
        assertEquals(0, p.waitFor(), String.join(" ", command));
    }

    private Transfers transfers() {
        return TestBackends.transfers(repo, "flaky", Flaky::new, 1);
    }

    /** Serves {@link #objects}; the first {@link #failuresLeft} reads drop after {@link #failAfterBytes}. */
    private final class Flaky implements StorageBackend {
        public ObjectInfo stat(URI object) throws StorageException {
            byte[] b = objects.get(object);
            if (b == null) {
                throw new StorageException(StorageException.Kind.NOT_FOUND, "no such object " + object);
            }
            return ObjectInfo.of(object, b.length);
        }

        public InputStream read(URI object, long offset, ObjectInfo expected) throws StorageException {
            byte[] b = stat(object) == null ? null : objects.get(object);
            readOffsets.add(offset);
            InputStream in = new ByteArrayInputStream(b, (int) offset, b.length - (int) offset);
            if (failuresLeft-- <= 0) {
                return in;
            }
            return new InputStream() {
                long served;

                public int read() throws IOException {
                    byte[] one = new byte[1];
                    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
                }

                public int read(byte[] buf, int off, int len) throws IOException {
                    if (served >= failAfterBytes) {
                        throw new IOException("connection reset");
                    }
                    int n = in.read(buf, off, (int) Math.min(len, failAfterBytes - served));
                    served += Math.max(n, 0);
                    return n;
                }
            };
        }

        public boolean write(URI object, Path source, long size, String sha256, TransferListener progress)
                throws StorageException {
            try {
                objects.put(object, Files.readAllBytes(source));
                return true;
            } catch (IOException e) {
                throw new StorageException(StorageException.Kind.TRANSIENT, e.getMessage());
            }
        }
    }

    private static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    private String put(byte[] content) throws Exception {
        String oid = sha256(content);
        objects.put(URI.create("flaky://store/" + oid.substring(0, 2) + "/" + oid.substring(2, 4) + "/" + oid), content);
        return oid;
    }

    private List<Path> tmpFiles() throws IOException {
        Path tmp = repo.resolve(".git/lfs/tmp");
        if (!Files.isDirectory(tmp)) {
            return List.of();
        }
        try (var s = Files.list(tmp)) {
            return s.toList();
        }
    }

    @Test
    void aDroppedDownloadResumesWhereItStopped() throws Exception {
        byte[] content = new byte[3 * VerifyingSink.BUFFER_SIZE + 17];
        new Random(1).nextBytes(content);
        String oid = put(content);
        failuresLeft = 2;
        failAfterBytes = VerifyingSink.BUFFER_SIZE + 5;
        List<Long> progress = new ArrayList<>();

        Path file = transfers().download(Oid.parse(oid), content.length, progress::add);

        assertArrayEquals(content, Files.readAllBytes(file));
        assertTrue(file.startsWith(repo.resolve(".git/lfs/tmp")), file.toString());
        // the agent reads whole buffers: a fill that breaks is read again, from the last byte hashed and written
        assertEquals(List.of(0L, (long) VerifyingSink.BUFFER_SIZE, 2L * VerifyingSink.BUFFER_SIZE), readOffsets,
                "each retry resumes at the last byte hashed and written");
        assertEquals(content.length, progress.stream().mapToLong(Long::longValue).sum(),
                "the increments reported add up to the size: a resumed read reports only new bytes");
    }

    @Test
    void retriesAreAsManyAsTheRepositorysSettingsSay() throws Exception {
        byte[] content = new byte[1000];
        new Random(2).nextBytes(content);
        String oid = put(content);
        failAfterBytes = 10;
        run("git", "config", "lfs-cloud.retry.pauseMillis", "0");
        run("git", "config", "lfs-cloud.retry.attempts", "1");
        failuresLeft = 1;
        TransferFailure once = assertThrows(TransferFailure.class, () -> TestBackends.transfers(repo, "flaky", Flaky::new,
                (io.lfscloud.spi.RetryPolicy) null).download(Oid.parse(oid), content.length, TransferListener.NONE));
        assertEquals(ErrorCode.UNAVAILABLE, once.code(), once.getMessage());
        assertEquals(List.of(0L), readOffsets, "one attempt, none again");

        run("git", "config", "lfs-cloud.retry.attempts", "2");
        failuresLeft = 1;
        readOffsets.clear();
        Path file = TestBackends.transfers(repo, "flaky", Flaky::new, (io.lfscloud.spi.RetryPolicy) null)
                .download(Oid.parse(oid), content.length, TransferListener.NONE);
        assertArrayEquals(content, Files.readAllBytes(file));
        assertEquals(2, readOffsets.size(), "tried again once: " + readOffsets);
    }

    @Test
    void downloadsAreNamedAfterTheirOwnerAndSweepPartFilesOfAgentsThatAreGone() throws Exception {
        Path tmpDir = Files.createDirectories(repo.resolve(".git/lfs/tmp"));
        Process gone = new ProcessBuilder("true").start();
        assertEquals(0, gone.waitFor());
        String host = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
        Files.writeString(tmpDir.resolve("lfs-cloud-0123456789abcdef-" + gone.pid() + "-k2j3-1@" + host + ".part"), "x");
        Path gitLfsOwn = Files.writeString(tmpDir.resolve("1836832472"), "git-lfs's own temp file");
        byte[] content = "fresh".getBytes();
        String oid = put(content);

        Path file = transfers().download(Oid.parse(oid), content.length, TransferListener.NONE);

        assertEquals(java.util.Set.of(file, gitLfsOwn), java.util.Set.copyOf(tmpFiles()), "the stale .part is gone");
        String name = file.getFileName().toString();
        assertTrue(name.startsWith("lfs-cloud-" + oid.substring(0, 16) + "-" + ProcessHandle.current().pid() + "-")
                && name.endsWith("@" + host + ".part"), name);
    }

    @Test
    void givesUpAfterTheLastAttemptAndLeavesNoTempFile() throws Exception {
        byte[] content = new byte[100_000];
        String oid = put(content);
        failuresLeft = 10;
        failAfterBytes = 10;
        TransferFailure f = assertThrows(TransferFailure.class, () -> transfers().download(Oid.parse(oid), content.length, TransferListener.NONE));
        assertEquals(ErrorCode.UNAVAILABLE, f.code());
        assertTrue(f.retriable());
        assertTrue(f.getMessage().contains("connection reset"), f.getMessage());
        assertEquals(3, readOffsets.size());
        assertEquals(List.of(), tmpFiles());
    }

    @Test
    void aMissingObjectIsNotFoundAndNotRetried() throws Exception {
        String oid = sha256("absent".getBytes());
        TransferFailure f = assertThrows(TransferFailure.class, () -> transfers().download(Oid.parse(oid), 6, TransferListener.NONE));
        assertEquals(ErrorCode.NOT_FOUND, f.code());
        assertEquals(List.of(), readOffsets);
        assertEquals(List.of(), tmpFiles());
    }

    @Test
    void contentThatDoesNotHashToItsOidIsRefusedAndDeleted() throws Exception {
        byte[] content = "the real content".getBytes();
        String oid = put(content);
        objects.replaceAll((k, v) -> "the fake content".getBytes());
        TransferFailure f = assertThrows(TransferFailure.class, () -> transfers().download(Oid.parse(oid), content.length, TransferListener.NONE));
        assertEquals(ErrorCode.CORRUPT, f.code());
        assertTrue(f.getMessage().contains(oid) && f.getMessage().contains("corrupt"), f.getMessage());
        assertEquals(List.of(), tmpFiles());
    }

    @Test
    void aStoreObjectOfTheWrongSizeIsCorrupt() throws Exception {
        byte[] content = "twelve bytes".getBytes();
        String oid = put(content);
        TransferFailure longer = assertThrows(TransferFailure.class, () -> transfers().download(Oid.parse(oid), 5, TransferListener.NONE));
        assertEquals(ErrorCode.CORRUPT, longer.code());
        TransferFailure shorter = assertThrows(TransferFailure.class, () -> transfers().download(Oid.parse(oid), 50, TransferListener.NONE));
        assertEquals(ErrorCode.CORRUPT, shorter.code());
        assertTrue(shorter.getMessage().contains("12 bytes"), shorter.getMessage());
    }

    @Test
    void anUploadOfAMissingOrMismatchedFileIsABadRequest() throws Exception {
        String oid = sha256("x".getBytes());
        TransferFailure missing = assertThrows(TransferFailure.class,
                () -> transfers().upload(Oid.parse(oid), 1, repo.resolve("nope").toString(), TransferListener.NONE));
        assertEquals(ErrorCode.BAD_REQUEST, missing.code());
        Path file = Files.writeString(repo.resolve("f"), "xy");
        TransferFailure size = assertThrows(TransferFailure.class,
                () -> transfers().upload(Oid.parse(oid), 1, file.toString(), TransferListener.NONE));
        assertEquals(ErrorCode.BAD_REQUEST, size.code());
        assertTrue(objects.isEmpty());
    }

    @Test
    void aCancelledDownloadStopsAtItsNextBufferLeavesNoTempFileAndNoTransferStartsAfter() throws Exception {
        byte[] content = new byte[4 * VerifyingSink.BUFFER_SIZE];
        new Random(3).nextBytes(content);
        String oid = put(content);
        Transfers t = transfers();
        List<Long> progress = new ArrayList<>();
        TransferFailure f = assertThrows(TransferFailure.class, () -> t.download(Oid.parse(oid), content.length, n -> {
            progress.add(n);
            assertTrue(t.busy(), "a download in flight");
            t.cancel(); // as the transfer server does when the relay is gone
        }));
        assertTrue(f.getMessage().contains("cancelled"), f.getMessage());
        assertEquals(1, progress.size(), "stopped at the next buffer: " + progress);
        assertEquals(List.of(), tmpFiles(), "its .part deleted");
        assertFalse(t.busy());
        assertFalse(Thread.currentThread().isInterrupted());

        Path file = Files.write(repo.resolve("up.bin"), content);
        TransferFailure refused = assertThrows(TransferFailure.class,
                () -> t.upload(Oid.parse(oid), content.length, file.toString(), TransferListener.NONE));
        assertTrue(refused.getMessage().contains("cancelled"), refused.getMessage());
        assertEquals(1, readOffsets.size(), "nothing read again: " + readOffsets);
    }

    @Test
    void withoutAStoreTheErrorSaysHowToConfigureOne() throws Exception {
        run("git", "config", "--unset", "lfs-cloud.store");
        TransferFailure f = assertThrows(TransferFailure.class,
                () -> transfers().download(Oid.parse(sha256(new byte[0])), 0, TransferListener.NONE));
        assertTrue(f.getMessage().contains("git lfs-cloud install --store"), f.getMessage());
    }
}
