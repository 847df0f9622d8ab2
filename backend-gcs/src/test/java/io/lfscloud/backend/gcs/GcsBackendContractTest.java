package io.lfscloud.backend.gcs;

import io.lfscloud.spi.BackendConfig;
import io.lfscloud.spi.Diagnostics;
import io.lfscloud.spi.RetryPolicy;
import io.lfscloud.spi.StorageBackend;
import io.lfscloud.testkit.FakeGcs;
import io.lfscloud.testkit.StorageBackendContract;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The GCS backend meets the backend contract against the test kit's {@link FakeGcs} (no GCS
 * emulator installs here), found through a service-account key file in
 * {@code GOOGLE_APPLICATION_CREDENTIALS} whose token endpoint is the fake's, so the SDK's real
 * OAuth path runs; 1 MB chunks and ranges, so large objects go as resumable sessions and come
 * back as parallel ranges. The bucket keeps no older generations, so a read pinned to a
 * generation notices an overwrite.
 */
class GcsBackendContractTest extends StorageBackendContract {

    @TempDir
    static Path work;
    static FakeGcs gcs;
    static GcsBackend backend;
    static final AtomicInteger N = new AtomicInteger();

    @BeforeAll
    static void start() throws Exception {
        gcs = new FakeGcs();
        gcs.createBucket("contract", false, false);
        gcs.pageSize(2); // listings come in several pages
        Path key = gcs.serviceAccount(work, "contract@fake-project.iam.gserviceaccount.com", true);
        Map<String, String> settings = Map.of("lfs-cloud.gcs.endpoint", gcs.endpoint().toString(),
                "lfs-cloud.gcs.chunkSize", "1m", "lfs-cloud.gcs.downloadPartSize", "1m");
        BackendConfig config = k -> Optional.ofNullable(settings.get(k));
        backend = new GcsBackend(GcsSettings.from(config), RetryPolicy.DEFAULT, Diagnostics.NONE,
                Map.of("GOOGLE_APPLICATION_CREDENTIALS", key.toString()), work);
    }

    @AfterAll
    static void stop() {
        backend.close();
        gcs.close();
    }

    @Override
    protected StorageBackend backend() {
        return backend;
    }

    @Override
    protected URI newObject(String name) {
        return URI.create("gs://contract/objects/" + N.incrementAndGet() + "/" + name);
    }

    @Override
    protected void putDirectly(URI object, byte[] content) throws Exception {
        GcsLocation l = GcsLocation.of(object);
        gcs.put(l.bucket(), l.name(), content);
    }

    @Override
    protected URI newFolder() {
        return URI.create("gs://contract/folders/" + N.incrementAndGet() + "/");
    }

    @Override
    protected long largeSize() {
        return (5L << 20) + 12345; // six chunks up, six ranges down
    }
}
