package io.lfscloud.backend.http;

import io.lfscloud.spi.ObjectKeys;
import io.lfscloud.spi.StorageException;
import io.lfscloud.spi.StorageException.Kind;

import java.net.MalformedURLException;
import java.net.URI;
import java.net.URL;

/**
 * The HTTP backend's key codec: the path on a web server (its own text) that an
 * {@code http(s):} URL names ({@link ObjectKeys}' percent-encoding per RFC 3986), and the
 * URL a request for it goes to. Requests are sent in ASCII (a path typed with {@code é} or {@code 日本}
 * goes out as its UTF-8 escapes). A path with a {@code .} or {@code ..} segment, typed or
 * escaped ({@code %2E%2E}), is refused: web servers resolve it, so it could reach a file
 * outside the folder it seems to be in.
 */
final class HttpPaths {

    private HttpPaths() {
    }

    /** The file's path on the server (its own text) that {@code object} names. */
    static String path(URI object) throws StorageException {
        try {
            return object.getRawPath() == null || object.getRawPath().isEmpty() ? "/" : ObjectKeys.decode(object.getRawPath());
        } catch (IllegalArgumentException e) {
            throw new StorageException(Kind.MISCONFIGURED, "not a usable URL: " + HttpBackend.shown(object) + " ("
                    + e.getMessage() + ")", e);
        }
    }

    /** Where a request for {@code object} goes. */
    static URL requestUrl(URI object) throws StorageException {
        String scheme = object.getScheme();
        if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https")) || object.getHost() == null) {
            throw new StorageException(Kind.MISCONFIGURED, "not an http(s) URL with a host: " + HttpBackend.shown(object));
        }
        if (ObjectKeys.hasDotSegment(path(object))) {
            throw new StorageException(Kind.MISCONFIGURED, "refusing " + HttpBackend.shown(object) + ": its path has a"
                    + " '.' or '..' segment, which the server would resolve to another file");
        }
        try {
            return URI.create(object.toASCIIString()).toURL();
        } catch (MalformedURLException | IllegalArgumentException e) {
            throw new StorageException(Kind.MISCONFIGURED, "not a usable URL: " + HttpBackend.shown(object) + " ("
                    + e.getMessage() + ")", e);
        }
    }
}
