package io.lfscloud.e2e;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The git-lfs-cloud command line, as users run it from git. */
class CliTest {

    @TempDir
    Path tmp;

    Sandbox sb;
    Path repo;

    @BeforeEach
    void setUp() throws IOException {
        sb = new Sandbox(tmp);
        repo = tmp.resolve("repo");
        sb.git(tmp, "init", "-q", repo.toString()).ok();
    }

    private String config(Path dir, String... args) {
        String[] cmd = new String[args.length + 1];
        cmd[0] = "config";
        System.arraycopy(args, 0, cmd, 1, args.length);
        return sb.git(dir, cmd).out().strip();
    }

    @Test
    void installConfiguresGitLfsAndIsIdempotent() {
        for (int i = 0; i < 2; i++) {
            sb.run(repo, "git", "lfs-cloud", "install").ok();
        }
        assertEquals("git-lfs-cloud", config(repo, "--local", "--get-all", "lfs.customtransfer.lfs-cloud.path"),
                "one value, the command as found on PATH (so that moving or upgrading the install keeps working)");
        assertEquals("agent", config(repo, "--local", "--get-all", "lfs.customtransfer.lfs-cloud.args"));
        assertEquals("lfs-cloud", config(repo, "--local", "--get-all", "lfs.standalonetransferagent"));
        assertTrue(Files.exists(repo.resolve(".git/hooks/pre-push")), "git-lfs hooks are installed");
        assertFalse(Files.exists(sb.home.resolve(".gitconfig")) && config(repo, "--global", "--get",
                "lfs.standalonetransferagent").equals("lfs-cloud"), "a repository install leaves the user's config alone");
    }

    @Test
    void installGlobalWritesTheUsersConfigFromAnywhere() {
        Path store = tmp.resolve("global-store");
        sb.run(tmp, "git", "lfs-cloud", "install", "--global", "--store", store.toUri().toString(), "--create").ok();
        assertEquals("lfs-cloud", config(tmp, "--global", "--get", "lfs.standalonetransferagent"));
        assertEquals(store.toUri().toString(), config(tmp, "--global", "--get", "lfs-cloud.store"));
        assertTrue(Files.isDirectory(store), "--create made the folder");
        assertEquals("git-lfs filter-process", config(tmp, "--global", "--get", "filter.lfs.process"));
    }

    @Test
    void installStoreSharedWritesTheCommittedConfig() throws IOException {
        Path store = Files.createDirectories(tmp.resolve("shared-store"));
        sb.run(repo, "git", "lfs-cloud", "install", "--store", store.toString(), "--shared").ok();
        String shared = Files.readString(repo.resolve(".lfs-meta/config"));
        assertTrue(shared.contains("store = " + store.toUri()), shared);
        assertEquals("", config(repo, "--local", "--get", "lfs-cloud.store"), "not in .git/config");
    }

    @Test
    void installRefusesAStoreNoBackendServes() {
        Sandbox.Result r = sb.run(repo, "git", "lfs-cloud", "install", "--store", "gopher://host/x");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("gopher://host/x") && r.err().contains("installed backends: file (file)"), r.err());
        assertEquals(1, r.err().strip().lines().count(), "one line, no stack trace: " + r.err());
        assertEquals("", config(repo, "--get", "lfs-cloud.store"));
    }

    @Test
    void installChecksTheStoreFirstAndARefusedStoreChangesNothing() throws IOException {
        Path missing = tmp.resolve("unmounted/share");
        Sandbox.Result r = sb.run(repo, "git", "lfs-cloud", "install", "--store", missing.toUri().toString());
        assertEquals(1, r.exitCode(), r.all());
        assertTrue(r.err().contains("does not exist") && r.err().contains("--create"), r.err());
        Path file = Files.writeString(tmp.resolve("a-file"), "x");
        Sandbox.Result notFolder = sb.run(repo, "git", "lfs-cloud", "install", "--store", file.toUri().toString());
        assertTrue(notFolder.err().contains("is not a folder"), notFolder.err());
        Sandbox.Result https = sb.run(repo, "git", "lfs-cloud", "install", "--store", "https://data.example.org/lfs");
        assertEquals(2, https.exitCode(), https.all());
        assertTrue(https.err().contains("read-only"), https.err());
        for (String key : new String[] {"lfs-cloud.store", "lfs.customtransfer.lfs-cloud.path", "lfs.standalonetransferagent"}) {
            assertEquals("", config(repo, "--get", key), key + " was written although the store was refused");
        }
        assertFalse(Files.exists(missing), "nothing created without --create");
        sb.run(repo, "git", "lfs-cloud", "install", "--store", missing.toUri().toString(), "--create").ok();
        assertTrue(Files.isDirectory(missing));
    }

    @Test
    void uninstallRemovesWhatInstallAdded() {
        sb.run(repo, "git", "lfs-cloud", "install", "--protocol", "2").ok();
        Sandbox.Result r = sb.run(repo, "git", "lfs-cloud", "uninstall").ok();
        assertTrue(r.out().contains("lfs.customtransfer.lfs-cloud.* removed"), r.out());
        assertEquals("", config(repo, "--local", "--get-regexp", "^lfs\\.customtransfer\\.lfs-cloud\\."));
        assertEquals("", config(repo, "--local", "--get", "lfs.standalonetransferagent"));
        assertEquals("git-lfs filter-process", config(repo, "--get", "filter.lfs.process"), "git-lfs itself stays");
        assertTrue(sb.run(repo, "git", "lfs-cloud", "uninstall").ok().out().contains("nothing removed"));
    }

    @Test
    void aLauncherNotOnPathIsWrittenAbsoluteWithAWarning() {
        Sandbox.Result r = sb.run(repo, Map.of("PATH", "/usr/bin:/bin"), Sandbox.LAUNCHER.toString(), "install").ok();
        assertEquals(Sandbox.LAUNCHER.toString(), config(repo, "--local", "--get", "lfs.customtransfer.lfs-cloud.path"));
        assertTrue(r.all().contains("not first on your PATH") && r.all().contains("run install again"), r.all());
    }

    @Test
    void installOutsideARepositoryExplainsAndFails() {
        Path notRepo = tmp.resolve("plain");
        sb.run(tmp, "mkdir", notRepo.toString()).ok();
        Sandbox.Result r = sb.run(notRepo, "git", "lfs-cloud", "install");
        assertEquals(1, r.exitCode());
        String expected = "git-lfs-cloud: error: not in a git repository: " + notRepo;
        assertEquals(expected + "; use --global outside one", r.err().strip());
        // every command that needs a repository says it the same way
        for (String command : List.of("status", "verify", "resolve", "trust", "uninstall")) {
            String err = sb.run(notRepo, "git", "lfs-cloud", command).err().strip();
            assertTrue(err.startsWith(expected), command + ": " + err);
        }
    }

    @Test
    void installProtocolTwoWritesTheVersionAndMode() {
        sb.run(repo, "git", "lfs-cloud", "install", "--protocol", "2", "--concurrency-mode", "batch").ok();
        assertEquals("2", config(repo, "--local", "--get", "lfs.customtransfer.lfs-cloud.protocol"));
        assertEquals("batch", config(repo, "--local", "--get", "lfs.customtransfer.lfs-cloud.concurrencyMode"));
        sb.run(repo, "git", "lfs-cloud", "install", "--protocol", "1").ok();
        assertEquals("", config(repo, "--local", "--get", "lfs.customtransfer.lfs-cloud.protocol"));
        assertEquals(2, sb.run(repo, "git", "lfs-cloud", "install", "--protocol", "3").exitCode());
        assertEquals(2, sb.run(repo, "git", "lfs-cloud", "install", "--concurrency-mode", "batch").exitCode());
        assertEquals(2, sb.run(repo, "git", "lfs-cloud", "install", "--protocol", "2", "--concurrency-mode", "turbo").exitCode());
    }

    @Test
    void badUsageExitsWithTwo() {
        assertEquals(2, sb.run(repo, "git", "lfs-cloud", "no-such-command").exitCode());
        assertEquals(2, sb.run(repo, "git", "lfs-cloud", "install", "--no-such-option").exitCode());
        assertEquals(2, sb.run(repo, "git", "lfs-cloud", "install", "--shared").exitCode());
        assertEquals(2, sb.run(repo, "git", "lfs-cloud").exitCode());
    }

    @Test
    void everyCommandHasHelp() {
        for (String command : new String[] {"agent", "install", "clone", "backends", "version"}) {
            Sandbox.Result r = sb.run(repo, Sandbox.LAUNCHER.toString(), command, "--help").ok();
            assertTrue(r.out().startsWith("Usage: git-lfs-cloud " + command), r.out());
        }
    }

    @Test
    void backendsListsTheEmbeddedFileStore() {
        String out = sb.run(repo, "git", "lfs-cloud", "backends").ok().out();
        assertTrue(out.matches("(?s)file\\s+file\\s+module io\\.lfscloud\\.backend\\.file .*"), out);
    }

    @Test
    void versionNamesTheProduct() {
        assertTrue(sb.run(repo, "git", "lfs-cloud", "version").ok().out().startsWith("lfs-cloud 0."));
        assertTrue(sb.run(repo, Sandbox.LAUNCHER.toString(), "--version").ok().out().startsWith("lfs-cloud 0."));
    }

    @Test
    void cloneRefusesANonEmptyDestinationAndReportsGitFailures() throws IOException {
        Files.writeString(Files.createDirectories(tmp.resolve("taken")).resolve("f"), "x");
        Sandbox.Result taken = sb.run(tmp, "git", "lfs-cloud", "clone", repo.toString(), "taken");
        assertEquals(2, taken.exitCode());
        assertTrue(taken.err().contains("already exists"), taken.err());

        Sandbox.Result missing = sb.run(tmp, "git", "lfs-cloud", "clone", tmp.resolve("nope.git").toString());
        assertEquals(1, missing.exitCode());
        assertTrue(missing.err().contains("git clone failed"), missing.err());
    }
}
