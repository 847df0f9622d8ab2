package io.lfscloud.backend.azure;

import io.lfscloud.spi.StorageException;
import io.lfscloud.spi.StorageException.Kind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Azure backend's parts that need no server: URLs, provider priority, credential sources, error classes, settings. */
class AzurePartsTest {

    @TempDir
    Path home;

    @Test
    void bothUrlSpellingsNameAccountContainerAndBlobAndKeepTheirSpelling() throws Exception {
        BlobLocation az = BlobLocation.of(URI.create("az://acct1/box/dir/a+b%20%23%3F.bin"));
        assertEquals(new BlobLocation("acct1", "box", "dir/a+b #?.bin", null), az);
        assertEquals("az://acct1/box/dir/a+b%20%23%3F.bin", az.uri().toString());
        BlobLocation https = BlobLocation.of(URI.create("https://Acct1.blob.core.windows.net/box/x.bin"));
        assertEquals("acct1", https.account());
        assertEquals("https://acct1.blob.core.windows.net/box/y.bin", https.withBlob("y.bin").uri().toString());
        assertEquals("acct1", BlobLocation.of(URI.create("https://acct1.blob.core.chinacloudapi.cn/box/x")).account());
        assertEquals("", BlobLocation.of(URI.create("az://acct1/box")).blob(), "a whole container, for a listing");
        for (String bad : new String[] {"az://A_B/box/x", "az://acct1/Box/x", "az://acct1/b/x", "az://acct1/box/a/../x",
                "az://acct1/box/x?sig=secret", "https://example.org/box/x", "https://acct1.blob.core.windows.net:8443/box/x"}) {
            StorageException e = assertThrows(StorageException.class, () -> BlobLocation.of(URI.create(bad)), bad);
            assertEquals(Kind.MISCONFIGURED, e.kind(), bad);
            assertFalse(e.getMessage().contains("secret"), "a query is not repeated: " + e.getMessage());
        }
    }

    @Test
    void theProviderClaimsAzureBlobHostsOverPlainHttpsAndDeclinesOthers() {
        AzureBackendProvider p = new AzureBackendProvider();
        assertEquals(0, p.priority(URI.create("az://acct1/box/")));
        assertTrue(p.priority(URI.create("https://acct1.blob.core.windows.net/box/x")) > 0);
        assertTrue(p.priority(URI.create("https://data.example.org/x")) < 0);
        assertTrue(p.priority(URI.create("https://blob.core.windows.net/x")) < 0, "no account in the host");
    }

    @Test
    void credentialsComeFromAzuresVariablesInOrderAndNeverPrintASecret() throws Exception {
        String cs = "DefaultEndpointsProtocol=http;AccountName=acct1;AccountKey=S3CRETKEY==;BlobEndpoint=http://127.0.0.1:1/acct1;";
        AzureCredentials c = AzureCredentials.find("acct1", Map.of("AZURE_STORAGE_CONNECTION_STRING", cs,
                "AZURE_STORAGE_ACCOUNT", "acct1", "AZURE_STORAGE_KEY", "OTHER"), home);
        assertEquals(AzureCredentials.Kind.KEY, c.kind());
        assertEquals("S3CRETKEY==", c.accountKey());
        assertEquals(Optional.of(URI.create("http://127.0.0.1:1/acct1")), c.blobEndpoint());
        assertFalse(c.toString().contains("S3CRET"), c.toString());
        // a connection string for another account is not used for this one
        assertEquals("AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY", AzureCredentials.find("acct2", Map.of(
                "AZURE_STORAGE_CONNECTION_STRING", cs, "AZURE_STORAGE_ACCOUNT", "acct2", "AZURE_STORAGE_KEY", "K"), home).source());
        AzureCredentials sas = AzureCredentials.find("acct1", Map.of("AZURE_STORAGE_SAS_TOKEN", "?sv=1&sig=SIG"), home);
        assertEquals(AzureCredentials.Kind.SAS, sas.kind());
        assertEquals("sv=1&sig=SIG", sas.sas());
        assertFalse(sas.toString().contains("SIG"));
        assertEquals(AzureCredentials.Kind.ENTRA, AzureCredentials.find("acct1", Map.of("AZURE_CLIENT_ID", "x"), home).kind());
        assertEquals(AzureCredentials.Kind.NONE, AzureCredentials.find("acct1", Map.of(), home).kind());
        Files.createDirectories(home.resolve(".azure"));
        assertEquals(AzureCredentials.Kind.ENTRA, AzureCredentials.find("acct1", Map.of(), home).kind(), "an az login");
        Path elsewhere = Files.createDirectories(home.resolve("cli-config"));
        assertEquals(AzureCredentials.Kind.NONE, AzureCredentials.find("acct1", Map.of("AZURE_CONFIG_DIR",
                home.resolve("none").toString()), home).kind(), "the CLI's folder is AZURE_CONFIG_DIR when set");
        assertEquals(AzureCredentials.Kind.ENTRA, AzureCredentials.find("acct1", Map.of("AZURE_CONFIG_DIR",
                elsewhere.toString()), null).kind());
    }

    @Test
    void azureErrorAnswersMapOntoTheSpisKinds() throws Exception {
        BlobLocation l = BlobLocation.of(URI.create("az://acct1/box/x.bin"));
        URI u = l.uri();
        AzureCredentials key = new AzureCredentials("AZURE_STORAGE_KEY", AzureCredentials.Kind.KEY, "k", null, Optional.empty());
        AzureCredentials none = AzureCredentials.none();
        StorageException container = AzureErrors.classify(404, "ContainerNotFound", l, u, key, "https://e", null);
        assertEquals(Kind.MISCONFIGURED, container.kind());
        assertTrue(container.getMessage().contains("container 'box'"), container.getMessage());
        assertEquals(Kind.NOT_FOUND, AzureErrors.classify(404, "BlobNotFound", l, u, key, "e", null).kind());
        assertEquals(Kind.NOT_FOUND, AzureErrors.classify(404, null, l, u, key, "e", null).kind(), "a HEAD has no code");
        assertEquals(Kind.CHANGED, AzureErrors.classify(412, "ConditionNotMet", l, u, key, "e", null).kind());
        StorageException denied = AzureErrors.classify(403, "AuthenticationFailed", l, u, key, "e", null);
        assertEquals(Kind.ACCESS_DENIED, denied.kind());
        assertTrue(denied.getMessage().contains("check the credentials from AZURE_STORAGE_KEY"), denied.getMessage());
        StorageException anonymous = AzureErrors.classify(404, "ResourceNotFound", l, u, none, "e", null);
        assertEquals(Kind.ACCESS_DENIED, anonymous.kind(), "a private container answers anonymous requests with 404");
        assertTrue(anonymous.getMessage().contains("AZURE_STORAGE_CONNECTION_STRING"), anonymous.getMessage());
        for (int status : new int[] {500, 503, 429}) {
            assertEquals(Kind.TRANSIENT, AzureErrors.classify(status, null, l, u, key, "e", null).kind(), "" + status);
        }
        assertEquals(Kind.TRANSIENT, AzureErrors.classify(503, "ServerBusy", l, u, key, "e", null).kind());
        assertEquals(Kind.MISCONFIGURED, AzureErrors.classify(501, null, l, u, key, "e", null).kind(), "asked again, same answer");
        assertEquals(Kind.CORRUPT, AzureErrors.classify(400, "Md5Mismatch", l, u, key, "e", null).kind());
        assertEquals(Kind.MISCONFIGURED, AzureErrors.classify(409, "LeaseIdMissing", l, u, key, "e", null).kind());
    }

    @Test
    void settingsHaveRangesAndBoundTheMemoryATransferHolds() throws Exception {
        AzureSettings d = AzureSettings.from(key -> Optional.empty());
        assertEquals(8L << 20, d.blockSize());
        assertEquals(30, d.timeout().toSeconds());
        for (Map<String, String> bad : java.util.List.of(Map.of("lfs-cloud.azure.timeoutSeconds", "0"),
                Map.of("lfs-cloud.azure.blockSize", "64m"), Map.of("lfs-cloud.azure.uploadConcurrency", "abc"),
                Map.of("lfs-cloud.azure.downloadPartSize", "16m", "lfs-cloud.azure.downloadConcurrency", "4"),
                Map.of("lfs-cloud.azure.endpoint", "ftp://x"), Map.of("lfs-cloud.azure.endpoint", "http://u:p@h/"))) {
            StorageException e = assertThrows(StorageException.class, () -> AzureSettings.from(k -> Optional.ofNullable(bad.get(k))),
                    bad.toString());
            assertEquals(Kind.MISCONFIGURED, e.kind());
            assertTrue(e.getMessage().contains("lfs-cloud.azure."), e.getMessage());
        }
    }
}
