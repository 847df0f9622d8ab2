package io.lfscloud.backend.azure;

import io.lfscloud.spi.BackendConfig;
import io.lfscloud.spi.RetryPolicy;
import io.lfscloud.spi.StorageBackend;
import io.lfscloud.testkit.Azurite;
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
 * The Azure backend meets the backend contract against a real Azure Blob server: Azurite on
 * 127.0.0.1 (the test kit's {@link Azurite}, in memory), found through nothing but Azurite's
 * connection string in the environment the backend sees, with 1 MB blocks and ranges so that
 * large objects are staged as blocks and read back as parallel ranges.
 */
class AzureBackendContractTest extends StorageBackendContract {

    @TempDir
    static Path work;
    static Azurite azurite;
    static AzureBackend backend;
    static final AtomicInteger N = new AtomicInteger();

    @BeforeAll
    static void start() throws Exception {
        azurite = new Azurite(work);
        azurite.createContainer("contract");
        Map<String, String> settings = Map.of("lfs-cloud.azure.blockSize", "1m", "lfs-cloud.azure.downloadPartSize", "1m");
        BackendConfig config = key -> Optional.ofNullable(settings.get(key));
        backend = new AzureBackend(AzureSettings.from(config), RetryPolicy.DEFAULT, io.lfscloud.spi.Diagnostics.NONE,
                Map.of("AZURE_STORAGE_CONNECTION_STRING", azurite.connectionString()), work);
    }

    @AfterAll
    static void stop() throws InterruptedException {
        backend.close();
        azurite.close();
    }

    @Override
    protected StorageBackend backend() {
        return backend;
    }

    @Override
    protected URI newObject(String name) {
        return URI.create("az://" + Azurite.ACCOUNT + "/contract/objects/" + N.incrementAndGet() + "/" + name);
    }

    @Override
    protected void putDirectly(URI object, byte[] content) throws Exception {
        azurite.put(object.getRawPath(), content);
    }

    @Override
    protected URI newFolder() {
        return URI.create("az://" + Azurite.ACCOUNT + "/contract/folders/" + N.incrementAndGet() + "/");
    }

    @Override
    protected long largeSize() {
        return (5L << 20) + 12345; // six blocks up, six ranges down
    }
}
