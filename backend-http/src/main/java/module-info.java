/**
 * Objects on web servers, for {@code http:} and {@code https:} URLs: read-only, for files
 * tracked in place (remote tracking). Uses the JDK's HTTP client. Exports nothing.
 */
module io.lfscloud.backend.http {
    requires io.lfscloud.core;
    requires java.net.http;

    provides io.lfscloud.spi.StorageBackendProvider with io.lfscloud.backend.http.HttpBackendProvider;
}
