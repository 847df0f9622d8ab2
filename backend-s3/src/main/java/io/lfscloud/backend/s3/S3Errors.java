package io.lfscloud.backend.s3;

import io.lfscloud.spi.StorageException;
import io.lfscloud.spi.StorageException.Kind;

import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;

import java.net.SocketTimeoutException;
import java.net.URI;
import java.util.Set;

/**
 * S3's failures as the SPI's kinds, at this backend's boundary: callers never see SDK types.
 * Messages name the object or bucket (and the endpoint for a missing bucket), say what to do
 * where it helps, and never hold a secret.
 */
final class S3Errors {

    /** HTTP statuses a server answers again when asked again: not worth a retry. */
    private static final Set<Integer> PERMANENT_5XX = Set.of(501, 505, 506, 508, 510, 511);

    private final S3Clients clients;
    /** Buckets a HEAD found, so that a missing object costs one bucket check per bucket, not one each. */
    private final Set<String> bucketsSeen = java.util.concurrent.ConcurrentHashMap.newKeySet();

    S3Errors(S3Clients clients) {
        this.clients = clients;
    }

    /** An SDK exception for a request about {@code object}. */
    StorageException translate(SdkException e, S3Key l, URI object) {
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
            return new StorageException(Kind.TRANSIENT, "S3 did not answer within " + clients.settings().timeout().toSeconds()
                    + " s for " + object + " (lfs-cloud.s3.timeoutSeconds)", e);
        }
        return new StorageException(Kind.TRANSIENT, "cannot reach S3 for " + object + ": " + message, e);
    }

    /** Whether {@code e} or one of its causes is a socket timeout (the upload watchdog's included). */
    static boolean timedOut(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SocketTimeoutException) {
                return true;
            }
        }
        return false;
    }

    /**
     * An S3 error response (status and error code, which may be {@code null}: a HEAD has no
     * body to carry one) as a storage failure.
     */
    StorageException classify(int status, String code, S3Key l, URI object, Exception e) {
        String answer = "HTTP " + status + (code == null || code.isBlank() ? "" : " " + code);
        // a HEAD's 404 has no body, and the SDK names it NoSuchKey whatever was missing: ask about the bucket
        if ("NoSuchBucket".equals(code) || (status == 404 && (code == null || "NoSuchKey".equals(code))
                && !bucketExists(l.bucket()))) {
            return new StorageException(Kind.MISCONFIGURED, "S3 bucket '" + l.bucket() + "' does not exist"
                    + clients.settings().endpoint().map(u -> " at " + u).orElse(""), e);
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
        if (bucketsSeen.contains(bucket)) {
            return true;
        }
        try {
            clients.client().headBucket(r -> r.bucket(bucket));
            bucketsSeen.add(bucket);
            return true;
        } catch (SdkException e) {
            return !(e instanceof AwsServiceException s && s.statusCode() == 404);
        } catch (StorageException e) {
            return true; // no client, no answer: say what the request got
        }
    }
}
