/**
 * Objects on web servers, for {@code http:} and {@code https:} URLs: read-only, for files
 * tracked in place (remote tracking). Uses the JDK's HttpURLConnection: on this project's
 * machines it streams 3x faster than java.net.http.HttpClient (bench/track-remote.sh).
 * Exports nothing.
 */
module io.lfscloud.backend.http {
    requires io.lfscloud.spi;

    provides io.lfscloud.spi.StorageBackendProvider with io.lfscloud.backend.http.HttpBackendProvider;
}
