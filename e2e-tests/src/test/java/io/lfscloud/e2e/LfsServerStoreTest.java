package io.lfscloud.e2e;

import io.lfscloud.testkit.LfsServer;
import io.lfscloud.testkit.Nginx;
import io.lfscloud.testkit.S3Proxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The repository's own Git LFS server as the store: real git and git-lfs, lfs-cloud installed
 * globally (as a user who installs it once does), JGit's LFS server on 127.0.0.1 behind basic
 * authentication, credentials from a credential helper configured in the test (a script that
 * stores nothing and logs what git asks of it, never in $HOME). No repository names an
 * lfs-cloud store: the server is the default.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LfsServerStoreTest {

    @TempDir
    static Path tmp;

    LfsServer server;
    Nginx nginx;
    S3Proxy s3;
    Sandbox sb;
    Path helperLog;
    final AtomicInteger counter = new AtomicInteger();

    @BeforeAll
    void start() throws Exception {
        server = new LfsServer(tmp.resolve("lfs-server"), "alice", "s3cret");
        nginx = new Nginx(tmp);
        s3 = new S3Proxy(tmp);
        s3.createBucket("data");
        sb = new Sandbox(tmp.resolve("world"));
        sb.useS3(s3.endpoint());
        sb.run(sb.root, "git", "lfs-cloud", "install", "--global").ok();
        helperLog = tmp.resolve("helper.log");
    }

    @AfterAll
    void stop() throws Exception {
        server.close();
        nginx.close();
        s3.close();
    }

    /**
     * A credential helper giving {@code password} for alice: records each operation git asks of it
     * (get, store, erase) in {@link #helperLog}, keeps nothing.
     */
    private String helper(String password) throws IOException {
        Path script = tmp.resolve("helper-" + counter.incrementAndGet() + ".sh");
        Files.writeString(script, "#!/bin/sh\necho \"$1\" >> '" + helperLog + "'\n"
                + "if [ \"$1\" = get ]; then printf 'username=alice\\npassword=" + password + "\\n'; fi\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        return script.toString();
    }

    private List<String> helperCalls() throws IOException {
        return Files.exists(helperLog) ? Files.readAllLines(helperLog) : List.of();
    }

    /** git's -c options for a repository on the test server with {@code helper}. */
    private String[] withServer(String helper, String... args) {
        String[] cmd = new String[args.length + 7];
        cmd[0] = "git";
        cmd[1] = "-c";
        cmd[2] = "lfs.url=" + server.endpoint();
        cmd[3] = "-c";
        cmd[4] = "credential.helper=" + helper;
        cmd[5] = "-c";
        cmd[6] = "lfs.locksverify=false";
        System.arraycopy(args, 0, cmd, 7, args.length);
        return cmd;
    }

    /** A bare origin and a repository tracking *.bin whose LFS server is the test server; no lfs-cloud store. */
    private record Repo(Path origin, Path work) {
    }

    private Repo repo(String helper) throws IOException {
        int n = counter.incrementAndGet();
        Path origin = sb.root.resolve("origin" + n + ".git");
        Path work = sb.root.resolve("work" + n);
        sb.git(sb.root, "init", "-q", "--bare", origin.toString()).ok();
        sb.git(sb.root, "init", "-q", work.toString()).ok();
        sb.git(work, "remote", "add", "origin", origin.toString()).ok();
        sb.git(work, "config", "lfs.url", server.endpoint().toString()).ok();
        sb.git(work, "config", "credential.helper", helper).ok();
        sb.git(work, "config", "lfs.locksverify", "false").ok();
        sb.git(work, "lfs", "track", "*.bin").ok();
        return new Repo(origin, work);
    }

    private Map<String, String> writeFiles(Path work, int count, long seed) throws IOException {
        Map<String, String> oids = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            String name = "f" + seed + "-" + i + ".bin";
            oids.put(name, Sandbox.writeRandom(work.resolve(name), 2000 + i * 1500L, seed * 100 + i));
        }
        return oids;
    }

    private void commitAndPush(Path work) {
        sb.git(work, "add", "-A").ok();
        sb.git(work, "commit", "-q", "-m", "objects").ok();
        sb.git(work, "push", "-q", "origin", "HEAD").ok();
    }

    private static void assertNoLfsCloudStoreWasUsed(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            assertEquals(List.of(), s.filter(p -> p.getFileName().toString().endsWith("-store")).toList());
        }
    }

    @Test
    void pushAndPlainCloneGoThroughTheServerWithTheHelpersCredentials() throws Exception {
        String helper = helper("s3cret");
        Repo r = repo(helper);
        Map<String, String> oids = writeFiles(r.work(), 3, 1);
        oids.putAll(Map.of("big.bin", Sandbox.writeRandom(r.work().resolve("big.bin"), 5 << 20, 77)));
        Files.deleteIfExists(helperLog);
        long byGitLfs = server.batchCalls("git-lfs");
        long byLfsCloud = server.batchCalls("lfs-cloud");
        commitAndPush(r.work());
        assertEquals(byGitLfs, server.batchCalls("git-lfs"), "git-lfs left the server to lfs-cloud");
        // (fewer calls than objects when the transfer server puts requests of several agents in one)
        assertTrue(server.batchCalls("lfs-cloud") > byLfsCloud, "lfs-cloud asked the server");
        for (String oid : oids.values()) {
            assertTrue(server.has(oid), "pushed to the LFS server: " + oid);
            assertEquals(oid, Sandbox.sha256(server.objectFile(oid)));
        }
        List<String> calls = helperCalls();
        assertTrue(calls.contains("get") && calls.contains("store") && !calls.contains("erase"),
                "credentials asked of the helper and approved: " + calls);

        Path clone = sb.root.resolve("clone" + counter.incrementAndGet());
        sb.run(sb.root, withServer(helper, "clone", "-q", r.origin().toString(), clone.toString())).ok();
        for (Map.Entry<String, String> e : oids.entrySet()) {
            assertEquals(e.getValue(), Sandbox.sha256(clone.resolve(e.getKey())), "checked out: " + e.getKey());
        }
        // and a pull of later work, in the clone
        Map<String, String> more = writeFiles(r.work(), 2, 2);
        commitAndPush(r.work());
        sb.run(clone, withServer(helper, "pull", "-q", "origin", "main")).ok();
        for (Map.Entry<String, String> e : more.entrySet()) {
            assertEquals(e.getValue(), Sandbox.sha256(clone.resolve(e.getKey())), "pulled: " + e.getKey());
        }
        assertNoLfsCloudStoreWasUsed(sb.root);
        assertFalse(Files.readString(sb.home.resolve(".gitconfig")).contains("s3cret"), "no credential written by anyone");
    }

    @Test
    void wrongCredentialsFailWithOneClearErrorAndAreRejected() throws Exception {
        Repo r = repo(helper("s3cret"));
        Map<String, String> oids = writeFiles(r.work(), 1, 3);
        commitAndPush(r.work());
        Files.deleteIfExists(helperLog);

        Path clone = sb.root.resolve("clone" + counter.incrementAndGet());
        sb.run(sb.root, Map.of("GIT_LFS_SKIP_SMUDGE", "1"), withServer(helper("wrong"), "clone", "-q",
                r.origin().toString(), clone.toString())).ok();
        Sandbox.Result pull = sb.run(clone, withServer(helper("wrong"), "lfs", "pull")).failed();
        assertTrue(pull.all().contains("refused the credentials"), pull.all());
        assertFalse(pull.all().contains("wrong"), "the password is never shown: " + pull.all());
        List<String> calls = helperCalls();
        assertTrue(calls.contains("erase") && !calls.contains("store"), "refused credentials are rejected: " + calls);
        String name = oids.keySet().iterator().next();
        assertTrue(Files.readString(clone.resolve(name)).startsWith("version https://git-lfs"), "still a pointer");
    }

    @Test
    void ordinaryObjectsGoToTheServerAndFilesTrackedInPlaceStayOnTheirWebServer() throws Exception {
        String helper = helper("s3cret");
        Repo r = repo(helper);
        Map<String, String> oids = writeFiles(r.work(), 2, 4);
        String tracked = Sandbox.writeRandom(nginx.root.resolve("in-place.bin"), 400_000, 404);
        sb.run(r.work(), "git", "lfs-cloud", "track-remote", "data/in-place.bin", "--url", nginx.url("in-place.bin")).ok();
        byte[] inBucket = new byte[300_000];
        new java.util.Random(405).nextBytes(inBucket);
        s3.put("data", "in-bucket.bin", inBucket);
        sb.run(r.work(), "git", "lfs-cloud", "track-remote", "data/in-bucket.bin", "--url", "s3://data/in-bucket.bin").ok();
        String trackedInBucket = java.util.HexFormat.of().formatHex(
                java.security.MessageDigest.getInstance("SHA-256").digest(inBucket));
        commitAndPush(r.work());
        for (String oid : oids.values()) {
            assertTrue(server.has(oid), "an ordinary object is on the LFS server");
        }
        assertFalse(server.has(tracked), "a file tracked in place is never uploaded to the LFS server");
        assertFalse(server.has(trackedInBucket), "nor one tracked in place in a bucket");

        Path clone = sb.root.resolve("clone" + counter.incrementAndGet());
        sb.run(sb.root, withServer(helper, "clone", "-q", r.origin().toString(), clone.toString())).ok();
        for (Map.Entry<String, String> e : oids.entrySet()) {
            assertEquals(e.getValue(), Sandbox.sha256(clone.resolve(e.getKey())), "from the LFS server: " + e.getKey());
        }
        assertEquals(tracked, Sandbox.sha256(clone.resolve("data/in-place.bin")), "from its web server");
        assertEquals(trackedInBucket, Sandbox.sha256(clone.resolve("data/in-bucket.bin")), "from its bucket");
        assertFalse(server.has(tracked));
        assertFalse(server.has(trackedInBucket));
    }

    @Test
    void theStoreHelpersCredentialsAreUsedAndWrongOnesAreErasedFromIt() throws Exception {
        // git's own 'store' helper, keeping its file in the test HOME (~/.git-credentials)
        Path stored = sb.home.resolve(".git-credentials");
        String at = "@127.0.0.1:" + server.port();
        try {
            Files.writeString(stored, "http://alice:s3cret" + at + "\n");
            Repo r = repo("store");
            Map<String, String> oids = writeFiles(r.work(), 2, 9);
            commitAndPush(r.work());
            for (String oid : oids.values()) {
                assertTrue(server.has(oid), "pushed with the stored credentials");
            }
            assertEquals(1, Files.readAllLines(stored).size(), "working credentials stay: " + Files.readString(stored));
            assertTrue(Files.readString(stored).contains("alice:s3cret@"), "working credentials stay");

            Files.writeString(stored, "http://alice:wrong" + at + "\n");
            Path clone = sb.root.resolve("clone" + counter.incrementAndGet());
            sb.run(sb.root, Map.of("GIT_LFS_SKIP_SMUDGE", "1"), withServer("store", "clone", "-q",
                    r.origin().toString(), clone.toString())).ok();
            Sandbox.Result pull = sb.run(clone, withServer("store", "lfs", "pull")).failed();
            assertTrue(pull.all().contains("refused the credentials git gave for 127.0.0.1, and git has no others"), pull.all());
            assertEquals(1, pull.all().lines().filter(l -> l.contains("refused the credentials")).map(l -> l.replaceAll(".*refused", ""))
                    .distinct().count(), "one error, however many objects: " + pull.all());
            assertFalse(pull.all().contains("wrong"), "the password is never shown: " + pull.all());
            assertFalse(Files.readString(stored).contains("wrong"), "the refused credentials are not kept");
        } finally {
            Files.deleteIfExists(stored);
        }
    }

    @Test
    void afterA401TheRepositoryNotesBasicAccessAsGitLfsDoesAndLaterCallsSendCredentialsFirst() throws Exception {
        String key = "lfs." + server.endpoint() + ".access";
        // plain git-lfs's own behaviour, observed: a 401 leaves lfs.URL.access=basic in the repository
        Sandbox plain = new Sandbox(tmp.resolve("plain-access"));
        plain.git(plain.root, "lfs", "install").ok();
        String helper = helper("s3cret");
        Repo r = repo(helper);
        writeFiles(r.work(), 2, 10);
        sb.git(r.work(), "config", "--unset", key); // as new
        commitAndPush(r.work());
        assertEquals("basic", sb.git(r.work(), "config", "--get", key).out().strip(), "noted by lfs-cloud after the 401");
        Path plainClone = plain.root.resolve("clone");
        plain.run(plain.root, withServer(helper, "clone", "-q", r.origin().toString(), plainClone.toString())).ok();
        assertEquals("basic", plain.git(plainClone, "config", "--get", key).out().strip(), "noted by plain git-lfs alike");

        // with the note, lfs-cloud's first batch call carries the credentials: no 401 first
        Path clone = sb.root.resolve("clone" + counter.incrementAndGet());
        sb.run(sb.root, withServer(helper, "clone", "-q", r.origin().toString(), clone.toString())).ok();
        sb.git(clone, "config", key, "basic").ok();
        writeFiles(r.work(), 1, 11);
        commitAndPush(r.work());
        int before = server.requests().size();
        sb.run(clone, withServer(helper, "pull", "-q", "origin", "main")).ok();
        List<LfsServer.Request> batch = server.requests().subList(before, server.requests().size()).stream()
                .filter(q -> q.path().endsWith("/objects/batch") && q.userAgent().startsWith("lfs-cloud")).toList();
        assertFalse(batch.isEmpty(), "lfs-cloud fetched the new object");
        assertTrue(batch.stream().allMatch(LfsServer.Request::authorized), "no call went without credentials: " + batch);
    }

    @Test
    void theServersAnswersBecomeTheRightProtocolErrors() throws Exception {
        Repo r = repo(helper("s3cret"));
        Map<String, String> oids = writeFiles(r.work(), 1, 8);
        commitAndPush(r.work());
        String oid = oids.values().iterator().next();
        long size = Files.size(r.work().resolve(oids.keySet().iterator().next()));
        String entry = "{\"objects\":[{\"oid\":\"" + oid + "\",\"size\":" + size + ",";
        try (AgentProcess a = new AgentProcess(sb, r.work())) {
            a.init("download");
            String missing = "cd".repeat(32);
            a.send("{\"event\":\"download\",\"oid\":\"" + missing + "\",\"size\":10,\"action\":null}");
            assertEquals(404, a.complete(missing).path("error").path("code").asInt(), "an object the server lacks");

            server.answerNextBatch(entry + "\"error\":{\"code\":422,\"message\":\"bad hash\"}}]}");
            a.send("{\"event\":\"download\",\"oid\":\"" + oid + "\",\"size\":" + size + ",\"action\":null}");
            assertEquals(422, a.complete(oid).path("error").path("code").asInt(), "a per-object 422");

            server.fail("/objects/batch", 500);
            try {
                a.send("{\"event\":\"download\",\"oid\":\"" + oid + "\",\"size\":" + size + ",\"action\":null}");
                assertEquals(503, a.complete(oid).path("error").path("code").asInt(), "a failing server, retried, then 503");
            } finally {
                server.fail("/objects/batch", 0);
            }

            // an expired link is asked for again (a transient failure, retried): the download succeeds
            server.answerNextBatch(entry + "\"actions\":{\"download\":{\"href\":\"" + server.endpoint() + "/objects/" + oid
                    + "\",\"expires_at\":\"2001-01-01T00:00:00Z\"}}}]}");
            a.send("{\"event\":\"download\",\"oid\":\"" + oid + "\",\"size\":" + size + ",\"action\":null}");
            com.fasterxml.jackson.databind.JsonNode done = a.complete(oid);
            assertTrue(done.path("error").isMissingNode(), done.toString());
            assertEquals(oid, Sandbox.sha256(Path.of(done.path("path").asText())));
            a.send("{\"event\":\"terminate\"}");
            assertEquals(0, a.exitCode());
        }
    }

    @Test
    void aPullOfManyObjectsThroughTheWarmServerAsksForThemInFewBatchCalls() throws Exception {
        String helper = helper("s3cret");
        Repo r = repo(helper);
        Map<String, String> oids = writeFiles(r.work(), 60, 11);
        commitAndPush(r.work());
        Path clone = sb.root.resolve("clone" + counter.incrementAndGet());
        sb.run(sb.root, Map.of("GIT_LFS_SKIP_SMUDGE", "1"),
                withServer(helper, "clone", "-q", r.origin().toString(), clone.toString())).ok();
        int before = server.batchSizes().size();
        try {
            // git-lfs's eight agents, one request at a time each, all relayed to one server
            sb.run(clone, Map.of("LFS_CLOUD_SERVER", "1"), withServer(helper, "lfs", "pull")).ok();
        } finally {
            sb.stopServers();
        }
        for (Map.Entry<String, String> e : oids.entrySet()) {
            assertEquals(e.getValue(), Sandbox.sha256(clone.resolve(e.getKey())), "pulled: " + e.getKey());
        }
        List<Integer> sizes = server.batchSizes().subList(before, server.batchSizes().size());
        assertTrue(sizes.size() < oids.size() * 3 / 4, "fewer batch calls than objects: " + sizes);
        assertTrue(sizes.stream().anyMatch(n -> n > 1), "calls for several objects at once: " + sizes);
    }

    @Test
    void aProtocolV2BatchOfManyObjectsIsAskedForInFewBatchCalls() throws Exception {
        Repo r = repo(helper("s3cret"));
        Map<String, String> oids = writeFiles(r.work(), 40, 12);
        commitAndPush(r.work());
        List<ProtocolDriver.Item> items = new java.util.ArrayList<>();
        for (Map.Entry<String, String> e : oids.entrySet()) {
            items.add(ProtocolDriver.Item.download(e.getValue(), Files.size(r.work().resolve(e.getKey()))));
        }
        int before = server.batchSizes().size();
        try (ProtocolDriver d = new ProtocolDriver(sb, r.work())) {
            d.init("download", 2, "batch");
            ProtocolDriver.BatchResult result = d.batch("b1", items);
            assertTrue(result.ok(), result.batchComplete().toString());
            for (ProtocolDriver.Item i : items) {
                assertEquals(i.oid(), Sandbox.sha256(Path.of(result.complete(i.oid()).path("path").asText())));
            }
            d.terminate();
        }
        List<Integer> sizes = server.batchSizes().subList(before, server.batchSizes().size());
        // four transfers at once (concurrenttransfers): one goes alone, the three that come meanwhile together
        assertTrue(sizes.size() < items.size(), "fewer batch calls than objects: " + sizes);
        assertTrue(sizes.stream().anyMatch(n -> n > 1), "calls for several objects at once: " + sizes);
    }

    @Test
    void plainGitLfsAndLfsCloudReadWhatTheOtherWrote() throws Exception {
        Sandbox plain = new Sandbox(tmp.resolve("plain-world"));
        plain.git(plain.root, "lfs", "install").ok();
        String helper = helper("s3cret");

        // lfs-cloud pushes, plain git-lfs (its own basic transfer) clones
        Repo r = repo(helper);
        Map<String, String> oids = writeFiles(r.work(), 3, 5);
        commitAndPush(r.work());
        Path plainClone = plain.root.resolve("clone");
        long byGitLfs = server.batchCalls("git-lfs");
        plain.run(plain.root, withServer(helper, "clone", "-q", r.origin().toString(), plainClone.toString())).ok();
        for (Map.Entry<String, String> e : oids.entrySet()) {
            assertEquals(e.getValue(), Sandbox.sha256(plainClone.resolve(e.getKey())), "plain git-lfs reads " + e.getKey());
        }
        assertTrue(server.batchCalls("git-lfs") > byGitLfs, "plain git-lfs spoke to the server itself");

        // plain git-lfs pushes, lfs-cloud clones
        Map<String, String> more = new LinkedHashMap<>();
        for (int i = 0; i < 2; i++) {
            more.put("plain" + i + ".bin", Sandbox.writeRandom(plainClone.resolve("plain" + i + ".bin"), 3000 + i, 600 + i));
        }
        plain.git(plainClone, "add", "-A").ok();
        plain.git(plainClone, "commit", "-q", "-m", "plain").ok();
        plain.run(plainClone, withServer(helper, "push", "-q", "origin", "HEAD")).ok();
        for (String oid : more.values()) {
            assertTrue(server.has(oid), "plain git-lfs put it on the server");
        }
        Path clone = sb.root.resolve("clone" + counter.incrementAndGet());
        long byLfsCloud = server.batchCalls("lfs-cloud");
        sb.run(sb.root, withServer(helper, "clone", "-q", r.origin().toString(), clone.toString())).ok();
        assertTrue(server.batchCalls("lfs-cloud") > byLfsCloud, "lfs-cloud fetched them");
        for (Map.Entry<String, String> e : more.entrySet()) {
            assertEquals(e.getValue(), Sandbox.sha256(clone.resolve(e.getKey())), "lfs-cloud reads " + e.getKey());
        }
    }
}
