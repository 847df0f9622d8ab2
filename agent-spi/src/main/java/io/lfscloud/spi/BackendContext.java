package io.lfscloud.spi;

import java.net.URI;
import java.util.Objects;

/**
 * What the agent hands a provider when it opens a backend, as the JDK hands an
 * {@code InetAddressResolverProvider} its {@code Configuration}: everything the backend needs,
 * so that it never calls back into the agent.
 *
 * @param location    the URL that made the provider chosen (a store root or an object); the
 *                    backend serves every URL of the same {@linkplain StorageBackendProvider#scope scope}
 * @param scope       {@link StorageBackendProvider#scope} of {@code location} ({@code ""}: the provider has one scope)
 * @param config      the settings, scoped to {@code location}: {@code lfs-cloud.NAME.SCOPE.KEY} before
 *                    {@code lfs-cloud.NAME.KEY} (see {@link BackendConfig#scoped})
 * @param diagnostics where trace lines go
 * @param retry       how often and after which pauses a backend retries a unit that keeps work
 *                    done (a range, a part); everything else it leaves to the agent
 * @param credentials git's credentials, for a backend that serves the repository's own server
 *                    ({@link Credentials#NONE} for the others)
 */
public record BackendContext(URI location, String scope, BackendConfig config, Diagnostics diagnostics,
                             RetryPolicy retry, Credentials credentials) {

    /** A context without git's credentials. */
    public BackendContext(URI location, String scope, BackendConfig config, Diagnostics diagnostics, RetryPolicy retry) {
        this(location, scope, config, diagnostics, retry, Credentials.NONE);
    }

    public BackendContext {
        Objects.requireNonNull(location, "location");
        Objects.requireNonNull(scope, "scope");
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(diagnostics, "diagnostics");
        Objects.requireNonNull(retry, "retry");
        Objects.requireNonNull(credentials, "credentials");
    }

    /** A context with no scope, no diagnostics and the default retry policy (tests, tools). */
    public static BackendContext of(URI location, BackendConfig config) {
        return new BackendContext(location, "", config, Diagnostics.NONE, RetryPolicy.DEFAULT);
    }
}
