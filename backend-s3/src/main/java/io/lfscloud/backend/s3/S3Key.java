package io.lfscloud.backend.s3;

import io.lfscloud.spi.ObjectKeys;
import io.lfscloud.spi.StorageException;
import io.lfscloud.spi.StorageException.Kind;

import java.net.URI;

/**
 * S3's key codec: an object's bucket and key, and its {@code s3://bucket/key} URL, both ways
 * ({@link ObjectKeys}' percent-encoding, so the key {@code a+b #?.bin} is
 * {@code s3://bucket/a+b%20%23%3F.bin}). Every URL this backend reads or makes goes through it.
 *
 * <p>A key with a {@code .} or {@code ..} segment is refused for reads and writes, never
 * resolved: S3 keeps such keys literally, but HTTP clients and S3-compatible servers on the
 * way may resolve them to another object. Listing still reports such objects (with the
 * segment escaped), so that tracking them fails with a clear message.
 */
record S3Key(String bucket, String key) {

    /** The bucket and key {@code uri} names; its key may be empty (the whole bucket, for a listing). */
    static S3Key of(URI uri) throws StorageException {
        String bucket = uri.getHost() != null ? uri.getHost() : uri.getRawAuthority();
        if (bucket == null || bucket.isEmpty()) {
            throw new StorageException(Kind.MISCONFIGURED, "an S3 URL names a bucket: s3://bucket/key, not " + uri);
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new StorageException(Kind.MISCONFIGURED, "an S3 URL has no query or fragment (write '?' in a key"
                    + " as %3F and '#' as %23): " + uri);
        }
        String path = uri.getRawPath();
        String key;
        try {
            key = path == null || path.length() <= 1 ? "" : ObjectKeys.decode(path.substring(1));
        } catch (IllegalArgumentException e) {
            throw new StorageException(Kind.MISCONFIGURED, "invalid S3 URL " + uri + ": " + e.getMessage(), e);
        }
        if (ObjectKeys.hasDotSegment(key)) {
            throw new StorageException(Kind.MISCONFIGURED, "refusing " + uri + ": its key has a '.' or '..' segment,"
                    + " which servers on the way may resolve to another object");
        }
        return new S3Key(bucket, key);
    }

    /** Another key in the same bucket. */
    S3Key withKey(String other) {
        return new S3Key(bucket, other);
    }

    /** The object's URL. */
    URI uri() {
        return URI.create("s3://" + bucket + "/" + ObjectKeys.encode(key));
    }
}
