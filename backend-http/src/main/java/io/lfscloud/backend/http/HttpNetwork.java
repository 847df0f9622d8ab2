package io.lfscloud.backend.http;

import io.lfscloud.spi.BackendConfig;
import io.lfscloud.spi.StorageException;
import io.lfscloud.spi.StorageException.Kind;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * How the HTTP backend reaches servers, from git's own settings where they apply (so a
 * machine set up for git over HTTPS works without more): {@code http.sslCAInfo} (a PEM file
 * of the certificate authorities to trust, instead of the JDK's, as in git),
 * {@code http.sslCAPath} (a folder of PEM files, trusted as well: with the JDK's authorities
 * when {@code http.sslCAInfo} is not set) and {@code http.proxy}, else the
 * usual variables ({@code https_proxy}/{@code HTTPS_PROXY}, {@code http_proxy},
 * {@code no_proxy}/{@code NO_PROXY}). Only the user's git config counts: a repository
 * cannot commit these (the core gives backends no committed {@code http.*} key).
 *
 * @param sockets the TLS socket factory for {@code https:} connections ({@code null}: the JDK's default)
 * @param trustSource what the TLS trust comes from, for messages
 */
record HttpNetwork(SSLSocketFactory sockets, String trustSource, Optional<URI> configuredProxy,
                   Map<String, String> env) {

    static final String CA_INFO = "http.sslCAInfo";
    static final String CA_PATH = "http.sslCAPath";
    static final String PROXY = "http.proxy";

    /** The network of {@code config} and this process's environment. */
    static HttpNetwork from(BackendConfig config, Map<String, String> env) throws StorageException {
        Optional<String> caInfo = config.get(CA_INFO).map(String::strip).filter(s -> !s.isEmpty());
        Optional<String> caPath = config.get(CA_PATH).map(String::strip).filter(s -> !s.isEmpty());
        SSLSocketFactory sockets = null;
        String source = "the JDK's certificate authorities";
        if (caInfo.isPresent() || caPath.isPresent()) {
            List<Certificate> trusted = new ArrayList<>();
            List<String> sources = new ArrayList<>();
            if (caInfo.isPresent()) {
                Path file = path(caInfo.get(), CA_INFO);
                trusted.addAll(certificates(file, CA_INFO));
                sources.add(CA_INFO + " " + file);
            }
            if (caInfo.isEmpty()) {
                trusted.addAll(jdkAuthorities()); // as curl: a folder alone adds to the default bundle
                sources.add("the JDK's certificate authorities");
            }
            if (caPath.isPresent()) {
                Path folder = path(caPath.get(), CA_PATH);
                if (!Files.isDirectory(folder)) {
                    throw new StorageException(Kind.MISCONFIGURED, CA_PATH + " names " + folder + ", which is not a folder");
                }
                try (Stream<Path> files = Files.list(folder)) {
                    for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                        trusted.addAll(certificatesOrNone(f));
                    }
                } catch (IOException e) {
                    throw new StorageException(Kind.MISCONFIGURED, "cannot read " + CA_PATH + " " + folder + ": " + e.getMessage(), e);
                }
                sources.add(CA_PATH + " " + folder);
            }
            if (trusted.isEmpty()) {
                throw new StorageException(Kind.MISCONFIGURED, String.join(" and ", sources)
                        + " holds no PEM certificate to trust");
            }
            sockets = socketFactory(trusted);
            source = String.join(" and ", sources);
        }
        Optional<String> proxySetting = config.get(PROXY).map(String::strip).filter(s -> !s.isEmpty());
        Optional<URI> proxy = proxySetting.isPresent() ? Optional.of(proxyUri(proxySetting.get(), PROXY)) : Optional.empty();
        return new HttpNetwork(sockets, source, proxy, env);
    }

    /** The proxy for a connection to {@code target}: {@code http.proxy}, else the environment's, unless {@code no_proxy} exempts it. */
    Proxy proxyFor(URI target) throws StorageException {
        String scheme = target.getScheme().toLowerCase(Locale.ROOT);
        Optional<URI> proxy = configuredProxy;
        if (proxy.isEmpty()) {
            // curl's rules, which git follows: only the lower-case http_proxy (a CGI server sets HTTP_PROXY from a request header)
            String value = scheme.equals("https") ? first("https_proxy", "HTTPS_PROXY") : env.get("http_proxy");
            if (value == null || value.isBlank()) {
                return Proxy.NO_PROXY;
            }
            proxy = Optional.of(proxyUri(value.strip(), scheme.equals("https") ? "HTTPS_PROXY" : "http_proxy"));
        }
        if (exempt(target.getHost(), first("no_proxy", "NO_PROXY"))) {
            return Proxy.NO_PROXY;
        }
        URI p = proxy.get();
        return new Proxy(Proxy.Type.HTTP, InetSocketAddress.createUnresolved(p.getHost(), p.getPort() > 0 ? p.getPort() : 1080));
    }

    /** Whether {@code no_proxy} ({@code *}, or hosts and domains, comma-separated, with or without a leading dot) names {@code host}. */
    static boolean exempt(String host, String noProxy) {
        if (noProxy == null || noProxy.isBlank() || host == null) {
            return false;
        }
        String h = host.toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        for (String entry : noProxy.split("[,\\s]+")) {
            String e = entry.strip().toLowerCase(Locale.ROOT);
            if (e.equals("*")) {
                return true;
            }
            int colon = e.lastIndexOf(':');
            if (colon > 0 && e.indexOf(':') == colon) {
                e = e.substring(0, colon); // host:port, as some write it: the host decides
            }
            if (e.startsWith(".")) {
                e = e.substring(1);
            }
            if (!e.isEmpty() && (h.equals(e) || h.endsWith("." + e))) {
                return true;
            }
        }
        return false;
    }

    private String first(String a, String b) {
        String v = env.get(a);
        return v != null && !v.isBlank() ? v : env.get(b);
    }

    private static URI proxyUri(String value, String source) throws StorageException {
        String text = value.contains("://") ? value : "http://" + value;
        URI uri;
        try {
            uri = URI.create(text);
        } catch (IllegalArgumentException e) {
            throw new StorageException(Kind.MISCONFIGURED, source + " is not a proxy URL: '" + HttpBackend.shown(value) + "'");
        }
        if (uri.getHost() == null || !"http".equalsIgnoreCase(uri.getScheme())) {
            throw new StorageException(Kind.MISCONFIGURED, source + " must be an http://HOST:PORT proxy, not '"
                    + HttpBackend.shown(uri) + "'");
        }
        if (uri.getRawUserInfo() != null) {
            throw new StorageException(Kind.MISCONFIGURED, source + " carries a user name or password; lfs-cloud does not log in to"
                    + " proxies (give a proxy that needs no login, or one on this machine that logs in for you)");
        }
        return uri;
    }

    private static Path path(String value, String key) throws StorageException {
        String v = value;
        if (v.equals("~") || v.startsWith("~/")) {
            v = System.getProperty("user.home") + v.substring(1);
        }
        Path p = Path.of(v);
        if (!p.isAbsolute()) {
            throw new StorageException(Kind.MISCONFIGURED, key + " must be an absolute path, not '" + value + "'");
        }
        return p;
    }

    private static Collection<? extends Certificate> certificates(Path file, String key) throws StorageException {
        try (InputStream in = Files.newInputStream(file)) {
            Collection<? extends Certificate> certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
            if (certs.isEmpty()) {
                throw new StorageException(Kind.MISCONFIGURED, key + " " + file + " holds no PEM certificate");
            }
            return certs;
        } catch (IOException e) {
            throw new StorageException(Kind.MISCONFIGURED, "cannot read " + key + " " + file + ": " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new StorageException(Kind.MISCONFIGURED, key + " " + file + " is not a PEM certificate file: "
                    + e.getMessage(), e);
        }
    }

    /** A folder's files that are certificates (others, such as CRLs or notes, are passed over). */
    private static Collection<? extends Certificate> certificatesOrNone(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return CertificateFactory.getInstance("X.509").generateCertificates(in);
        } catch (IOException | GeneralSecurityException e) {
            return List.of();
        }
    }

    private static List<Certificate> jdkAuthorities() throws StorageException {
        try {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init((KeyStore) null);
            List<Certificate> out = new ArrayList<>();
            for (var tm : tmf.getTrustManagers()) {
                if (tm instanceof X509TrustManager x) {
                    out.addAll(List.of(x.getAcceptedIssuers()));
                }
            }
            return out;
        } catch (GeneralSecurityException e) {
            throw new StorageException(Kind.MISCONFIGURED, "cannot read the JDK's certificate authorities: " + e.getMessage(), e);
        }
    }

    private static SSLSocketFactory socketFactory(List<Certificate> trusted) throws StorageException {
        try {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            int i = 0;
            for (Certificate c : trusted) {
                store.setCertificateEntry("ca-" + i++, c);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(store);
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(null, tmf.getTrustManagers(), null);
            return tls.getSocketFactory();
        } catch (GeneralSecurityException | IOException e) {
            throw new StorageException(Kind.MISCONFIGURED, "cannot set up TLS with the configured certificates: "
                    + e.getMessage(), e);
        }
    }
}
