package io.lfscloud.core.agent;

import io.lfscloud.core.lfs.Oid;
import io.lfscloud.spi.TransferListener;

/**
 * Turns the bytes moved for one object (added up, at most its size: a retry may move some
 * again) into {@code progress} messages for one object: the first one as
 * soon as any byte has moved (git-lfs holds its other workers back until it sees
 * {@code bytesSoFar > 0}), then at most one every {@link #INTERVAL_NANOS}, and always
 * one when the total reaches the object's size.
 */
final class ProgressReporter implements TransferListener {

    static final long INTERVAL_NANOS = 100_000_000L;

    private final ProtocolWriter writer;
    private final Oid oid;
    private final long size;
    private long soFar;
    private long lastSent;
    private long lastTime;
    private boolean sentAny;

    ProgressReporter(ProtocolWriter writer, Oid oid, long size) {
        this.writer = writer;
        this.oid = oid;
        this.size = size;
    }

    @Override
    public synchronized void transferred(long bytes) {
        soFar = Math.min(size, soFar + Math.max(bytes, 0));
        long bytesSoFar = soFar;
        if (bytesSoFar <= lastSent && sentAny) {
            return;
        }
        long now = System.nanoTime();
        boolean due = !sentAny || bytesSoFar >= size || now - lastTime >= INTERVAL_NANOS;
        if (!due || (bytesSoFar == 0 && size > 0)) {
            return;
        }
        writer.send(new Reply.ObjectProgress(oid.hex(), bytesSoFar, bytesSoFar - lastSent));
        lastSent = bytesSoFar;
        lastTime = now;
        sentAny = true;
    }
}
