package io.lfscloud.backend.gcs;

import io.lfscloud.spi.Diagnostics;
import io.lfscloud.spi.ObjectInfo;
import io.lfscloud.spi.RetryPolicy;
import io.lfscloud.spi.StorageBackend;
import io.lfscloud.spi.StorageException;
import io.lfscloud.spi.StorageException.Kind;
import io.lfscloud.spi.TransferListener;

import com.google.cloud.storage.Blob;
import com.google.cloud.storage.BlobId;
import com.google.cloud.storage.BlobInfo;
import com.google.cloud.storage.Storage.BlobListOption;

import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Objects in the GCS buckets of one scope (a bucket, with its settings): metadata and listing
 * here; the SDK clients and credentials in {@link GcsClients}, downloads in {@link GcsReads},
 * uploads in {@link GcsUploads}, error classification in {@link GcsErrors}; URLs map to buckets
 * and names through {@link GcsLocation} only.
 *
 * <p>An object's generation is its {@code versionId}: a record pins it, and reads ask for it,
 * so a tracked object still downloads after it is overwritten where the bucket keeps old
 * generations (object versioning), and is reported as changed where it does not.
 */
final class GcsBackend implements StorageBackend {

    private final GcsClients clients;
    private final GcsErrors errors;
    private final GcsReads reads;
    private final GcsUploads uploads;
    /** Buckets seen to exist: a missing object there needs no second request to tell it from a missing bucket. */
    private final Set<String> buckets = ConcurrentHashMap.newKeySet();

    GcsBackend(GcsSettings settings, RetryPolicy retry, Diagnostics diagnostics, Map<String, String> env, Path home) {
        this.clients = new GcsClients(settings, retry, diagnostics, env, home);
        this.errors = new GcsErrors(clients);
        this.reads = new GcsReads(this, clients, errors, retry, diagnostics);
        this.uploads = new GcsUploads(this, clients, errors, diagnostics);
    }

    @Override
    public ObjectInfo stat(URI object) throws StorageException {
        GcsLocation l = GcsLocation.of(object);
        return info(l, blob(l, null));
    }

    /** The object (of {@code generation}, when given), or NOT_FOUND; a missing bucket is MISCONFIGURED. */
    Blob blob(GcsLocation l, Long generation) throws StorageException {
        if (l.name().isEmpty()) {
            throw new StorageException(Kind.MISCONFIGURED, "a GCS object URL names an object: gs://BUCKET/NAME, not " + l.uri());
        }
        Blob b;
        try {
            b = clients.storage().get(generation == null ? BlobId.of(l.bucket(), l.name()) : BlobId.of(l.bucket(), l.name(), generation));
        } catch (RuntimeException e) {
            throw errors.translate(e, l);
        }
        if (b == null) {
            checkBucket(l);
            throw new StorageException(Kind.NOT_FOUND, "no such object: " + l.uri());
        }
        return b;
    }

    /** Throws MISCONFIGURED, naming it, when {@code l}'s bucket does not exist. */
    void checkBucket(GcsLocation l) throws StorageException {
        if (buckets.contains(l.bucket())) {
            return;
        }
        boolean missing;
        try {
            missing = clients.storage().get(l.bucket()) == null;
        } catch (RuntimeException e) {
            missing = false; // not allowed to see the bucket (anonymous access): say what the request got
        }
        if (missing) {
            throw new StorageException(Kind.MISCONFIGURED, "GCS bucket '" + l.bucket() + "' does not exist at " + clients.endpoint());
        }
        buckets.add(l.bucket());
    }

    static ObjectInfo info(GcsLocation l, BlobInfo b) {
        String md5 = b.getMd5() == null ? null : HexFormat.of().formatHex(Base64.getDecoder().decode(b.getMd5()));
        Instant updated = b.getUpdateTimeOffsetDateTime() == null ? null : b.getUpdateTimeOffsetDateTime().toInstant();
        return new ObjectInfo(l.uri(), b.getSize() == null ? 0 : b.getSize(), b.getEtag(),
                b.getGeneration() == null ? null : Long.toString(b.getGeneration()), md5, null, updated);
    }

    @Override
    public InputStream read(URI object, long offset, ObjectInfo expected) throws StorageException {
        return reads.read(GcsLocation.of(object), offset, expected);
    }

    @Override
    public void list(URI prefix, Consumer<ObjectInfo> each) throws StorageException {
        GcsLocation l = GcsLocation.of(prefix);
        checkBucket(l);
        try {
            for (Blob b : clients.storage().list(l.bucket(), BlobListOption.prefix(l.name())).iterateAll()) {
                if (!b.getName().endsWith("/")) {
                    each.accept(info(l.withName(b.getName()), b));
                }
            }
        } catch (RuntimeException e) {
            throw errors.translate(e, l);
        }
    }

    @Override
    public boolean write(URI object, Path source, long size, String sha256, TransferListener progress)
            throws StorageException {
        return uploads.write(GcsLocation.of(object), source, size, sha256, progress);
    }

    @Override
    public void close() {
        clients.close();
    }
}
