package io.lfscloud.backend.gcs;

import io.lfscloud.spi.ObjectKeys;
import io.lfscloud.spi.StorageException;
import io.lfscloud.spi.StorageException.Kind;

import java.net.URI;
import java.util.Locale;

/**
 * GCS's key codec: an object's bucket and name, from and to its URL, both ways
 * ({@link ObjectKeys}' percent-encoding). Two URL forms name one object: {@code gs://BUCKET/NAME}
 * and {@code https://storage.googleapis.com/BUCKET/NAME}; a location made from a URL keeps its
 * form, so that listed objects come back in the form the prefix was given in.
 *
 * <p>A name with a {@code .} or {@code ..} segment is refused, never resolved, as for S3.
 */
record GcsLocation(String bucket, String name, boolean https) {

    /** The host of GCS's public URLs, claimed over the plain HTTPS backend. */
    static final String HOST = "storage.googleapis.com";

    /** Whether {@code uri} is a GCS object URL of the https form ({@code https://storage.googleapis.com/…}, no port). */
    static boolean isHttpsForm(URI uri) {
        return "https".equalsIgnoreCase(uri.getScheme()) && uri.getHost() != null
                && uri.getHost().toLowerCase(Locale.ROOT).equals(HOST) && uri.getPort() == -1;
    }

    /** The bucket {@code uri} names, or {@code null}. */
    static String bucketOf(URI uri) {
        if ("gs".equalsIgnoreCase(uri.getScheme())) {
            String b = uri.getHost() != null ? uri.getHost() : uri.getRawAuthority();
            return b == null || b.isEmpty() ? null : b;
        }
        if (isHttpsForm(uri) && uri.getRawPath() != null && uri.getRawPath().length() > 1) {
            String rest = uri.getRawPath().substring(1);
            int slash = rest.indexOf('/');
            String b = slash < 0 ? rest : rest.substring(0, slash);
            return b.isEmpty() ? null : b;
        }
        return null;
    }

    /** The bucket and name {@code uri} names; the name may be empty (the whole bucket, for a listing). */
    static GcsLocation of(URI uri) throws StorageException {
        String bucket = bucketOf(uri);
        if (bucket == null || !bucket.matches("[a-z0-9][a-z0-9._-]{0,221}")) {
            throw new StorageException(Kind.MISCONFIGURED, "a GCS URL names a bucket (lower-case letters, digits, - _ .):"
                    + " gs://BUCKET/NAME or https://" + HOST + "/BUCKET/NAME, not " + uri);
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new StorageException(Kind.MISCONFIGURED, "a GCS URL has no query or fragment (write '?' in a name"
                    + " as %3F and '#' as %23): " + uri);
        }
        boolean https = !"gs".equalsIgnoreCase(uri.getScheme());
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        String raw = https ? path.substring(Math.min(path.length(), 1 + bucket.length() + 1)) : (path.length() <= 1 ? "" : path.substring(1));
        String name;
        try {
            name = ObjectKeys.decode(raw);
        } catch (IllegalArgumentException e) {
            throw new StorageException(Kind.MISCONFIGURED, "invalid GCS URL " + uri + ": " + e.getMessage(), e);
        }
        if (ObjectKeys.hasDotSegment(name)) {
            throw new StorageException(Kind.MISCONFIGURED, "refusing " + uri + ": its name has a '.' or '..' segment,"
                    + " which servers on the way may resolve to another object");
        }
        return new GcsLocation(bucket, name, https);
    }

    /** Another object of the same bucket, in the same URL form. */
    GcsLocation withName(String other) {
        return new GcsLocation(bucket, other, https);
    }

    /** The object's URL. */
    URI uri() {
        return URI.create((https ? "https://" + HOST + "/" + bucket + "/" : "gs://" + bucket + "/") + ObjectKeys.encode(name));
    }

    @Override
    public String toString() {
        return "gs://" + bucket + "/" + name;
    }
}
