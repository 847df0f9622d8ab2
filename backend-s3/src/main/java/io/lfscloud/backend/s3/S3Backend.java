package io.lfscloud.backend.s3;

import io.lfscloud.spi.BackendContext;
import io.lfscloud.spi.Diagnostics;
import io.lfscloud.spi.ObjectInfo;
import io.lfscloud.spi.StorageBackend;
import io.lfscloud.spi.StorageException.Kind;
import io.lfscloud.spi.StorageException;
import io.lfscloud.spi.TransferListener;

import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.ChecksumMode;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HexFormat;
import java.util.function.Consumer;

/**
 * Objects in the S3 buckets of one scope (a bucket, with its settings): metadata and listing
 * here; the SDK client in {@link S3Clients}, downloads in {@link S3Reads}, uploads in
 * {@link S3Uploads}, error classification in {@link S3Errors}; URLs map to buckets and keys
 * through {@link S3Key} only.
 *
 * <p>Retries: the agent retries each whole transfer (resuming downloads); the SDK retries
 * nothing (its default of four attempts would multiply with the agent's); this backend retries
 * a range or a part on its own, under the context's {@link io.lfscloud.spi.RetryPolicy}, only
 * when that keeps work already done: after an error answer or a dropped connection, and after
 * a timeout only when the range had received bytes in that attempt or other parts of the
 * upload were stored. So a server that never answers costs one timeout per agent attempt (it
 * cost up to 36: four SDK attempts, three range attempts, three agent attempts).
 *
 * <p>Redirects are never followed (the SDK's HTTP client and {@link PresignedPut} both refuse
 * them): requests, signed or carrying credentials, go only to the configured endpoint.
 */
final class S3Backend implements StorageBackend {

    private final S3Clients clients;
    private final S3Errors errors;
    private final S3Reads reads;
    private final S3Uploads uploads;
    private final Diagnostics diagnostics;

    S3Backend(S3Settings settings, BackendContext context) {
        this.diagnostics = context.diagnostics();
        this.clients = new S3Clients(settings, diagnostics);
        this.errors = new S3Errors(clients);
        this.reads = new S3Reads(clients, errors, context.retry(), diagnostics);
        this.uploads = new S3Uploads(clients, errors, context.retry(), diagnostics);
    }

    @Override
    public ObjectInfo stat(URI object) throws StorageException {
        S3Key l = S3Key.of(object);
        try {
            HeadObjectResponse h = clients.client().headObject(r -> r.bucket(l.bucket()).key(l.key())
                    .checksumMode(ChecksumMode.ENABLED));
            String sha = null;
            if (h.checksumSHA256() != null && (h.checksumTypeAsString() == null || h.checksumTypeAsString().equals("FULL_OBJECT"))
                    && !h.checksumSHA256().contains("-")) {
                byte[] raw = Base64.getDecoder().decode(h.checksumSHA256());
                sha = raw.length == 32 ? HexFormat.of().formatHex(raw) : null;
            }
            return new ObjectInfo(object, h.contentLength(), ObjectInfo.unquoteEtag(h.eTag()), h.versionId(),
                    md5FromEtag(h.eTag()), sha, h.lastModified());
        } catch (SdkException e) {
            throw errors.translate(e, l, object);
        }
    }

    @Override
    public InputStream read(URI object, long offset, ObjectInfo expected) throws StorageException {
        return reads.read(object, offset, expected);
    }

    @Override
    public void list(URI prefix, Consumer<ObjectInfo> each) throws StorageException {
        S3Key l = S3Key.of(prefix);
        try {
            for (S3Object o : clients.client().listObjectsV2Paginator(r -> r.bucket(l.bucket()).prefix(l.key())).contents()) {
                if (!o.key().endsWith("/")) {
                    each.accept(new ObjectInfo(l.withKey(o.key()).uri(), o.size(), ObjectInfo.unquoteEtag(o.eTag()), null,
                            md5FromEtag(o.eTag()), null, o.lastModified()));
                }
            }
        } catch (SdkException e) {
            throw errors.translate(e, l, prefix);
        }
    }

    @Override
    public boolean write(URI object, Path source, long size, String sha256, TransferListener progress)
            throws StorageException {
        S3Key l = S3Key.of(object);
        try {
            ObjectInfo existing = stat(object);
            if (existing.size() == size) {
                // S3 verified the checksum it stores when the object was written: a stored SHA-256
                // that is not the oid means other bytes under this oid's key, so they are replaced
                if (existing.sha256() == null || sha256 == null || existing.sha256().equals(sha256)) {
                    return false;
                }
                diagnostics.trace("s3: " + object + " has the right size but S3's SHA-256 of it is " + existing.sha256()
                        + ", not its oid: writing it again");
            }
        } catch (StorageException e) {
            if (e.kind() != Kind.NOT_FOUND) {
                throw e;
            }
        }
        uploads.upload(l, source, size, sha256, progress);
        return true;
    }

    /** A single-part upload's ETag is the content's MD5. */
    static String md5FromEtag(String etag) {
        String e = ObjectInfo.unquoteEtag(etag);
        return e != null && e.matches("[0-9a-f]{32}") ? e : null;
    }

    @Override
    public void close() {
        clients.close();
    }
}
