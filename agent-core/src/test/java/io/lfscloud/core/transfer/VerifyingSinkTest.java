package io.lfscloud.core.transfer;

import io.lfscloud.spi.TransferListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VerifyingSinkTest {

    @TempDir
    Path dir;

    private static final byte[] CONTENT = "hello, verified world\n".getBytes();

    private static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    private List<Path> files() throws IOException {
        try (var s = Files.list(dir)) {
            return s.toList();
        }
    }

    @Test
    void commitMovesTheVerifiedFileIntoPlaceAndLeavesNoTempFile() throws Exception {
        Path target = dir.resolve("object");
        AtomicLong told = new AtomicLong();
        try (VerifyingSink sink = VerifyingSink.create(dir, ".object", ".tmp", CONTENT.length, sha256(CONTENT))) {
            assertEquals(CONTENT.length, sink.transferFrom(new ByteArrayInputStream(CONTENT), told::addAndGet));
            sink.commit(target, true);
        }
        assertArrayEquals(CONTENT, Files.readAllBytes(target));
        assertEquals(CONTENT.length, told.get());
        assertEquals(List.of(target), files());
    }

    @Test
    void wrongContentIsRefusedAtCommitAndDeletedOnClose() throws Exception {
        Path target = dir.resolve("object");
        VerifyingSink.Mismatch m;
        try (VerifyingSink sink = VerifyingSink.create(dir, ".object", ".tmp", CONTENT.length, sha256("other".getBytes()))) {
            sink.transferFrom(new ByteArrayInputStream(CONTENT), TransferListener.NONE);
            m = assertThrows(VerifyingSink.Mismatch.class, () -> sink.commit(target, false));
        }
        assertEquals(VerifyingSink.Mismatch.What.CONTENT, m.what());
        assertEquals(sha256(CONTENT), m.actualSha256());
        assertEquals(List.of(), files(), "nothing moved into place, the temp file deleted");
    }

    @Test
    void moreBytesThanExpectedStopTheCopyAtOnce() throws Exception {
        AtomicLong read = new AtomicLong();
        InputStream endless = new InputStream() {
            @Override
            public int read() {
                read.incrementAndGet();
                return 'x';
            }
        };
        try (VerifyingSink sink = VerifyingSink.create(dir, "d", ".part", 10, null)) {
            VerifyingSink.Mismatch m = assertThrows(VerifyingSink.Mismatch.class,
                    () -> sink.transferFrom(endless, TransferListener.NONE));
            assertEquals(VerifyingSink.Mismatch.What.TOO_LARGE, m.what());
            assertEquals(0, sink.count(), "nothing past the size is written");
        }
        assertTrue(read.get() < 1 << 20);
        assertEquals(List.of(), files());
    }

    @Test
    void shortContentIsASizeMismatch() throws Exception {
        VerifyingSink sink = VerifyingSink.discarding(CONTENT.length + 1, null);
        sink.write(CONTENT);
        VerifyingSink.Mismatch m = assertThrows(VerifyingSink.Mismatch.class, sink::verify);
        assertEquals(VerifyingSink.Mismatch.What.SIZE, m.what());
        assertEquals(CONTENT.length, m.actualSize());
    }

    @Test
    void restartForgetsWhatAFailedSourceWrote() throws Exception {
        try (VerifyingSink sink = VerifyingSink.create(dir, "d", ".part", CONTENT.length, sha256(CONTENT))) {
            sink.write("garbage".getBytes());
            sink.restart();
            sink.write(CONTENT);
            Path file = sink.handOver();
            assertArrayEquals(CONTENT, Files.readAllBytes(file));
        }
        assertEquals(1, files().size(), "a handed-over file is not deleted on close");
    }

    @Test
    void learnsSha256AndMd5WhenNothingIsExpected() throws Exception {
        VerifyingSink sink = VerifyingSink.discarding(-1, null).withMd5();
        sink.write(CONTENT);
        assertEquals(sha256(CONTENT), sink.verify());
        assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(CONTENT)), sink.md5());
        assertFalse(sink.md5().isEmpty());
    }

    /** A source that notes which threads read it. */
    private static InputStream noting(byte[] content, java.util.Set<String> readers) {
        return new ByteArrayInputStream(content) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                readers.add(Thread.currentThread().getName());
                return super.read(b, off, len);
            }
        };
    }

    @Test
    void largeObjectsAreReadAheadOnASecondThreadSmallOnesAreNot() throws Exception {
        byte[] large = new byte[(int) ReadAheadInputStream.WORTH_IT + 1];
        new java.util.Random(3).nextBytes(large);
        java.util.Set<String> readers = java.util.concurrent.ConcurrentHashMap.newKeySet();
        VerifyingSink sink = VerifyingSink.discarding(large.length, sha256(large));
        assertEquals(large.length, sink.transferFrom(noting(large, readers), TransferListener.NONE));
        sink.verify();
        assertEquals(java.util.Set.of("read-ahead"), readers);

        readers.clear();
        VerifyingSink small = VerifyingSink.discarding(CONTENT.length, sha256(CONTENT));
        small.transferFrom(noting(CONTENT, readers), TransferListener.NONE);
        small.verify();
        assertEquals(java.util.Set.of(Thread.currentThread().getName()), readers);
    }
}
