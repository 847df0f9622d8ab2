package io.lfscloud.core.plugin;

import io.lfscloud.spi.BackendConfig;
import io.lfscloud.spi.BackendContext;
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
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
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
        public StorageBackend open(io.lfscloud.spi.BackendContext context) {
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

    /** Scopes by host, as S3 does by bucket; its backends read lfs-cloud.bucketed.endpoint when opened. */
    static class Bucketed implements StorageBackendProvider {
        final List<BackendContext> opened = new java.util.concurrent.CopyOnWriteArrayList<>();

        public String name() {
            return "bucketed";
        }

        public Set<String> schemes() {
            return Set.of("bk");
        }

        @Override
        public String scope(URI location) {
            return location.getHost();
        }

        public StorageBackend open(BackendContext context) {
            context.config().get("lfs-cloud.bucketed.endpoint");
            opened.add(context);
            return new Fake("x", Set.of(), null, 0).open(context);
        }
    }

    static BackendConfig settings(Map<String, String> m) {
        return key -> Optional.ofNullable(m.get(key));
    }

    @Test
    void eachScopeGetsItsOwnBackendWithItsOwnSettings() throws Exception {
        Bucketed provider = new Bucketed();
        try (BackendRegistry r = new BackendRegistry(List.of(new BackendRegistry.Found(provider, "test")), List.of())) {
            BackendConfig config = settings(Map.of("lfs-cloud.bucketed.endpoint", "http://one",
                    "lfs-cloud.bucketed.b.endpoint", "http://two", "lfs-cloud.retry.attempts", "5"));
            StorageBackend a = r.backendFor(URI.create("bk://a/x"), config);
            StorageBackend b = r.backendFor(URI.create("bk://b/x"), config);
            assertNotSame(a, b);
            assertSame(a, r.backendFor(URI.create("bk://a/y"), config));
            assertSame(b, r.backendFor(URI.create("bk://b/y"), config));
            assertEquals(2, provider.opened.size());
            BackendContext ca = provider.opened.get(0);
            BackendContext cb = provider.opened.get(1);
            assertEquals(URI.create("bk://a/x"), ca.location());
            assertEquals("a", ca.scope());
            assertEquals("b", cb.scope());
            assertEquals(Optional.of("http://one"), ca.config().get("lfs-cloud.bucketed.endpoint"));
            assertEquals(Optional.of("http://two"), cb.config().get("lfs-cloud.bucketed.endpoint"));
            assertEquals(5, ca.retry().attempts());
        }
    }

    @Test
    void aChangedSettingTheBackendReadOpensAnotherAndOthersDoNot() throws Exception {
        Bucketed provider = new Bucketed();
        try (BackendRegistry r = new BackendRegistry(List.of(new BackendRegistry.Found(provider, "test")), List.of())) {
            URI u = URI.create("bk://a/x");
            StorageBackend first = r.backendFor(u, settings(Map.of("lfs-cloud.bucketed.endpoint", "http://one")));
            // a key it never read (another repository's store, say) shares the backend
            assertSame(first, r.backendFor(u, settings(Map.of("lfs-cloud.bucketed.endpoint", "http://one",
                    "lfs-cloud.store", "bk://a/"))));
            // the endpoint it read, changed for all or for its bucket only, does not
            StorageBackend other = r.backendFor(u, settings(Map.of("lfs-cloud.bucketed.endpoint", "http://two")));
            assertNotSame(first, other);
            StorageBackend own = r.backendFor(u, settings(Map.of("lfs-cloud.bucketed.endpoint", "http://one",
                    "lfs-cloud.bucketed.a.endpoint", "http://three")));
            assertNotSame(first, own);
            assertNotSame(other, own);
            // so do the retry policy and the URL policy a backend is handed
            assertNotSame(first, r.backendFor(u, settings(Map.of("lfs-cloud.bucketed.endpoint", "http://one",
                    "lfs-cloud.retry.attempts", "1"))));
            assertNotSame(first, r.backendFor(u, settings(Map.of("lfs-cloud.bucketed.endpoint", "http://one",
                    "lfs-cloud.allowFileUrls", "true"))));
            // and the first is still there for the first settings
            assertSame(first, r.backendFor(u, settings(Map.of("lfs-cloud.bucketed.endpoint", "http://one"))));
            assertEquals(5, provider.opened.size());
        }
    }

    @Test
    void backendsUnusedSinceACutoffAreClosedAndOthersStay() throws Exception {
        List<String> closed = new java.util.concurrent.CopyOnWriteArrayList<>();
        Bucketed provider = new Bucketed() {
            @Override
            public StorageBackend open(BackendContext context) {
                StorageBackend inner = super.open(context);
                String endpoint = context.config().get("lfs-cloud.bucketed.endpoint").orElse("");
                return new StorageBackend() {
                    public ObjectInfo stat(URI object) throws StorageException {
                        return inner.stat(object);
                    }

                    public InputStream read(URI object, long offset, ObjectInfo expected) throws StorageException {
                        return inner.read(object, offset, expected);
                    }

                    public boolean write(URI o, Path s, long size, String sha, TransferListener p) throws StorageException {
                        return inner.write(o, s, size, sha, p);
                    }

                    @Override
                    public void close() {
                        closed.add(endpoint);
                    }
                };
            }
        };
        BackendRegistry r = new BackendRegistry(List.of(new BackendRegistry.Found(provider, "test")), List.of()).pin();
        URI u = URI.create("bk://a/x");
        BackendConfig one = settings(Map.of("lfs-cloud.bucketed.endpoint", "http://one"));
        BackendConfig two = settings(Map.of("lfs-cloud.bucketed.endpoint", "http://two"));
        StorageBackend stale = r.backendFor(u, one);
        long cutoff = System.nanoTime();
        StorageBackend inUse = r.backendFor(u, two);
        assertEquals(2, r.openBackends());
        assertEquals(1, r.closeUnusedSince(cutoff));
        assertEquals(List.of("http://one"), closed, "only the one last handed out before the cutoff");
        assertEquals(1, r.openBackends());
        assertSame(inUse, r.backendFor(u, two));
        assertEquals(0, r.closeUnusedSince(cutoff), "nothing closed twice");
        // asked for again, the closed one's settings get a new backend
        assertNotSame(stale, r.backendFor(u, one));
        assertEquals(3, provider.opened.size());
        r.closePinned();
        assertEquals(3, closed.size());
    }

    @Test
    void aScopeThatCannotBeASettingsSubsectionIsRefused() {
        Bucketed provider = new Bucketed();
        BackendRegistry r = new BackendRegistry(List.of(new BackendRegistry.Found(provider, "test")), List.of());
        StorageException e = assertThrows(StorageException.class, () -> r.backendFor(URI.create("bk:/no-host"),
                BackendConfig.EMPTY));
        assertEquals(StorageException.Kind.MISCONFIGURED, e.kind());
        assertTrue(provider.opened.isEmpty());
    }

    @Test
    void pluginFoldersMustBeAbsoluteAndMissingOnesAreSaid() {
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        io.lfscloud.core.Log.setStream(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            List<Path> roots = PluginHost.pluginRoots(java.util.Optional.of("tools/plugins:/no/such/folder"));
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
