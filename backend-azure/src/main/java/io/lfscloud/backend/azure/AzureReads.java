package io.lfscloud.backend.azure;

import io.lfscloud.spi.support.RangedReader;
import io.lfscloud.spi.Diagnostics;
import io.lfscloud.spi.ObjectInfo;
import io.lfscloud.spi.RetryPolicy;
import io.lfscloud.spi.StorageException;
import io.lfscloud.spi.StorageException.Kind;

import com.azure.core.util.Context;
import com.azure.storage.blob.models.BlobDownloadResponse;
import com.azure.storage.blob.models.BlobProperties;
import com.azure.storage.blob.models.BlobRange;
import com.azure.storage.blob.models.BlobRequestConditions;
import com.azure.storage.blob.models.DownloadRetryOptions;
import com.azure.storage.blob.specialized.BlobClientBase;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.HexFormat;
import java.util.concurrent.Semaphore;

/**
 * Metadata and downloads: ranged reads, several at once ({@link RangedReader}), pinned to the
 * ETag (If-Match) or to the record's version, each range resumed where it broke off under the
 * context's {@link RetryPolicy}. The ranges' buffers come out of the backend's budget; when
 * other transfers hold it, one 1 MiB range at a time.
 */
final class AzureReads {

    private final AzureClients clients;
    private final AzureErrors errors;
    private final RetryPolicy retry;
    private final Diagnostics diagnostics;
    private final Semaphore buffers;

    AzureReads(AzureClients clients, AzureErrors errors, RetryPolicy retry, Diagnostics diagnostics, Semaphore buffers) {
        this.clients = clients;
        this.errors = errors;
        this.retry = retry;
        this.diagnostics = diagnostics;
        this.buffers = buffers;
    }

    ObjectInfo stat(BlobLocation l, URI object) throws StorageException {
        return info(object, properties(l, object));
    }

    /** The blob's properties (and metadata). */
    BlobProperties properties(BlobLocation l, URI object) throws StorageException {
        try {
            return clients.blob(l).getPropertiesWithResponse(null, null, Context.NONE).getValue();
        } catch (RuntimeException e) {
            throw errors.translate(e, l, object);
        }
    }

    private static ObjectInfo info(URI object, BlobProperties p) {
        return new ObjectInfo(object, p.getBlobSize(), ObjectInfo.unquoteEtag(p.getETag()), p.getVersionId(),
                hex(p.getContentMd5()), null, instant(p.getLastModified()));
    }

    InputStream read(URI object, long offset, ObjectInfo expected) throws StorageException {
        BlobLocation l = BlobLocation.of(object);
        AzureSettings settings = clients.settings();
        ObjectInfo pin = expected;
        if (pin == null || (pin.etag() == null && pin.versionId() == null)) {
            // the ranges of one read must all come from one blob: pinned to the ETag it has now
            ObjectInfo now = info(object, properties(l, object));
            if (pin != null && pin.size() != now.size()) {
                throw new StorageException(Kind.CHANGED, object + " has " + now.size() + " bytes, " + pin.size()
                        + " expected");
            }
            pin = now;
        }
        if (offset >= pin.size()) {
            return InputStream.nullInputStream();
        }
        BlobClientBase blob = clients.pinnedBlob(l, pin);
        ObjectInfo p = pin;
        long remaining = pin.size() - offset;
        int part = (int) Math.min(settings.downloadPartSize(), remaining);
        int concurrency = remaining >= 2 * settings.downloadPartSize() ? settings.downloadConcurrency() : 1;
        int kib = (int) ((concurrency + 1) * ((part + 1023L) / 1024));
        if (!buffers.tryAcquire(kib)) {
            // other transfers hold the budget: one small range at a time, outside it
            diagnostics.trace("azure: other transfers hold the buffers, " + object + " is read 1 MiB at a time");
            part = (int) Math.min(1 << 20, remaining);
            concurrency = 1;
            kib = 0;
        }
        int held = kib;
        return new RangedReader((start, into, length) -> fetchRange(blob, l, object, p, start, into, length),
                offset, p.size(), part, concurrency, () -> buffers.release(held));
    }

    /** Exactly {@code length} bytes from {@code start}: one ranged GET, resumed where it broke off. */
    private void fetchRange(BlobClientBase blob, BlobLocation l, URI object, ObjectInfo expected, long start, byte[] into,
                            int length) throws IOException {
        int[] got = {0};
        BlobRequestConditions conditions = expected.versionId() == null && expected.etag() != null
                ? new BlobRequestConditions().setIfMatch(quoted(expected.etag())) : null;
        for (int attempt = 1; ; attempt++) {
            int before = got[0];
            OutputStream sink = new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    write(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    if (got[0] + len > length) {
                        throw new IOException("Azure sent more than the " + length + " bytes asked for");
                    }
                    System.arraycopy(b, off, into, got[0], len);
                    got[0] += len;
                }
            };
            StorageException failure;
            try {
                BlobDownloadResponse r = blob.downloadStreamWithResponse(sink,
                        new BlobRange(start + got[0], (long) length - got[0]), new DownloadRetryOptions().setMaxRetryRequests(0),
                        conditions, false, null, Context.NONE);
                checkTotal(r.getDeserializedHeaders().getContentRange(), object, expected.size());
                if (got[0] == length) {
                    return;
                }
                failure = new StorageException(Kind.TRANSIENT, "Azure closed the connection after " + (start + got[0])
                        + " bytes of " + object);
            } catch (RuntimeException e) {
                failure = errors.translate(e, l, object);
                // a silent server is the agent's to retry (it resumes too): no timeouts multiplied here
                if (got[0] == before && AzureErrors.timedOut(e)) {
                    throw failure;
                }
            }
            if (!retry.again(failure, attempt)) {
                throw failure;
            }
            diagnostics.trace("azure: range at " + (start + got[0]) + " of " + object + " failed, retrying: "
                    + failure.getMessage());
            retry.pause(attempt);
        }
    }

    /** A ranged response names the blob's size: it must be the one expected. */
    private static void checkTotal(String range, URI object, long expected) throws StorageException {
        int slash = range == null ? -1 : range.lastIndexOf('/');
        if (slash >= 0 && !range.endsWith("/*")) {
            long total = Long.parseLong(range.substring(slash + 1).strip());
            if (total != expected) {
                throw new StorageException(Kind.CHANGED, object + " has " + total + " bytes, " + expected + " expected");
            }
        }
    }

    private static String quoted(String etag) {
        return etag.startsWith("W/") ? etag.substring(0, 2) + "\"" + etag.substring(2) + "\"" : "\"" + etag + "\"";
    }

    static String hex(byte[] md5) {
        return md5 == null || md5.length != 16 ? null : HexFormat.of().formatHex(md5);
    }

    static Instant instant(OffsetDateTime t) {
        return t == null ? null : t.toInstant();
    }
}
