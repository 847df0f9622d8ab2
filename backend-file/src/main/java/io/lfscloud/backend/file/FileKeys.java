package io.lfscloud.backend.file;

import io.lfscloud.spi.ObjectKeys;
import io.lfscloud.spi.StorageException;
import io.lfscloud.spi.StorageException.Kind;

import java.net.URI;
import java.nio.file.Path;

/**
 * The folder store's key codec: a file's absolute path and its {@code file:} URL, both ways
 * ({@link ObjectKeys}' percent-encoding, so {@code a+b #?.bin} keeps its name). A path with
 * a {@code .} or {@code ..} segment is refused, never resolved: it could name a file outside
 * the folder it seems to be in.
 */
final class FileKeys {

    private FileKeys() {
    }

    /** The file a {@code file:} URL names. */
    static Path path(URI uri) throws StorageException {
        if (!"file".equalsIgnoreCase(uri.getScheme())) {
            throw new StorageException(Kind.MISCONFIGURED, "not a file: URL: " + uri);
        }
        String host = uri.getHost();
        if (uri.getRawAuthority() != null && !(host != null && host.equalsIgnoreCase("localhost"))) {
            throw new StorageException(Kind.MISCONFIGURED,
                    "file: URLs must name a local path (file:///path), not a host: " + uri);
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new StorageException(Kind.MISCONFIGURED, "a file: URL has no query or fragment (write '?' as %3F"
                    + " and '#' as %23): " + uri);
        }
        try {
            String path = uri.getRawPath() == null ? null : ObjectKeys.decode(uri.getRawPath());
            if (path == null || !path.startsWith("/")) {
                throw new IllegalArgumentException("not an absolute path");
            }
            if (ObjectKeys.hasDotSegment(path)) {
                throw new IllegalArgumentException("a '.' or '..' segment in the path is refused, not resolved");
            }
            return Path.of(path);
        } catch (IllegalArgumentException e) {
            throw new StorageException(Kind.MISCONFIGURED, "invalid file: URL " + uri + ": " + e.getMessage());
        }
    }

    /** The URL of {@code file} (an absolute path). */
    static URI uri(Path file) {
        return URI.create("file://" + ObjectKeys.encode(file.toString()));
    }
}
