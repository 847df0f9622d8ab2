package io.lfscloud.e2e;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

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
        assertEquals(Sandbox.LAUNCHER.toString(), config(repo, "--local", "--get-all", "lfs.customtransfer.lfs-cloud.path"),
                "one value, the launcher's own absolute path");
        assertEquals("agent", config(repo, "--local", "--get-all", "lfs.customtransfer.lfs-cloud.args"));
        assertEquals("lfs-cloud", config(repo, "--local", "--get-all", "lfs.standalonetransferagent"));
        assertTrue(Files.exists(repo.resolve(".git/hooks/pre-push")), "git-lfs hooks are installed");
        assertFalse(Files.exists(sb.home.resolve(".gitconfig")) && config(repo, "--global", "--get",
                "lfs.standalonetransferagent").equals("lfs-cloud"), "a repository install leaves the user's config alone");
    }

    @Test
    void installGlobalWritesTheUsersConfigFromAnywhere() {
        sb.run(tmp, "git", "lfs-cloud", "install", "--global", "--store", "file:///srv/lfs").ok();
        assertEquals("lfs-cloud", config(tmp, "--global", "--get", "lfs.standalonetransferagent"));
        assertEquals("file:///srv/lfs/", config(tmp, "--global", "--get", "lfs-cloud.store"));
        assertEquals("git-lfs filter-process", config(tmp, "--global", "--get", "filter.lfs.process"));
    }

    @Test
    void installStoreSharedWritesTheCommittedConfig() throws IOException {
        sb.run(repo, "git", "lfs-cloud", "install", "--store", "/srv/lfs", "--shared").ok();
        String shared = Files.readString(repo.resolve(".lfs-meta/config"));
        assertTrue(shared.contains("store = file:///srv/lfs/"), shared);
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
    void installOutsideARepositoryExplainsAndFails() {
        Path notRepo = tmp.resolve("plain");
        sb.run(tmp, "mkdir", notRepo.toString()).ok();
        Sandbox.Result r = sb.run(notRepo, "git", "lfs-cloud", "install");
        assertEquals(1, r.exitCode());
        assertTrue(r.err().contains("not in a git working tree") && r.err().contains("--global"), r.err());
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
