package io.lfscloud.spi;

import java.net.URI;
import java.time.Instant;

/**
 * What a store says about one object. Every field but {@code uri} and {@code size}
 * may be {@code null} when the store does not know it.
 *
 * @param uri          the object's URL
 * @param size         length in bytes
 * @param etag         the store's entity tag, without surrounding quotes
 * @param versionId    a version of the object that can be read later (S3 VersionId,
 *                     GCS generation, Azure versionId)
 * @param md5          lowercase hex MD5 of the content, when the store knows it
 * @param sha256       lowercase hex SHA-256 of the whole content, when the store knows it
 * @param lastModified when the store last changed the object
 */
public record ObjectInfo(URI uri, long size, String etag, String versionId, String md5,
                         String sha256, Instant lastModified) {

    public ObjectInfo {
        if (uri == null) {
            throw new IllegalArgumentException("uri is required");
        }
        if (size < 0) {
            throw new IllegalArgumentException("size must not be negative: " + size);
        }
    }

    /**
     * An entity tag as {@link #etag} holds it: an HTTP {@code ETag} header value (or a
     * user's {@code --etag}) without surrounding space and quotes; a weak tag keeps its
     * {@code W/} ({@code W/"x"} becomes {@code W/x}). {@code null} stays {@code null}.
     */
    public static String unquoteEtag(String etag) {
        if (etag == null) {
            return null;
        }
        String e = etag.strip();
        boolean weak = e.regionMatches(true, 0, "W/", 0, 2);
        if (weak) {
            e = e.substring(2);
        }
        if (e.length() >= 2 && e.startsWith("\"") && e.endsWith("\"")) {
            e = e.substring(1, e.length() - 1);
        }
        return weak ? "W/" + e : e;
    }

    /** An object known only by location and size. */
    public static ObjectInfo of(URI uri, long size) {
        return new ObjectInfo(uri, size, null, null, null, null, null);
    }
}
