package io.lfscloud.core.store;

import io.lfscloud.core.lfs.Oid;
import io.lfscloud.spi.StorageException;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;

/**
 * The content-addressed layout of a default store: {@code <store>/<oid[0:2]>/<oid[2:4]>/<oid>}.
 */
public final class StoreLayout {

    private final URI root;

    private StoreLayout(URI root) {
        this.root = root;
    }

    /**
     * Parses the {@code lfs-cloud.store} setting. An absolute path is taken as a
     * {@code file:} URL.
     */
    public static StoreLayout parse(String setting) throws StorageException {
        String s = setting.strip();
        URI uri;
        try {
            if (s.startsWith("/")) {
                uri = Path.of(s).toUri();
            } else {
                uri = new URI(s);
            }
        } catch (URISyntaxException | IllegalArgumentException e) {
            throw new StorageException(StorageException.Kind.MISCONFIGURED,
                    "lfs-cloud.store is not a valid URL: '" + setting + "' (" + e.getMessage() + ")"
                            + (s.chars().anyMatch(Character::isWhitespace)
                            ? "; write a space as %20, or give a folder as a plain absolute path" : ""));
        }
        if ("file".equalsIgnoreCase(uri.getScheme()) && uri.getRawAuthority() != null) {
            if (!"localhost".equalsIgnoreCase(uri.getRawAuthority())) {
                throw new StorageException(StorageException.Kind.MISCONFIGURED, "lfs-cloud.store: a file: URL names a"
                        + " local folder (file:///path), not a host: '" + io.lfscloud.core.Printable.escape(setting) + "'");
            }
            uri = URI.create("file://" + uri.getRawPath()); // file://localhost/x is file:///x, as git reads it
        }
        if (uri.getScheme() == null) {
            throw new StorageException(StorageException.Kind.MISCONFIGURED,
                    "lfs-cloud.store must be a URL such as file:///srv/lfs or s3://bucket/prefix, not '"
                            + setting + "'");
        }
        if (uri.isOpaque()) {
            throw new StorageException(StorageException.Kind.MISCONFIGURED,
                    "lfs-cloud.store must be a URL with '//' and a path, such as file:///srv/lfs or s3://bucket/prefix,"
                            + " not '" + io.lfscloud.core.Printable.escape(setting) + "'");
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new StorageException(StorageException.Kind.MISCONFIGURED,
                    "lfs-cloud.store must not have a query or fragment: '" + setting + "'");
        }
        String text = uri.toString();
        return new StoreLayout(URI.create(text.endsWith("/") ? text : text + "/"));
    }

    public URI root() {
        return root;
    }

    /** The URL of object {@code oid}. */
    public URI objectUri(Oid oid) {
        return root.resolve(oid.shardedPath());
    }
}
