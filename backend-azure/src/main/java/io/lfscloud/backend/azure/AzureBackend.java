package io.lfscloud.backend.azure;

import io.lfscloud.spi.Diagnostics;
import io.lfscloud.spi.ObjectInfo;
import io.lfscloud.spi.RetryPolicy;
import io.lfscloud.spi.StorageBackend;
import io.lfscloud.spi.StorageException;
import io.lfscloud.spi.StorageException.Kind;
import io.lfscloud.spi.TransferListener;

import com.azure.core.http.HttpClient;
import com.azure.storage.blob.models.BlobItem;
import com.azure.storage.blob.models.BlobItemProperties;
import com.azure.storage.blob.models.BlobProperties;
import com.azure.storage.blob.models.ListBlobsOptions;

import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.function.Consumer;

/**
 * Blobs in Azure Blob Storage, through the Azure SDK: metadata and listing here; the SDK
 * clients (one per storage account, built on its first request) in {@link AzureClients},
 * downloads in {@link AzureReads}, uploads in {@link AzureUploads}, error classification in
 * {@link AzureErrors}; URLs map to accounts, containers and blob names through
 * {@link BlobLocation} only.
 *
 * <ul>
 *   <li><b>Uploads</b> are block blobs, verified by Azure (Content-MD5 on each request) and
 *       committed only when the file hashed to its oid; a blob already there with the right size
 *       (and no other {@code sha256} metadata) is not sent again.</li>
 *   <li><b>Downloads</b> are ranged reads, several at once, pinned to the ETag (If-Match) or to
 *       the record's version; each range resumes where it broke off.</li>
 *   <li><b>Retries</b>: the SDK retries nothing (its retry policy is set to one try, and its
 *       download resumption to none); this backend retries a range or a block on its own
 *       ({@link RetryPolicy}), everything else is {@code TRANSIENT} for the agent to retry.</li>
 * </ul>
 * Block and range buffers of all transfers come out of one budget, {@link #BUFFER_BUDGET_KIB}.
 */
final class AzureBackend implements StorageBackend {

    /** Block and range buffers all transfers of this agent may hold at once, in KiB (128 MiB of the 256 MB heap). */
    static final int BUFFER_BUDGET_KIB = 128 * 1024;

    /** The metadata entry uploads set to the oid, so that a later upload can tell other bytes under its name. */
    static final String SHA256_METADATA = "sha256";

    private final AzureClients clients;
    private final AzureErrors errors;
    private final AzureReads reads;
    private final AzureUploads uploads;
    private final Diagnostics diagnostics;

    AzureBackend(AzureSettings settings, RetryPolicy retry, Diagnostics diagnostics, Map<String, String> env, Path home) {
        this(settings, retry, diagnostics, env, home, null);
    }

    /** {@code http}: the SDK's HTTP client to use instead of the JDK's (a test's recorded answers), or {@code null}. */
    AzureBackend(AzureSettings settings, RetryPolicy retry, Diagnostics diagnostics, Map<String, String> env, Path home,
                 HttpClient http) {
        Semaphore buffers = new Semaphore(BUFFER_BUDGET_KIB);
        this.diagnostics = diagnostics;
        this.clients = new AzureClients(settings, diagnostics, env, home, http);
        this.errors = new AzureErrors(clients);
        this.reads = new AzureReads(clients, errors, retry, diagnostics, buffers);
        this.uploads = new AzureUploads(clients, errors, retry, diagnostics, buffers);
    }

    @Override
    public ObjectInfo stat(URI object) throws StorageException {
        return reads.stat(BlobLocation.of(object), object);
    }

    @Override
    public InputStream read(URI object, long offset, ObjectInfo expected) throws StorageException {
        return reads.read(object, offset, expected);
    }

    @Override
    public void list(URI prefix, Consumer<ObjectInfo> each) throws StorageException {
        BlobLocation l = BlobLocation.of(prefix);
        var container = clients.container(l);
        try {
            // pages of up to 5,000 names, fetched as the iteration reaches them
            for (BlobItem item : container.listBlobs(new ListBlobsOptions().setPrefix(l.blob().isEmpty() ? null : l.blob()),
                    null)) {
                if (Boolean.TRUE.equals(item.isPrefix()) || Boolean.TRUE.equals(item.isDeleted())) {
                    continue;
                }
                BlobItemProperties p = item.getProperties();
                URI uri = l.withBlob(item.getName()).uri();
                each.accept(new ObjectInfo(uri, p.getContentLength() == null ? 0 : p.getContentLength(),
                        ObjectInfo.unquoteEtag(p.getETag()), item.getVersionId(), AzureReads.hex(p.getContentMd5()), null,
                        AzureReads.instant(p.getLastModified())));
            }
        } catch (RuntimeException e) {
            throw errors.translate(e, l, prefix);
        }
    }

    @Override
    public boolean write(URI object, Path source, long size, String sha256, TransferListener progress)
            throws StorageException {
        BlobLocation l = BlobLocation.of(object);
        try {
            BlobProperties p = reads.properties(l, object);
            String stored = p.getMetadata() == null ? null : p.getMetadata().get(SHA256_METADATA);
            if (p.getBlobSize() == size && (stored == null || stored.equals(sha256))) {
                return false;
            }
            diagnostics.trace("azure: " + object + " holds other bytes (size " + p.getBlobSize() + "), writing it again");
        } catch (StorageException e) {
            if (e.kind() != Kind.NOT_FOUND) {
                throw e;
            }
        }
        uploads.upload(l, object, source, size, sha256, progress);
        return true;
    }

    @Override
    public void close() {
        clients.close();
    }
}
