package io.lfscloud.backend.file;

import io.lfscloud.spi.BackendConfig;
import io.lfscloud.spi.StorageBackend;
import io.lfscloud.spi.StorageBackendProvider;

import java.net.URI;
import java.util.Set;

/** Serves {@code file:} URLs from the local file system. */
public final class FileBackendProvider implements StorageBackendProvider {

    @Override
    public String name() {
        return "file";
    }

    @Override
    public Set<String> schemes() {
        return Set.of("file");
    }

    @Override
    public StorageBackend open(URI location, BackendConfig config) {
        return new FileBackend();
    }
}
