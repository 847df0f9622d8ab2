package io.lfscloud.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import io.lfscloud.testkit.LoggingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Redirects answered by the web servers of files tracked in place, and the HTTP backend's
 * limits. The records of a repository are written by whoever can push to it, and so is the
 * server they name: every redirect hop must pass the URL policy before anything connects to
 * it. Two servers on 127.0.0.1 ({@link LoggingServer}): the "origin" the records name, and a
 * "trap" that a refused redirect would reach, reachable as {@code metadata.google.internal}
 * and {@code trap.test} through a hosts file given to the agent's JVM only
 * ({@code -Djdk.net.hosts.file}); a redirect to {@code trap.test} is followed, which shows
 * the mapping works.
 */
class HttpRedirectTest {

    @TempDir
    Path tmp;

    Sandbox sb;
    LoggingServer origin;
    LoggingServer trap;
    /** Path on the origin → how it answers. */
    final Map<String, LoggingServer.Handler> routes = new ConcurrentHashMap<>();
    /** Path on the trap → what it serves. */
    final Map<String, byte[]> trapContent = new ConcurrentHashMap<>();
    Map<String, String> env;
    int seed;

    @BeforeEach
    void start() throws IOException {
        sb = new Sandbox(tmp.resolve("sb"));
        origin = new LoggingServer(x -> routes.getOrDefault(x.getRequestURI().getPath(),
                y -> LoggingServer.status(y, 404)).handle(x));
        trap = new LoggingServer(x -> {
            byte[] c = trapContent.get(x.getRequestURI().getPath());
            if (c == null) {
                LoggingServer.status(x, 404);
            } else {
                LoggingServer.serve(x, c, "e-" + sha(c).substring(0, 8));
            }
        });
        trapContent.put("/control.bin", bytes(5_000));
        Path hosts = Files.writeString(tmp.resolve("hosts"),
                "127.0.0.1 metadata.google.internal\n127.0.0.1 trap.test\n");
        env = Map.of("JDK_JAVA_OPTIONS", "-Djdk.net.hosts.file=" + hosts);
    }

    @AfterEach
    void stop() {
        origin.close();
        trap.close();
    }

    private byte[] bytes(int size) {
        byte[] b = new byte[size];
        new Random(++seed).nextBytes(b);
        return b;
    }

    private static String sha(byte[] content) {
        return java.util.HexFormat.of().formatHex(Sandbox.sha256().digest(content));
    }

    /** A repository whose committed records name {@code name} on the origin, one per entry; returns name → oid. */
    private Path repo(Map<String, byte[]> objects, Map<String, String> oids) throws IOException {
        Path repo = Files.createTempDirectory(tmp, "repo");
        sb.git(repo, "init", "-q").ok();
        Path records = Files.createDirectories(repo.resolve(".lfs-meta/sha256"));
        for (Map.Entry<String, byte[]> e : objects.entrySet()) {
            String oid = sha(e.getValue());
            oids.put(e.getKey(), oid);
            Files.writeString(records.resolve(oid + ".json"), """
                    {
                      "etag": "e-%s",
                      "path": "%s",
                      "sha256": "%s",
                      "size": %d,
                      "url": "%s"
                    }
                    """.formatted(oid.substring(0, 8), e.getKey(), oid, e.getValue().length, origin.url(e.getKey())));
        }
        sb.git(repo, "add", "-A").ok();
        sb.git(repo, "commit", "-q", "-m", "records").ok();
        return repo;
    }

    private static Map<String, Object> download(String oid, long size) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("event", "download");
        m.put("oid", oid);
        m.put("size", size);
        m.put("action", null);
        return m;
    }

    private void redirect(String from, int status, String to) {
        routes.put(from, x -> LoggingServer.redirect(x, status, to));
    }

    private long requestsFor(LoggingServer server, String path) {
        return server.requests().stream().filter(r -> r.path().equals(path)).count();
    }

    private JsonNode fetch(AgentProcess agent, String oid, int size) throws Exception {
        agent.send(download(oid, size));
        return agent.complete(oid);
    }

    @Test
    void redirectsToMetadataHostsFileUrlsOrUrlsWithCredentialsAreRefusedAndNeverReached() throws Exception {
        Map<String, byte[]> objects = new LinkedHashMap<>();
        for (String name : List.of("meta.bin", "link.bin", "file.bin", "user.bin")) {
            objects.put(name, bytes(3_000));
        }
        Map<String, String> oids = new LinkedHashMap<>();
        Path repo = repo(objects, oids);
        redirect("/meta.bin", 302, "http://metadata.google.internal:" + trap.port() + "/computeMetadata/v1/token");
        redirect("/link.bin", 301, "http://169.254.169.254/latest/meta-data/iam/security-credentials/");
        redirect("/file.bin", 307, "file:///etc/passwd");
        redirect("/user.bin", 302, "http://someone:hunter2@trap.test:" + trap.port() + "/control.bin");
        // the control: an ordinary host name of the same hosts file is followed to the trap server
        Map<String, String> controlOid = new LinkedHashMap<>();
        Path controlRepo = repo(Map.of("control.bin", trapContent.get("/control.bin")), controlOid);
        redirect("/control.bin", 302, "http://trap.test:" + trap.port() + "/control.bin");

        try (AgentProcess agent = new AgentProcess(sb, repo, env)) {
            agent.init("download");
            JsonNode meta = fetch(agent, oids.get("meta.bin"), 3_000);
            JsonNode link = fetch(agent, oids.get("link.bin"), 3_000);
            JsonNode file = fetch(agent, oids.get("file.bin"), 3_000);
            JsonNode user = fetch(agent, oids.get("user.bin"), 3_000);
            for (JsonNode n : List.of(meta, link, file, user)) {
                assertEquals(403, n.path("error").path("code").asInt(), n.toString());
            }
            assertTrue(message(meta).contains(origin.url("meta.bin") + " redirects to http://metadata.google.internal:"
                    + trap.port() + "/computeMetadata/v1/token") && message(meta).contains("allowMetadataHosts"), message(meta));
            assertTrue(message(link).contains("redirects to http://169.254.169.254/latest/meta-data/")
                    && message(link).contains("link-local"), message(link));
            assertTrue(message(file).contains("redirects to file:///etc/passwd"), message(file));
            assertTrue(message(user).contains("credentials") && !message(user).contains("hunter2"), message(user));
            assertTrue(agent.alive());
            assertEquals(List.of(), agent.badLines());
        }
        for (String name : objects.keySet()) {
            assertEquals(1, requestsFor(origin, "/" + name), "refused at once, never retried: " + name);
        }
        assertEquals(List.of(), trap.requests(), "no refused redirect reached its target");
        assertFalse(Files.exists(repo.resolve(".git/lfs/objects")), "nothing stored");

        try (AgentProcess agent = new AgentProcess(sb, controlRepo, env)) {
            agent.init("download");
            JsonNode got = fetch(agent, controlOid.get("control.bin"), 5_000);
            assertFalse(got.has("error"), got.toString());
            assertEquals(controlOid.get("control.bin"), Sandbox.sha256(Path.of(got.path("path").asText())));
        }
        assertFalse(trap.requests().isEmpty(), "the hosts file maps names to the trap: a followed redirect reaches it");
    }

    private static String message(JsonNode complete) {
        return complete.path("error").path("message").asText();
    }

    @Test
    void loopsTooManyHopsRedirectsWithoutALocationAnd501FailAtOnceAndFiveHopsAreFollowed() throws Exception {
        Map<String, byte[]> objects = new LinkedHashMap<>();
        for (String name : List.of("loop.bin", "six.bin", "five.bin", "none.bin", "nope.bin")) {
            objects.put(name, bytes(2_000));
        }
        Map<String, String> oids = new LinkedHashMap<>();
        Path repo = repo(objects, oids);
        redirect("/loop.bin", 302, "/loop/a");
        redirect("/loop/a", 302, "b");
        redirect("/loop/b", 302, origin.url("loop.bin"));
        chain("six.bin", 6, objects.get("six.bin"));
        chain("five.bin", 5, objects.get("five.bin"));
        routes.put("/none.bin", x -> LoggingServer.status(x, 302));
        // a server that cannot serve the request answers the same when asked again
        redirect("/nope.bin", 302, "/cannot/nope.bin");
        routes.put("/cannot/nope.bin", x -> LoggingServer.status(x, 501));

        try (AgentProcess agent = new AgentProcess(sb, repo, env)) {
            agent.init("download");
            JsonNode loop = fetch(agent, oids.get("loop.bin"), 2_000);
            assertTrue(message(loop).contains("redirects in a loop (back to " + origin.url("loop.bin") + ")"), loop.toString());
            JsonNode six = fetch(agent, oids.get("six.bin"), 2_000);
            assertTrue(message(six).contains("more than 5 redirects"), six.toString());
            JsonNode none = fetch(agent, oids.get("none.bin"), 2_000);
            assertTrue(message(none).contains("HTTP 302 redirect without a Location"), none.toString());
            JsonNode nope = fetch(agent, oids.get("nope.bin"), 2_000);
            assertTrue(message(nope).contains("cannot serve this request (HTTP 501)"), nope.toString());
            JsonNode five = fetch(agent, oids.get("five.bin"), 2_000);
            assertFalse(five.has("error"), five.toString());
            assertEquals(oids.get("five.bin"), Sandbox.sha256(Path.of(five.path("path").asText())));
            assertTrue(agent.alive());
        }
        assertEquals(1, requestsFor(origin, "/loop.bin"), "a loop is seen once round, not retried");
        assertEquals(0, requestsFor(origin, "/six.bin/6"), "the sixth hop is not taken");
        assertEquals(1, requestsFor(origin, "/six.bin/5"));
        assertEquals(1, requestsFor(origin, "/none.bin"));
        assertEquals(1, requestsFor(origin, "/cannot/nope.bin"), "501 is not retried");
    }

    /** {@code /name} → {@code /name/1} → … → {@code /name/hops}, which serves {@code content}. */
    private void chain(String name, int hops, byte[] content) {
        for (int i = 0; i < hops; i++) {
            redirect("/" + name + (i == 0 ? "" : "/" + i), 302, "/" + name + "/" + (i + 1));
        }
        routes.put("/" + name + "/" + hops, x -> LoggingServer.serve(x, content, "e-" + sha(content).substring(0, 8)));
    }

    @Test
    void aRelativeRedirectIsFollowedAndAResumedDownloadKeepsItsRangeAndIfMatchOnEveryHop() throws Exception {
        byte[] content = bytes(600_000);
        Map<String, String> oids = new LinkedHashMap<>();
        Path repo = repo(Map.of("resume.bin", content), oids);
        String etag = "e-" + oids.get("resume.bin").substring(0, 8);
        redirect("/resume.bin", 302, "mirror/../files/resume.bin");
        redirect("/files/resume.bin", 307, "/final/resume.bin");
        java.util.concurrent.atomic.AtomicInteger gets = new java.util.concurrent.atomic.AtomicInteger();
        routes.put("/final/resume.bin", x -> {
            if (x.getRequestMethod().equals("GET") && gets.incrementAndGet() == 1) {
                // the first body breaks off half-way: the agent resumes with a Range
                x.getResponseHeaders().set("ETag", "\"" + etag + "\"");
                x.sendResponseHeaders(200, content.length);
                x.getResponseBody().write(content, 0, content.length / 2);
                x.getResponseBody().flush();
                throw new IOException("connection dropped by the test");
            }
            LoggingServer.serve(x, content, etag);
        });

        try (AgentProcess agent = new AgentProcess(sb, repo, env)) {
            agent.init("download");
            JsonNode got = fetch(agent, oids.get("resume.bin"), content.length);
            assertFalse(got.has("error"), got.toString());
            assertEquals(oids.get("resume.bin"), Sandbox.sha256(Path.of(got.path("path").asText())));
        }
        List<LoggingServer.Request> resumed = origin.requests().stream()
                .filter(r -> r.method().equals("GET") && r.header("range") != null).toList();
        assertEquals(List.of("/resume.bin", "/files/resume.bin", "/final/resume.bin"),
                resumed.stream().map(LoggingServer.Request::path).toList(), "the resumed GET took every hop again");
        for (LoggingServer.Request r : resumed) {
            assertTrue(r.header("range").matches("bytes=[1-9][0-9]*-"), r.toString());
            assertEquals("\"" + etag + "\"", r.header("if-match"), r.toString());
        }
        for (LoggingServer.Request r : origin.requests()) {
            for (String h : List.of("authorization", "proxy-authorization", "cookie")) {
                assertEquals(null, r.header(h), "no credential on any hop: " + r);
            }
        }
    }

    @Test
    void aCloneWhoseTrackedFileRedirectsToAMetadataHostGetsEverythingElseAndNothingReachesIt() throws Exception {
        byte[] good = bytes(120_000);
        byte[] evil = bytes(80_000);
        routes.put("/good.bin", x -> LoggingServer.serve(x, good, "good"));
        routes.put("/evil.bin", x -> LoggingServer.serve(x, evil, "evil"));
        Sandbox.Project p = sb.project("tracked");
        String local = Sandbox.writeRandom(p.work().resolve("local.bin"), 50_000, 7);
        sb.run(p.work(), "git", "lfs-cloud", "track-remote", "good.bin", "--url", origin.url("good.bin")).ok();
        sb.run(p.work(), "git", "lfs-cloud", "track-remote", "evil.bin", "--url", origin.url("evil.bin")).ok();
        sb.git(p.work(), "add", "-A").ok();
        sb.git(p.work(), "commit", "-q", "-m", "tracked in place").ok();
        sb.git(p.work(), "push", "-q", "origin", "main").ok();

        // the server of evil.bin now sends its clients to the cloud metadata service
        redirect("/evil.bin", 302, "http://metadata.google.internal:" + trap.port() + "/computeMetadata/v1/");
        Path clone = tmp.resolve("clone");
        Sandbox.Result r = sb.run(tmp, env, "git", "lfs-cloud", "clone", p.origin().toString(), clone.toString());
        assertEquals(1, r.exitCode(), r.all());
        assertTrue(r.all().contains(origin.url("evil.bin") + " redirects to http://metadata.google.internal:" + trap.port()),
                r.all());
        assertEquals(sha(good), Sandbox.sha256(clone.resolve("good.bin")), "the other tracked file arrived");
        assertEquals(local, Sandbox.sha256(clone.resolve("local.bin")), "the store's object arrived");
        assertTrue(Files.readString(clone.resolve("evil.bin")).startsWith("version https://git-lfs"), "evil.bin stays a pointer");
        assertEquals(List.of(), trap.requests(), "nothing reached the metadata host");
    }

    @Test
    void aTimeoutOutOfRangeOrNotANumberIsOneClearErrorBeforeAnyRequestAndTheAgentGoesOn() throws Exception {
        byte[] content = bytes(1_000);
        Map<String, String> oids = new LinkedHashMap<>();
        Path repo = repo(Map.of("slow.bin", content), oids);
        String oid = oids.get("slow.bin");
        // a server that never answers: with no timeout at all, the download would hang forever
        routes.put("/slow.bin", x -> {
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Map<String, String> expected = Map.of(
                "0", "lfs-cloud.http.timeoutSeconds must be from 1 to 3600, not 0",
                "99999999", "lfs-cloud.http.timeoutSeconds must be from 1 to 3600, not 99999999",
                "abc", "lfs-cloud.http.timeoutSeconds must be a whole number from 1 to 3600, not 'abc'");
        for (Map.Entry<String, String> e : expected.entrySet()) {
            sb.git(repo, "config", "lfs-cloud.http.timeoutSeconds", e.getKey()).ok();
            try (AgentProcess agent = new AgentProcess(sb, repo)) {
                agent.init("download");
                for (int i = 0; i < 2; i++) {
                    JsonNode failed = fetch(agent, oid, content.length);
                    assertTrue(message(failed).contains(e.getValue()), failed.toString());
                    assertFalse(message(failed).contains("NumberFormatException"), failed.toString());
                }
                assertTrue(agent.alive());
                assertFalse(agent.stderr().contains("Exception"), agent.stderr());
            }
        }
        assertEquals(List.of(), origin.requests(), "refused before any request");
    }
}
