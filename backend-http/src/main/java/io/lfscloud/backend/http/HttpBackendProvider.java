package io.lfscloud.backend.http;

import io.lfscloud.spi.BackendContext;
import io.lfscloud.spi.StorageBackend;
import io.lfscloud.spi.StorageBackendProvider;
import io.lfscloud.spi.StorageException;

import java.util.Set;

/** Serves {@code http:} and {@code https:} URLs, read-only. The HTTP client is built in {@link #open}. */
public final class HttpBackendProvider implements StorageBackendProvider {

    @Override
    public String name() {
        return "http";
    }

    @Override
    public Set<String> schemes() {
        return Set.of("http", "https");
    }

    @Override
    public StorageBackend open(BackendContext context) throws StorageException {
        return new HttpBackend(context.config(), System.getenv());
    }
}
