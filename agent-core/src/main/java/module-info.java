/**
 * The lfs-cloud agent: the Git LFS custom transfer protocol, routing of objects
 * to storage backends, and the {@code git-lfs-cloud} command line.
 *
 * <p>Exports nothing to all: storage backends implement the SPI of module {@code io.lfscloud.spi}
 * (read through this module too), are found with {@link java.util.ServiceLoader} and are handed
 * what they need when opened.
 */
module io.lfscloud.core {
    requires transitive io.lfscloud.spi;
    requires info.picocli;
    // the commands' --json output (io.lfscloud.core.cli) and the .lfs-meta files (io.lfscloud.core.meta)
    requires com.fasterxml.jackson.databind;

    // owner-named temp files swept when stale, shared with the embedded folder store
    exports io.lfscloud.core.temp to io.lfscloud.backend.file;
    // the one verifying sink (hash while writing, atomic commit), shared with the folder store
    exports io.lfscloud.core.transfer to io.lfscloud.backend.file;

    // picocli reflects on the command classes, Jackson on the records of --json output
    opens io.lfscloud.core.cli to info.picocli, com.fasterxml.jackson.databind;
    // Jackson binds the .lfs-meta files' records
    opens io.lfscloud.core.meta to com.fasterxml.jackson.databind;

    uses io.lfscloud.spi.StorageBackendProvider;
}
