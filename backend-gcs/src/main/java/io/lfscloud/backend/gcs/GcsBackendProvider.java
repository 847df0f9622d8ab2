package io.lfscloud.backend.gcs;

import io.lfscloud.spi.BackendContext;
import io.lfscloud.spi.StorageBackend;
import io.lfscloud.spi.StorageBackendProvider;
import io.lfscloud.spi.StorageException;

import java.net.URI;
import java.nio.file.Path;
import java.util.Set;

/**
 * Serves {@code gs://BUCKET/NAME} URLs (a store, or objects tracked in place) and
 * {@code https://storage.googleapis.com/BUCKET/NAME} (tracked in place; claimed over the plain
 * HTTPS backend), one backend per bucket: {@code lfs-cloud.gcs.BUCKET.*} overrides
 * {@code lfs-cloud.gcs.*}. Touches no SDK class until {@link #open}.
 */
public final class GcsBackendProvider implements StorageBackendProvider {

    /** Above the plain HTTPS backend's 0, for GCS's own host. */
    static final int GCS_HOST_PRIORITY = 10;

    @Override
    public String name() {
        return "gcs";
    }

    @Override
    public Set<String> schemes() {
        return Set.of("gs", "https");
    }

    @Override
    public int priority(URI location) {
        if ("gs".equalsIgnoreCase(location.getScheme())) {
            return 0;
        }
        return GcsLocation.isHttpsForm(location) ? GCS_HOST_PRIORITY : -1;
    }

    /** The bucket; {@code ""} for a URL that names none usable ({@link GcsLocation} then says what is wrong). */
    @Override
    public String scope(URI location) {
        String bucket = GcsLocation.bucketOf(location);
        return bucket != null && bucket.matches("[a-z0-9._-]+") ? bucket : "";
    }

    @Override
    public StorageBackend open(BackendContext context) throws StorageException {
        // gcloud keeps its login under $HOME (as the Azure plugin reads its CLI's); Java's user.home ignores HOME
        String home = System.getenv("HOME");
        return new GcsBackend(GcsSettings.from(context.config()), context.retry(), context.diagnostics(), System.getenv(),
                Path.of(home != null && !home.isBlank() ? home : System.getProperty("user.home")));
    }
}
