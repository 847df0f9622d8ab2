package io.lfscloud.core.transfer;

import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Reads a stream ahead on a virtual thread into a few recycled buffers, so that fetching
 * the next bytes (from a network, typically) overlaps with what the caller does with the
 * previous ones (hashing, writing). A read failure surfaces to the caller at the point it
 * occurred in the stream; everything before it is delivered.
 */
final class ReadAheadInputStream extends InputStream {

    /** Objects from this size up are worth a second thread. */
    static final long WORTH_IT = 8L << 20;

    private record Chunk(byte[] buf, int length, IOException failure) {
    }

    private static final Chunk END = new Chunk(new byte[0], 0, null);

    private final BlockingQueue<byte[]> free;
    private final BlockingQueue<Chunk> filled;
    private final Thread reader;
    private Chunk current;
    private int pos;
    private boolean done;

    ReadAheadInputStream(InputStream in, int chunkSize, int depth) {
        free = new ArrayBlockingQueue<>(depth);
        filled = new ArrayBlockingQueue<>(depth + 1);
        for (int i = 0; i < depth; i++) {
            free.add(new byte[chunkSize]);
        }
        reader = Thread.ofVirtual().name("read-ahead").start(() -> {
            try (in) {
                while (true) {
                    byte[] buf = free.take();
                    int n = in.readNBytes(buf, 0, buf.length);
                    if (n > 0) {
                        filled.put(new Chunk(buf, n, null));
                    }
                    if (n < buf.length) {
                        filled.put(END);
                        return;
                    }
                }
            } catch (IOException e) {
                offer(new Chunk(null, 0, e));
            } catch (InterruptedException e) {
                // closed by the consumer
            }
        });
    }

    private void offer(Chunk c) {
        try {
            filled.put(c);
        } catch (InterruptedException ignored) {
            // closed by the consumer
        }
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        while (current == null || pos == current.length()) {
            if (done) {
                return -1;
            }
            if (current != null && current.buf() != null) {
                free.offer(current.buf());
            }
            try {
                current = filled.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            }
            pos = 0;
            if (current.failure() != null) {
                done = true;
                throw current.failure();
            }
            if (current == END) {
                done = true;
                return -1;
            }
        }
        int n = Math.min(len, current.length() - pos);
        System.arraycopy(current.buf(), pos, b, off, n);
        pos += n;
        return n;
    }

    @Override
    public void close() {
        done = true;
        reader.interrupt();
    }
}
