package io.lfscloud.e2e;

import com.sun.net.httpserver.HttpServer;
import io.lfscloud.testkit.Nginx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Repositories written by an attacker, cloned and worked in by a user with the real git-lfs:
 * the committed {@code .lfs-meta/config} may set only what cannot hurt until the user trusts
 * it, and records on other branches never override the store. Each attack is also shown to
 * work once the user allows it, so that every assertion of "nothing happened" can fail.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostileRepositoryTest {

    @TempDir
    static Path tmp;

    Sandbox sb;
    Nginx nginx;
    /** The attacker's server: records every request (path and headers), answers 404. */
    HttpServer trap;
    final List<String> trapped = new CopyOnWriteArrayList<>();
    final AtomicInteger counter = new AtomicInteger();

    @BeforeAll
    void start() throws Exception {
        sb = new Sandbox(tmp);
        nginx = new Nginx(tmp);
        trap = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        trap.createContext("/", exchange -> {
            trapped.add(exchange.getRequestMethod() + " " + exchange.getRequestURI() + " " + exchange.getRequestHeaders());
            exchange.sendResponseHeaders(404, -1);
            exchange.close();
        });
        trap.start();
    }

    @AfterAll
    void stop() throws InterruptedException {
        trap.stop(0);
        nginx.close();
    }

    private String trapUrl(String path) {
        return "http://127.0.0.1:" + trap.getAddress().getPort() + "/" + path;
    }

    private Sandbox.Project project() throws IOException {
        return sb.project("h" + counter.incrementAndGet());
    }

    private Path cloneDir() {
        return tmp.resolve("clone" + counter.incrementAndGet());
    }

    private void commitAndPush(Path work, String branch) {
        sb.git(work, "add", "-A").ok();
        sb.git(work, "commit", "-q", "-m", "change").ok();
        sb.git(work, "push", "-q", "origin", "HEAD:" + branch).ok();
    }

    /** A hand-written record, as an attacker would commit it. */
    private static void writeRecord(Path work, String oid, long size, String url, String path) throws IOException {
        Path f = work.resolve(".lfs-meta/sha256/" + oid + ".json");
        Files.createDirectories(f.getParent());
        Files.writeString(f, "{\n  \"path\": \"" + path + "\",\n  \"sha256\": \"" + oid + "\",\n  \"size\": " + size
                + ",\n  \"url\": \"" + url + "\"\n}\n");
    }

    private static void writePointer(Path file, String oid, long size) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, "version https://git-lfs.github.com/spec/v1\noid sha256:" + oid + "\nsize " + size + "\n");
    }

    // ------------------------------------------------------------ committed config

    @Test
    void aCommittedPluginPathNeverRunsCodeUntilTrusted() throws Exception {
        Sandbox.Project p = project();
        Path marker = tmp.resolve("pwned-" + counter.incrementAndGet());
        Path clone = cloneDir();
        // the attacker ships a provider whose constructor runs, and points pluginPath at it:
        // relative (resolved in the clone) and absolute (guessing where the victim clones)
        String provider = """
                package evil;
                public final class Evil implements io.lfscloud.spi.StorageBackendProvider {
                    public Evil() {
                        try { java.nio.file.Files.writeString(java.nio.file.Path.of("MARKER"), "ran"); }
                        catch (java.io.IOException e) { throw new java.io.UncheckedIOException(e); }
                    }
                    public String name() { return "evil"; }
                    public java.util.Set<String> schemes() { return java.util.Set.of("evil"); }
                    public io.lfscloud.spi.StorageBackend open(io.lfscloud.spi.BackendContext c) {
                        throw new UnsupportedOperationException();
                    }
                }
                """.replace("MARKER", marker.toString());
        PluginBuilder.jar(tmp, p.work().resolve("tools/plugins/evil/evil.jar"), Map.of(
                "module-info.java", "module evil { requires io.lfscloud.spi;"
                        + " provides io.lfscloud.spi.StorageBackendProvider with evil.Evil; }",
                "evil/Evil.java", provider), Map.of(), List.of(PluginBuilder.spiJar()));
        Files.writeString(p.work().resolve("a.bin"), "ordinary content\n");
        sb.git(p.work(), "config", "--file", ".lfs-meta/config", "lfs-cloud.pluginPath",
                "tools/plugins:" + clone.resolve("tools/plugins")).ok();
        commitAndPush(p.work(), "main");

        Sandbox.Result r = sb.run(tmp, "git", "lfs-cloud", "clone", p.origin().toString(), clone.toString()).ok();
        assertEquals("ordinary content\n", Files.readString(clone.resolve("a.bin")));
        assertTrue(r.err().contains("ignoring lfs-cloud.pluginPath from the committed .lfs-meta/config")
                && r.err().contains("git lfs-cloud trust"), r.err());
        sb.run(clone, "git", "lfs-cloud", "backends").ok();
        assertFalse(Files.exists(marker), "code from the cloned repository ran");

        // once the user trusts the file, its absolute folder is used (a relative one never is)
        Sandbox.Result trust = sb.run(clone, "git", "lfs-cloud", "trust").ok();
        assertTrue(trust.out().contains("lfs-cloud.pluginPath = tools/plugins:") && trust.out().contains("needs trust"),
                trust.out());
        Sandbox.Result backends = sb.run(clone, "git", "lfs-cloud", "backends");
        assertTrue(backends.err().contains("'tools/plugins' is not an absolute path"), backends.all());
        assertTrue(Files.exists(marker), "the trusted plugin folder was not loaded: " + backends.all());

        // a changed file is withheld again
        Files.delete(marker);
        Files.writeString(clone.resolve(".lfs-meta/config"), Files.readString(clone.resolve(".lfs-meta/config")) + "\n");
        Sandbox.Result changed = sb.run(clone, "git", "lfs-cloud", "backends");
        assertTrue(changed.err().contains("ignoring lfs-cloud.pluginPath"), changed.all());
        assertFalse(Files.exists(marker));
    }

    @Test
    void committedSafetySwitchesAreIgnoredSoAFileUrlRecordReadsNothing() throws Exception {
        Path secret = tmp.resolve("secret-" + counter.incrementAndGet() + ".txt");
        String oid = Sandbox.writeRandom(secret, 3000, 7);
        Sandbox.Project p = project();
        writePointer(p.work().resolve("loot.bin"), oid, 3000);
        writeRecord(p.work(), oid, 3000, secret.toUri().toString(), "loot.bin");
        sb.git(p.work(), "config", "--file", ".lfs-meta/config", "lfs-cloud.allowFileUrls", "true").ok();
        sb.git(p.work(), "config", "--file", ".lfs-meta/config", "lfs-cloud.allowMetadataHosts", "true").ok();
        sb.git(p.work(), "config", "lfs.allowincompletepush", "true").ok(); // the object exists only "there"
        commitAndPush(p.work(), "main");

        Path clone = cloneDir();
        Sandbox.Result r = sb.run(tmp, "git", "lfs-cloud", "clone", p.origin().toString(), clone.toString());
        assertEquals(1, r.exitCode(), r.all());
        assertTrue(r.all().contains("refusing " + secret.toUri()), r.all());
        assertTrue(r.err().contains("ignoring lfs-cloud.allowFileUrls, lfs-cloud.allowMetadataHosts"), r.err());
        assertNotEquals(oid, Sandbox.sha256(clone.resolve("loot.bin")));
        assertFalse(Files.exists(Sandbox.objectPath(clone.resolve(".git/lfs/objects"), oid)));

        // the user's own setting is honoured: the same clone then reads the file
        sb.git(clone, "config", "lfs-cloud.allowFileUrls", "true").ok();
        sb.git(clone, "lfs", "pull").ok();
        assertEquals(oid, Sandbox.sha256(clone.resolve("loot.bin")));
    }

    @Test
    void aCommittedS3EndpointNeverReceivesRequestsUntilTrusted() throws Exception {
        Sandbox.Project p = project();
        String oid = Sandbox.writeRandom(p.work().resolve("x.bin"), 1000, 11);
        sb.git(p.work(), "add", "-A").ok();
        sb.git(p.work(), "commit", "-q", "-m", "x").ok();
        sb.git(p.work(), "push", "-q", "origin", "HEAD:main").ok();
        // the attacker switches the store to "their" S3 endpoint
        String cfg = ".lfs-meta/config";
        sb.git(p.work(), "config", "--file", cfg, "lfs-cloud.store", "s3://bucket/lfs").ok();
        sb.git(p.work(), "config", "--file", cfg, "lfs-cloud.s3.endpoint", trapUrl("")).ok();
        // and the store bucket's own endpoint (a per-bucket setting is no safer than the one it overrides)
        sb.git(p.work(), "config", "--file", cfg, "lfs-cloud.s3.bucket.endpoint", trapUrl("")).ok();
        sb.git(p.work(), "config", "--file", cfg, "lfs-cloud.s3.timeoutSeconds", "2").ok();
        commitAndPush(p.work(), "main");

        Map<String, String> aws = Map.of("AWS_ACCESS_KEY_ID", "AKIAVICTIMKEY", "AWS_SECRET_ACCESS_KEY", "victim-secret",
                "AWS_REGION", "us-east-1", "AWS_EC2_METADATA_DISABLED", "true",
                "AWS_CONFIG_FILE", tmp.resolve("no-aws-config").toString(),
                "AWS_SHARED_CREDENTIALS_FILE", tmp.resolve("no-aws-credentials").toString());
        Path clone = cloneDir();
        trapped.clear();
        Sandbox.Result r = sb.run(tmp, aws, "git", "lfs-cloud", "clone", p.origin().toString(), clone.toString());
        assertTrue(r.err().contains("ignoring lfs-cloud.s3.bucket.endpoint, lfs-cloud.s3.endpoint"), r.all());
        assertEquals(List.of(), trapped, "requests reached the endpoint the repository named");
        // the object's own error says why the store may be unreachable, beside the one warning line
        assertTrue(r.err().contains("(note: ignoring lfs-cloud.s3.bucket.endpoint, lfs-cloud.s3.endpoint"), r.all());

        // trusted, the endpoint is used: the same channel does carry the credentials
        sb.run(clone, "git", "lfs-cloud", "trust").ok();
        sb.run(clone, aws, "git", "lfs", "pull");
        assertFalse(trapped.isEmpty(), "the trusted endpoint was not used");
        assertTrue(trapped.getFirst().contains("AKIAVICTIMKEY"), trapped.getFirst());
        assertFalse(Files.exists(Sandbox.objectPath(clone.resolve(".git/lfs/objects"), oid)));
    }

    @Test
    void trustShowsWhatARepositorySetsAndRevokeWithdrawsIt() throws Exception {
        Sandbox.Project p = project();
        sb.git(p.work(), "config", "--file", ".lfs-meta/config", "lfs-cloud.allowFileUrls", "\u001b[31mtrue").ok();
        Sandbox.Result show = sb.run(p.work(), "git", "lfs-cloud", "trust", "--show").ok();
        assertTrue(show.out().contains("lfs-cloud.store = file:"), show.out());
        assertTrue(show.out().contains("lfs-cloud.allowFileUrls = \\x1b[31mtrue  (needs trust)"), show.out());
        assertTrue(show.out().contains("not trusted"), show.out());
        assertFalse(sb.git(p.work(), "config", "lfs-cloud.trustedConfig").exitCode() == 0);
        sb.run(p.work(), "git", "lfs-cloud", "trust").ok();
        assertTrue(sb.git(p.work(), "config", "lfs-cloud.trustedConfig").ok().out().strip().matches("[0-9a-f]{64}"));
        assertTrue(sb.run(p.work(), "git", "lfs-cloud", "trust", "--show").ok().out().contains("(trusted)"));
        sb.run(p.work(), "git", "lfs-cloud", "trust", "--revoke").ok();
        assertEquals(1, sb.git(p.work(), "config", "lfs-cloud.trustedConfig").exitCode());
    }

    @Test
    void aCommittedConfigThatIsNotGitConfigIsNamedWhenThePushFindsNoStore() throws Exception {
        Sandbox.Project p = project();
        Files.writeString(p.work().resolve(".lfs-meta/config"), "[lfs-cloud\n\tstore = " + p.store().toUri() + "\n");
        Sandbox.writeRandom(p.work().resolve("x.bin"), 1000, 12);
        sb.git(p.work(), "add", "-A").ok();
        sb.git(p.work(), "commit", "-q", "-m", "x").ok();
        Sandbox.Result push = sb.git(p.work(), "push", "-q", "origin", "HEAD:main");
        assertEquals(1, push.exitCode(), push.all());
        assertTrue(push.err().contains("no store configured") && push.err().contains(
                "(note: .lfs-meta/config is not a git config file"), push.err());
    }

    @Test
    void aSymlinkedOrOversizedCommittedConfigIsIgnored() throws Exception {
        Sandbox.Project p = project();
        Path elsewhere = tmp.resolve("elsewhere-" + counter.incrementAndGet() + ".cfg");
        Files.writeString(elsewhere, "[lfs-cloud]\n\tstore = " + tmp.resolve("other-store").toUri() + "\n");
        Path cfg = p.work().resolve(".lfs-meta/config");
        Files.delete(cfg);
        Files.createSymbolicLink(cfg, elsewhere);
        Sandbox.Result r = sb.run(p.work(), "git", "lfs-cloud", "trust", "--show");
        assertEquals(1, r.exitCode(), r.all());
        assertTrue(r.err().contains(".lfs-meta/config is a symbolic link"), r.err());
        Files.delete(cfg);
        Files.writeString(cfg, "[lfs-cloud]\n\tstore = file:///x\n" + "#".repeat(70_000) + "\n");
        r = sb.run(p.work(), "git", "lfs-cloud", "trust", "--show");
        assertTrue(r.err().contains("larger than 64 KiB"), r.all());
    }

    // ------------------------------------------------------------ records elsewhere

    @Test
    void aRecordOnAnotherBranchNeverMakesAPushSkipTheStore() throws Exception {
        Sandbox.Project p = project();
        Files.writeString(p.work().resolve("README"), "start\n");
        commitAndPush(p.work(), "main");
        // the attacker's branch "tracks" the content the victim is about to push, elsewhere
        Path victimFile = tmp.resolve("victim-content-" + counter.incrementAndGet());
        String oid = Sandbox.writeRandom(victimFile, 5000, 21);
        sb.git(p.work(), "checkout", "-q", "-b", "evil").ok();
        writeRecord(p.work(), oid, 5000, trapUrl("elsewhere.bin"), "elsewhere.bin");
        // and a malformed record for another oid, which must block nothing
        Path junk = p.work().resolve(".lfs-meta/sha256/" + "b".repeat(64) + ".json");
        Files.writeString(junk, "{ not json");
        commitAndPush(p.work(), "evil");
        sb.git(p.work(), "checkout", "-q", "main").ok();

        // the victim clones (origin/evil comes along) and pushes an ordinary file with that content
        Path clone = cloneDir();
        sb.run(tmp, "git", "lfs-cloud", "clone", p.origin().toString(), clone.toString()).ok();
        assertTrue(sb.git(clone, "branch", "-r").ok().out().contains("origin/evil"));
        Files.copy(victimFile, clone.resolve("data.bin"));
        Files.writeString(clone.resolve("b.bin"), "another file\n");
        trapped.clear();
        sb.git(clone, "add", "data.bin", "b.bin").ok();
        sb.git(clone, "commit", "-q", "-m", "data").ok();
        sb.git(clone, "push", "-q", "origin", "HEAD:main").ok();
        Path stored = Sandbox.objectPath(p.store(), oid);
        assertTrue(Files.isRegularFile(stored), "the pushed object is not in the store");
        Sandbox.assertSameContent(victimFile, stored);
        assertEquals(List.of(), trapped);

        // a fresh clone of main gets it from the store, never asking the record's server
        Path second = cloneDir();
        sb.run(tmp, "git", "lfs-cloud", "clone", p.origin().toString(), second.toString()).ok();
        Sandbox.assertSameContent(victimFile, second.resolve("data.bin"));
        sb.git(second, "lfs", "fetch", "--all").ok();
        assertEquals(List.of(), trapped, "a record on another branch redirected a download");
    }

    @Test
    void aRecordFoundOnlyInHistoryIsStillTheFallbackWhenTheStoreLacksTheObject() throws Exception {
        String oid = Sandbox.writeRandom(nginx.root.resolve("only-remote-" + counter.incrementAndGet() + ".bin"), 4000, 31);
        String name = "only-remote-" + counter.get() + ".bin";
        Sandbox.Project p = project();
        Files.writeString(p.work().resolve("README"), "start\n");
        commitAndPush(p.work(), "main");
        sb.git(p.work(), "checkout", "-q", "-b", "feature").ok();
        sb.run(p.work(), "git", "lfs-cloud", "track-remote", "remote.bin", "--url", nginx.url(name)).ok();
        commitAndPush(p.work(), "feature");

        Path clone = cloneDir();
        sb.run(tmp, "git", "lfs-cloud", "clone", p.origin().toString(), clone.toString()).ok();
        sb.git(clone, "lfs", "fetch", "--all").ok();
        assertTrue(Files.isRegularFile(Sandbox.objectPath(clone.resolve(".git/lfs/objects"), oid)),
                "the object tracked in place on another branch did not arrive");
        sb.git(clone, "checkout", "-q", "feature").ok();
        assertEquals(oid, Sandbox.sha256(clone.resolve("remote.bin")));
    }

    @Test
    void whenAnObjectTrackedInPlaceIsGoneTheErrorLeadsWithItsRecordsFailure() throws Exception {
        String name = "gone-" + counter.incrementAndGet() + ".bin";
        Path served = nginx.root.resolve(name);
        Sandbox.writeRandom(served, 4000, 32);
        Sandbox.Project p = project();
        Files.writeString(p.work().resolve("README"), "start\n");
        commitAndPush(p.work(), "main");
        sb.git(p.work(), "checkout", "-q", "-b", "feature").ok();
        sb.run(p.work(), "git", "lfs-cloud", "track-remote", "gone.bin", "--url", nginx.url(name)).ok();
        commitAndPush(p.work(), "feature");
        Files.delete(served);

        Path clone = cloneDir();
        sb.run(tmp, "git", "lfs-cloud", "clone", p.origin().toString(), clone.toString()).ok();
        Sandbox.Result fetch = sb.git(clone, "lfs", "fetch", "--all");
        assertTrue(fetch.exitCode() != 0, fetch.all());
        assertTrue(fetch.err().contains("no such object: " + nginx.url(name)) && fetch.err().contains("no store has a copy")
                && !fetch.err().contains("did not help either"), fetch.err());
    }

    @Test
    void aCheckedOutRecordCountsOnlyWhereTheCheckoutHasItsPointer() throws Exception {
        Sandbox.Project p = project();
        String stored = Sandbox.writeRandom(p.work().resolve("f.bin"), 3000, 41);
        commitAndPush(p.work(), "main");
        // a commit adds a record for f.bin's content at a path where no pointer is
        writeRecord(p.work(), stored, 3000, trapUrl("divert.bin"), "elsewhere/any.bin");
        commitAndPush(p.work(), "main");

        Path clone = cloneDir();
        trapped.clear();
        sb.run(tmp, "git", "lfs-cloud", "clone", p.origin().toString(), clone.toString()).ok();
        assertEquals(stored, Sandbox.sha256(clone.resolve("f.bin")), "the store's copy, not the record's");
        assertEquals(List.of(), trapped, "the unbacked record diverted a download");

        // nor does such a record make a push skip the store
        Path content = tmp.resolve("new-content-" + counter.incrementAndGet());
        String fresh = Sandbox.writeRandom(content, 2000, 42);
        Files.copy(content, clone.resolve("new.bin"));
        writeRecord(clone, fresh, 2000, trapUrl("never.bin"), "nowhere/x.bin");
        sb.git(clone, "add", "-A").ok();
        sb.git(clone, "commit", "-q", "-m", "new").ok();
        sb.git(clone, "push", "-q", "origin", "HEAD:main").ok();
        Sandbox.assertSameContent(content, Sandbox.objectPath(p.store(), fresh));
        assertEquals(List.of(), trapped);
    }

    @Test
    void resolveNeverReplacesAFileThatIsThereNorGitsOwnFiles() throws Exception {
        String name = "pending-" + counter.incrementAndGet() + ".bin";
        Sandbox.writeRandom(nginx.root.resolve(name), 1500, 43);
        Sandbox.Project p = project();
        sb.run(p.work(), "git", "lfs-cloud", "track-remote", "--defer", "data/p.bin", "--url", nginx.url(name)).ok();
        Path etagFile;
        try (var files = Files.list(p.work().resolve(".lfs-meta/etag"))) {
            etagFile = files.findFirst().orElseThrow();
        }
        String json = Files.readString(etagFile);
        String entry = json.substring(json.indexOf("{", json.indexOf("[")), json.lastIndexOf("}", json.lastIndexOf("]")) + 1);
        StringBuilder more = new StringBuilder();
        for (String path : List.of(".env", "notes/todo.txt", ".gitattributes", "sub/.gitattributes", ".lfsconfig")) {
            more.append(",\n").append(entry.replace("\"data/p.bin\"", "\"" + path + "\""));
        }
        Files.writeString(etagFile, json.replace(entry, entry + more));
        commitAndPush(p.work(), "main");

        Path clone = cloneDir();
        sb.run(tmp, "git", "lfs-cloud", "clone", p.origin().toString(), clone.toString()).ok();
        Files.writeString(clone.resolve(".env"), "SECRET_TOKEN=mine\n");
        Files.createDirectories(clone.resolve("notes"));
        Files.writeString(clone.resolve("notes/todo.txt"), "my todo\n");
        String attributes = Files.readString(clone.resolve(".gitattributes"));
        Sandbox.Result r = sb.run(clone, "git", "lfs-cloud", "resolve");
        assertEquals("SECRET_TOKEN=mine\n", Files.readString(clone.resolve(".env")));
        assertEquals("my todo\n", Files.readString(clone.resolve("notes/todo.txt")));
        assertEquals(attributes, Files.readString(clone.resolve(".gitattributes")));
        assertFalse(Files.exists(clone.resolve(".lfsconfig")));
        assertFalse(Files.exists(clone.resolve("sub/.gitattributes")));
        assertTrue(r.all().contains("already exists and is not an LFS pointer"), r.all());
        assertTrue(r.all().contains("names a file git or git-lfs reads as settings"), r.all());
        assertTrue(Files.isRegularFile(clone.resolve("data/p.bin")), "the honest entry still resolves: " + r.all());
        sb.git(clone, "lfs", "ls-files").ok();
    }

    @Test
    void trustEscapesKeyNamesToo() throws Exception {
        Sandbox.Project p = project();
        Files.writeString(p.work().resolve(".lfs-meta/config"), Files.readString(p.work().resolve(".lfs-meta/config"))
                + "[lfs-cloud \"zz\u001b[3A\u001b[J\r\"]\n\tx = 1\n");
        Sandbox.Result show = sb.run(p.work(), "git", "lfs-cloud", "trust", "--show").ok();
        assertFalse(show.out().contains("\u001b") || show.out().contains("\r"), show.out());
        assertTrue(show.out().contains("zz\\x1b[3A\\x1b[J\\r.x = 1"), show.out());
        Sandbox.Result trust = sb.run(p.work(), "git", "lfs-cloud", "trust").ok();
        assertFalse(trust.out().contains("\u001b"), trust.out());
    }
}
