package io.lfscloud.backend.s3;

import io.lfscloud.spi.BackendConfig;
import io.lfscloud.spi.StorageBackend;
import io.lfscloud.spi.StorageBackendProvider;
import io.lfscloud.spi.StorageException;

import java.net.URI;
import java.util.Set;

/** Serves {@code s3://bucket/key} URLs. Touches no SDK class until {@link #open}. */
public final class S3BackendProvider implements StorageBackendProvider {

    @Override
    public String name() {
        return "s3";
    }

    @Override
    public Set<String> schemes() {
        return Set.of("s3");
    }

    @Override
    public StorageBackend open(URI location, BackendConfig config) throws StorageException {
        return new S3Backend(S3Settings.from(config));
    }
}
