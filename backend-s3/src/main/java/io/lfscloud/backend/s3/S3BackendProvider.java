package io.lfscloud.backend.s3;

import io.lfscloud.spi.BackendContext;
import io.lfscloud.spi.StorageBackend;
import io.lfscloud.spi.StorageBackendProvider;
import io.lfscloud.spi.StorageException;

import java.net.URI;
import java.util.Set;

/**
 * Serves {@code s3://bucket/key} URLs, one backend per bucket: a bucket's settings
 * ({@code lfs-cloud.s3.BUCKET.endpoint} …) override {@code lfs-cloud.s3.*}, so that buckets on
 * different S3 servers work side by side. Touches no SDK class until {@link #open}.
 */
public final class S3BackendProvider implements StorageBackendProvider {

    @Override
    public String name() {
        return "s3";
    }

    @Override
    public Set<String> schemes() {
        return Set.of("s3");
    }

    /** The bucket; {@code ""} for a URL that names none usable ({@link S3Key} then says what is wrong). */
    @Override
    public String scope(URI location) {
        String bucket = location.getHost() != null ? location.getHost() : location.getRawAuthority();
        return bucket != null && bucket.matches("[A-Za-z0-9._-]+") ? bucket : "";
    }

    @Override
    public StorageBackend open(BackendContext context) throws StorageException {
        return new S3Backend(S3Settings.from(context.config()), context);
    }
}
