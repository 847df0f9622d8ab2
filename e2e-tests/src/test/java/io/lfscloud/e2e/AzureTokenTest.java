package io.lfscloud.e2e;

import io.lfscloud.testkit.Azurite;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Microsoft Entra ID: a user signed in with the Azure CLI, no key and no SAS token, against
 * Azurite serving HTTPS with a self-signed certificate (made here with keytool) and taking
 * bearer tokens ({@code --oauth basic}: it checks a token's audience, issuer and lifetime,
 * not its signature). The CLI is a stand-in {@code az} on the PATH that answers
 * {@code az account get-access-token} as the real one does; the agent's JVM trusts the
 * certificate through {@code JAVA_TOOL_OPTIONS}, as a user would set it.
 */
class AzureTokenTest {

    @TempDir
    Path tmp;

    private static void keytool(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, String.join(" ", cmd) + "\n" + out);
    }

    private static String base64url(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }

    /** A stand-in Azure CLI whose get-access-token prints a storage token of Azure's shape. */
    private static Path fakeAzureCli(Path dir) throws IOException {
        long now = Instant.now().getEpochSecond();
        String tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";
        String jwt = base64url("{\"typ\":\"JWT\",\"alg\":\"RS256\",\"kid\":\"test\"}") + "." + base64url("{\"aud\":"
                + "\"https://storage.azure.com\",\"iss\":\"https://sts.windows.net/" + tenant + "/\",\"iat\":" + (now - 60)
                + ",\"nbf\":" + (now - 60) + ",\"exp\":" + (now + 3600) + ",\"oid\":\"0f8fad5b-d9cb-469f-a165-70867728950e\","
                + "\"tid\":\"" + tenant + "\",\"scp\":\"user_impersonation\"}") + "." + base64url("not checked by Azurite");
        String expiresOn = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS").withZone(ZoneId.systemDefault())
                .format(Instant.ofEpochSecond(now + 3600));
        Path az = Files.createDirectories(dir).resolve("az");
        Files.writeString(az, "#!/bin/sh\n"
                + "echo \"$*\" >> \"$(dirname \"$0\")/calls.log\"\n"
                + "case \"$*\" in\n"
                + "  *get-access-token*) ;;\n"
                + "  *) echo \"az: not in this test: $*\" >&2; exit 2 ;;\n"
                + "esac\n"
                + "cat <<'EOF'\n"
                + "{\n  \"accessToken\": \"" + jwt + "\",\n  \"expiresOn\": \"" + expiresOn + "\",\n  \"expires_on\": "
                + (now + 3600) + ",\n  \"subscription\": \"00000000-0000-0000-0000-000000000000\",\n  \"tenant\": \""
                + tenant + "\",\n  \"tokenType\": \"Bearer\"\n}\n"
                + "EOF\n");
        Files.setPosixFilePermissions(az, PosixFilePermissions.fromString("rwxr-xr-x"));
        return dir;
    }

    @Test
    void anAzureCliLoginPushesAndClonesOverHttpsWithABearerToken() throws Exception {
        // the server's key and certificate (for 127.0.0.1), and a trust store holding the certificate
        Path tls = Files.createDirectories(tmp.resolve("tls"));
        keytool("-genkeypair", "-alias", "azurite", "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=127.0.0.1",
                "-ext", "SAN=ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12", "-keystore",
                tls.resolve("azurite.pfx").toString(), "-storepass", "azurite-pfx", "-keypass", "azurite-pfx");
        keytool("-exportcert", "-rfc", "-alias", "azurite", "-keystore", tls.resolve("azurite.pfx").toString(),
                "-storepass", "azurite-pfx", "-file", tls.resolve("azurite.pem").toString());
        keytool("-importcert", "-noprompt", "-alias", "azurite", "-file", tls.resolve("azurite.pem").toString(),
                "-storetype", "PKCS12", "-keystore", tls.resolve("trust.p12").toString(), "-storepass", "trust-store");

        // the container is made over plain HTTP with the account key; then Azurite serves HTTPS and tokens
        Azurite azurite = new Azurite(tmp.resolve("az"), tmp.resolve("az-blobs"));
        try {
            azurite.createContainer("tok");
            azurite.close(); // stopped, not killed: Azurite writes its container list to its folder on the way out
            azurite.options("--oauth", "basic", "--cert", tls.resolve("azurite.pfx").toString(), "--pwd", "azurite-pfx");
            azurite.start();
            assertTrue(azurite.endpoint().startsWith("https://127.0.0.1:"), azurite.endpoint());

            Sandbox sb = new Sandbox(tmp.resolve("sb"));
            Files.createDirectories(sb.home.resolve(".azure")); // what 'az login' leaves
            sb.env("PATH", fakeAzureCli(tmp.resolve("az-cli")) + ":" + sb.launcher.getParent() + ":" + System.getenv("PATH"));
            sb.env("AZURE_TOKEN_CREDENTIALS", "AzureCliCredential");
            sb.env("AZURE_STORAGE_CONNECTION_STRING", ""); // no key, no SAS token: only the login
            sb.env("JAVA_TOOL_OPTIONS", "-Djavax.net.ssl.trustStore=" + tls.resolve("trust.p12")
                    + " -Djavax.net.ssl.trustStorePassword=trust-store -Djavax.net.ssl.trustStoreType=PKCS12");
            sb.git(tmp, "config", "--global", "lfs-cloud.azure.endpoint", azurite.endpoint()).ok();

            Sandbox.Project p = sb.project("tok");
            sb.git(p.work(), "config", "-f", p.work().resolve(".lfs-meta/config").toString(), "lfs-cloud.store",
                    "az://" + Azurite.ACCOUNT + "/tok/repo/").ok();
            String oid = Sandbox.writeRandom(p.work().resolve("t.bin"), 20_000, 12);
            sb.git(p.work(), "add", "-A").ok();
            sb.git(p.work(), "commit", "-q", "-m", "token").ok();
            sb.run(p.work(), Map.of("LFS_CLOUD_TRACE", "1"), "git", "push", "-q", "origin", "main").ok();

            Path clone = tmp.resolve("clone");
            Sandbox.Result r = sb.run(tmp, Map.of("LFS_CLOUD_TRACE", "1"), "git", "lfs-cloud", "clone",
                    p.origin().toString(), clone.toString()).ok();
            assertEquals(oid, Sandbox.sha256(clone.resolve("t.bin")));
            assertFalse(r.all().contains("eyJ"), "no token in the output: " + r.all());
            String calls = Files.readString(tmp.resolve("az-cli/calls.log"));
            assertTrue(calls.contains("account get-access-token") && calls.contains("https://storage.azure.com"), calls);

            // without the trust store the certificate is refused: a clear, transient failure
            Path other = tmp.resolve("clone-untrusted");
            Sandbox.Result untrusted = sb.run(tmp, Map.of("JAVA_TOOL_OPTIONS", ""), "git", "lfs-cloud", "clone",
                    p.origin().toString(), other.toString());
            assertFalse(Files.exists(other.resolve("t.bin")) && oid.equals(Sandbox.sha256(other.resolve("t.bin"))),
                    untrusted.all());
            assertTrue(untrusted.all().contains("az://" + Azurite.ACCOUNT + "/tok/repo/"), untrusted.all());
        } finally {
            azurite.close();
        }
    }
}
