package io.lfscloud.core.transfer;

import io.lfscloud.core.temp.TempFiles;
import io.lfscloud.spi.TransferListener;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * Where the bytes of one object go, checked as they arrive: the one place that hashes while
 * copying. Bytes are counted and hashed (SHA-256, and MD5 when asked) as they are written into
 * an owner-named temp file ({@link TempFiles}) beside their destination; {@link #commit} then
 * compares count and hash with what was expected and renames the file into place atomically,
 * or {@link #handOver} gives it to someone else (git-lfs takes a download's file). Closed before
 * either, the temp file is deleted: nobody ever sees a partial or unverified object.
 *
 * <p>A sink {@link #discarding() without a file} only counts and hashes.
 *
 * <p>Failures keep their cause apart, so that callers can tell what to retry: {@link Mismatch}
 * (the bytes are not the object expected, also thrown as soon as more bytes arrive than
 * expected), {@link WriteFailure} (the local file could not be written), and a plain
 * {@link IOException} from {@link #transferFrom}'s source (a read failed).
 */
public final class VerifyingSink extends OutputStream {

    /** Copies move whole buffers: hashing and writing the small pieces network streams hand out costs more. */
    public static final int BUFFER_SIZE = 256 * 1024;

    private final Path file;
    private final FileChannel channel;
    private final long expectedSize;
    private final String expectedSha256;
    private MessageDigest sha256 = digest("SHA-256");
    private MessageDigest md5;
    private long count;
    private String sha256Hex;
    private String md5Hex;
    private boolean done;

    private VerifyingSink(Path file, FileChannel channel, long expectedSize, String expectedSha256) {
        this.file = file;
        this.channel = channel;
        this.expectedSize = expectedSize;
        this.expectedSha256 = expectedSha256 == null ? null : expectedSha256.toLowerCase(Locale.ROOT);
    }

    /**
     * A new temp file {@code <stem>-…<suffix>} in {@code dir} (see {@link TempFiles#create}).
     *
     * @param expectedSize   the object's size, or {@code -1} when any size will do
     * @param expectedSha256 the object's SHA-256 (hex), or {@code null} when it is to be learned
     */
    public static VerifyingSink create(Path dir, String stem, String suffix, long expectedSize, String expectedSha256,
                                       FileAttribute<?>... attributes) throws IOException {
        Path tmp = TempFiles.create(dir, stem, suffix, attributes);
        try {
            return new VerifyingSink(tmp, FileChannel.open(tmp, StandardOpenOption.WRITE), expectedSize, expectedSha256);
        } catch (IOException | RuntimeException e) {
            TempFiles.delete(tmp);
            throw e;
        }
    }

    /** A sink that keeps nothing: it counts and hashes only. */
    public static VerifyingSink discarding(long expectedSize, String expectedSha256) {
        return new VerifyingSink(null, null, expectedSize, expectedSha256);
    }

    /** Computes the MD5 too (it costs as much again as SHA-256); call before the first byte. */
    public VerifyingSink withMd5() {
        if (count > 0) {
            throw new IllegalStateException("bytes already written");
        }
        md5 = digest("MD5");
        return this;
    }

    /** The temp file, or {@code null} for a discarding sink. */
    public Path file() {
        return file;
    }

    /** Bytes written so far. */
    public long count() {
        return count;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        if (done) {
            throw new IOException("sink already finished");
        }
        if (expectedSize >= 0 && count + len > expectedSize) {
            throw new Mismatch(Mismatch.What.TOO_LARGE, count + len, expectedSize, null);
        }
        sha256.update(b, off, len);
        if (md5 != null) {
            md5.update(b, off, len);
        }
        if (channel != null) {
            try {
                ByteBuffer buf = ByteBuffer.wrap(b, off, len);
                while (buf.hasRemaining()) {
                    channel.write(buf);
                }
            } catch (IOException e) {
                throw new WriteFailure(file, e);
            }
        }
        count += len;
    }

    /**
     * Copies {@code in} to its end into this sink in whole buffers, telling {@code listener} of
     * each one. From {@link ReadAheadInputStream#WORTH_IT} expected bytes up, {@code in} is read
     * ahead on a second thread while this one hashes and writes: the one read-ahead of the
     * product, for every backend's stream (backends only fetch; S3's parallel ranges are how
     * it fetches). The caller closes {@code in} (read ahead, it is closed here already). Read
     * failures come as they are; write failures as {@link WriteFailure}.
     *
     * @return the bytes copied
     */
    public long transferFrom(InputStream in, TransferListener listener) throws IOException {
        long remaining = expectedSize < 0 ? BUFFER_SIZE : expectedSize - count;
        byte[] buf = new byte[(int) Math.clamp(remaining, 8192, BUFFER_SIZE)];
        long copied = 0;
        boolean ahead = remaining >= ReadAheadInputStream.WORTH_IT;
        InputStream from = ahead ? new ReadAheadInputStream(in, BUFFER_SIZE, 4) : in;
        try {
            int n;
            while ((n = from.readNBytes(buf, 0, buf.length)) > 0) {
                write(buf, 0, n);
                copied += n;
                listener.transferred(n);
            }
        } finally {
            if (ahead) {
                from.close(); // stops the reading thread, which closes in
            }
        }
        return copied;
    }

    /** Starts over from an empty file (another source follows one that failed). */
    public void restart() throws IOException {
        if (done) {
            throw new IOException("sink already finished");
        }
        if (channel != null) {
            try {
                channel.truncate(0);
                channel.position(0);
            } catch (IOException e) {
                throw new WriteFailure(file, e);
            }
        }
        sha256 = digest("SHA-256");
        md5 = md5 == null ? null : digest("MD5");
        sha256Hex = null;
        md5Hex = null;
        count = 0;
    }

    /**
     * Ends the writing and compares count and SHA-256 with what was expected.
     *
     * @return the SHA-256 of what was written (hex)
     * @throws Mismatch when the bytes are not the object expected
     */
    public String verify() throws Mismatch {
        if (sha256Hex == null) {
            sha256Hex = HexFormat.of().formatHex(sha256.digest());
            md5Hex = md5 == null ? null : HexFormat.of().formatHex(md5.digest());
        }
        if (expectedSize >= 0 && count != expectedSize) {
            throw new Mismatch(Mismatch.What.SIZE, count, expectedSize, sha256Hex);
        }
        if (expectedSha256 != null && !expectedSha256.equals(sha256Hex)) {
            throw new Mismatch(Mismatch.What.CONTENT, count, expectedSize, sha256Hex);
        }
        return sha256Hex;
    }

    /** The MD5 of what was written (hex), after {@link #verify}; {@code null} unless asked for. */
    public String md5() {
        return md5Hex;
    }

    /**
     * Verifies, optionally forces the bytes to disk, and renames the file to {@code target}
     * atomically (replacing what is there). The file is no longer this sink's.
     */
    public void commit(Path target, boolean sync) throws IOException {
        verify();
        finish(sync);
        Files.move(file, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        TempFiles.release(file);
        done = true;
    }

    /** Verifies and hands the file over as it is: it is no longer this sink's to delete. */
    public Path handOver() throws IOException {
        verify();
        finish(false);
        TempFiles.release(file);
        done = true;
        return file;
    }

    private void finish(boolean sync) throws IOException {
        if (channel == null) {
            throw new IllegalStateException("a discarding sink has no file");
        }
        try (FileChannel ch = channel) {
            if (sync) {
                ch.force(true);
            }
        } catch (IOException e) {
            throw new WriteFailure(file, e);
        }
    }

    /** Without a commit or hand-over, deletes the temp file. */
    @Override
    public void close() {
        if (done) {
            return;
        }
        done = true;
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // deleted next
            }
            TempFiles.delete(file);
        }
    }

    private static MessageDigest digest(String name) {
        try {
            return MessageDigest.getInstance(name);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The bytes written are not the object expected. */
    public static final class Mismatch extends IOException {

        /** What differs: more bytes than expected (found while writing), the final size, or the content. */
        public enum What { TOO_LARGE, SIZE, CONTENT }

        private final What what;
        private final long actualSize;
        private final long expectedSize;
        private final String actualSha256;

        Mismatch(What what, long actualSize, long expectedSize, String actualSha256) {
            super(switch (what) {
                case TOO_LARGE -> "more than the expected " + expectedSize + " bytes";
                case SIZE -> actualSize + " bytes, expected " + expectedSize;
                case CONTENT -> "content does not hash to the expected SHA-256";
            });
            this.what = what;
            this.actualSize = actualSize;
            this.expectedSize = expectedSize;
            this.actualSha256 = actualSha256;
        }

        public What what() {
            return what;
        }

        /** Bytes written (for {@link What#TOO_LARGE}: at least this many arrived). */
        public long actualSize() {
            return actualSize;
        }

        public long expectedSize() {
            return expectedSize;
        }

        /** The SHA-256 of what was written, or {@code null} for {@link What#TOO_LARGE}. */
        public String actualSha256() {
            return actualSha256;
        }
    }

    /** The local file could not be written (a full disk, a removed folder): not the source's fault. */
    public static final class WriteFailure extends IOException {
        WriteFailure(Path file, IOException cause) {
            super("cannot write " + file + ": " + (cause.getMessage() == null ? cause.getClass().getSimpleName()
                    : cause.getMessage()), cause);
        }
    }
}
