package io.lfscloud.spi;

import java.net.URI;
import java.util.Set;

/**
 * A kind of object store, found with {@link java.util.ServiceLoader}.
 *
 * <p>A provider must be cheap: it is instantiated in every agent process, and
 * git-lfs starts up to eight of those one after another. Keep SDK classes out
 * of the constructor and of {@link #name()}, {@link #schemes()}, {@link #priority(URI)}
 * and {@link #scope(URI)}; build heavy clients in {@link #open} or later.
 *
 * <p>Backends are opened per {@linkplain #scope scope}: the agent opens one for each scope it
 * meets (an S3 bucket, say) with the settings of that scope, and shares it among the URLs of
 * that scope; a changed setting opens another. Its settings are {@code lfs-cloud.NAME.*}
 * ({@code NAME} being {@link #name()}), and {@code lfs-cloud.NAME.SCOPE.*} for one scope.
 */
public interface StorageBackendProvider {

    /** A short, unique name, shown by {@code git lfs-cloud backends} (e.g. {@code "s3"}); the section of its settings. */
    String name();

    /** The URL schemes this provider may serve, lower case (e.g. {@code "s3"}). */
    Set<String> schemes();

    /**
     * How strongly this provider claims {@code location}, whose scheme is one of
     * {@link #schemes()}. The provider with the highest priority wins; a negative
     * value declines the location. A specific provider can thus take URLs that a
     * generic one also accepts (an Azure provider claiming
     * {@code https://*.blob.core.windows.net} over the plain HTTPS one).
     */
    default int priority(URI location) {
        return 0;
    }

    /**
     * The part of {@code location} that one backend serves with one set of settings: an S3
     * bucket, an Azure account. URLs of one scope share a backend; {@code ""} (the default)
     * means one backend for all URLs. A scope is also the subsection of per-location settings
     * ({@code lfs-cloud.s3.BUCKET.endpoint}), so it is a plain name: no {@code "} or newline.
     */
    default String scope(URI location) {
        return "";
    }

    /**
     * Builds a backend that serves the URLs of {@code context}'s scope.
     *
     * @throws StorageException of kind {@link StorageException.Kind#MISCONFIGURED}
     *                          when the settings cannot work
     */
    StorageBackend open(BackendContext context) throws StorageException;
}
