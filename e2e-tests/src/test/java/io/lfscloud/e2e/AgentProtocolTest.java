package io.lfscloud.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The agent process driven with JSON lines, as git-lfs drives it, including input that
 * git-lfs would never send. Every failure must be a clear error for that object, and
 * the agent must keep serving; stdout must only ever carry JSON objects.
 */
class AgentProtocolTest {

    @TempDir
    Path tmp;

    Sandbox sb;
    Sandbox.Project project;
    final List<AgentProcess> agents = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        sb = new Sandbox(tmp);
        project = sb.project("repo");
    }

    @AfterEach
    void stdoutCarriedOnlyJson() throws InterruptedException {
        for (AgentProcess a : agents) {
            assertEquals(List.of(), a.badLines(), "stdout lines that are not JSON objects");
            a.close();
        }
    }

    private AgentProcess agent(String operation) throws Exception {
        return agent(operation, project.work());
    }

    private AgentProcess agent(String operation, Path repo) throws Exception {
        AgentProcess a = new AgentProcess(sb, repo);
        agents.add(a);
        a.init(operation);
        return a;
    }

    /** An object file in git-lfs's layout, as git-lfs would hand it to an upload. */
    private record Obj(String oid, long size, Path path) {
    }

    private Obj object(String name, long size, long seed) throws IOException {
        Path file = project.work().resolve(name);
        String oid = Sandbox.writeRandom(file, size, seed);
        return new Obj(oid, size, file);
    }

    private static Map<String, Object> upload(Obj o) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("event", "upload");
        m.put("oid", o.oid());
        m.put("size", o.size());
        m.put("path", o.path().toString());
        m.put("action", null);
        return m;
    }

    private static Map<String, Object> download(String oid, long size) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("event", "download");
        m.put("oid", oid);
        m.put("size", size);
        m.put("action", null);
        return m;
    }

    private Path stored(String oid) {
        return Sandbox.objectPath(project.store(), oid);
    }

    private static void assertError(JsonNode complete, int code, String... fragments) {
        assertTrue(complete.has("error"), "expected an error: " + complete);
        assertEquals(code, complete.path("error").path("code").asInt(), complete.toString());
        String message = complete.path("error").path("message").asText();
        for (String f : fragments) {
            assertTrue(message.contains(f), "'" + message + "' should mention '" + f + "'");
        }
        assertFalse(complete.has("path"), "no path with an error: " + complete);
    }

    /** Proves the agent still serves: a real object round trip on the same process. */
    private void stillServesDownloads(AgentProcess a) throws Exception {
        Obj o = object("still-" + System.nanoTime() + ".bin", 777, 3);
        Files.createDirectories(stored(o.oid()).getParent());
        Files.copy(o.path(), stored(o.oid()));
        a.send(download(o.oid(), o.size()));
        JsonNode done = a.complete(o.oid());
        assertFalse(done.has("error"), done.toString());
        Sandbox.assertSameContent(o.path(), Path.of(done.path("path").asText()));
    }

    private List<Path> filesUnder(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).toList();
        }
    }

    // ----------------------------------------------------------------- happy path

    @Test
    void uploadThenDownloadWithProgressEndingAtTheSize() throws Exception {
        Obj o = object("a.bin", 3_000_000, 1);
        AgentProcess up = agent("upload");
        up.send(upload(o));
        JsonNode done = up.complete(o.oid());
        assertFalse(done.has("error"), done.toString());
        Sandbox.assertSameContent(o.path(), stored(o.oid()));
        up.send("{\"event\":\"terminate\"}");
        assertEquals(0, up.exitCode());

        AgentProcess down = agent("download");
        down.send(download(o.oid(), o.size()));
        long lastProgress = -1;
        JsonNode n;
        while ((n = down.next()).path("event").asText().equals("progress")) {
            lastProgress = n.path("bytesSoFar").asLong();
        }
        assertEquals(o.size(), lastProgress, "the last progress equals the size");
        assertEquals("complete", n.path("event").asText());
        Path file = Path.of(n.path("path").asText());
        assertTrue(file.startsWith(project.work().resolve(".git/lfs/tmp")), "downloads go under .git/lfs/tmp: " + file);
        Sandbox.assertSameContent(o.path(), file);
        down.closeInput();
        assertEquals(0, down.exitCode(), "end of input ends the agent with 0");
    }

    @Test
    void terminateEndsTheAgentAtOnce() throws Exception {
        AgentProcess a = agent("download");
        long start = System.nanoTime();
        a.send("{\"event\":\"terminate\"}");
        assertEquals(0, a.exitCode());
        assertTrue(System.nanoTime() - start < 2_000_000_000L, "exit within 2 s of terminate");
    }

    // ------------------------------------------------------------------ bad input

    @Test
    void malformedJsonIsReportedAndTheAgentKeepsServing() throws Exception {
        AgentProcess a = agent("download");
        a.send("{not json at all");
        a.send("\u0000\u0001 binary garbage \uFFFD");
        String oid = "a".repeat(64);
        a.send("{\"event\":\"download\",\"oid\":\"" + oid + "\",\"size\":");
        assertError(a.complete(oid), 400, "malformed");
        a.send("[1,2,3]");
        stillServesDownloads(a);
        assertTrue(a.stderr().contains("malformed"), a.stderr());
    }

    @Test
    void unknownEventsAreRefused() throws Exception {
        AgentProcess a = agent("download");
        String oid = "b".repeat(64);
        a.send(Map.of("event", "fly", "oid", oid));
        assertError(a.complete(oid), 400, "unknown event", "fly");
        a.send(Map.of("event", "fly"));
        a.send(Map.of("no-event", true));
        stillServesDownloads(a);
        assertTrue(a.stderr().contains("unknown event \"fly\""), a.stderr());
    }

    @Test
    void missingOrInvalidFieldsAreBadRequests() throws Exception {
        String oid = "c".repeat(64);
        AgentProcess down = agent("download");
        down.send(Map.of("event", "download", "size", 5));
        down.send(Map.of("event", "download", "oid", oid));
        assertError(down.complete(oid), 400, "size");
        down.send(Map.of("event", "download", "oid", oid, "size", -1));
        assertError(down.complete(oid), 400, "size");
        down.send(Map.of("event", "download", "oid", oid, "size", 1.5));
        assertError(down.complete(oid), 400, "size");
        down.send(Map.of("event", "download", "oid", oid, "size", "12"));
        assertError(down.complete(oid), 400, "size");
        down.send(Map.of("event", "upload", "oid", oid, "size", 1, "path", "/etc/hostname"));
        assertError(down.complete(oid), 400, "started for download");
        stillServesDownloads(down);
        assertTrue(down.stderr().contains("without an \"oid\""), down.stderr());

        AgentProcess up = agent("upload");
        up.send(Map.of("event", "upload", "oid", oid, "size", 1));
        assertError(up.complete(oid), 400, "no path");
        up.send(Map.of("event", "upload", "oid", oid, "size", 1, "path", tmp.resolve("missing.bin").toString()));
        assertError(up.complete(oid), 400, "does not exist");
        assertFalse(Files.exists(stored(oid)), "nothing stored for refused uploads");
    }

    @Test
    void oidsThatAreNotSha256NeverReachTheFileSystem() throws Exception {
        Path victim = tmp.resolve("victim");
        Files.createDirectories(victim);
        Path source = Files.writeString(tmp.resolve("payload"), "payload");
        List<String> bad = List.of(
                "../../../../../../../../../../../../../../../../../../../../../.." + victim + "/x",
                "../../etc/passwd",
                "A".repeat(64),
                "g".repeat(64),
                "a".repeat(63),
                "a".repeat(65),
                "aa/bb/" + "c".repeat(58),
                "");
        AgentProcess up = agent("upload");
        AgentProcess down = agent("download");
        for (String oid : bad) {
            up.send(Map.of("event", "upload", "oid", oid, "size", 7, "path", source.toString()));
            assertError(up.complete(oid), 400, "invalid oid");
            down.send(Map.of("event", "download", "oid", oid, "size", 7));
            assertError(down.complete(oid), 400, "invalid oid");
        }
        assertEquals(List.of(), filesUnder(victim));
        assertEquals(List.of(), filesUnder(project.store()));
        assertEquals(List.of(), filesUnder(project.work().resolve(".git/lfs/tmp")));
        stillServesDownloads(down);
    }

    @Test
    void requestsBeforeInitAndASecondInitAreRefused() throws Exception {
        AgentProcess a = new AgentProcess(sb, project.work());
        agents.add(a);
        String oid = "d".repeat(64);
        a.send(download(oid, 5));
        assertError(a.complete(oid), 400, "before init");
        a.init("download");
        a.send(Map.of("event", "init", "operation", "download"));
        assertEquals(400, a.next().path("error").path("code").asInt());
        stillServesDownloads(a);
    }

    @Test
    void anInitWithoutAValidOperationIsAnErrorAndEndsTheAgent() throws Exception {
        AgentProcess a = new AgentProcess(sb, project.work());
        agents.add(a);
        a.send(Map.of("event", "init", "operation", "teleport"));
        JsonNode reply = a.next();
        assertTrue(reply.path("error").path("message").asText().contains("operation"), reply.toString());
        assertEquals(1, a.exitCode());
    }

    @Test
    void anOversizedLineIsSkipped() throws Exception {
        AgentProcess a = agent("download");
        a.send("{\"event\":\"download\",\"pad\":\"" + "x".repeat(2 << 20) + "\"}");
        stillServesDownloads(a);
        assertTrue(a.stderr().contains("longer than"), a.stderr());
    }

    // ------------------------------------------------------------- store problems

    @Test
    void anObjectMissingFromTheStoreIsNotFound() throws Exception {
        AgentProcess a = agent("download");
        String oid = "e".repeat(64);
        a.send(download(oid, 10));
        assertError(a.complete(oid), 404, "no such object", oid);
        stillServesDownloads(a);
    }

    @Test
    void aCorruptStoreObjectIsNeverHandedToGitLfs() throws Exception {
        Obj o = object("c.bin", 50_000, 4);
        Files.createDirectories(stored(o.oid()).getParent());
        Files.writeString(stored(o.oid()), "not the content", StandardCharsets.UTF_8);
        AgentProcess a = agent("download");
        a.send(download(o.oid(), o.size()));
        assertError(a.complete(o.oid()), 422, "corrupt", o.oid());

        byte[] flipped = Files.readAllBytes(o.path());
        flipped[1234] ^= 1;
        Files.write(stored(o.oid()), flipped);
        a.send(download(o.oid(), o.size()));
        assertError(a.complete(o.oid()), 422, "corrupt", "hashes to");
        assertEquals(List.of(), filesUnder(project.work().resolve(".git/lfs/tmp")), "failed downloads leave no file");
        stillServesDownloads(a);
    }

    @Test
    void withNoStoreConfiguredTheErrorSaysHowToSetOne() throws Exception {
        Path bare = tmp.resolve("nostore");
        sb.git(tmp, "init", "-q", bare.toString()).ok();
        AgentProcess a = agent("download", bare);
        String oid = "f".repeat(64);
        a.send(download(oid, 10));
        assertError(a.complete(oid), 500, "no store configured", "git lfs-cloud install --store");
    }

    @Test
    void anUnknownSchemeNamesTheInstalledBackends() throws Exception {
        sb.git(project.work(), "config", "lfs-cloud.store", "nosuch://bucket/prefix").ok();
        AgentProcess a = agent("download");
        String oid = "f".repeat(64);
        a.send(download(oid, 10));
        assertError(a.complete(oid), 500, "nosuch://bucket/prefix", "installed backends: file (file)");
    }

    @Test
    void anUnwritableStoreIsAClearErrorAndTheAgentGoesOn() throws Exception {
        Path inTheWay = Files.writeString(tmp.resolve("a-file"), "x");
        sb.git(project.work(), "config", "lfs-cloud.store", inTheWay.resolve("store").toUri().toString()).ok();
        Obj o = object("u.bin", 1000, 5);
        AgentProcess a = agent("upload");
        a.send(upload(o));
        assertError(a.complete(o.oid()), 500, "a-file");
        sb.git(project.work(), "config", "lfs-cloud.store", project.store().toUri().toString()).ok();
        assertTrue(a.alive());
    }

    @Test
    void aFullDiskFailsTheObjectLeavesNoTempFileAndTheAgentGoesOn() throws Exception {
        Path small = Files.createDirectories(tmp.resolve("small-disk"));
        boolean mounted = sb.run(tmp, "mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", small.toString()).exitCode() == 0;
        assumeTrue(mounted, "needs root to mount a small tmpfs");
        try {
            sb.git(project.work(), "config", "lfs-cloud.store", small.toUri().toString()).ok();
            Obj big = object("big.bin", 3_000_000, 6);
            Obj tiny = object("tiny.bin", 1000, 7);
            AgentProcess a = agent("upload");
            a.send(upload(big));
            assertError(a.complete(big.oid()), 500, "No space left on device");
            assertEquals(List.of(), filesUnder(small), "no partial object or temp file is left behind");
            a.send(upload(tiny));
            JsonNode ok = a.complete(tiny.oid());
            assertNull(ok.get("error"), ok.toString());
            Sandbox.assertSameContent(tiny.path(), Sandbox.objectPath(small, tiny.oid()));
        } finally {
            sb.run(tmp, "umount", small.toString());
        }
    }
}
