package io.lfscloud.backend.file;

import io.lfscloud.spi.BackendContext;
import io.lfscloud.spi.StorageBackend;
import io.lfscloud.spi.StorageBackendProvider;

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
    public StorageBackend open(BackendContext context) {
        return new FileBackend(context.diagnostics());
    }
}
