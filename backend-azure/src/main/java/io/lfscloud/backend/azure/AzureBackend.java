package io.lfscloud.backend.azure;

import io.lfscloud.spi.support.RangedReader;
import io.lfscloud.spi.Diagnostics;
import io.lfscloud.spi.ObjectInfo;
import io.lfscloud.spi.RetryPolicy;
import io.lfscloud.spi.StorageBackend;
import io.lfscloud.spi.StorageException;
import io.lfscloud.spi.StorageException.Kind;
import io.lfscloud.spi.TransferListener;

import com.azure.core.credential.AzureSasCredential;
import com.azure.core.exception.ClientAuthenticationException;
import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.core.util.BinaryData;
import com.azure.core.util.Context;
import com.azure.identity.DefaultAzureCredentialBuilder;
import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.models.BlobDownloadResponse;
import com.azure.storage.blob.models.BlobHttpHeaders;
import com.azure.storage.blob.models.BlobItem;
import com.azure.storage.blob.models.BlobItemProperties;
import com.azure.storage.blob.models.BlobProperties;
import com.azure.storage.blob.models.BlobRange;
import com.azure.storage.blob.models.BlobRequestConditions;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.models.DownloadRetryOptions;
import com.azure.storage.blob.models.ListBlobsOptions;
import com.azure.storage.blob.options.BlockBlobCommitBlockListOptions;
import com.azure.storage.blob.options.BlockBlobSimpleUploadOptions;
import com.azure.storage.blob.options.BlockBlobStageBlockOptions;
import com.azure.storage.blob.specialized.BlobClientBase;
import com.azure.storage.blob.specialized.BlockBlobClient;
import com.azure.storage.common.StorageSharedKeyCredential;
import com.azure.storage.common.policy.RequestRetryOptions;
import com.azure.storage.common.policy.RetryPolicyType;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * Blobs in Azure Blob Storage, through the Azure SDK with the JDK's HTTP client passed
 * explicitly (inside a module layer the SDK cannot find one by itself). One SDK client per
 * storage account, built on its first request, never at start-up.
 *
 * <ul>
 *   <li><b>Uploads</b> are block blobs. The file is read once, in order, through SHA-256 and
 *       MD5: an object up to {@code blockSize} goes in one request with its Content-MD5; a larger
 *       one as blocks staged in parallel, each with its own Content-MD5 (Azure refuses a block
 *       whose bytes do not match), then one commit of the block list. Nothing is sent (small) or
 *       committed (large) unless the file hashes to its oid, so bytes that do not match never
 *       become a blob, and uncommitted blocks are dropped by Azure. The blob's Content-MD5
 *       property and an {@code sha256} metadata entry are set; a blob already there with the
 *       right size (and no other {@code sha256}) is not sent again.</li>
 *   <li><b>Downloads</b> are ranged reads, several at once ({@link RangedReader}), pinned to the
 *       ETag (If-Match) or to the record's version; each range resumes where it broke off.</li>
 *   <li><b>Retries</b>: the SDK retries nothing (its retry policy is set to one try, and its
 *       download resumption to none); this backend retries a range or a block on its own
 *       ({@link RetryPolicy}), everything else is {@code TRANSIENT} for the agent to retry.</li>
 * </ul>
 * URLs map to accounts, containers and blob names through {@link BlobLocation} only.
 */
final class AzureBackend implements StorageBackend {

    /** Block and range buffers all transfers of this agent may hold at once, in KiB (128 MiB of the 256 MB heap). */
    static final int BUFFER_BUDGET_KIB = 128 * 1024;

    /** The metadata entry uploads set to the oid, so that a later upload can tell other bytes under its name. */
    static final String SHA256_METADATA = "sha256";

    private final AzureSettings settings;
    private final RetryPolicy retry;
    private final Diagnostics diagnostics;
    private final Map<String, String> env;
    private final Path home;
    private final Semaphore buffers = new Semaphore(BUFFER_BUDGET_KIB);
    private final Map<String, Account> accounts = new ConcurrentHashMap<>();
    private volatile HttpClient http;

    /** One account's client, where its requests go, and the credentials' source (for messages). */
    private record Account(BlobServiceClient client, String endpoint, AzureCredentials credentials) {
    }

    AzureBackend(AzureSettings settings, RetryPolicy retry, Diagnostics diagnostics, Map<String, String> env, Path home) {
        this.settings = settings;
        this.retry = retry;
        this.diagnostics = diagnostics;
        this.env = env;
        this.home = home;
    }

    // ---------------------------------------------------------------- clients

    private HttpClient http() {
        HttpClient h = http;
        if (h == null) {
            synchronized (this) {
                if (http == null) {
                    http = new JdkHttpClientBuilder().connectionTimeout(settings.timeout()).responseTimeout(settings.timeout())
                            .readTimeout(settings.timeout()).writeTimeout(settings.timeout()).build();
                }
                h = http;
            }
        }
        return h;
    }

    private Account account(BlobLocation l) throws StorageException {
        String key = l.httpsHost() != null ? "https://" + l.httpsHost() : l.account();
        Account a = accounts.get(key);
        if (a != null) {
            return a;
        }
        synchronized (accounts) {
            a = accounts.get(key);
            if (a == null) {
                a = build(l);
                accounts.put(key, a);
            }
            return a;
        }
    }

    private Account build(BlobLocation l) throws StorageException {
        long start = System.nanoTime();
        AzureCredentials c = AzureCredentials.find(l.account(), env, home);
        String endpoint;
        if (l.httpsHost() != null) {
            endpoint = "https://" + l.httpsHost(); // the URL names the host; nothing else is asked
        } else if (settings.endpoint().isPresent()) {
            endpoint = settings.endpoint().get().toString();
        } else if (c.blobEndpoint().isPresent()) {
            endpoint = c.blobEndpoint().get().toString();
        } else {
            endpoint = "https://" + l.account() + ".blob.core.windows.net";
        }
        BlobServiceClientBuilder b = new BlobServiceClientBuilder().endpoint(endpoint).httpClient(http())
                // one try: ranges and blocks are retried here, whole transfers by the agent
                .retryOptions(new RequestRetryOptions(RetryPolicyType.FIXED, 1, (Integer) null, null, null, null));
        try {
            switch (c.kind()) {
                case KEY -> b.credential(new StorageSharedKeyCredential(l.account(), c.accountKey()));
                case SAS -> b.credential(new AzureSasCredential(c.sas()));
                case ENTRA -> b.credential(new DefaultAzureCredentialBuilder().httpClient(http()).build());
                case NONE -> { }
            }
            Account a = new Account(b.buildClient(), endpoint, c);
            diagnostics.trace("azure: client for " + l.account() + " at " + endpoint + " with " + c + " ready in "
                    + (System.nanoTime() - start) / 1_000_000 + " ms");
            return a;
        } catch (RuntimeException e) {
            // an account key that is not base64, an endpoint the SDK refuses: never the value itself
            throw new StorageException(Kind.MISCONFIGURED, "cannot set up the Azure client for account '" + l.account()
                    + "' at " + endpoint + " with " + c + ": " + e.getClass().getSimpleName(), e);
        }
    }

    private BlobClient blob(BlobLocation l) throws StorageException {
        return account(l).client().getBlobContainerClient(l.container()).getBlobClient(l.blob());
    }

    /** The blob, or the version of it the record pins. */
    private BlobClientBase pinnedBlob(BlobLocation l, ObjectInfo expected) throws StorageException {
        BlobClient b = blob(l);
        return expected != null && expected.versionId() != null ? b.getVersionClient(expected.versionId()) : b;
    }

    // ------------------------------------------------------------------ reads

    @Override
    public ObjectInfo stat(URI object) throws StorageException {
        BlobLocation l = location(object);
        return info(object, properties(l, object));
    }

    private BlobProperties properties(BlobLocation l, URI object) throws StorageException {
        try {
            return blob(l).getPropertiesWithResponse(null, null, Context.NONE).getValue();
        } catch (RuntimeException e) {
            throw translate(e, l, object);
        }
    }

    private static ObjectInfo info(URI object, BlobProperties p) {
        return new ObjectInfo(object, p.getBlobSize(), ObjectInfo.unquoteEtag(p.getETag()), p.getVersionId(),
                hex(p.getContentMd5()), null, instant(p.getLastModified()));
    }

    @Override
    public InputStream read(URI object, long offset, ObjectInfo expected) throws StorageException {
        BlobLocation l = location(object);
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
        BlobClientBase blob = pinnedBlob(l, pin);
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
                failure = translate(e, l, object);
                // a silent server is the agent's to retry (it resumes too): no timeouts multiplied here
                if (got[0] == before && timedOut(e)) {
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

    @Override
    public void list(URI prefix, Consumer<ObjectInfo> each) throws StorageException {
        BlobLocation l = location(prefix);
        BlobContainerClient container = account(l).client().getBlobContainerClient(l.container());
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
                        ObjectInfo.unquoteEtag(p.getETag()), item.getVersionId(), hex(p.getContentMd5()), null,
                        instant(p.getLastModified())));
            }
        } catch (RuntimeException e) {
            throw translate(e, l, prefix);
        }
    }

    // ----------------------------------------------------------------- writes

    @Override
    public boolean write(URI object, Path source, long size, String sha256, TransferListener progress)
            throws StorageException {
        BlobLocation l = location(object);
        try {
            BlobProperties p = blob(l).getPropertiesWithResponse(null, null, Context.NONE).getValue();
            String stored = p.getMetadata() == null ? null : p.getMetadata().get(SHA256_METADATA);
            if (p.getBlobSize() == size && (stored == null || stored.equals(sha256))) {
                return false;
            }
            diagnostics.trace("azure: " + object + " holds other bytes (size " + p.getBlobSize() + "), writing it again");
        } catch (RuntimeException e) {
            StorageException se = translate(e, l, object);
            if (se.kind() != Kind.NOT_FOUND) {
                throw se;
            }
        }
        int blocks = (int) Math.max(1, (size + settings.blockSize() - 1) / settings.blockSize());
        int concurrency = Math.min(settings.uploadConcurrency(), blocks);
        int block = (int) Math.min(settings.blockSize(), Math.max(size, 1));
        int kib = (int) ((blocks == 1 ? 1 : concurrency + 1) * ((block + 1023L) / 1024));
        try {
            buffers.acquire(kib);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StorageException(Kind.TRANSIENT, "interrupted", e);
        }
        try (FileChannel ch = FileChannel.open(source, StandardOpenOption.READ)) {
            if (blocks == 1) {
                writeOne(l, object, ch, size, sha256, progress);
            } else {
                writeBlocks(l, object, ch, size, sha256, blocks, block, concurrency, progress);
            }
            return true;
        } catch (StorageException e) {
            throw e;
        } catch (IOException e) {
            throw new StorageException(Kind.MISCONFIGURED, "cannot read " + source + ": " + e.getMessage(), e);
        } finally {
            buffers.release(kib);
        }
    }

    /** One Put Blob with its Content-MD5, after the bytes hashed to the oid. */
    private void writeOne(BlobLocation l, URI object, FileChannel ch, long size, String sha256, TransferListener progress)
            throws IOException {
        byte[] data = new byte[(int) size];
        Digests d = new Digests();
        fill(ch, 0, data, (int) size);
        d.update(data, (int) size);
        d.check(object, sha256);
        byte[] md5 = d.md5.digest();
        try {
            blob(l).getBlockBlobClient().uploadWithResponse(new BlockBlobSimpleUploadOptions(BinaryData.fromBytes(data))
                    .setContentMd5(md5).setHeaders(headers(md5)).setMetadata(Map.of(SHA256_METADATA, sha256)), null,
                    Context.NONE);
        } catch (RuntimeException e) {
            throw translate(e, l, object);
        }
        progress.transferred(size);
    }

    /**
     * Blocks read in order (through SHA-256 and MD5) and staged {@code concurrency} at a time, each
     * with its Content-MD5 and retried on its own; the list is committed only when the whole file
     * hashed to the oid and every block is staged.
     */
    private void writeBlocks(BlobLocation l, URI object, FileChannel ch, long size, String sha256, int blocks, int block,
                             int concurrency, TransferListener progress) throws IOException {
        BlockBlobClient client = blob(l).getBlockBlobClient();
        Digests whole = new Digests();
        List<String> ids = new ArrayList<>(blocks);
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        java.util.concurrent.BlockingQueue<byte[]> free = new java.util.concurrent.ArrayBlockingQueue<>(concurrency + 1);
        for (int i = 0; i <= concurrency; i++) {
            free.add(new byte[block]);
        }
        Semaphore inFlight = new Semaphore(concurrency);
        java.util.concurrent.atomic.AtomicInteger staged = new java.util.concurrent.atomic.AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        try {
            for (int i = 0; i < blocks && failures.isEmpty(); i++) {
                long start = (long) i * block;
                int length = (int) Math.min(block, size - start);
                byte[] buf = free.take();
                fill(ch, start, buf, length);
                whole.update(buf, length);
                byte[] md5 = md5(buf, length);
                String id = Base64.getEncoder().encodeToString(String.format("lfs-cloud-block-%08d", i)
                        .getBytes(StandardCharsets.US_ASCII));
                ids.add(id);
                inFlight.acquire();
                threads.add(Thread.ofVirtual().start(() -> {
                    try {
                        stageBlock(client, l, object, id, buf, length, md5, staged);
                        progress.transferred(length);
                    } catch (Throwable t) {
                        failures.add(t);
                    } finally {
                        free.add(buf);
                        inFlight.release();
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            threads.forEach(Thread::interrupt);
            throw new StorageException(Kind.TRANSIENT, "interrupted", e);
        }
        if (!failures.isEmpty()) {
            Throwable f = failures.getFirst();
            if (f instanceof StorageException se) {
                throw se;
            }
            throw new StorageException(Kind.TRANSIENT, "block upload to " + object + " failed: " + f, f);
        }
        whole.check(object, sha256); // before the commit: until then no blob exists
        byte[] md5 = whole.md5.digest();
        try {
            client.commitBlockListWithResponse(new BlockBlobCommitBlockListOptions(ids).setHeaders(headers(md5))
                    .setMetadata(Map.of(SHA256_METADATA, sha256)), null, Context.NONE);
        } catch (RuntimeException e) {
            throw translate(e, l, object);
        }
    }

    private void stageBlock(BlockBlobClient client, BlobLocation l, URI object, String id, byte[] buf, int length,
                            byte[] md5, java.util.concurrent.atomic.AtomicInteger staged) throws StorageException {
        for (int attempt = 1; ; attempt++) {
            try {
                client.stageBlockWithResponse(new BlockBlobStageBlockOptions(id,
                        BinaryData.fromByteBuffer(ByteBuffer.wrap(buf, 0, length))).setContentMd5(md5), null, Context.NONE);
                staged.incrementAndGet();
                return;
            } catch (RuntimeException e) {
                StorageException se = translate(e, l, object);
                // after a timeout, a retry only when it keeps work done (other blocks staged)
                if (!retry.again(se, attempt) || (timedOut(e) && staged.get() == 0)) {
                    throw se;
                }
                diagnostics.trace("azure: block of " + object + " failed, retrying: " + se.getMessage());
            }
            retry.pause(attempt);
        }
    }

    private static BlobHttpHeaders headers(byte[] md5) {
        return new BlobHttpHeaders().setContentType("application/octet-stream").setContentMd5(md5);
    }

    /** SHA-256 and MD5 of a whole file, read once. */
    private static final class Digests {
        final MessageDigest sha256 = digest("SHA-256");
        final MessageDigest md5 = digest("MD5");

        void update(byte[] b, int length) {
            sha256.update(b, 0, length);
            md5.update(b, 0, length);
        }

        /** Refuses a file that does not hash to its oid, without saying what it hashes to. */
        void check(URI object, String oid) throws StorageException {
            if (!HexFormat.of().formatHex(sha256.digest()).equals(oid)) {
                throw new StorageException(Kind.CORRUPT, "refusing to store " + object
                        + ": the content sent does not match its oid");
            }
        }
    }

    private static void fill(FileChannel ch, long start, byte[] into, int length) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(into, 0, length);
        while (b.hasRemaining()) {
            if (ch.read(b, start + b.position()) < 0) {
                throw new IOException("the file shrank while it was uploaded");
            }
        }
    }

    private static byte[] md5(byte[] b, int length) {
        MessageDigest md5 = digest("MD5");
        md5.update(b, 0, length);
        return md5.digest();
    }

    private static MessageDigest digest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---------------------------------------------------------------- helpers

    private static BlobLocation location(URI uri) throws StorageException {
        return BlobLocation.of(uri);
    }

    private static String quoted(String etag) {
        return etag.startsWith("W/") ? etag.substring(0, 2) + "\"" + etag.substring(2) + "\"" : "\"" + etag + "\"";
    }

    private static String hex(byte[] md5) {
        return md5 == null || md5.length != 16 ? null : HexFormat.of().formatHex(md5);
    }

    private static Instant instant(java.time.OffsetDateTime t) {
        return t == null ? null : t.toInstant();
    }

    /** Whether {@code e} or one of its causes is a timeout. */
    static boolean timedOut(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SocketTimeoutException || t instanceof HttpTimeoutException || t instanceof TimeoutException) {
                return true;
            }
        }
        return false;
    }

    private static boolean causedBy(Throwable e, Class<?> type) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    /** HTTP statuses a server answers again when asked again: not worth a retry. */
    private static final java.util.Set<Integer> PERMANENT_5XX = java.util.Set.of(501, 505, 506, 508, 510, 511);

    /** An SDK failure as a storage failure; messages name the account and container, never a secret. */
    StorageException translate(RuntimeException e, BlobLocation l, URI object) {
        Account a = accounts.get(l.httpsHost() != null ? "https://" + l.httpsHost() : l.account());
        AzureCredentials c = a == null ? AzureCredentials.none() : a.credentials();
        if (e instanceof BlobStorageException s) {
            String code = s.getErrorCode() == null ? null : s.getErrorCode().toString();
            return classify(s.getStatusCode(), code, l, object, c, a == null ? "?" : a.endpoint(), e);
        }
        if (e instanceof ClientAuthenticationException || causedBy(e, ClientAuthenticationException.class)) {
            return new StorageException(Kind.ACCESS_DENIED, "no Azure credentials found for account '" + l.account()
                    + "' (" + c + " gave no token): " + AzureCredentials.WHAT_TO_SET, e);
        }
        if (timedOut(e)) {
            return new StorageException(Kind.TRANSIENT, "Azure did not answer within " + settings.timeout().toSeconds()
                    + " s for " + object + " (lfs-cloud.azure.timeoutSeconds)", e);
        }
        if (causedBy(e, UnknownHostException.class)) {
            return new StorageException(Kind.TRANSIENT, "cannot resolve the Azure host for " + object
                    + " (is the account name right?)", e);
        }
        if (causedBy(e, ConnectException.class)) {
            return new StorageException(Kind.TRANSIENT, "cannot connect to Azure for " + object
                    + (a == null ? "" : " at " + a.endpoint()), e);
        }
        if (causedBy(e, IOException.class)) {
            return new StorageException(Kind.TRANSIENT, "the connection to Azure broke for " + object, e);
        }
        return new StorageException(Kind.TRANSIENT, "Azure request for " + object + " failed: "
                + e.getClass().getSimpleName(), e);
    }

    /** An Azure error answer (status and error code, {@code null} when none) as a storage failure. */
    static StorageException classify(int status, String code, BlobLocation l, URI object, AzureCredentials c,
                                     String endpoint, Exception e) {
        String answer = "HTTP " + status + (code == null || code.isBlank() ? "" : " " + code);
        if ("ContainerNotFound".equals(code)) {
            return new StorageException(Kind.MISCONFIGURED, "Azure container '" + l.container() + "' does not exist in"
                    + " storage account '" + l.account() + "' (" + endpoint + ")", e);
        }
        if ("BlobNotFound".equals(code) || ("ResourceNotFound".equals(code) && c.kind() != AzureCredentials.Kind.NONE)
                || (status == 404 && code == null && c.kind() != AzureCredentials.Kind.NONE)) {
            return new StorageException(Kind.NOT_FOUND, "no such object: " + object, e);
        }
        if (status == 412 || "ConditionNotMet".equals(code)) {
            return new StorageException(Kind.CHANGED, object + " changed in Azure since it was tracked (ETag differs)", e);
        }
        if (status == 401 || status == 403 || status == 404) {
            String hint = c.kind() == AzureCredentials.Kind.NONE
                    ? "no Azure credentials were found (the request went anonymously): " + AzureCredentials.WHAT_TO_SET
                    : "check the credentials from " + c + " (the key, or the SAS token's permissions and expiry) and"
                    + " the container's access policy";
            return new StorageException(Kind.ACCESS_DENIED, "Azure denied access to " + object + " (" + answer + "): "
                    + hint, e);
        }
        if ("Md5Mismatch".equals(code) || "InvalidMd5".equals(code) || "Crc64Mismatch".equals(code)) {
            return new StorageException(Kind.CORRUPT, "Azure refused the upload of " + object
                    + ": the content sent does not match its checksum (" + code + ")", e);
        }
        if (status == 416 || "InvalidRange".equals(code)) {
            return new StorageException(Kind.CORRUPT, object + " is shorter than expected (" + answer + ")", e);
        }
        if (PERMANENT_5XX.contains(status)) {
            return new StorageException(Kind.MISCONFIGURED, "Azure cannot serve the request for " + object + " ("
                    + answer + "): the store does not support it", e);
        }
        if (status >= 500 || status == 429 || status == 408 || "ServerBusy".equals(code)
                || "OperationTimedOut".equals(code)) {
            return new StorageException(Kind.TRANSIENT, "Azure is busy or failing (" + answer + ") for " + object, e);
        }
        if (status >= 300 && status < 400) {
            return new StorageException(Kind.MISCONFIGURED, "Azure answered " + object + " with a redirect (" + answer
                    + "), which lfs-cloud does not follow: check lfs-cloud.azure.endpoint", e);
        }
        return new StorageException(Kind.MISCONFIGURED, "Azure refused the request for " + object + " (" + answer + ")", e);
    }

    @Override
    public void close() {
        accounts.clear();
    }
}
