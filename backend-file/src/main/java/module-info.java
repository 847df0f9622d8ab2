/** Objects in a local or mounted folder, for {@code file:} URLs. Exports nothing. */
module io.lfscloud.backend.file {
    requires io.lfscloud.spi;
    // owner-named temp files (io.lfscloud.core.temp, exported to this module only)
    requires io.lfscloud.core;

    provides io.lfscloud.spi.StorageBackendProvider with io.lfscloud.backend.file.FileBackendProvider;
}
