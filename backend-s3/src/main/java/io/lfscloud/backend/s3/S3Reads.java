package io.lfscloud.backend.s3;

import io.lfscloud.spi.support.RangedReader;
import io.lfscloud.spi.Diagnostics;
import io.lfscloud.spi.ObjectInfo;
import io.lfscloud.spi.RetryPolicy;
import io.lfscloud.spi.StorageException;
import io.lfscloud.spi.StorageException.Kind;

import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.concurrent.Semaphore;

/**
 * Downloads: objects of twice {@code downloadPartSize} and more as parallel ranged GETs
 * ({@link RangedReader}), each range resumed where it broke off under the context's
 * {@link RetryPolicy}; smaller ones, and those the range budget cannot hold, as one
 * streaming GET (the agent retries and resumes those). Every request asks for the version or
 * ETag the caller expects, when it names one.
 */
final class S3Reads {

    /** Range buffers all ranged downloads of this process may hold at once, in KiB (128 MiB of the 256 MB heap). */
    static final int RANGE_BUDGET = 128 * 1024;

    /** Shared by every backend (one per bucket): the budget is the process's heap, not a bucket's. */
    private static final Semaphore RANGE_BUFFERS = new Semaphore(RANGE_BUDGET);

    private final S3Clients clients;
    private final S3Errors errors;
    private final RetryPolicy retry;
    private final Diagnostics diagnostics;

    S3Reads(S3Clients clients, S3Errors errors, RetryPolicy retry, Diagnostics diagnostics) {
        this.clients = clients;
        this.errors = errors;
        this.retry = retry;
        this.diagnostics = diagnostics;
    }

    InputStream read(URI object, long offset, ObjectInfo expected) throws StorageException {
        S3Key l = S3Key.of(object);
        if (expected != null && offset == expected.size()) {
            return InputStream.nullInputStream(); // nothing left (S3 answers a range past the end with 416)
        }
        S3Settings settings = clients.settings();
        long part = settings.downloadPartSize();
        if (expected != null && expected.size() - offset >= 2 * part && settings.downloadConcurrency() > 1) {
            int kib = (int) ((settings.downloadConcurrency() + 1) * ((part + 1023) / 1024));
            if (RANGE_BUFFERS.tryAcquire(kib)) {
                boolean handedOver = false;
                try {
                    clients.client();
                    RangedReader reader = new RangedReader((start, into, length) -> fetchRange(l, object, expected, start,
                            into, length), offset, expected.size(), (int) part, settings.downloadConcurrency(),
                            () -> RANGE_BUFFERS.release(kib));
                    handedOver = true;
                    return reader;
                } finally {
                    if (!handedOver) {
                        RANGE_BUFFERS.release(kib);
                    }
                }
            }
            diagnostics.trace("s3: other downloads hold the range buffers, " + object + " is read in one GET");
        }
        GetObjectRequest.Builder b = pinned(GetObjectRequest.builder().bucket(l.bucket()).key(l.key()), expected);
        if (offset > 0) {
            b.range("bytes=" + offset + "-");
        }
        try {
            InputStream in = clients.client().getObject(b.build());
            return new FilterInputStream(in) {
                @Override
                public int read(byte[] buf, int off, int len) throws IOException {
                    try {
                        return super.read(buf, off, len);
                    } catch (SdkException e) {
                        throw errors.translate(e, l, object);
                    }
                }
            };
        } catch (SdkException e) {
            throw errors.translate(e, l, object);
        }
    }

    /** Reads the version the record pins, or only the object with the ETag it names. */
    private static GetObjectRequest.Builder pinned(GetObjectRequest.Builder b, ObjectInfo expected) {
        if (expected != null && expected.versionId() != null) {
            b.versionId(expected.versionId());
        } else if (expected != null && expected.etag() != null) {
            b.ifMatch("\"" + expected.etag() + "\"");
        }
        return b;
    }

    /**
     * Exactly {@code length} bytes from {@code start}: one ranged GET, resumed where it broke
     * off as often as the retry policy allows, for dropped connections and transient errors. A
     * timeout with no byte received in that attempt is left to the agent (which retries the
     * whole download, resuming too): timeouts are never multiplied here.
     */
    private void fetchRange(S3Key l, URI object, ObjectInfo expected, long start, byte[] buf, int length)
            throws IOException {
        int got = 0;
        for (int attempt = 1; ; attempt++) {
            long from = start + got;
            int before = got;
            GetObjectRequest request = pinned(GetObjectRequest.builder().bucket(l.bucket()).key(l.key()), expected)
                    .range("bytes=" + from + "-" + (start + length - 1)).build();
            StorageException failure;
            try (ResponseInputStream<GetObjectResponse> in = clients.client().getObject(request)) {
                checkTotal(in.response(), object, expected.size());
                while (got < length) {
                    int n = in.read(buf, got, length - got);
                    if (n < 0) {
                        throw new IOException("connection closed after " + (start + got) + " bytes");
                    }
                    got += n;
                }
                return;
            } catch (SdkException e) {
                failure = errors.translate(e, l, object);
                if (got == before && S3Errors.timedOut(e)) {
                    throw failure;
                }
            } catch (StorageException e) {
                throw e;
            } catch (IOException e) {
                if (got == before && S3Errors.timedOut(e)) {
                    throw new StorageException(Kind.TRANSIENT, "S3 sent nothing for " + clients.settings().timeout().toSeconds()
                            + " s while " + object + " was read at byte " + (start + got), e);
                }
                failure = new StorageException(Kind.TRANSIENT, "reading " + object + " failed at byte " + (start + got)
                        + " after " + attempt + " attempts: " + e.getMessage(), e);
            }
            if (!retry.again(failure, attempt)) {
                throw failure;
            }
            diagnostics.trace("s3: range at " + (start + got) + " of " + object + " failed, retrying: " + failure.getMessage());
            retry.pause(attempt);
        }
    }

    /** A ranged response names the object's size: it must be the one expected. */
    private static void checkTotal(GetObjectResponse r, URI object, long expected) throws StorageException {
        String range = r.contentRange();
        int slash = range == null ? -1 : range.lastIndexOf('/');
        if (slash >= 0 && !range.endsWith("/*")) {
            long total = Long.parseLong(range.substring(slash + 1).strip());
            if (total != expected) {
                throw new StorageException(Kind.CORRUPT, object + " has " + total + " bytes, " + expected + " expected");
            }
        }
    }
}
