package io.lfscloud.core.agent;

import io.lfscloud.core.plugin.BackendRegistry;
import io.lfscloud.spi.BackendConfig;
import io.lfscloud.spi.RetryPolicy;
import io.lfscloud.spi.StorageBackend;
import io.lfscloud.spi.StorageBackendProvider;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/** Test wiring: {@link Transfers} over one backend made by the test, for one scheme. */
final class TestBackends {

    private TestBackends() {
    }

    static Transfers transfers(Path repo, String scheme, Supplier<StorageBackend> backend, long backoffMillis) {
        return transfers(repo, scheme, backend, new RetryPolicy(3, backoffMillis));
    }

    /** @param retry {@code null}: as the repository's settings say */
    static Transfers transfers(Path repo, String scheme, Supplier<StorageBackend> backend, RetryPolicy retry) {
        StorageBackendProvider provider = new StorageBackendProvider() {
            public String name() {
                return scheme;
            }

            public Set<String> schemes() {
                return Set.of(scheme);
            }

            public StorageBackend open(io.lfscloud.spi.BackendContext context) {
                return backend.get();
            }
        };
        return new Transfers(repo, r -> new BackendRegistry(List.of(new BackendRegistry.Found(provider, "test")),
                List.of()), retry);
    }
}
