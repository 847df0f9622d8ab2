package io.lfscloud.backend.gcs;

import io.lfscloud.spi.Diagnostics;
import io.lfscloud.spi.ObjectInfo;
import io.lfscloud.spi.RetryPolicy;
import io.lfscloud.spi.StorageException;
import io.lfscloud.spi.StorageException.Kind;
import io.lfscloud.spi.support.RangedReader;

import com.google.cloud.ReadChannel;
import com.google.cloud.storage.Blob;
import com.google.cloud.storage.BlobId;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.util.concurrent.Semaphore;

/**
 * Downloads, always of one generation: the one the record pins ({@code versionId}), else the
 * one a metadata request finds (checked against the record's ETag and size). Objects of twice
 * {@code downloadPartSize} and more are read as parallel ranges ({@link RangedReader}), each
 * resumed where it broke off under the context's {@link RetryPolicy}; smaller ones in one
 * stream (the agent retries and resumes those). A pinned generation that is gone while the
 * object is still there is {@link Kind#CHANGED}.
 */
final class GcsReads {

    /** Range buffers all ranged downloads of this process may hold at once, in KiB. */
    static final int RANGE_BUDGET = 128 * 1024;

    private static final Semaphore RANGE_BUFFERS = new Semaphore(RANGE_BUDGET);

    private final GcsBackend backend;
    private final GcsClients clients;
    private final GcsErrors errors;
    private final RetryPolicy retry;
    private final Diagnostics diagnostics;

    GcsReads(GcsBackend backend, GcsClients clients, GcsErrors errors, RetryPolicy retry, Diagnostics diagnostics) {
        this.backend = backend;
        this.clients = clients;
        this.errors = errors;
        this.retry = retry;
        this.diagnostics = diagnostics;
    }

    InputStream read(GcsLocation l, long offset, ObjectInfo expected) throws StorageException {
        long generation;
        long size;
        if (expected != null && expected.versionId() != null) {
            try {
                generation = Long.parseLong(expected.versionId());
            } catch (NumberFormatException e) {
                throw new StorageException(Kind.MISCONFIGURED, "the record of " + l.uri() + " pins version '"
                        + expected.versionId() + "', which is not a GCS generation");
            }
            size = expected.size();
            Blob pinned = pinnedOrChanged(l, generation);
            if (pinned.getSize() != null && pinned.getSize() != size) {
                throw new StorageException(Kind.CHANGED, l.uri() + " generation " + generation + " has " + pinned.getSize()
                        + " bytes, not the " + size + " recorded");
            }
        } else {
            ObjectInfo now = GcsBackend.info(l, backend.blob(l, null));
            if (expected != null && expected.etag() != null && !expected.etag().equals(now.etag())) {
                throw new StorageException(Kind.CHANGED, l.uri() + " changed in GCS since it was tracked: ETag was \""
                        + expected.etag() + "\", is \"" + now.etag() + "\"");
            }
            if (expected != null && expected.size() != now.size()) {
                throw new StorageException(Kind.CHANGED, l.uri() + " changed in GCS since it was tracked: it has "
                        + now.size() + " bytes, not " + expected.size());
            }
            generation = Long.parseLong(now.versionId());
            size = now.size();
        }
        if (offset >= size) {
            return InputStream.nullInputStream();
        }
        BlobId id = BlobId.of(l.bucket(), l.name(), generation);
        GcsSettings settings = clients.settings();
        int part = settings.downloadPartSize();
        if (size - offset >= 2L * part && settings.downloadConcurrency() > 1) {
            int kib = (settings.downloadConcurrency() + 1) * ((part + 1023) / 1024);
            if (RANGE_BUFFERS.tryAcquire(kib)) {
                boolean handedOver = false;
                try {
                    RangedReader reader = new RangedReader((start, into, length) -> fetchRange(l, id, start, into, length),
                            offset, size, part, settings.downloadConcurrency(), () -> RANGE_BUFFERS.release(kib));
                    handedOver = true;
                    return reader;
                } finally {
                    if (!handedOver) {
                        RANGE_BUFFERS.release(kib);
                    }
                }
            }
            diagnostics.trace("gcs: other downloads hold the range buffers, " + l + " is read in one stream");
        }
        try {
            ReadChannel channel = clients.storage().reader(id);
            channel.seek(offset);
            return new FilterInputStream(Channels.newInputStream(channel)) {
                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    try {
                        return super.read(b, off, len);
                    } catch (IOException | RuntimeException e) {
                        throw failure(e, l, generation);
                    }
                }
            };
        } catch (IOException | RuntimeException e) {
            throw failure(e, l, generation);
        }
    }

    /** The pinned generation's metadata; CHANGED when it is gone but the object is there, NOT_FOUND when both are. */
    private Blob pinnedOrChanged(GcsLocation l, long generation) throws StorageException {
        try {
            return backend.blob(l, generation);
        } catch (StorageException e) {
            if (e.kind() != Kind.NOT_FOUND) {
                throw e;
            }
            ObjectInfo now;
            try {
                now = GcsBackend.info(l, backend.blob(l, null));
            } catch (StorageException gone) {
                throw new StorageException(Kind.NOT_FOUND, l.uri() + " is gone from GCS", gone);
            }
            throw new StorageException(Kind.CHANGED, l.uri() + " changed in GCS since it was tracked: generation "
                    + generation + " is gone (the bucket keeps no older generations), the object is now generation "
                    + now.versionId(), e);
        }
    }

    private StorageException failure(Throwable e, GcsLocation l, long generation) {
        StorageException s = errors.translate(e, l);
        if (s.kind() == Kind.NOT_FOUND) {
            try {
                pinnedOrChanged(l, generation);
            } catch (StorageException better) {
                return better;
            }
        }
        return s;
    }

    /**
     * Exactly {@code length} bytes from {@code start} of generation {@code id}: one ranged read,
     * resumed where it broke off as often as the retry policy allows. A timeout with no byte
     * received in that attempt is left to the agent: timeouts are never multiplied here.
     */
    private void fetchRange(GcsLocation l, BlobId id, long start, byte[] buf, int length) throws IOException {
        int got = 0;
        for (int attempt = 1; ; attempt++) {
            int before = got;
            StorageException failure;
            try (ReadChannel channel = clients.storage().reader(id)) {
                channel.setChunkSize(0);
                channel.seek(start + got);
                channel.limit(start + length);
                ByteBuffer into = ByteBuffer.wrap(buf, got, length - got);
                while (into.hasRemaining()) {
                    int n = channel.read(into);
                    if (n < 0) {
                        throw new IOException("the object ended at byte " + (start + got) + ", before the range did");
                    }
                    got = into.position();
                }
                return;
            } catch (IOException | RuntimeException e) {
                failure = failure(e, l, id.getGeneration());
                if (failure.kind() == Kind.TRANSIENT && GcsErrors.timedOut(e) && got == before) {
                    throw failure;
                }
            }
            if (!retry.again(failure, attempt)) {
                throw failure;
            }
            diagnostics.trace("gcs: range at " + (start + got) + " of " + l + " failed, retrying: " + failure.getMessage());
            retry.pause(attempt);
        }
    }
}
