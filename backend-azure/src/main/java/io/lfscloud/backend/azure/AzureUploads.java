package io.lfscloud.backend.azure;

import io.lfscloud.spi.Diagnostics;
import io.lfscloud.spi.RetryPolicy;
import io.lfscloud.spi.StorageException;
import io.lfscloud.spi.StorageException.Kind;
import io.lfscloud.spi.TransferListener;

import com.azure.core.util.BinaryData;
import com.azure.core.util.Context;
import com.azure.storage.blob.models.BlobHttpHeaders;
import com.azure.storage.blob.options.BlockBlobCommitBlockListOptions;
import com.azure.storage.blob.options.BlockBlobSimpleUploadOptions;
import com.azure.storage.blob.options.BlockBlobStageBlockOptions;
import com.azure.storage.blob.specialized.BlockBlobClient;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;

/**
 * Uploads, as block blobs. The file is read once, in order, through SHA-256 and MD5: an object
 * up to {@code blockSize} goes in one request with its Content-MD5; a larger one as blocks
 * staged in parallel, each with its own Content-MD5 (Azure refuses a block whose bytes do not
 * match) and retried on its own under the context's {@link RetryPolicy}, then one commit of
 * the block list. Nothing is sent (small) or committed (large) unless the file hashes to its
 * oid, so bytes that do not match never become a blob, and uncommitted blocks are dropped by
 * Azure. The blob's Content-MD5 property and an {@code sha256} metadata entry are set.
 */
final class AzureUploads {

    private final AzureClients clients;
    private final AzureErrors errors;
    private final RetryPolicy retry;
    private final Diagnostics diagnostics;
    private final Semaphore buffers;

    AzureUploads(AzureClients clients, AzureErrors errors, RetryPolicy retry, Diagnostics diagnostics, Semaphore buffers) {
        this.clients = clients;
        this.errors = errors;
        this.retry = retry;
        this.diagnostics = diagnostics;
        this.buffers = buffers;
    }

    /** Stores {@code source} ({@code size} bytes, SHA-256 {@code sha256}) as the blob {@code l}. */
    void upload(BlobLocation l, URI object, Path source, long size, String sha256, TransferListener progress)
            throws StorageException {
        AzureSettings settings = clients.settings();
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
            clients.blob(l).getBlockBlobClient().uploadWithResponse(new BlockBlobSimpleUploadOptions(BinaryData.fromBytes(data))
                    .setContentMd5(md5).setHeaders(headers(md5)).setMetadata(Map.of(AzureBackend.SHA256_METADATA, sha256)), null,
                    Context.NONE);
        } catch (RuntimeException e) {
            throw errors.translate(e, l, object);
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
        BlockBlobClient client = clients.blob(l).getBlockBlobClient();
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
                    .setMetadata(Map.of(AzureBackend.SHA256_METADATA, sha256)), null, Context.NONE);
        } catch (RuntimeException e) {
            throw errors.translate(e, l, object);
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
                StorageException se = errors.translate(e, l, object);
                // after a timeout, a retry only when it keeps work done (other blocks staged)
                if (!retry.again(se, attempt) || (AzureErrors.timedOut(e) && staged.get() == 0)) {
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
}
