package io.lfscloud.backend.lfs;

import io.lfscloud.spi.BackendContext;
import io.lfscloud.spi.StorageBackend;
import io.lfscloud.spi.StorageBackendProvider;
import io.lfscloud.spi.StorageException;

import java.util.Set;

/**
 * Serves {@code lfs+http:} and {@code lfs+https:} URLs: a Git LFS server's Batch API endpoint
 * with {@code lfs+} before its scheme, and its objects below it as {@code ENDPOINT/aa/bb/OID}.
 */
public final class LfsBackendProvider implements StorageBackendProvider {

    @Override
    public String name() {
        return "lfs";
    }

    @Override
    public Set<String> schemes() {
        return Set.of(LfsBackend.SCHEME_HTTP, LfsBackend.SCHEME_HTTPS);
    }

    @Override
    public StorageBackend open(BackendContext context) throws StorageException {
        return new LfsBackend(context);
    }
}
