/**
 * The lfs-cloud agent: the Git LFS custom transfer protocol, routing of objects
 * to storage backends, and the {@code git-lfs-cloud} command line.
 *
 * <p>{@code io.lfscloud.spi} is the only package exported to all: it is what a storage
 * backend implements. Backends are found with {@link java.util.ServiceLoader}.
 */
module io.lfscloud.core {
    requires info.picocli;
    // the commands' --json output only (io.lfscloud.core.cli); the agent's protocol keeps its own codec
    requires com.fasterxml.jackson.databind;

    exports io.lfscloud.spi;
    // owner-named temp files swept when stale, shared with the embedded folder store
    exports io.lfscloud.core.temp to io.lfscloud.backend.file;
    // the one verifying sink (hash while writing, atomic commit), shared with the folder store
    exports io.lfscloud.core.transfer to io.lfscloud.backend.file;

    // picocli reflects on the command classes, Jackson on the records of --json output
    opens io.lfscloud.core.cli to info.picocli, com.fasterxml.jackson.databind;

    uses io.lfscloud.spi.StorageBackendProvider;
}
