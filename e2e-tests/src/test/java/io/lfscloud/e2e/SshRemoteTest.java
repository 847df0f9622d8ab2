package io.lfscloud.e2e;

import io.lfscloud.testkit.LfsServer;
import io.lfscloud.testkit.Sshd;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A repository whose remote is {@code ssh://}: real git, real git-lfs, a real sshd on 127.0.0.1
 * whose {@code git-lfs-authenticate} hands out JGit's LFS server (behind basic authentication) with
 * an {@code Authorization} header, as Git LFS hosts do. lfs-cloud (installed globally) pushes and
 * clones through it without any credential helper; plain git-lfs against the same setup gives the
 * same files and the same server state.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SshRemoteTest {

    @TempDir
    static Path tmp;

    LfsServer server;
    Sshd sshd;

    @BeforeAll
    void start() throws Exception {
        server = new LfsServer(tmp.resolve("lfs-server"), "alice", "s3cret");
        String basic = "Basic " + Base64.getEncoder().encodeToString("alice:s3cret".getBytes(StandardCharsets.UTF_8));
        sshd = new Sshd(tmp.resolve("sshd"), server.endpoint(), basic, 3600);
    }

    @AfterAll
    void stop() throws Exception {
        sshd.close();
        server.close();
    }

    /** A user's world whose git reaches the sshd with its test key, LFS locks not asked for. */
    private Sandbox world(String name) throws IOException {
        Sandbox sb = new Sandbox(tmp.resolve(name));
        sb.env("GIT_SSH_COMMAND", sshd.sshCommand());
        sb.git(sb.root, "config", "--global", "lfs.locksverify", "false").ok();
        return sb;
    }

    private static Map<String, String> write(Path work, String prefix, int count, long seed) throws IOException {
        Map<String, String> oids = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            oids.put(prefix + i + ".bin", Sandbox.writeRandom(work.resolve(prefix + i + ".bin"), 3000 + i * 2000L, seed + i));
        }
        return oids;
    }

    private TreeSet<String> serverObjects() throws IOException {
        try (Stream<Path> s = Files.walk(tmp.resolve("lfs-server"))) {
            return s.filter(Files::isRegularFile).map(p -> p.getFileName().toString())
                    .filter(n -> n.matches("[0-9a-f]{64}")).collect(java.util.stream.Collectors.toCollection(TreeSet::new));
        }
    }

    @Test
    void lfsCloudAndPlainGitLfsPushAndCloneAnSshRemoteAlike() throws Exception {
        Sandbox sb = world("lfs-cloud");
        sb.run(sb.root, "git", "lfs-cloud", "install", "--global").ok();
        Path origin = sb.root.resolve("origin.git");
        sb.git(sb.root, "init", "-q", "--bare", origin.toString()).ok();
        Path work = sb.root.resolve("work");
        sb.git(sb.root, "init", "-q", work.toString()).ok();
        sb.git(work, "remote", "add", "origin", sshd.url(origin)).ok();
        sb.git(work, "lfs", "track", "*.bin").ok();
        Map<String, String> oids = write(work, "a", 3, 100);

        // lfs-cloud pushes: its agent asks git-lfs-authenticate for the upload, then the server
        long batches = server.batchCalls("lfs-cloud");
        sb.git(work, "add", "-A").ok();
        sb.git(work, "commit", "-q", "-m", "over ssh").ok();
        sb.git(work, "push", "-q", "origin", "HEAD").ok();
        assertTrue(sshd.authentications("upload") > 0, "git-lfs-authenticate asked for the upload: " + sshd.commands());
        assertTrue(server.batchCalls("lfs-cloud") > batches, "lfs-cloud called the server git-lfs-authenticate named");
        assertTrue(sshd.commands().contains("git-lfs-authenticate " + origin + " upload"), "the path as git-lfs sends it");
        for (String oid : oids.values()) {
            assertTrue(server.has(oid), "on the LFS server: " + oid);
        }
        assertEquals(new TreeSet<>(oids.values()), serverObjects());
        assertFalse(Files.exists(sb.home.resolve(".git-credentials")), "no credential helper was needed");

        // a plain git clone of the ssh remote checks everything out through lfs-cloud
        long downloads = sshd.authentications("download");
        Path clone = sb.root.resolve("clone");
        sb.git(sb.root, "clone", "-q", sshd.url(origin), clone.toString()).ok();
        for (Map.Entry<String, String> e : oids.entrySet()) {
            assertEquals(e.getValue(), Sandbox.sha256(clone.resolve(e.getKey())), "checked out: " + e.getKey());
        }
        assertTrue(sshd.authentications("download") > downloads, "downloads asked git-lfs-authenticate too");

        // plain git-lfs against the same setup: the same files from the same server...
        Sandbox plain = world("plain");
        plain.git(plain.root, "lfs", "install").ok();
        Path plainClone = plain.root.resolve("clone");
        long byGitLfs = server.batchCalls("git-lfs");
        plain.git(plain.root, "clone", "-q", sshd.url(origin), plainClone.toString()).ok();
        assertTrue(server.batchCalls("git-lfs") > byGitLfs, "plain git-lfs spoke to the server itself");
        for (Map.Entry<String, String> e : oids.entrySet()) {
            assertEquals(e.getValue(), Sandbox.sha256(plainClone.resolve(e.getKey())), "plain git-lfs reads " + e.getKey());
        }
        // ...and what it pushes lands as lfs-cloud's did, and lfs-cloud reads it
        Map<String, String> more = write(plainClone, "b", 2, 200);
        plain.git(plainClone, "add", "-A").ok();
        plain.git(plainClone, "commit", "-q", "-m", "plain git-lfs over ssh").ok();
        plain.git(plainClone, "push", "-q", "origin", "HEAD").ok();
        TreeSet<String> expected = new TreeSet<>(oids.values());
        expected.addAll(more.values());
        assertEquals(expected, serverObjects(), "the server holds exactly what both pushed");
        sb.git(clone, "pull", "-q", "origin", "main").ok();
        for (Map.Entry<String, String> e : more.entrySet()) {
            assertEquals(e.getValue(), Sandbox.sha256(clone.resolve(e.getKey())), "lfs-cloud reads " + e.getKey());
        }
        assertFalse(Files.readString(sb.home.resolve(".gitconfig")).contains("Basic "), "no header written anywhere");
        assertFalse(Files.readString(clone.resolve(".git/config")).contains("Basic "), "no header written anywhere");
    }

    @Test
    void aHostThatSshWouldReadAsAnOptionIsRefusedWithOneClearError() throws Exception {
        Sandbox sb = world("hostile");
        sb.run(sb.root, "git", "lfs-cloud", "install", "--global").ok();
        Path work = sb.root.resolve("work");
        sb.git(sb.root, "init", "-q", work.toString()).ok();
        Path pwned = sb.root.resolve("pwned");
        // a committed .lfsconfig may name the LFS server: never an option to ssh
        Files.writeString(work.resolve(".lfsconfig"), "[lfs]\n\turl = ssh://-oProxyCommand=touch%20" + pwned + "/r.git\n");
        sb.git(work, "lfs", "track", "*.bin").ok();
        Sandbox.writeRandom(work.resolve("x.bin"), 1000, 1);
        sb.git(work, "add", "-A").ok();
        sb.git(work, "commit", "-q", "-m", "x").ok();
        Path origin = sb.root.resolve("origin.git");
        sb.git(sb.root, "init", "-q", "--bare", origin.toString()).ok();
        sb.git(work, "remote", "add", "origin", origin.toString()).ok();
        Sandbox.Result push = sb.run(work, "git", "push", "-q", "origin", "HEAD").failed();
        assertTrue(push.all().contains("refusing the SSH remote"), push.all());
        assertFalse(Files.exists(pwned), "ssh never ran the option");
    }
}
