package io.lfscloud.backend.s3;

import io.lfscloud.spi.Diagnostics;
import io.lfscloud.spi.RetryPolicy;
import io.lfscloud.spi.StorageException;
import io.lfscloud.spi.StorageException.Kind;
import io.lfscloud.spi.TransferListener;

import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * Uploads, which S3 verifies: below {@code multipartThreshold} one PUT carrying the oid as its
 * SHA-256 checksum; from it up a multipart upload whose parts each carry their Content-MD5,
 * {@code uploadConcurrency} at a time, aborted when it fails so that no parts are left behind.
 * Bodies go through presigned requests streamed from the file ({@link PresignedPut}). A body
 * (the object or one part) is retried under the context's {@link RetryPolicy}; after a timeout
 * only when that keeps work done (other parts stored), otherwise the agent retries the transfer.
 */
final class S3Uploads {

    /** How long a presigned request stays valid: one part or object must start within it. */
    private static final Duration SIGNATURE_LIFETIME = Duration.ofHours(1);

    private final S3Clients clients;
    private final S3Errors errors;
    private final RetryPolicy retry;
    private final Diagnostics diagnostics;

    S3Uploads(S3Clients clients, S3Errors errors, RetryPolicy retry, Diagnostics diagnostics) {
        this.clients = clients;
        this.errors = errors;
        this.retry = retry;
        this.diagnostics = diagnostics;
    }

    /** Stores {@code source} as {@code l}, whole or not at all. */
    void upload(S3Key l, Path source, long size, String sha256, TransferListener progress) throws StorageException {
        try {
            if (size < clients.settings().multipartThreshold()) {
                putSingle(l, source, size, sha256, progress);
            } else {
                putMultipart(l, source, size, progress);
            }
        } catch (SdkException e) {
            throw errors.translate(e, l, l.uri());
        }
    }

    private void putSingle(S3Key l, Path source, long size, String sha256, TransferListener progress)
            throws StorageException {
        String checksum = sha256 == null ? null : Base64.getEncoder().encodeToString(HexFormat.of().parseHex(sha256));
        S3Presigner signer = clients.presigner();
        try (FileChannel ch = FileChannel.open(source, StandardOpenOption.READ)) {
            sendWithRetries(l, "the upload", progress, () -> false, listener -> PresignedPut.send(
                    signer.presignPutObject(p -> p.signatureDuration(SIGNATURE_LIFETIME).putObjectRequest(r -> r
                            .bucket(l.bucket()).key(l.key()).contentLength(size).contentType("application/octet-stream")
                            .checksumSHA256(checksum))),
                    ch, 0, size, clients.settings().timeout(), listener));
        } catch (StorageException e) {
            throw e;
        } catch (IOException e) {
            throw new StorageException(Kind.MISCONFIGURED, "cannot read " + source + ": " + e.getMessage(), e);
        }
    }

    private interface Send {
        PresignedPut.Response send(TransferListener listener) throws IOException;
    }

    /**
     * Sends one body, retrying transient failures; progress of a retried attempt is only
     * reported beyond what earlier attempts reported. A timeout is retried here only when
     * {@code keepsWork} says a retry keeps work already done (parts stored); otherwise it is
     * the agent's to retry with the whole transfer. Returns the ETag.
     */
    private String sendWithRetries(S3Key l, String what, TransferListener progress, BooleanSupplier keepsWork,
                                   Send send) throws StorageException {
        AtomicLong reported = new AtomicLong();
        for (int attempt = 1; ; attempt++) {
            AtomicLong sent = new AtomicLong();
            TransferListener listener = n -> {
                long now = sent.addAndGet(n);
                long before = reported.getAndAccumulate(now, Math::max);
                if (now > before) {
                    progress.transferred(now - before);
                }
            };
            StorageException failure;
            try {
                PresignedPut.Response r = send.send(listener);
                if (r.ok()) {
                    return r.etag();
                }
                failure = errors.classify(r.status(), r.errorCode(), l, l.uri(), null);
            } catch (SdkException e) {
                failure = errors.translate(e, l, l.uri());
            } catch (IOException e) {
                if (e.getMessage() != null && e.getMessage().contains("file shrank")) {
                    throw new StorageException(Kind.MISCONFIGURED, e.getMessage(), e);
                }
                failure = new StorageException(Kind.TRANSIENT, what + " to " + l.uri()
                        + " failed: " + e.getMessage(), e);
                if (S3Errors.timedOut(e) && !keepsWork.getAsBoolean()) {
                    throw failure;
                }
            }
            if (!retry.again(failure, attempt)) {
                throw failure;
            }
            diagnostics.trace("s3: retrying after: " + failure.getMessage());
            retry.pause(attempt);
        }
    }

    private void putMultipart(S3Key l, Path source, long size, TransferListener progress) throws StorageException {
        S3Presigner signer = clients.presigner();
        S3Client client = clients.client();
        S3Settings settings = clients.settings();
        String uploadId = client.createMultipartUpload(r -> r.bucket(l.bucket()).key(l.key())
                .contentType("application/octet-stream")).uploadId();
        long partSize = Math.max(settings.partSize(), (size + 9_999) / 10_000); // S3 allows 10,000 parts
        int parts = (int) ((size + partSize - 1) / partSize);
        List<CompletedPart> done = Collections.synchronizedList(new ArrayList<>());
        List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
        Semaphore permits = new Semaphore(settings.uploadConcurrency());
        List<Thread> threads = new ArrayList<>();
        boolean completed = false;
        try (FileChannel ch = FileChannel.open(source, StandardOpenOption.READ)) {
            for (int i = 0; i < parts && failures.isEmpty(); i++) {
                int number = i + 1;
                long start = i * partSize;
                long length = Math.min(partSize, size - start);
                permits.acquireUninterruptibly();
                if (!failures.isEmpty()) {
                    permits.release();
                    break;
                }
                threads.add(Thread.ofVirtual().start(() -> {
                    try {
                        // S3 checks each part against its Content-MD5: a pass over the part
                        // (from the page cache) before it is streamed
                        String md5 = Base64.getEncoder().encodeToString(md5(ch, start, length));
                        String etag = sendWithRetries(l, "part " + number, progress, () -> !done.isEmpty(),
                                listener -> PresignedPut.send(
                                signer.presignUploadPart(p -> p.signatureDuration(SIGNATURE_LIFETIME).uploadPartRequest(r -> r
                                        .bucket(l.bucket()).key(l.key()).uploadId(uploadId).partNumber(number)
                                        .contentLength(length).contentMD5(md5))),
                                ch, start, length, settings.timeout(), listener));
                        done.add(CompletedPart.builder().partNumber(number).eTag(etag).build());
                    } catch (Throwable t) {
                        failures.add(t);
                    } finally {
                        permits.release();
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
            if (!failures.isEmpty()) {
                Throwable f = failures.getFirst();
                if (f instanceof StorageException se) {
                    throw se;
                }
                if (f instanceof SdkException se) {
                    throw se;
                }
                throw new StorageException(Kind.TRANSIENT, "multipart upload to " + l.uri()
                        + " failed: " + f.getMessage(), f);
            }
            List<CompletedPart> sorted = done.stream().sorted(Comparator.comparing(CompletedPart::partNumber)).toList();
            client.completeMultipartUpload(r -> r.bucket(l.bucket()).key(l.key()).uploadId(uploadId)
                    .multipartUpload(m -> m.parts(sorted)));
            completed = true;
        } catch (StorageException e) {
            throw e;
        } catch (IOException e) {
            throw new StorageException(Kind.MISCONFIGURED, "cannot read " + source + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StorageException(Kind.TRANSIENT, "interrupted", e);
        } finally {
            if (!completed) {
                try {
                    client.abortMultipartUpload(r -> r.bucket(l.bucket()).key(l.key()).uploadId(uploadId));
                } catch (SdkException ignored) {
                    // the bucket's lifecycle rules are the last resort for orphaned parts
                }
            }
        }
    }

    private static byte[] md5(FileChannel ch, long start, long length) throws IOException {
        MessageDigest md5;
        try {
            md5 = MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        ByteBuffer buf = ByteBuffer.allocate((int) Math.max(1, Math.min(256 * 1024, length)));
        long pos = start;
        while (pos < start + length) {
            buf.clear().limit((int) Math.min(buf.capacity(), start + length - pos));
            int n = ch.read(buf, pos);
            if (n < 0) {
                throw new IOException("the file shrank while it was uploaded");
            }
            md5.update(buf.array(), 0, n);
            pos += n;
        }
        return md5.digest();
    }
}
