package io.lfscloud.e2e;

import io.lfscloud.testkit.Azurite;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Azure plugin, as shipped in the product's plugins/azure, against a real Azure Blob
 * server (Azurite, checking Shared Key signatures and SAS tokens), driven by the real git-lfs.
 * The only setting most tests give is Azurite's connection string in
 * {@code AZURE_STORAGE_CONNECTION_STRING}, as a user of the emulator would.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AzureBackendTest {

    /** A key of the right shape that is not the account's. */
    static final String WRONG_KEY = java.util.Base64.getEncoder().encodeToString(new byte[64]);

    @TempDir
    static Path tmp;

    Azurite azurite;
    Sandbox sb;
    int n;

    @BeforeAll
    void start() throws Exception {
        azurite = new Azurite(tmp);
        sb = new Sandbox(tmp);
        sb.env("AZURE_STORAGE_CONNECTION_STRING", azurite.connectionString());
        azurite.createContainer("lfs");
        azurite.createContainer("data");
    }

    @AfterAll
    void stop() throws InterruptedException {
        azurite.close();
    }

    /** A project whose committed config names an Azure store. */
    private Sandbox.Project project(String storeUrl) throws Exception {
        Sandbox.Project p = sb.project("az-" + (++n));
        Path shared = p.work().resolve(".lfs-meta/config");
        sb.git(p.work(), "config", "-f", shared.toString(), "lfs-cloud.store", storeUrl).ok();
        return p;
    }

    private void commitAndPush(Sandbox.Project p, Map<String, String> env) {
        sb.git(p.work(), "add", "-A").ok();
        sb.git(p.work(), "commit", "-q", "-m", "az").ok();
        sb.run(p.work(), env, "git", "push", "-q", "origin", "main").ok();
    }

    private Path cloneOf(Sandbox.Project p, Map<String, String> env) {
        Path clone = tmp.resolve("clone-" + (++n));
        sb.run(tmp, env, "git", "lfs-cloud", "clone", p.origin().toString(), clone.toString()).ok();
        return clone;
    }

    private static String blob(String prefix, String oid) {
        return prefix + oid.substring(0, 2) + "/" + oid.substring(2, 4) + "/" + oid;
    }

    @Test
    void realGitLfsPushesClonesAndFetchesAllThroughAnAzStoreWithOnlyTheConnectionString() throws Exception {
        Sandbox.Project p = project("az://" + Azurite.ACCOUNT + "/lfs/repo-a/");
        // blocks of 1 MB (a committed tunable): the 3 MB object is staged as blocks and read as ranges
        Path shared = p.work().resolve(".lfs-meta/config");
        sb.git(p.work(), "config", "-f", shared.toString(), "lfs-cloud.azure.blockSize", "1m").ok();
        sb.git(p.work(), "config", "-f", shared.toString(), "lfs-cloud.azure.downloadPartSize", "1m").ok();
        String v1 = Sandbox.writeRandom(p.work().resolve("data.bin"), 5000, 1);
        String big = Sandbox.writeRandom(p.work().resolve("big.bin"), (3L << 20) + 77, 2);
        commitAndPush(p, Map.of());
        String v2 = Sandbox.writeRandom(p.work().resolve("data.bin"), 6000, 3);
        commitAndPush(p, Map.of());
        assertArrayEquals(Files.readAllBytes(p.work().resolve("data.bin")), azurite.get("/lfs/" + blob("repo-a/", v2)));
        assertNotNull(azurite.get("/lfs/" + blob("repo-a/", big)));
        assertTrue(azurite.listing("lfs").contains(big), "committed");

        Path clone = cloneOf(p, Map.of());
        assertEquals(v2, Sandbox.sha256(clone.resolve("data.bin")));
        assertEquals(big, Sandbox.sha256(clone.resolve("big.bin")));
        Path objects = clone.resolve(".git/lfs/objects");
        assertFalse(Files.exists(Sandbox.objectPath(objects, v1)), "a plain pull fetches only what HEAD needs");
        sb.git(clone, "lfs", "fetch", "--all", "origin").ok();
        assertEquals(v1, Sandbox.sha256(Sandbox.objectPath(objects, v1)));

        // doctor names where the credentials come from, never what they are, and the store answers
        Sandbox.Result doctor = sb.run(clone, "git", "lfs-cloud", "doctor");
        assertTrue(doctor.out().lines().anyMatch(l -> l.startsWith("ok    credentials")
                && l.contains("found (not shown): AZURE_STORAGE_CONNECTION_STRING")), doctor.out());
        assertTrue(doctor.out().lines().anyMatch(l -> l.startsWith("ok    store answers")), doctor.out());
        assertFalse(doctor.all().contains(Azurite.KEY) || doctor.all().contains("AccountKey="), doctor.all());
    }

    @Test
    void aBlobAlreadyInAContainerIsTrackedInPlaceClonedAndRefusedOnceChanged() throws Exception {
        byte[] content = new byte[700_000];
        new Random(4).nextBytes(content);
        azurite.put("/data/genomes/sample%20one.bam", content);
        Sandbox.Project p = project("az://" + Azurite.ACCOUNT + "/lfs/repo-t/");
        String out = sb.run(p.work(), "git", "lfs-cloud", "track-remote", "sample.bam", "--url",
                "az://" + Azurite.ACCOUNT + "/data/genomes/sample%20one.bam").ok().out();
        assertTrue(out.contains("tracked  sample.bam"), out);
        commitAndPush(p, Map.of());
        assertArrayEquals(content, Files.readAllBytes(cloneOf(p, Map.of()).resolve("sample.bam")));
        assertEquals(0, sb.run(p.work(), "git", "lfs-cloud", "verify").exitCode());

        byte[] other = new byte[700_000];
        new Random(5).nextBytes(other);
        azurite.put("/data/genomes/sample%20one.bam", other);
        Path clone = tmp.resolve("clone-changed");
        Sandbox.Result r = sb.run(tmp, "git", "lfs-cloud", "clone", p.origin().toString(), clone.toString());
        assertTrue(r.all().contains("changed since it was tracked"), r.all());
        Sandbox.Result verify = sb.run(p.work(), "git", "lfs-cloud", "verify");
        assertEquals(1, verify.exitCode(), verify.all());
        assertTrue(verify.all().contains("changed"), verify.all());
    }

    @Test
    void aWrongKeyIsAClearAccessDeniedAndTheRightOneWorks() throws Exception {
        Sandbox.Project p = project("az://" + Azurite.ACCOUNT + "/lfs/repo-key/");
        String oid = Sandbox.writeRandom(p.work().resolve("k.bin"), 4000, 6);
        sb.git(p.work(), "add", "-A").ok();
        sb.git(p.work(), "commit", "-q", "-m", "key").ok();
        Map<String, String> wrong = Map.of("AZURE_STORAGE_CONNECTION_STRING", azurite.connectionString()
                .replace(Azurite.KEY, WRONG_KEY));
        Sandbox.Result push = sb.run(p.work(), wrong, "git", "push", "origin", "main");
        assertEquals(1, push.exitCode(), push.all());
        assertTrue(push.all().contains("Azure denied access to az://" + Azurite.ACCOUNT + "/lfs/repo-key/"), push.all());
        assertTrue(push.all().contains("check the credentials from AZURE_STORAGE_CONNECTION_STRING"), push.all());
        assertFalse(push.all().contains(WRONG_KEY) || push.all().contains(Azurite.KEY), "no key printed: " + push.all());
        assertNull(azurite.get("/lfs/" + blob("repo-key/", oid)));

        // the account name and key, as Azure's CLI reads them
        Map<String, String> key = Map.of("AZURE_STORAGE_CONNECTION_STRING", "", "AZURE_STORAGE_ACCOUNT", Azurite.ACCOUNT,
                "AZURE_STORAGE_KEY", Azurite.KEY);
        sb.git(p.work(), "config", "lfs-cloud.azure.endpoint", azurite.endpoint()).ok();
        sb.run(p.work(), key, "git", "push", "-q", "origin", "main").ok();
        assertNotNull(azurite.get("/lfs/" + blob("repo-key/", oid)));
    }

    @Test
    void aSasTokenPushesAndClones() throws Exception {
        Sandbox.Project p = project("az://" + Azurite.ACCOUNT + "/lfs/repo-sas/");
        String oid = Sandbox.writeRandom(p.work().resolve("s.bin"), 9000, 7);
        // the endpoint is the user's own setting (where the token goes)
        sb.git(p.work(), "config", "lfs-cloud.azure.endpoint", azurite.endpoint()).ok();
        Map<String, String> sas = Map.of("AZURE_STORAGE_CONNECTION_STRING", "", "AZURE_STORAGE_SAS_TOKEN",
                "?" + azurite.sasToken("rwdlac"));
        commitAndPush(p, sas);
        assertNotNull(azurite.get("/lfs/" + blob("repo-sas/", oid)));

        Map<String, String> readOnly = Map.of("AZURE_STORAGE_CONNECTION_STRING", "", "AZURE_STORAGE_SAS_TOKEN",
                azurite.sasToken("r"));
        sb.git(tmp, "config", "--global", "lfs-cloud.azure.endpoint", azurite.endpoint()).ok();
        try {
            assertEquals(oid, Sandbox.sha256(cloneOf(p, readOnly).resolve("s.bin")));
        } finally {
            sb.git(tmp, "config", "--global", "--unset", "lfs-cloud.azure.endpoint").ok();
        }
    }

    @Test
    void aMissingContainerIsAConfigurationErrorNamingIt() throws Exception {
        Sandbox.Project p = project("az://" + Azurite.ACCOUNT + "/no-such-box/x/");
        Sandbox.writeRandom(p.work().resolve("x.bin"), 1000, 8);
        sb.git(p.work(), "add", "-A").ok();
        sb.git(p.work(), "commit", "-q", "-m", "x").ok();
        Sandbox.Result push = sb.git(p.work(), "push", "origin", "main");
        assertEquals(1, push.exitCode());
        assertTrue(push.all().contains("Azure container 'no-such-box' does not exist in storage account '"
                + Azurite.ACCOUNT + "'"), push.all());
    }

    @Test
    void withoutCredentialsTheErrorSaysWhatToSet() throws Exception {
        Sandbox.Project p = project("az://" + Azurite.ACCOUNT + "/lfs/repo-none/");
        sb.git(p.work(), "config", "lfs-cloud.azure.endpoint", azurite.endpoint()).ok();
        Sandbox.writeRandom(p.work().resolve("n.bin"), 1000, 9);
        sb.git(p.work(), "add", "-A").ok();
        sb.git(p.work(), "commit", "-q", "-m", "n").ok();
        Sandbox.Result push = sb.run(p.work(), Map.of("AZURE_STORAGE_CONNECTION_STRING", ""), "git", "push", "origin", "main");
        assertEquals(1, push.exitCode());
        assertTrue(push.all().contains("no Azure credentials were found") && push.all().contains("AZURE_STORAGE_KEY"),
                push.all());
        Sandbox.Result doctor = sb.run(p.work(), Map.of("AZURE_STORAGE_CONNECTION_STRING", ""), "git", "lfs-cloud", "doctor");
        assertTrue(doctor.out().lines().anyMatch(l -> l.startsWith("warn  credentials")
                && l.contains("no Azure credentials") && l.contains("AZURE_STORAGE_CONNECTION_STRING")), doctor.out());
    }
}
