/**
 * The storage SPI of lfs-cloud: what a storage backend implements
 * ({@link io.lfscloud.spi.StorageBackendProvider}, {@link io.lfscloud.spi.StorageBackend}) and
 * what the agent hands it when it opens one ({@link io.lfscloud.spi.BackendContext}: the
 * location, its settings, diagnostics, the retry policy). The JDK only, nothing of the agent:
 * a backend compiles against this module alone and never calls back into the core.
 */
module io.lfscloud.spi {
    exports io.lfscloud.spi;
    // what several backends need alike (parallel ranged reads), so that none keeps a copy
    exports io.lfscloud.spi.support;
}
