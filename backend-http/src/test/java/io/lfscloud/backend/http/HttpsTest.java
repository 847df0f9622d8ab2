package io.lfscloud.backend.http;

import io.lfscloud.spi.BackendConfig;
import io.lfscloud.spi.BackendContext;
import io.lfscloud.spi.StorageBackend;
import io.lfscloud.spi.StorageException;
import io.lfscloud.testkit.ConnectProxy;
import io.lfscloud.testkit.Nginx;
import io.lfscloud.testkit.TestCertificates;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.Proxy;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * HTTPS against a real nginx with a certificate from a private CA, and through a proxy: git's
 * {@code http.sslCAInfo}, {@code http.sslCAPath} and {@code http.proxy}, the proxy variables,
 * and the messages for certificates that cannot be trusted.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HttpsTest {

    @TempDir
    static Path tmp;

    Nginx nginx;
    Nginx otherName;
    TestCertificates certs;
    TestCertificates otherCerts;
    final byte[] content = "served over TLS\n".getBytes();

    @BeforeAll
    void start() throws Exception {
        certs = TestCertificates.create(tmp.resolve("certs"), "ip:127.0.0.1");
        otherCerts = TestCertificates.create(tmp.resolve("other-certs"), "dns:elsewhere.test");
        nginx = new Nginx(tmp.resolve("a"), certs);
        otherName = new Nginx(tmp.resolve("b"), otherCerts);
        Files.write(nginx.root.resolve("data.txt"), content);
        Files.write(otherName.root.resolve("data.txt"), content);
    }

    @AfterAll
    void stop() throws Exception {
        nginx.close();
        otherName.close();
    }

    private static StorageBackend open(Map<String, String> settings, Map<String, String> env) throws StorageException {
        BackendConfig config = key -> settings.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(key))
                .map(Map.Entry::getValue).findFirst();
        return new HttpBackend(config, env);
    }

    private byte[] read(StorageBackend http, String url) throws Exception {
        try (InputStream in = http.read(URI.create(url), 0, null)) {
            return in.readAllBytes();
        }
    }

    @Test
    void anUnknownAuthorityIsRefusedWithAMessageThatSaysWhatToSet() throws Exception {
        StorageBackend http = open(Map.of(), Map.of());
        StorageException e = assertThrows(StorageException.class, () -> http.stat(URI.create(nginx.httpsUrl("data.txt"))));
        assertEquals(StorageException.Kind.MISCONFIGURED, e.kind());
        assertTrue(e.getMessage().contains("not signed by a certificate authority lfs-cloud trusts")
                && e.getMessage().contains("http.sslCAInfo") && !e.getMessage().contains("PKIX"), e.getMessage());
    }

    @Test
    void sslCaInfoTrustsThePrivateAuthority() throws Exception {
        StorageBackend http = open(Map.of("http.sslCAInfo", certs.caPem.toString()), Map.of());
        assertEquals(content.length, http.stat(URI.create(nginx.httpsUrl("data.txt"))).size());
        assertArrayEquals(content, read(http, nginx.httpsUrl("data.txt")));
        // as in git, the file replaces the default authorities: another CA's server is not trusted
        StorageException e = assertThrows(StorageException.class,
                () -> open(Map.of("http.sslCAInfo", otherCerts.caPem.toString()), Map.of())
                        .stat(URI.create(nginx.httpsUrl("data.txt"))));
        assertTrue(e.getMessage().contains("http.sslCAInfo " + otherCerts.caPem), e.getMessage());
    }

    @Test
    void sslCaPathTrustsTheCertificatesOfAFolder() throws Exception {
        Path folder = Files.createDirectories(tmp.resolve("ca-folder"));
        Files.copy(certs.caPem, folder.resolve("private-ca.pem"));
        Files.writeString(folder.resolve("README"), "not a certificate: passed over\n");
        StorageBackend http = open(Map.of("http.sslCAPath", folder.toString()), Map.of());
        assertArrayEquals(content, read(http, nginx.httpsUrl("data.txt")));
    }

    @Test
    void aCertificateForAnotherNameIsRefused() throws Exception {
        StorageBackend http = open(Map.of("http.sslCAInfo", otherCerts.caPem.toString()), Map.of());
        StorageException e = assertThrows(StorageException.class, () -> http.stat(URI.create(otherName.httpsUrl("data.txt"))));
        assertEquals(StorageException.Kind.MISCONFIGURED, e.kind());
        assertTrue(e.getMessage().contains("is for another host name"), e.getMessage());
    }

    @Test
    void unusableTrustSettingsAreNamed() {
        StorageException notAbsolute = assertThrows(StorageException.class,
                () -> open(Map.of("http.sslCAInfo", "ca.pem"), Map.of()));
        assertTrue(notAbsolute.getMessage().contains("http.sslCAInfo must be an absolute path"), notAbsolute.getMessage());
        StorageException missing = assertThrows(StorageException.class,
                () -> open(Map.of("http.sslCAInfo", tmp.resolve("nope.pem").toString()), Map.of()));
        assertTrue(missing.getMessage().startsWith("cannot read http.sslCAInfo"), missing.getMessage());
    }

    @Test
    void httpProxyCarriesTheConnection() throws Exception {
        try (ConnectProxy proxy = new ConnectProxy()) {
            StorageBackend http = open(Map.of("http.sslCAInfo", certs.caPem.toString(), "http.proxy", proxy.url()), Map.of());
            assertArrayEquals(content, read(http, nginx.httpsUrl("data.txt")));
            assertEquals(List.of("127.0.0.1:" + nginx.tlsPort), proxy.targets());
        }
    }

    @Test
    void theProxyVariablesAreHonouredAndNoProxyExemptsHosts() throws Exception {
        try (ConnectProxy proxy = new ConnectProxy()) {
            Map<String, String> env = new HashMap<>(Map.of("HTTPS_PROXY", proxy.url()));
            StorageBackend http = open(Map.of("http.sslCAInfo", certs.caPem.toString()), env);
            assertArrayEquals(content, read(http, nginx.httpsUrl("data.txt")));
            assertEquals(1, proxy.targets().size(), "through HTTPS_PROXY");
            env.put("NO_PROXY", "localhost,.example.org,127.0.0.1");
            StorageBackend exempt = open(Map.of("http.sslCAInfo", certs.caPem.toString()), env);
            assertArrayEquals(content, read(exempt, nginx.httpsUrl("data.txt")));
            assertEquals(1, proxy.targets().size(), "NO_PROXY names 127.0.0.1: connected directly");
        }
    }

    @Test
    void proxySelection() throws Exception {
        HttpNetwork env = HttpNetwork.from(BackendConfig.EMPTY,
                Map.of("https_proxy", "proxy.example:3128", "HTTP_PROXY", "http://ignored:1", "no_proxy", ".internal"));
        assertEquals("proxy.example:3128", env.proxyFor(URI.create("https://host.example/x")).address().toString()
                .replace("/<unresolved>", ""));
        assertEquals(Proxy.NO_PROXY, env.proxyFor(URI.create("http://host.example/x")), "upper-case HTTP_PROXY is not read");
        assertEquals(Proxy.NO_PROXY, env.proxyFor(URI.create("https://a.b.internal/x")));
        assertFalse(HttpNetwork.exempt("notinternal", ".internal"), "whole labels only");
        assertTrue(HttpNetwork.exempt("anything", "*"));
        StorageException withLogin = assertThrows(StorageException.class, () -> HttpNetwork.from(
                key -> key.equals(HttpNetwork.PROXY) ? Optional.of("http://user:secret@proxy:3128") : Optional.empty(), Map.of()));
        assertTrue(withLogin.getMessage().contains("does not log in to proxies") && !withLogin.getMessage().contains("secret"),
                withLogin.getMessage());
    }

    @Test
    void theProviderReadsTheRepositorysSettings() throws Exception {
        BackendConfig config = key -> key.equalsIgnoreCase("http.sslCAInfo") ? Optional.of(certs.caPem.toString())
                : Optional.empty();
        StorageBackend http = new HttpBackendProvider().open(BackendContext.of(URI.create(nginx.httpsUrl("")), config));
        assertArrayEquals(content, read(http, nginx.httpsUrl("data.txt")));
    }
}
