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
    // the Batch API's JSON, as records (linked into the runtime image for the agent's --json output too)
    requires com.fasterxml.jackson.databind;

    opens io.lfscloud.backend.lfs to com.fasterxml.jackson.databind;

    provides io.lfscloud.spi.StorageBackendProvider with io.lfscloud.backend.lfs.LfsBackendProvider;
}
