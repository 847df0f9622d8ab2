package io.lfscloud.e2e;

import io.lfscloud.testkit.Nginx;
import io.lfscloud.testkit.TestCertificates;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Files tracked in place on an HTTPS server whose certificate comes from a private CA, with
 * real git-lfs: refused with a message that says what to set, then trusted through git's own
 * {@code http.sslCAInfo} in the user's git config (never through the committed settings).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HttpsTrustTest {

    @TempDir
    static Path tmp;

    Nginx nginx;
    TestCertificates certs;

    @BeforeAll
    void start() throws Exception {
        certs = TestCertificates.create(tmp.resolve("certs"), "ip:127.0.0.1");
        nginx = new Nginx(tmp.resolve("server"), certs);
    }

    @AfterAll
    void stop() throws InterruptedException {
        nginx.close();
    }

    @Test
    void aPrivateAuthorityIsTrustedThroughGitsSslCaInfo() throws Exception {
        Sandbox sb = new Sandbox(tmp.resolve("trusted"));
        String sha = Sandbox.writeRandom(nginx.root.resolve("survey.bin"), 700_000, 11);
        Sandbox.Project p = sb.project("survey");
        String url = nginx.httpsUrl("survey.bin");

        Sandbox.Result refused = sb.run(p.work(), "git", "lfs-cloud", "track-remote", "survey.bin", "--url", url);
        assertNotEquals(0, refused.exitCode());
        assertTrue(refused.err().contains("not signed by a certificate authority lfs-cloud trusts")
                && refused.err().contains("http.sslCAInfo"), refused.all());
        assertFalse(refused.all().contains("PKIX"), "Java's own words only when tracing: " + refused.all());

        sb.git(tmp, "config", "--global", "http.sslCAInfo", certs.caPem.toString()).ok();
        sb.run(p.work(), "git", "lfs-cloud", "track-remote", "survey.bin", "--url", url).ok();
        sb.git(p.work(), "add", "-A").ok();
        sb.git(p.work(), "commit", "-q", "-m", "tracked over https").ok();
        sb.git(p.work(), "push", "-q", "origin", "HEAD").ok();
        Path clone = tmp.resolve("trusted/clone");
        sb.run(tmp, "git", "lfs-cloud", "clone", p.origin().toString(), clone.toString()).ok();
        assertEquals(sha, Sandbox.sha256(clone.resolve("survey.bin")), "downloaded over TLS from the private CA's server");
    }

    @Test
    void aRepositoryCannotCommitTheAuthorityToTrust() throws Exception {
        Sandbox sb = new Sandbox(tmp.resolve("committed"));
        Files.writeString(nginx.root.resolve("notes.bin"), "payload\n");
        Sandbox.Project p = sb.project("notes");
        sb.git(p.work(), "config", "-f", ".lfs-meta/config", "http.sslCAInfo", certs.caPem.toString()).ok();
        sb.run(p.work(), "git", "lfs-cloud", "trust").ok(); // even a trusted committed file cannot set it
        Sandbox.Result r = sb.run(p.work(), "git", "lfs-cloud", "track-remote", "notes.bin", "--url",
                nginx.httpsUrl("notes.bin"));
        assertNotEquals(0, r.exitCode(), r.all());
        assertTrue(r.err().contains("not signed by a certificate authority lfs-cloud trusts"), r.all());
    }
}
