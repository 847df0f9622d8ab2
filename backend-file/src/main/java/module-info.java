/** Objects in a local or mounted folder, for {@code file:} URLs. Exports nothing. */
module io.lfscloud.backend.file {
    requires io.lfscloud.core;

    provides io.lfscloud.spi.StorageBackendProvider with io.lfscloud.backend.file.FileBackendProvider;
}
