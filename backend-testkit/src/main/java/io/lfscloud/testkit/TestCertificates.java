package io.lfscloud.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A private certificate authority and a server certificate it signed, made with the JDK's
 * {@code keytool}, as PEM files a server (nginx) and a client can use: {@link #caPem},
 * {@link #certificatePem} (the server's, then the CA's), {@link #keyPem} (PKCS#8).
 */
public final class TestCertificates {

    private static final String PASS = "test-only";

    /** The authority's certificate: what a client must trust. */
    public final Path caPem;
    /** The server's certificate chain. */
    public final Path certificatePem;
    /** The server's private key. */
    public final Path keyPem;

    private TestCertificates(Path caPem, Path certificatePem, Path keyPem) {
        this.caPem = caPem;
        this.certificatePem = certificatePem;
        this.keyPem = keyPem;
    }

    /**
     * Makes a CA and a server certificate for {@code subjectAltNames} (keytool's form:
     * {@code ip:127.0.0.1,dns:localhost}) in {@code dir}.
     */
    public static TestCertificates create(Path dir, String subjectAltNames) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Path ca = dir.resolve("ca.p12");
        Path server = dir.resolve("server.p12");
        keytool(dir, "-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname",
                "CN=lfs-cloud test CA", "-ext", "bc:c", "-validity", "2", "-keystore", ca.toString(), "-storetype", "PKCS12");
        keytool(dir, "-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-dname",
                "CN=lfs-cloud test server", "-validity", "2", "-keystore", server.toString(), "-storetype", "PKCS12");
        Path csr = dir.resolve("server.csr");
        keytool(dir, "-certreq", "-alias", "server", "-keystore", server.toString(), "-file", csr.toString());
        Path signed = dir.resolve("server-only.pem");
        keytool(dir, "-gencert", "-alias", "ca", "-keystore", ca.toString(), "-infile", csr.toString(), "-outfile",
                signed.toString(), "-rfc", "-ext", "san=" + subjectAltNames, "-validity", "2");
        Path caPem = dir.resolve("ca.pem");
        keytool(dir, "-exportcert", "-alias", "ca", "-keystore", ca.toString(), "-rfc", "-file", caPem.toString());
        Path chain = dir.resolve("server.pem");
        Files.writeString(chain, Files.readString(signed) + Files.readString(caPem));
        Path key = dir.resolve("server.key");
        try (InputStream in = Files.newInputStream(server)) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(in, PASS.toCharArray());
            PrivateKey k = (PrivateKey) ks.getKey("server", PASS.toCharArray());
            Files.writeString(key, "-----BEGIN PRIVATE KEY-----\n"
                    + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(k.getEncoded()) + "\n-----END PRIVATE KEY-----\n");
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot read the test key: " + e, e);
        }
        return new TestCertificates(caPem, chain, key);
    }

    private static void keytool(Path dir, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("-storepass", PASS));
        Path log = dir.resolve("keytool.log");
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("keytool " + args[0] + " failed: " + Files.readString(log));
        }
    }
}
