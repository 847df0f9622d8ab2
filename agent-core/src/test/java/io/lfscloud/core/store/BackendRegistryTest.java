package io.lfscloud.core.store;

import io.lfscloud.spi.BackendConfig;
import io.lfscloud.spi.ObjectInfo;
import io.lfscloud.spi.StorageBackend;
import io.lfscloud.spi.StorageBackendProvider;
import io.lfscloud.spi.StorageException;
import io.lfscloud.spi.TransferListener;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BackendRegistryTest {

    /** A provider that claims https URLs of one host with a higher priority. */
    record Fake(String name, Set<String> schemes, String hostSuffix, int priority) implements StorageBackendProvider {
        @Override
        public int priority(URI location) {
            if (hostSuffix == null || !location.getScheme().startsWith("http")) {
                return priority;
            }
            return location.getHost() != null && location.getHost().endsWith(hostSuffix) ? priority : -1;
        }

        @Override
        public StorageBackend open(URI location, BackendConfig config) {
            return new StorageBackend() {
                public ObjectInfo stat(URI object) {
                    return ObjectInfo.of(object, 0);
                }

                public InputStream read(URI object, long offset, ObjectInfo expected) {
                    return InputStream.nullInputStream();
                }

                public boolean write(URI o, Path s, long size, String sha, TransferListener p) {
                    return false;
                }
            };
        }
    }

    private final Fake https = new Fake("https", Set.of("https", "http"), null, 0);
    private final Fake azure = new Fake("azure", Set.of("az", "https"), ".blob.core.windows.net", 10);
    private final BackendRegistry registry = new BackendRegistry(
            List.of(new BackendRegistry.Found(https, "test"), new BackendRegistry.Found(azure, "test")), List.of());

    @Test
    void theHighestPriorityProviderThatAcceptsWins() throws Exception {
        assertSame(azure, registry.providerFor(URI.create("https://acct.blob.core.windows.net/c/k")));
        assertSame(https, registry.providerFor(URI.create("https://example.org/k")));
        assertSame(azure, registry.providerFor(URI.create("AZ://acct/c/k")));
    }

    @Test
    void anUnknownSchemeNamesTheUrlAndEveryInstalledBackend() {
        StorageException e = assertThrows(StorageException.class,
                () -> registry.providerFor(URI.create("gs://bucket/key")));
        assertEquals(StorageException.Kind.MISCONFIGURED, e.kind());
        assertTrue(e.getMessage().contains("gs://bucket/key"), e.getMessage());
        assertTrue(e.getMessage().contains("https (http, https)"), e.getMessage());
        assertTrue(e.getMessage().contains("azure (az, https)"), e.getMessage());
    }

    @Test
    void backendsAreOpenedOncePerProvider() throws Exception {
        StorageBackend a = registry.backendFor(URI.create("https://example.org/a"), BackendConfig.EMPTY);
        StorageBackend b = registry.backendFor(URI.create("http://example.org/b"), BackendConfig.EMPTY);
        assertSame(a, b);
    }

    @Test
    void pluginFoldersMustBeAbsoluteAndMissingOnesAreSaid() {
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        io.lfscloud.core.Log.setStream(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            List<Path> roots = BackendRegistry.pluginRoots(java.util.Optional.of("tools/plugins:/no/such/folder"));
            assertTrue(roots.contains(Path.of("/no/such/folder")), roots.toString());
            assertTrue(roots.stream().noneMatch(p -> p.toString().equals("tools/plugins")), roots.toString());
            String said = err.toString(java.nio.charset.StandardCharsets.UTF_8);
            assertTrue(said.contains("lfs-cloud.pluginPath entry 'tools/plugins' is not an absolute path; ignored"), said);
            assertTrue(said.contains("lfs-cloud.pluginPath names /no/such/folder, which is not a folder"), said);
        } finally {
            io.lfscloud.core.Log.setStream(System.err);
        }
    }
}
