package io.lfscloud.spi;

import java.net.URI;
import java.util.Set;

/**
 * A kind of object store, found with {@link java.util.ServiceLoader}.
 *
 * <p>A provider must be cheap: it is instantiated in every agent process, and
 * git-lfs starts up to eight of those one after another. Keep SDK classes out
 * of the constructor and of {@link #name()}, {@link #schemes()} and
 * {@link #priority(URI)}; build heavy clients in {@link #open} or later.
 */
public interface StorageBackendProvider {

    /** A short, unique name, shown by {@code git lfs-cloud backends} (e.g. {@code "s3"}). */
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
     * Builds a backend that serves objects under {@code location}'s scheme.
     *
     * @param location the URL that made this provider chosen (a store root or an object)
     * @param config   lfs-cloud settings of the repository
     * @throws StorageException of kind {@link StorageException.Kind#MISCONFIGURED}
     *                          when the settings cannot work
     */
    StorageBackend open(URI location, BackendConfig config) throws StorageException;
}
