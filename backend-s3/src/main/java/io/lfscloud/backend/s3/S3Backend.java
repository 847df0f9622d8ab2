package io.lfscloud.backend.s3;

import io.lfscloud.spi.Diagnostics;
import io.lfscloud.spi.ObjectInfo;
import io.lfscloud.spi.StorageBackend;
import io.lfscloud.spi.StorageException.Kind;
import io.lfscloud.spi.StorageException;
import io.lfscloud.spi.TransferListener;

import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.ChecksumMode;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Objects in S3 buckets. The client is built once, on the first request, with the
 * URL-connection HTTP client passed explicitly (inside a module layer the SDK cannot find
 * one by itself). Uploads let S3 verify what it receives: a single PUT carries the oid as its
 * SHA-256 checksum, a multipart upload a Content-MD5 per part; their bodies go through
 * presigned requests streamed from the file ({@link PresignedPut}); a failed multipart
 * upload is aborted so that no parts are left behind. Large downloads are fetched as
 * parallel ranges ({@link RangedReader}), each resumed where it broke off.
 *
 * <p>Retries: the agent retries each whole transfer ({@code Transfers}, resuming downloads);
 * the SDK retries nothing (its default of four attempts would multiply with the agent's); this
 * backend retries a range or a part on its own only when that keeps work already done: after
 * an error answer or a dropped connection, and after a timeout only when the range had
 * received bytes in that attempt or other parts of the upload were stored. So a server that
 * never answers costs three timeouts per object (it cost up to 36: four SDK attempts, three
 * range attempts, three agent attempts).
 *
 * <p>URLs map to buckets and keys through {@link S3Key} only.
 *
 * <p>Redirects are never followed (the SDK's HTTP client and {@link PresignedPut} both refuse
 * them): requests, signed or carrying credentials, go only to the configured endpoint.
 */
final class S3Backend implements StorageBackend {

    /** Attempts per range and per uploaded part, for transient failures. */
    static final int ATTEMPTS = 3;

    /** Range buffers all ranged downloads of this agent may hold at once, in KiB (128 MiB of the 256 MB heap). */
    static final int RANGE_BUDGET = 128 * 1024;

    private final S3Settings settings;
    private final Semaphore rangeBuffers = new Semaphore(RANGE_BUDGET);
    private volatile S3Client client;
    private volatile S3Presigner presigner;
    private AwsCredentialsProvider credentials; // set with the client, under its lock
    private Region region;

    S3Backend(S3Settings settings) {
        this.settings = settings;
    }

    private S3Client client() throws StorageException {
        S3Client c = client;
        if (c != null) {
            return c;
        }
        synchronized (this) {
            if (client == null) {
                long start = System.nanoTime();
                credentials = DefaultCredentialsProvider.builder().build();
                region = region();
                S3ClientBuilder b = S3Client.builder()
                        .httpClient(UrlConnectionHttpClient.builder().connectionTimeout(settings.timeout())
                                .socketTimeout(settings.timeout()).build())
                        .credentialsProvider(credentials)
                        .region(region)
                        .forcePathStyle(settings.pathStyle())
                        // the agent retries whole transfers and this backend ranges and parts: no third layer
                        .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
                        // checksums are ours to choose (see write); S3-compatible stores often lack the newer trailers
                        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
                settings.endpoint().ifPresent(b::endpointOverride);
                try {
                    client = b.build();
                } catch (SdkException e) {
                    throw new StorageException(Kind.MISCONFIGURED, "cannot set up the S3 client: " + e.getMessage(), e);
                }
                Diagnostics.trace("s3: client ready in " + (System.nanoTime() - start) / 1_000_000 + " ms");
            }
            return client;
        }
    }

    /** Signs upload bodies; built on the first upload (downloads never need it). */
    private S3Presigner presigner() throws StorageException {
        S3Presigner p = presigner;
        if (p != null) {
            return p;
        }
        client();
        synchronized (this) {
            if (presigner == null) {
                S3Presigner.Builder b = S3Presigner.builder().credentialsProvider(credentials).region(region)
                        .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(settings.pathStyle()).build());
                settings.endpoint().ifPresent(b::endpointOverride);
                try {
                    presigner = b.build();
                } catch (SdkException e) {
                    throw new StorageException(Kind.MISCONFIGURED, "cannot set up S3 request signing: " + e.getMessage(), e);
                }
            }
            return presigner;
        }
    }

    private Region region() throws StorageException {
        if (settings.region().isPresent()) {
            return Region.of(settings.region().get());
        }
        try {
            return DefaultAwsRegionProviderChain.builder().build().getRegion();
        } catch (SdkClientException e) {
            if (settings.endpoint().isPresent()) {
                return Region.US_EAST_1; // S3-compatible stores rarely care
            }
            throw new StorageException(Kind.MISCONFIGURED, "no AWS region: set AWS_REGION, a profile's region,"
                    + " or 'git config lfs-cloud.s3.region <region>'", e);
        }
    }

    // ------------------------------------------------------------------ reads

    @Override
    public ObjectInfo stat(URI object) throws StorageException {
        S3Key l = S3Key.of(object);
        try {
            HeadObjectResponse h = client().headObject(r -> r.bucket(l.bucket()).key(l.key()).checksumMode(ChecksumMode.ENABLED));
            String sha = null;
            if (h.checksumSHA256() != null && (h.checksumTypeAsString() == null || h.checksumTypeAsString().equals("FULL_OBJECT"))
                    && !h.checksumSHA256().contains("-")) {
                byte[] raw = Base64.getDecoder().decode(h.checksumSHA256());
                sha = raw.length == 32 ? HexFormat.of().formatHex(raw) : null;
            }
            return new ObjectInfo(object, h.contentLength(), ObjectInfo.unquoteEtag(h.eTag()), h.versionId(),
                    md5FromEtag(h.eTag()), sha, h.lastModified());
        } catch (SdkException e) {
            throw translate(e, l, object);
        }
    }

    @Override
    public InputStream read(URI object, long offset, ObjectInfo expected) throws StorageException {
        S3Key l = S3Key.of(object);
        if (expected != null && offset == expected.size()) {
            return InputStream.nullInputStream(); // nothing left (S3 answers a range past the end with 416)
        }
        long part = settings.downloadPartSize();
        if (expected != null && expected.size() - offset >= 2 * part && settings.downloadConcurrency() > 1) {
            int kib = (int) ((settings.downloadConcurrency() + 1) * ((part + 1023) / 1024));
            if (rangeBuffers.tryAcquire(kib)) {
                boolean handedOver = false;
                try {
                    client();
                    RangedReader reader = new RangedReader((start, into, length) -> fetchRange(l, object, expected, start,
                            into, length), offset, expected.size(), (int) part, settings.downloadConcurrency(),
                            () -> rangeBuffers.release(kib));
                    handedOver = true;
                    return reader;
                } finally {
                    if (!handedOver) {
                        rangeBuffers.release(kib);
                    }
                }
            }
            Diagnostics.trace("s3: other downloads hold the range buffers, " + object + " is read in one GET");
        }
        GetObjectRequest.Builder b = pinned(GetObjectRequest.builder().bucket(l.bucket()).key(l.key()), expected);
        if (offset > 0) {
            b.range("bytes=" + offset + "-");
        }
        try {
            InputStream in = client().getObject(b.build());
            return new FilterInputStream(in) {
                @Override
                public int read(byte[] buf, int off, int len) throws IOException {
                    try {
                        return super.read(buf, off, len);
                    } catch (SdkException e) {
                        throw translate(e, l, object);
                    }
                }
            };
        } catch (SdkException e) {
            throw translate(e, l, object);
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
     * off (up to {@link #ATTEMPTS} times for dropped connections and transient errors).
     */
    private void fetchRange(S3Key l, URI object, ObjectInfo expected, long start, byte[] buf, int length)
            throws IOException {
        int got = 0;
        for (int attempt = 1; ; attempt++) {
            long from = start + got;
            int before = got;
            GetObjectRequest request = pinned(GetObjectRequest.builder().bucket(l.bucket()).key(l.key()), expected)
                    .range("bytes=" + from + "-" + (start + length - 1)).build();
            try (ResponseInputStream<GetObjectResponse> in = client.getObject(request)) {
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
                StorageException se = translate(e, l, object);
                // a silent server is the agent's to retry (it resumes too): no timeouts multiplied here
                if (!se.kind().retriable() || attempt >= ATTEMPTS || (got == before && timedOut(e))) {
                    throw se;
                }
                Diagnostics.trace("s3: range at " + (start + got) + " of " + object + " failed, retrying: " + se.getMessage());
            } catch (StorageException e) {
                throw e;
            } catch (IOException e) {
                if (got == before && timedOut(e)) {
                    throw new StorageException(Kind.TRANSIENT, "S3 sent nothing for " + settings.timeout().toSeconds()
                            + " s while " + object + " was read at byte " + (start + got), e);
                }
                if (attempt >= ATTEMPTS) {
                    throw new StorageException(Kind.TRANSIENT, "reading " + object + " failed at byte " + (start + got)
                            + " after " + ATTEMPTS + " attempts: " + e.getMessage(), e);
                }
                Diagnostics.trace("s3: range at " + (start + got) + " of " + object + " failed, retrying: " + e);
            }
            pause(attempt);
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

    private static void pause(int attempt) throws StorageException {
        try {
            Thread.sleep(200L << (2 * (attempt - 1))); // 200 ms, 800 ms
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StorageException(Kind.TRANSIENT, "interrupted", e);
        }
    }

    @Override
    public void list(URI prefix, Consumer<ObjectInfo> each) throws StorageException {
        S3Key l = S3Key.of(prefix);
        try {
            for (S3Object o : client().listObjectsV2Paginator(r -> r.bucket(l.bucket()).prefix(l.key())).contents()) {
                if (!o.key().endsWith("/")) {
                    each.accept(new ObjectInfo(l.withKey(o.key()).uri(), o.size(), ObjectInfo.unquoteEtag(o.eTag()), null,
                            md5FromEtag(o.eTag()), null, o.lastModified()));
                }
            }
        } catch (SdkException e) {
            throw translate(e, l, prefix);
        }
    }

    // ----------------------------------------------------------------- writes

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
                Diagnostics.trace("s3: " + object + " has the right size but S3's SHA-256 of it is " + existing.sha256()
                        + ", not its oid: writing it again");
            }
        } catch (StorageException e) {
            if (e.kind() != Kind.NOT_FOUND) {
                throw e;
            }
        }
        try {
            if (size < settings.multipartThreshold()) {
                putSingle(l, source, size, sha256, progress);
            } else {
                putMultipart(l, source, size, progress);
            }
            return true;
        } catch (SdkException e) {
            throw translate(e, l, object);
        }
    }

    private void putSingle(S3Key l, Path source, long size, String sha256, TransferListener progress)
            throws StorageException {
        String checksum = sha256 == null ? null : Base64.getEncoder().encodeToString(HexFormat.of().parseHex(sha256));
        try (FileChannel ch = FileChannel.open(source, StandardOpenOption.READ)) {
            sendWithRetries(l, "the upload", progress, () -> false, listener -> PresignedPut.send(
                    presigner().presignPutObject(p -> p.signatureDuration(SIGNATURE_LIFETIME).putObjectRequest(r -> r
                            .bucket(l.bucket()).key(l.key()).contentLength(size).contentType("application/octet-stream")
                            .checksumSHA256(checksum))),
                    ch, 0, size, settings.timeout(), listener));
        } catch (StorageException e) {
            throw e;
        } catch (IOException e) {
            throw new StorageException(Kind.MISCONFIGURED, "cannot read " + source + ": " + e.getMessage(), e);
        }
    }

    /** How long a presigned request stays valid: one part or object must start within it. */
    private static final Duration SIGNATURE_LIFETIME = Duration.ofHours(1);

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
                failure = classify(r.status(), r.errorCode(), l, l.uri(), null);
            } catch (SdkException e) {
                failure = translate(e, l, l.uri());
            } catch (IOException e) {
                if (e.getMessage() != null && e.getMessage().contains("file shrank")) {
                    throw new StorageException(Kind.MISCONFIGURED, e.getMessage(), e);
                }
                failure = new StorageException(Kind.TRANSIENT, what + " to " + l.uri()
                        + " failed: " + e.getMessage(), e);
                if (timedOut(e) && !keepsWork.getAsBoolean()) {
                    throw failure;
                }
            }
            if (!failure.kind().retriable() || attempt >= ATTEMPTS) {
                throw failure;
            }
            Diagnostics.trace("s3: retrying after: " + failure.getMessage());
            pause(attempt);
        }
    }

    private void putMultipart(S3Key l, Path source, long size, TransferListener progress) throws StorageException {
        S3Presigner signer = presigner();
        String uploadId = client.createMultipartUpload(r -> r.bucket(l.bucket()).key(l.key())
                .contentType("application/octet-stream")).uploadId();
        long partSize = Math.max(settings.partSize(), (size + 9_999) / 10_000); // S3 allows 10,000 parts
        int parts = (int) ((size + partSize - 1) / partSize);
        List<CompletedPart> done = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
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

    // ---------------------------------------------------------------- helpers

    /** S3's error codes mapped onto the SPI's kinds; messages name the bucket and never a secret. */
    private StorageException translate(SdkException e, S3Key l, URI object) {
        if (e instanceof AwsServiceException s) {
            String code = s.awsErrorDetails() == null ? null : s.awsErrorDetails().errorCode();
            return classify(s.statusCode(), code, l, object, e);
        }
        String message = String.valueOf(e.getMessage());
        if (message.contains("Unable to load credentials")) {
            return new StorageException(Kind.ACCESS_DENIED, "no AWS credentials found for " + object + ": set"
                    + " AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE, or run on a machine with an instance role", e);
        }
        if (timedOut(e)) {
            return new StorageException(Kind.TRANSIENT, "S3 did not answer within " + settings.timeout().toSeconds()
                    + " s for " + object + " (lfs-cloud.s3.timeoutSeconds)", e);
        }
        return new StorageException(Kind.TRANSIENT, "cannot reach S3 for " + object + ": " + message, e);
    }

    /** Whether {@code e} or one of its causes is a socket timeout (the watchdog's included). */
    static boolean timedOut(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SocketTimeoutException) {
                return true;
            }
        }
        return false;
    }

    /** HTTP statuses a server answers again when asked again: not worth a retry. */
    private static final java.util.Set<Integer> PERMANENT_5XX = java.util.Set.of(501, 505, 506, 508, 510, 511);

    /**
     * An S3 error response (status and error code, which may be {@code null}: a HEAD has no
     * body to carry one) as a storage failure.
     */
    private StorageException classify(int status, String code, S3Key l, URI object, Exception e) {
        String answer = "HTTP " + status + (code == null || code.isBlank() ? "" : " " + code);
        if ("NoSuchBucket".equals(code) || (status == 404 && code == null && !bucketExists(l.bucket()))) {
            return new StorageException(Kind.MISCONFIGURED, "S3 bucket '" + l.bucket() + "' does not exist"
                    + settings.endpoint().map(u -> " at " + u).orElse(""), e);
        }
        if ("NoSuchKey".equals(code) || "NoSuchVersion".equals(code) || status == 404) {
            return new StorageException(Kind.NOT_FOUND, "no such object: " + object, e);
        }
        if (status == 412 || "PreconditionFailed".equals(code)) {
            return new StorageException(Kind.CHANGED, object + " changed in S3 since it was tracked (ETag differs)", e);
        }
        if (status == 403 || status == 401) {
            return new StorageException(Kind.ACCESS_DENIED, "S3 denied access to " + object + " (" + answer
                    + "): check the AWS credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE) and the"
                    + " bucket policy", e);
        }
        if (status >= 300 && status < 400) {
            return new StorageException(Kind.MISCONFIGURED, "S3 answered " + object + " with a redirect (" + answer
                    + "), which lfs-cloud does not follow (credentials and signed requests go only to the configured"
                    + " endpoint): check lfs-cloud.s3.region and lfs-cloud.s3.endpoint", e);
        }
        if ("BadDigest".equals(code) || "InvalidDigest".equals(code) || "XAmzContentSHA256Mismatch".equals(code)
                || (code != null && code.startsWith("InvalidChecksum"))) {
            return new StorageException(Kind.CORRUPT, "S3 refused the upload of " + object
                    + ": the content sent does not match its oid (" + code + ")", e);
        }
        if (PERMANENT_5XX.contains(status)) {
            return new StorageException(Kind.MISCONFIGURED, "S3 cannot serve the request for " + object + " ("
                    + answer + "): the store does not support it", e);
        }
        if (status >= 500 || status == 429 || "SlowDown".equals(code) || "RequestTimeout".equals(code)) {
            return new StorageException(Kind.TRANSIENT, "S3 is busy or failing (" + answer + ") for " + object, e);
        }
        if (status == 416 || "InvalidRange".equals(code)) {
            return new StorageException(Kind.CORRUPT, object + " is shorter than expected (" + answer + ")", e);
        }
        return new StorageException(Kind.MISCONFIGURED, "S3 refused the request for " + object + " (" + answer + ")", e);
    }

    private boolean bucketExists(String bucket) {
        try {
            client.headBucket(r -> r.bucket(bucket));
            return true;
        } catch (SdkException e) {
            return !(e instanceof AwsServiceException s && s.statusCode() == 404);
        }
    }

    /** A single-part upload's ETag is the content's MD5. */
    static String md5FromEtag(String etag) {
        String e = ObjectInfo.unquoteEtag(etag);
        return e != null && e.matches("[0-9a-f]{32}") ? e : null;
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

    @Override
    public void close() {
        S3Client c = client;
        if (c != null) {
            c.close();
        }
    }
}
