package io.lfscloud.spi.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.ArrayDeque;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * An object read as consecutive ranges fetched in parallel and handed out in order, for
 * backends whose store serves byte ranges (S3, Azure): one connection rarely fills a link,
 * several do. At most {@code concurrency} ranges are in flight or waiting to be read, and
 * their buffers are reused (no buffer is larger than its range, so a small object costs only
 * its own size), so memory stays at {@code (concurrency + 1) × partSize} whatever the object's size. A range that fails after its fetcher's own retries fails the
 * read; {@link #close()} stops the fetches still pending and gives the memory back
 * ({@code onClose}).
 */
public final class RangedReader extends InputStream {

    /** Fills {@code into[0, length)} with the bytes from {@code start}, or throws. */
    @FunctionalInterface
    public interface Fetcher {
        void fetch(long start, byte[] into, int length) throws IOException;
    }

    /** A fetched range: its buffer (reused) and how much of it is the range. */
    private record Range(byte[] buffer, int length) {
    }

    private final Fetcher fetcher;
    private final long end;
    private final int partSize;
    private final int concurrency;
    private final Runnable onClose;
    private final ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
    private final ArrayDeque<Future<Range>> window = new ArrayDeque<>();
    private final ArrayDeque<byte[]> free = new ArrayDeque<>();
    private long nextStart;
    private byte[] current = new byte[0];
    private int currentLength;
    private int pos;
    private boolean closed;

    /** Bytes {@code [start, end)}; {@code onClose} runs once, when the reader is closed. */
    public RangedReader(Fetcher fetcher, long start, long end, int partSize, int concurrency, Runnable onClose) {
        this.fetcher = fetcher;
        this.onClose = onClose;
        this.end = end;
        this.partSize = partSize;
        this.concurrency = Math.max(1, concurrency);
        this.nextStart = start;
        fill();
    }

    private void fill() {
        while (window.size() < concurrency && nextStart < end) {
            long start = nextStart;
            int length = (int) Math.min(partSize, end - start);
            byte[] buffer = free.isEmpty() ? new byte[length] : free.pop();
            window.add(pool.submit(() -> {
                fetcher.fetch(start, buffer, length);
                return new Range(buffer, length);
            }));
            nextStart += length;
        }
    }

    /** Moves on to the next range; false at the end. */
    private boolean advance() throws IOException {
        Future<Range> next = window.poll();
        if (next == null) {
            return false;
        }
        if (current.length == partSize) { // a full-size buffer (the last range's may be shorter) is reused
            free.push(current);
        }
        current = new byte[0];
        currentLength = 0;
        try {
            Range r = next.get();
            current = r.buffer();
            currentLength = r.length();
        } catch (ExecutionException e) {
            close();
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException(String.valueOf(e.getCause()), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new InterruptedIOException("interrupted while reading");
        } catch (CancellationException e) {
            throw new IOException("read after close", e);
        }
        pos = 0;
        fill();
        return true;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (closed) {
            throw new IOException("stream closed");
        }
        if (len == 0) {
            return 0;
        }
        while (pos == currentLength) {
            if (!advance()) {
                return -1;
            }
        }
        int n = Math.min(len, currentLength - pos);
        System.arraycopy(current, pos, b, off, n);
        pos += n;
        return n;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Future<Range> f : window) {
            f.cancel(true);
        }
        window.clear();
        free.clear();
        current = new byte[0];
        currentLength = 0;
        pos = 0;
        pool.shutdownNow();
        onClose.run();
    }
}
