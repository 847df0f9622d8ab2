/**
 * Azure Blob Storage, for {@code az://ACCOUNT/CONTAINER/BLOB} URLs (as the default store and
 * for files tracked in place) and {@code https://ACCOUNT.blob.core.windows.net/CONTAINER/BLOB}
 * (tracked in place; claimed over the plain HTTPS backend). A plugin: shipped as the folder
 * {@code plugins/azure/} with the Azure SDK and its JDK HTTP client, loaded into its own module
 * layer. Exports nothing.
 *
 * <p>Settings: {@code lfs-cloud.azure.endpoint}, {@code timeoutSeconds}, {@code blockSize},
 * {@code uploadConcurrency}, {@code downloadPartSize}, {@code downloadConcurrency} (see
 * {@code AzureSettings}). Credentials come from the environment only (see {@code AzureCredentials}).
 */
module io.lfscloud.backend.azure {
    requires io.lfscloud.spi;
    requires com.azure.storage.blob;
    requires com.azure.storage.common;
    requires com.azure.core;
    requires com.azure.core.http.jdk.httpclient;
    requires com.azure.identity;
    requires java.net.http;

    provides io.lfscloud.spi.StorageBackendProvider with io.lfscloud.backend.azure.AzureBackendProvider;
}
