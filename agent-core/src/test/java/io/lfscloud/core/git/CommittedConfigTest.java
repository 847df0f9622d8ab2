package io.lfscloud.core.git;

import io.lfscloud.spi.StorageException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a committed {@code .lfs-meta/config} may set, with and without the user's trust. */
class CommittedConfigTest {

    @TempDir
    Path repo;
    Path config;

    @BeforeEach
    void init() throws Exception {
        git("init", "-q");
        config = Files.createDirectories(repo.resolve(".lfs-meta")).resolve("config");
    }

    private void git(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("git"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(repo.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertEquals(0, p.waitFor(), String.join(" ", cmd));
    }

    private Repository open() throws IOException {
        return Repository.open(repo, false);
    }

    @Test
    void safeKeysAreHonouredAndTheOthersWithheldUntilTrusted() throws Exception {
        Files.writeString(config, """
                [lfs-cloud]
                \tstore = s3://bucket/lfs
                \tpluginPath = /opt/evil
                \tallowFileUrls = true
                [lfs-cloud "s3"]
                \tendpoint = http://attacker.example
                \tpartSize = 32m
                """);
        Repository r = open();
        assertEquals(Optional.of("s3://bucket/lfs"), r.setting("lfs-cloud.store"));
        assertEquals(Optional.of("32m"), r.setting("lfs-cloud.s3.partSize"));
        assertEquals(Optional.empty(), r.setting("lfs-cloud.pluginPath"));
        assertEquals(Optional.empty(), r.setting("lfs-cloud.s3.endpoint"));
        assertFalse(r.backendConfig().flag("lfs-cloud.allowFileUrls", false));
        assertEquals(List.of("lfs-cloud.allowFileUrls", "lfs-cloud.pluginPath", "lfs-cloud.s3.endpoint"),
                r.committed().refused());
        assertTrue(r.committed().warning().contains("git lfs-cloud trust"));

        git("config", "--local", CommittedConfig.TRUST_KEY, r.committed().sha256());
        Repository trusted = open();
        assertEquals(Optional.of("/opt/evil"), trusted.setting("lfs-cloud.pluginPath"));
        assertEquals(Optional.of("http://attacker.example"), trusted.setting("lfs-cloud.s3.endpoint"));
        assertEquals(List.of(), trusted.committed().refused());

        Files.writeString(config, Files.readString(config).replace("attacker", "other"));
        Repository changed = open();
        assertEquals(Optional.empty(), changed.setting("lfs-cloud.s3.endpoint"), "a changed file needs trust again");
    }

    @Test
    void aBucketsSettingsAreAsSafeAsTheSettingsTheyOverride() throws Exception {
        Files.writeString(config, """
                [lfs-cloud "s3.other.bucket"]
                \tendpoint = http://attacker.example
                \tregion = eu-west-1
                \tpathStyle = true
                """);
        Repository r = open();
        assertEquals(Optional.of("eu-west-1"), r.setting("lfs-cloud.s3.other.bucket.region"));
        assertEquals(Optional.of("true"), r.setting("lfs-cloud.s3.other.bucket.pathStyle"));
        assertEquals(Optional.empty(), r.setting("lfs-cloud.s3.other.bucket.endpoint"));
        assertEquals(Optional.of("eu-west-1"), r.backendConfig().scoped("s3", "other.bucket").get("lfs-cloud.s3.region"));
        assertEquals(Optional.empty(), r.backendConfig().scoped("s3", "other.bucket").get("lfs-cloud.s3.endpoint"));
        assertEquals(List.of("lfs-cloud.s3.other.bucket.endpoint"), r.committed().refused());
        assertEquals("lfs-cloud.s3.b.pathStyle", CommittedConfig.displayName("lfs-cloud.s3.b.pathstyle"));

        git("config", "--local", CommittedConfig.TRUST_KEY, r.committed().sha256());
        assertEquals(Optional.of("http://attacker.example"),
                open().backendConfig().scoped("s3", "other.bucket").get("lfs-cloud.s3.endpoint"));
    }

    @Test
    void namedStoresAddUpStoreByStoreAndTheUsersKeysWin() throws Exception {
        Files.writeString(config, """
                [lfs-cloud]
                \tcopies = 1
                [lfs-cloud "store.cloud"]
                \turl = s3://bucket/lfs
                \tpriority = 5
                \tendpoint = http://attacker.example
                [lfs-cloud "store.web"]
                \turl = https://mirror.example.org/lfs
                \twrite = false
                """);
        git("config", "--local", "lfs-cloud.store.cloud.priority", "-1");
        git("config", "--local", "lfs-cloud.store.nas.url", "file:///mnt/nas");
        git("config", "--local", "lfs-cloud.store.web.url", ""); // hides the committed store
        Repository r = open();
        io.lfscloud.core.store.Stores stores = r.stores();
        assertEquals(List.of("nas", "cloud"), stores.readOrder().stream().map(io.lfscloud.core.store.Stores.Store::name).toList());
        assertEquals(-1, stores.named("cloud").orElseThrow().priority());
        assertEquals(1, stores.copies());
        assertTrue(r.isUserSetting("lfs-cloud.store.nas.url"));
        assertFalse(r.isUserSetting("lfs-cloud.store.cloud.url"));
        assertEquals(List.of("lfs-cloud.store.cloud.endpoint"), r.committed().untrustedKeys(),
                "a store's URL, write and priority are safe, nothing else of it");
    }

    @Test
    void theUsersOwnConfigWinsAndNeedsNoTrust() throws Exception {
        Files.writeString(config, "[lfs-cloud]\n\tstore = file:///committed\n");
        git("config", "--local", "lfs-cloud.store", "file:///mine");
        git("config", "--local", "lfs-cloud.allowFileUrls", "true");
        Repository r = open();
        assertEquals(Optional.of("file:///mine"), r.setting("lfs-cloud.store"));
        assertTrue(r.backendConfig().flag("lfs-cloud.allowFileUrls", false));
    }

    @Test
    void includesInTheCommittedFileAreNotFollowed() throws Exception {
        Path other = repo.resolve("other.cfg");
        Files.writeString(other, "[lfs-cloud]\n\tstore = file:///included\n");
        Files.writeString(config, "[include]\n\tpath = " + other + "\n");
        assertEquals(Optional.empty(), open().setting("lfs-cloud.store"));
    }

    @Test
    void aSymlinkAnOversizedFileAndGarbageAreIgnoredWithAReason() throws Exception {
        Path elsewhere = repo.resolve("elsewhere.cfg");
        Files.writeString(elsewhere, "[lfs-cloud]\n\tstore = file:///elsewhere\n");
        Files.createSymbolicLink(config, elsewhere);
        Repository linked = open();
        assertEquals(Optional.empty(), linked.setting("lfs-cloud.store"));
        assertTrue(linked.committed().problem().contains("symbolic link"), linked.committed().problem());

        Files.delete(config);
        Files.writeString(config, "[lfs-cloud]\n\tstore = file:///big\n" + "#".repeat(CommittedConfig.MAX_BYTES) + "\n");
        assertTrue(open().committed().problem().contains("larger than 64 KiB"));
        assertEquals(Optional.empty(), open().setting("lfs-cloud.store"));

        Files.writeString(config, "[[[ not a config");
        assertTrue(open().committed().problem().contains("not a git config file"));

        // a linked .lfs-meta folder is not followed either
        Path outside = Files.createDirectories(repo.resolve("outside"));
        Files.writeString(outside.resolve("config"), "[lfs-cloud]\n\tstore = file:///outside\n");
        Files.delete(config);
        Files.delete(config.getParent());
        Files.createSymbolicLink(config.getParent(), outside);
        Repository viaLink = open();
        assertEquals(Optional.empty(), viaLink.setting("lfs-cloud.store"));
        assertTrue(viaLink.committed().problem().contains(".lfs-meta is a symbolic link"), viaLink.committed().problem());
    }

    @Test
    void readFromHeadWhenNotCheckedOutAndAsTheSameBytes() throws Exception {
        Files.writeString(config, "[lfs-cloud]\n\tstore = file:///from-head\n\tpluginPath = /x\n");
        String sha = open().committed().sha256();
        git("add", ".lfs-meta/config");
        git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "c");
        Files.delete(config);
        Repository r = open();
        assertEquals(Optional.of("file:///from-head"), r.setting("lfs-cloud.store"));
        assertEquals(sha, r.committed().sha256(), "the trusted hash must not depend on where the file was read");
    }

    @Test
    void redirectsAreHeldToTheUrlPolicy() throws Exception {
        Repository r = open();
        URI from = URI.create("http://data.example.org/a.bin");
        r.backendConfig().checkRedirect(from, URI.create("https://cdn.example.org/a.bin"));
        StorageException metadata = assertThrows(StorageException.class,
                () -> r.backendConfig().checkRedirect(from, URI.create("http://169.254.169.254/latest/meta-data/")));
        assertEquals(StorageException.Kind.ACCESS_DENIED, metadata.kind());
        assertThrows(StorageException.class, () -> r.backendConfig().checkRedirect(from, URI.create("file:///etc/passwd")));
        assertThrows(StorageException.class,
                () -> r.backendConfig().checkRedirect(from, URI.create("https://user:pw@cdn.example.org/a.bin")));
    }
}
