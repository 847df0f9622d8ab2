package io.lfscloud.backend.http;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Ends a download that has become too slow to finish: when fewer than {@code limit} bytes a
 * second arrived over the last {@code seconds} (git's {@code http.lowSpeedLimit} and
 * {@code http.lowSpeedTime}), the next read fails as a dropped connection would (the agent
 * retries, resuming where it was); {@code onAbort} drops the connection first. A read timeout alone cannot see a server that trickles a
 * byte now and then: each read returns in time, and the download never ends.
 */
final class LowSpeedGuard extends FilterInputStream {

    private final long limit;
    private final long windowNanos;
    private final Runnable onAbort;
    private long windowStart = System.nanoTime();
    private long windowBytes;

    LowSpeedGuard(InputStream in, long limit, long seconds, Runnable onAbort) {
        super(in);
        this.limit = limit;
        this.windowNanos = seconds * 1_000_000_000L;
        this.onAbort = onAbort;
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        counted(b < 0 ? -1 : 1);
        return b;
    }

    @Override
    public int read(byte[] buf, int off, int len) throws IOException {
        int n = super.read(buf, off, len);
        counted(n);
        return n;
    }

    private void counted(int n) throws IOException {
        if (n < 0) {
            return;
        }
        windowBytes += n;
        long now = System.nanoTime();
        if (now - windowStart >= windowNanos) {
            double seconds = (now - windowStart) / 1e9;
            if (windowBytes < limit * seconds) {
                onAbort.run(); // the connection is dropped, not drained: draining a trickle would take as long
                throw new IOException(String.format("the server sent %d bytes in the last %.0f s, below %d bytes a second"
                        + " (git's http.lowSpeedLimit and http.lowSpeedTime)", windowBytes, seconds, limit));
            }
            windowStart = now;
            windowBytes = 0;
        }
    }
}
