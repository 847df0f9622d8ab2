package io.lfscloud.backend.azure;

import io.lfscloud.spi.BackendContext;
import io.lfscloud.spi.StorageBackend;
import io.lfscloud.spi.StorageBackendProvider;
import io.lfscloud.spi.StorageException;

import java.net.URI;
import java.nio.file.Path;
import java.util.Set;

/**
 * Serves {@code az://ACCOUNT/CONTAINER/BLOB} URLs, and claims
 * {@code https://ACCOUNT.blob.core.windows.net/…} (and the sovereign clouds' blob hosts) over
 * the plain HTTPS backend; declines every other {@code https:} URL. Touches no SDK class until
 * {@link #open}.
 */
public final class AzureBackendProvider implements StorageBackendProvider {

    /** Above the plain HTTPS backend's 0, for Azure blob hosts. */
    static final int BLOB_HOST_PRIORITY = 10;

    @Override
    public String name() {
        return "azure";
    }

    @Override
    public Set<String> schemes() {
        return Set.of("az", "https");
    }

    @Override
    public int priority(URI location) {
        if ("az".equalsIgnoreCase(location.getScheme())) {
            return 0;
        }
        return BlobLocation.accountOfHost(location.getHost()) != null && location.getPort() == -1 ? BLOB_HOST_PRIORITY : -1;
    }

    @Override
    public StorageBackend open(BackendContext context) throws StorageException {
        // the Azure CLI finds its login under $HOME; Java's user.home is the account's home, whatever HOME says
        String home = System.getenv("HOME");
        return new AzureBackend(AzureSettings.from(context.config()), context.retry(), context.diagnostics(),
                System.getenv(), Path.of(home != null && !home.isBlank() ? home : System.getProperty("user.home")));
    }
}
