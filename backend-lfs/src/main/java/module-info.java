/**
 * The repository's own Git LFS server as a store, for {@code lfs+http:} and {@code lfs+https:}
 * URLs ({@code lfs+https://host/repo.git/info/lfs}), through the standard Batch API and the
 * {@code basic} transfer, with git's credentials (handed over in the
 * {@link io.lfscloud.spi.BackendContext}). Embedded in the runtime image. Exports nothing.
 *
 * <p>Settings: {@code lfs-cloud.lfs.timeoutSeconds} (connect and read timeout, default 60).
 */
module io.lfscloud.backend.lfs {
    requires io.lfscloud.spi;
    // the agent's small JSON reader and writer (io.lfscloud.core.json, exported to this module only)
    requires io.lfscloud.core;

    provides io.lfscloud.spi.StorageBackendProvider with io.lfscloud.backend.lfs.LfsBackendProvider;
}
