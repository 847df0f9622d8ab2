package io.lfscloud.backend.gcs;

import io.lfscloud.spi.Diagnostics;
import io.lfscloud.spi.RetryPolicy;
import io.lfscloud.spi.StorageException;
import io.lfscloud.spi.StorageException.Kind;

import com.google.api.client.http.javanet.NetHttpTransport;
import com.google.api.gax.retrying.RetrySettings;
import com.google.auth.Credentials;
import com.google.auth.oauth2.ComputeEngineCredentials;
import com.google.auth.oauth2.GoogleCredentials;
import com.google.cloud.NoCredentials;
import com.google.cloud.http.HttpTransportOptions;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.StorageOptions;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The SDK's clients of one bucket's settings, built on the first request (never at start-up:
 * up to eight agents start per git-lfs command), over the SDK's HTTP/JSON transport on the
 * JDK's {@code HttpURLConnection}.
 *
 * <p>Two clients share the credentials: {@link #storage()} retries nothing (the agent retries
 * whole transfers, and this backend ranges); {@link #uploads()} lets the SDK resume a resumable
 * upload session after a failed chunk, as often as the context's {@link RetryPolicy} says
 * (a chunk is the unit that keeps work done, as a part is for S3).
 *
 * <p>Credentials come from Application Default Credentials, looked up as Google's libraries
 * do but without probing the network off Google Cloud: {@code GOOGLE_APPLICATION_CREDENTIALS}
 * (a service-account or authorized-user JSON file), gcloud's
 * {@code application_default_credentials.json}, then the metadata server only on Google Cloud
 * ({@code GCE_METADATA_HOST}, or a machine that says it is Google's). {@code lfs-cloud.gcs.anonymous}
 * sends none. Every request goes to the endpoint only: the connection factory refuses any
 * other host (a redirect elsewhere never carries the token).
 */
final class GcsClients implements AutoCloseable {

    static final String SCOPE = "https://www.googleapis.com/auth/devstorage.read_write";
    static final String DEFAULT_ENDPOINT = "https://storage.googleapis.com";

    private final GcsSettings settings;
    private final RetryPolicy retry;
    private final Diagnostics diagnostics;
    private final Map<String, String> env;
    private final Path home;
    private Storage storage;
    private Storage uploads;
    private String source = "none";

    GcsClients(GcsSettings settings, RetryPolicy retry, Diagnostics diagnostics, Map<String, String> env, Path home) {
        this.settings = settings;
        this.retry = retry;
        this.diagnostics = diagnostics;
        this.env = env;
        this.home = home;
    }

    GcsSettings settings() {
        return settings;
    }

    /** Where the credentials came from, for messages (never their values). */
    synchronized String source() {
        return source;
    }

    /** The endpoint requests go to. */
    String endpoint() {
        return settings.endpoint().map(URI::toString).orElse(DEFAULT_ENDPOINT);
    }

    /** The client that retries nothing. */
    synchronized Storage storage() throws StorageException {
        if (storage == null) {
            build();
        }
        return storage;
    }

    /** The client whose resumable uploads resume after a failed chunk. */
    synchronized Storage uploads() throws StorageException {
        if (uploads == null) {
            build();
        }
        return uploads;
    }

    private void build() throws StorageException {
        long started = System.nanoTime();
        Credentials credentials = credentials();
        URI endpoint = URI.create(endpoint());
        NetHttpTransport transport = new NetHttpTransport.Builder().setConnectionFactory(url -> open(url, endpoint)).build();
        int timeout = (int) settings.timeout().toMillis();
        HttpTransportOptions transportOptions = HttpTransportOptions.newBuilder().setConnectTimeout(timeout)
                .setReadTimeout(timeout).setHttpTransportFactory(() -> transport).build();
        storage = options(credentials, transportOptions, 1).getService();
        uploads = options(credentials, transportOptions, retry.attempts()).getService();
        diagnostics.trace("gcs: client for " + endpoint + " (credentials: " + source + ") ready in "
                + (System.nanoTime() - started) / 1_000_000 + " ms");
    }

    private StorageOptions options(Credentials credentials, HttpTransportOptions transport, int attempts) {
        RetrySettings.Builder r = RetrySettings.newBuilder().setMaxAttempts(attempts).setJittered(false)
                .setInitialRetryDelayDuration(Duration.ofMillis(Math.max(1, retry.firstPauseMillis())))
                .setRetryDelayMultiplier(2.0).setMaxRetryDelayDuration(Duration.ofMillis(RetryPolicy.MAX_PAUSE_MILLIS))
                .setTotalTimeoutDuration(Duration.ofHours(24)).setInitialRpcTimeoutDuration(settings.timeout())
                .setMaxRpcTimeoutDuration(settings.timeout()).setRpcTimeoutMultiplier(1.0);
        return StorageOptions.http().setHost(endpoint()).setProjectId("lfs-cloud").setCredentials(credentials)
                .setTransportOptions(transport).setRetrySettings(r.build()).build();
    }

    /** A connection to the endpoint's host and port only: credentials never go elsewhere. */
    private static HttpURLConnection open(URL url, URI endpoint) throws IOException {
        int port = url.getPort() == -1 ? url.getDefaultPort() : url.getPort();
        int want = endpoint.getPort() == -1 ? ("https".equalsIgnoreCase(endpoint.getScheme()) ? 443 : 80) : endpoint.getPort();
        if (!url.getProtocol().equalsIgnoreCase(endpoint.getScheme()) || !url.getHost().equalsIgnoreCase(endpoint.getHost())
                || port != want) {
            throw new IOException("refusing to send a GCS request to " + url.getProtocol() + "://" + url.getHost()
                    + ", which is not the endpoint " + endpoint + " (lfs-cloud.gcs.endpoint)");
        }
        HttpURLConnection c = (HttpURLConnection) url.openConnection();
        c.setInstanceFollowRedirects(false);
        return c;
    }

    private Credentials credentials() throws StorageException {
        if (settings.anonymous()) {
            source = "none (lfs-cloud.gcs.anonymous)";
            return NoCredentials.getInstance();
        }
        String file = env.get("GOOGLE_APPLICATION_CREDENTIALS");
        if (file != null && !file.isBlank()) {
            source = "GOOGLE_APPLICATION_CREDENTIALS";
            return fromFile(Path.of(file), "GOOGLE_APPLICATION_CREDENTIALS names");
        }
        Path gcloud = env.get("CLOUDSDK_CONFIG") != null && !env.get("CLOUDSDK_CONFIG").isBlank()
                ? Path.of(env.get("CLOUDSDK_CONFIG")) : home.resolve(".config/gcloud");
        Path adc = gcloud.resolve("application_default_credentials.json");
        if (Files.isRegularFile(adc)) {
            source = "gcloud's application default credentials (" + adc + ")";
            return fromFile(adc, "gcloud left");
        }
        if (onGoogleCloud()) {
            source = "the metadata server";
            return ComputeEngineCredentials.create();
        }
        throw new StorageException(Kind.ACCESS_DENIED, "no Google Cloud credentials found: set GOOGLE_APPLICATION_CREDENTIALS"
                + " to a service-account key file, run 'gcloud auth application-default login', or set"
                + " lfs-cloud.gcs.anonymous true for a public bucket");
    }

    private static Credentials fromFile(Path file, String what) throws StorageException {
        try (InputStream in = Files.newInputStream(file)) {
            GoogleCredentials c = GoogleCredentials.fromStream(in);
            return c.createScopedRequired() ? c.createScoped(List.of(SCOPE)) : c;
        } catch (IOException | RuntimeException e) {
            // the SDK's message may quote the file; say only what is wrong with it
            throw new StorageException(Kind.ACCESS_DENIED, what + " " + file + ", which is not a usable Google"
                    + " credentials file (" + e.getClass().getSimpleName() + ")", null);
        }
    }

    /** Whether this machine is on Google Cloud, asked without the network (as Google's libraries first do on Linux). */
    private boolean onGoogleCloud() {
        if (env.get("GCE_METADATA_HOST") != null) {
            return true;
        }
        try {
            return Files.readString(Path.of("/sys/class/dmi/id/product_name")).toLowerCase(Locale.ROOT).contains("google");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    @Override
    public synchronized void close() {
        for (Storage s : new Storage[] {storage, uploads}) {
            if (s != null) {
                try {
                    s.close();
                } catch (Exception e) {
                    // nothing left to do with a client being closed
                }
            }
        }
        storage = null;
        uploads = null;
    }
}
