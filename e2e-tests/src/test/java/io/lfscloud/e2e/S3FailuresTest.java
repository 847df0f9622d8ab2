package io.lfscloud.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.lfscloud.testkit.FaultProxy;
import io.lfscloud.testkit.LoggingServer;
import io.lfscloud.testkit.S3Proxy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
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

/**
 * What goes wrong with S3, against a real S3 server (s3proxy): refused credentials, a busy or
 * failing server (errors injected by {@link FaultProxy} in front of it), a part the server
 * refuses, and the server killed in the middle of a download.
 */
class S3FailuresTest {

    static final Map<String, String> AWS = Map.of("AWS_ACCESS_KEY_ID", "right-key", "AWS_SECRET_ACCESS_KEY", "right-secret",
            "AWS_REGION", "us-east-1", "AWS_EC2_METADATA_DISABLED", "true");

    @TempDir
    Path tmp;

    final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closing.reversed()) {
            c.close();
        }
    }

    private <T extends AutoCloseable> T closing(T c) {
        closing.add(c);
        return c;
    }

    /** A repository whose store is {@code s3://lfs/store/} at {@code endpoint}, with extra settings. */
    private Path repo(Sandbox sb, String endpoint, String... settings) throws IOException {
        Path repo = Files.createTempDirectory(tmp, "repo");
        sb.git(repo, "init", "-q").ok();
        sb.git(repo, "config", "lfs-cloud.store", "s3://lfs/store/").ok();
        sb.git(repo, "config", "lfs-cloud.s3.endpoint", endpoint).ok();
        for (int i = 0; i < settings.length; i += 2) {
            sb.git(repo, "config", settings[i], settings[i + 1]).ok();
        }
        return repo;
    }

    /** An in-memory s3proxy with the bucket "lfs", a FaultProxy in front of it, and a sandbox. */
    private record Rig(S3Proxy s3, FaultProxy proxy, Sandbox sb) {
    }

    private Rig rig() throws Exception {
        S3Proxy s3 = closing(new S3Proxy(tmp.resolve("s3")));
        s3.createBucket("lfs");
        return new Rig(s3, closing(new FaultProxy(s3.port)), new Sandbox(tmp.resolve("sb")));
    }

    private static Map<String, Object> request(String event, String oid, long size, Path path) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("event", event);
        m.put("oid", oid);
        m.put("size", size);
        if (path != null) {
            m.put("path", path.toString());
        }
        m.put("action", null);
        return m;
    }

    private AgentProcess agent(Sandbox sb, Path repo, String operation, Map<String, String> env) throws Exception {
        AgentProcess a = closing(new AgentProcess(sb, repo, env));
        a.init(operation);
        return a;
    }

    private static List<Path> files(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).toList();
        }
    }

    private static String key(String oid) {
        return "store/" + oid.substring(0, 2) + "/" + oid.substring(2, 4) + "/" + oid;
    }

    @Test
    void wrongCredentialsAreAccessDeniedWithAHintAndTheRightOnesWorkFromEnvironmentOrProfile() throws Exception {
        Path basedir = Files.createDirectories(tmp.resolve("s3-data/lfs")).getParent();
        S3Proxy s3 = closing(new S3Proxy(tmp.resolve("s3"), basedir, "right-key", "right-secret"));
        Sandbox sb = new Sandbox(tmp.resolve("sb"));
        AWS.forEach(sb::env);
        Sandbox.Project p = sb.project("auth");
        sb.git(p.work(), "config", "lfs-cloud.store", "s3://lfs/auth/").ok();
        sb.git(p.work(), "config", "lfs-cloud.s3.endpoint", s3.endpoint()).ok();
        String small = Sandbox.writeRandom(p.work().resolve("small.bin"), 5_000, 1);
        String big = Sandbox.writeRandom(p.work().resolve("big.bin"), 9L << 20, 2);
        sb.git(p.work(), "add", "-A").ok();
        sb.git(p.work(), "commit", "-q", "-m", "auth").ok();

        Sandbox.Result denied = sb.run(p.work(), Map.of("AWS_SECRET_ACCESS_KEY", "not-the-secret-xyz"),
                "git", "push", "origin", "main").failed();
        assertTrue(denied.all().contains("S3 denied access"), denied.all());
        assertTrue(denied.all().contains("check the AWS credentials"), denied.all());
        assertFalse(denied.all().contains("not-the-secret-xyz") || denied.all().contains("right-secret"),
                "no secret in the output: " + denied.all());

        // the same push with the right key: the server checks every signature, presigned uploads included
        sb.git(p.work(), "config", "lfs-cloud.s3.multipartThreshold", "6m").ok();
        sb.git(p.work(), "config", "lfs-cloud.s3.partSize", "5m").ok();
        sb.git(p.work(), "push", "-q", "origin", "main").ok();
        assertTrue(Files.exists(basedir.resolve("lfs/auth/" + small.substring(0, 2) + "/" + small.substring(2, 4) + "/" + small)));
        // the clone finds its credentials in a named profile of the shared files, as users' do
        Sandbox viaProfile = new Sandbox(tmp.resolve("sb-profile"));
        Path credentials = Files.writeString(tmp.resolve("aws-credentials"),
                "[lfs-test]\naws_access_key_id = right-key\naws_secret_access_key = right-secret\n");
        Path config = Files.writeString(tmp.resolve("aws-config"), "[profile lfs-test]\nregion = us-east-1\n");
        viaProfile.env("AWS_EC2_METADATA_DISABLED", "true");
        viaProfile.env("AWS_SHARED_CREDENTIALS_FILE", credentials.toString());
        viaProfile.env("AWS_CONFIG_FILE", config.toString());
        Path clone = tmp.resolve("clone");
        viaProfile.run(tmp, "git", "clone", "-q", p.origin().toString(), clone.toString()).ok();
        viaProfile.run(clone, "git", "lfs-cloud", "install").ok();
        viaProfile.git(clone, "config", "lfs-cloud.store", "s3://lfs/auth/").ok();
        viaProfile.git(clone, "config", "lfs-cloud.s3.endpoint", s3.endpoint()).ok();
        viaProfile.git(clone, "config", "lfs-cloud.s3.downloadPartSize", "1m").ok();

        // without the profile there are no credentials at all: said so, with what to set
        Sandbox.Result none = viaProfile.run(clone, "git", "lfs", "pull").failed();
        assertTrue(none.all().contains("no AWS credentials found"), none.all());

        viaProfile.run(clone, Map.of("AWS_PROFILE", "lfs-test"), "git", "lfs", "pull").ok();
        assertEquals(small, Sandbox.sha256(clone.resolve("small.bin")));
        assertEquals(big, Sandbox.sha256(clone.resolve("big.bin")));
    }

    @Test
    void busyAndFailingServersAreRetriedWithinBounds() throws Exception {
        Rig rig = rig();
        S3Proxy s3 = rig.s3();
        FaultProxy proxy = rig.proxy();
        Sandbox sb = rig.sb();
        Path repo = repo(sb, proxy.endpoint(), "lfs-cloud.s3.multipartThreshold", "6m", "lfs-cloud.s3.partSize", "5m",
                "lfs-cloud.s3.downloadPartSize", "2m");
        Path file = repo.resolve("x.bin");
        String oid = Sandbox.writeRandom(file, 11L << 20, 3);

        // every body PUT (each part) fails twice (503 SlowDown, then 500), then goes through
        Map<String, Integer> seen = new java.util.concurrent.ConcurrentHashMap<>();
        proxy.rule((method, target, n) -> {
            if (!method.equals("PUT") && !method.equals("GET")) {
                return null;
            }
            // one request is its path and part number (presigned URLs differ in each attempt's signature)
            java.util.regex.Matcher part = java.util.regex.Pattern.compile("partNumber=\\d+").matcher(target);
            String what = method + " " + target.replaceFirst("\\?.*", "") + (part.find() ? " " + part.group() : "");
            int count = seen.merge(what, 1, Integer::sum);
            return count == 1 ? new FaultProxy.Fault(503, "SlowDown") : count == 2 ? new FaultProxy.Fault(500, "InternalError") : null;
        });
        AgentProcess up = agent(sb, repo, "upload", AWS);
        up.send(request("upload", oid, 11L << 20, file));
        JsonNode done = up.complete(oid);
        assertFalse(done.has("error"), done.toString());
        long refused = proxy.log().stream().filter(l -> l.startsWith("PUT") && l.contains("-> 5")).count();
        assertTrue(refused >= 6, "three parts, each refused twice before it went through: " + proxy.log());

        // downloads too (in 2 MB ranges): the first two GETs are refused
        AgentProcess down = agent(sb, repo, "download", AWS);
        down.send(request("download", oid, 11L << 20, null));
        JsonNode got = down.complete(oid);
        assertFalse(got.has("error"), got.toString());
        assertEquals(oid, Sandbox.sha256(Path.of(got.path("path").asText())));
        long ranges = proxy.log().stream().filter(l -> l.startsWith("GET /lfs/" + key(oid)) && l.contains("[bytes=")
                && l.endsWith("forwarded")).count();
        assertEquals(6, ranges, "11 MB in 2 MB ranges: " + proxy.log());

        // a server that keeps failing: a clear, retriable error in bounded time, and the agent goes on
        proxy.rule((method, target, n) -> new FaultProxy.Fault(503, "SlowDown"));
        long start = System.nanoTime();
        String other = "ab".repeat(32);
        down.send(request("download", other, 3L << 20, null));
        JsonNode failed = down.complete(other);
        long seconds = (System.nanoTime() - start) / 1_000_000_000L;
        assertEquals(503, failed.path("error").path("code").asInt(), failed.toString());
        assertTrue(failed.path("error").path("message").asText().contains("busy or failing"), failed.toString());
        assertTrue(seconds < 60, "gave up after " + seconds + " s");
        assertTrue(down.alive());
    }

    @Test
    void aServerThatStopsAnsweringTimesOutAndIsRetried() throws Exception {
        Rig rig = rig();
        S3Proxy s3 = rig.s3();
        FaultProxy proxy = rig.proxy();
        Sandbox sb = rig.sb();
        Path repo = repo(sb, proxy.endpoint(), "lfs-cloud.s3.timeoutSeconds", "2");
        Path file = repo.resolve("x.bin");
        long size = 40L << 20;
        String oid = Sandbox.writeRandom(file, size, 6);
        // the first upload of the body and the first download are neither read nor answered
        Map<String, Integer> seen = new java.util.concurrent.ConcurrentHashMap<>();
        proxy.rule((method, target, n) -> target.contains(oid) && !method.equals("HEAD")
                && seen.merge(method, 1, Integer::sum) == 1 ? new FaultProxy.Fault(0, "stall") : null);
        Map<String, String> env = new java.util.HashMap<>(AWS);
        env.put("LFS_CLOUD_TRACE", "1");
        AgentProcess up = agent(sb, repo, "upload", env);
        long start = System.nanoTime();
        up.send(request("upload", oid, size, file));
        JsonNode done = up.complete(oid);
        double seconds = (System.nanoTime() - start) / 1e9;
        assertFalse(done.has("error"), done.toString());
        assertTrue(seconds >= 2 && seconds < 30, "waited for the timeout, then retried: " + seconds + " s");
        assertTrue(proxy.log().stream().anyMatch(l -> l.startsWith("PUT") && l.endsWith("stalled")), proxy.log().toString());
        assertEquals(size, s3.get("lfs", key(oid)).length);
        // 40 MB cannot all sit in socket buffers: the body's writes stalled and the watchdog cut them
        assertTrue(up.stderr().contains("S3 took no bytes for 2 s"), up.stderr());

        AgentProcess down = agent(sb, repo, "download", AWS);
        start = System.nanoTime();
        down.send(request("download", oid, size, null));
        JsonNode got = down.complete(oid);
        seconds = (System.nanoTime() - start) / 1e9;
        assertFalse(got.has("error"), got.toString());
        assertEquals(oid, Sandbox.sha256(Path.of(got.path("path").asText())));
        assertTrue(seconds >= 2 && seconds < 30, "waited for the timeout, then retried: " + seconds + " s");
        assertTrue(proxy.log().stream().anyMatch(l -> l.startsWith("GET") && l.endsWith("stalled")), proxy.log().toString());
    }

    @Test
    void aPartTheServerRefusesAbortsTheMultipartUpload() throws Exception {
        Rig rig = rig();
        S3Proxy s3 = rig.s3();
        FaultProxy proxy = rig.proxy();
        Sandbox sb = rig.sb();
        Path repo = repo(sb, proxy.endpoint(), "lfs-cloud.s3.multipartThreshold", "6m", "lfs-cloud.s3.partSize", "5m");
        Path file = repo.resolve("x.bin");
        String oid = Sandbox.writeRandom(file, 16L << 20, 4);
        proxy.rule((method, target, n) -> method.equals("PUT") && target.contains("partNumber=3")
                ? new FaultProxy.Fault(400, "InvalidArgument") : null);
        AgentProcess up = agent(sb, repo, "upload", AWS);
        up.send(request("upload", oid, 16L << 20, file));
        JsonNode failed = up.complete(oid);
        assertTrue(failed.has("error"), failed.toString());
        assertTrue(failed.path("error").path("message").asText().contains("InvalidArgument"), failed.toString());
        assertTrue(proxy.log().stream().anyMatch(l -> l.startsWith("DELETE") && l.contains("uploadId=")),
                "the upload was aborted: " + proxy.log());
        assertFalse(s3.openUploads("lfs").contains("<Upload>"), "no parts left behind: " + s3.openUploads("lfs"));
        assertNull(s3.get("lfs", key(oid)), "no object");
        assertTrue(up.alive());
    }

    @Test
    void theServerKilledMidDownloadIsAClearErrorThenTheTransferCompletesAfterARestart() throws Exception {
        Path basedir = Files.createDirectories(tmp.resolve("s3-data/lfs")).getParent();
        S3Proxy s3 = closing(new S3Proxy(tmp.resolve("s3"), basedir, null, null));
        FaultProxy proxy = closing(new FaultProxy(s3.port));
        Sandbox sb = new Sandbox(tmp.resolve("sb"));
        Path repo = repo(sb, proxy.endpoint(), "lfs-cloud.s3.downloadPartSize", "4m");
        Path file = repo.resolve("x.bin");
        long size = 48L << 20;
        String oid = Sandbox.writeRandom(file, size, 5);
        AgentProcess up = agent(sb, repo, "upload", AWS);
        up.send(request("upload", oid, size, file));
        assertFalse(up.complete(oid).has("error"));

        proxy.throttle(8L << 20); // 8 MB/s: six seconds for the object
        AgentProcess down = agent(sb, repo, "download", AWS);
        down.send(request("download", oid, size, null));
        long seen;
        while (true) {
            JsonNode n = down.next();
            assertEquals("progress", n.path("event").asText(), "still downloading when the server dies: " + n);
            seen = n.path("bytesSoFar").asLong();
            if (seen > 0) {
                break;
            }
        }
        assertTrue(seen < size, "killed before the end: " + seen);
        s3.kill();
        JsonNode failed = down.complete(oid, seen);
        assertTrue(failed.has("error"), failed.toString());
        String message = failed.path("error").path("message").asText();
        assertTrue(message.contains("reading") || message.contains("cannot reach S3"), message);
        assertEquals(List.of(), files(repo.resolve(".git/lfs/objects")), "no partial object");
        assertEquals(List.of(), files(repo.resolve(".git/lfs/tmp")), "no temp file left");

        s3.start();
        proxy.throttle(0);
        down.send(request("download", oid, size, null));
        JsonNode done = down.complete(oid);
        assertFalse(done.has("error"), done.toString());
        assertEquals(oid, Sandbox.sha256(Path.of(done.path("path").asText())));
    }

    // ------------------------------------------------------ limits and refusals

    @Test
    void settingsOutOfRangeAreOneClearErrorBeforeAnyRequestAndTheAgentGoesOn() throws Exception {
        Rig rig = rig();
        Sandbox sb = rig.sb();
        Path repo = repo(sb, rig.proxy().endpoint());
        // a 64m range size with four ranges in flight held 320 MB for one download: the agent's heap is 256 MB
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("lfs-cloud.s3.downloadPartSize=64m", "lfs-cloud.s3.downloadPartSize must be from 1m to 16m, not 64m");
        settings.put("lfs-cloud.s3.downloadPartSize=16m", "lfs-cloud.s3.downloadConcurrency 4 with"
                + " lfs-cloud.s3.downloadPartSize 16m would hold 80m in memory per download");
        settings.put("lfs-cloud.s3.timeoutSeconds=0", "lfs-cloud.s3.timeoutSeconds must be from 1 to 3600, not 0");
        settings.put("lfs-cloud.s3.uploadConcurrency=lots", "lfs-cloud.s3.uploadConcurrency must be a whole number"
                + " from 1 to 16, not 'lots'");
        String oid = "cd".repeat(32);
        for (Map.Entry<String, String> e : settings.entrySet()) {
            String[] kv = e.getKey().split("=");
            sb.git(repo, "config", kv[0], kv[1]).ok();
            AgentProcess down = agent(sb, repo, "download", AWS);
            for (int i = 0; i < 2; i++) {
                down.send(request("download", oid, 250L << 20, null));
                JsonNode failed = down.complete(oid);
                String message = failed.path("error").path("message").asText();
                assertTrue(message.contains(e.getValue()), failed.toString());
                assertFalse(message.contains("NumberFormatException"), message);
            }
            assertTrue(down.alive());
            sb.git(repo, "config", "--unset", kv[0]).ok();
        }
        assertEquals(List.of(), rig.proxy().log(), "refused before any request");
    }

    @Test
    void aServerThatNeverAnswersCostsThreeTimeoutsPerObjectNotMore() throws Exception {
        Rig rig = rig();
        FaultProxy proxy = rig.proxy();
        Sandbox sb = rig.sb();
        Path repo = repo(sb, proxy.endpoint(), "lfs-cloud.s3.timeoutSeconds", "2", "lfs-cloud.s3.downloadPartSize", "1m");
        proxy.rule((method, target, n) -> new FaultProxy.Fault(0, "stall"));
        Path file = repo.resolve("x.bin");
        String oid = Sandbox.writeRandom(file, 100_000, 8);
        AgentProcess up = agent(sb, repo, "upload", AWS);
        long start = System.nanoTime();
        up.send(request("upload", oid, 100_000, file));
        JsonNode failed = up.complete(oid);
        assertWithinThreeTimeouts(start, failed, "did not answer within 2 s");
        assertEquals(3, stalled(proxy, "HEAD"), "one HEAD per agent attempt: " + proxy.log());

        // parallel ranges (3 MB in 1 MB ranges): a range that got nothing is not retried on its own
        AgentProcess down = agent(sb, repo, "download", AWS);
        String ranged = "ab".repeat(32);
        start = System.nanoTime();
        down.send(request("download", ranged, 3L << 20, null));
        assertWithinThreeTimeouts(start, down.complete(ranged), "did not answer within 2 s");
        assertEquals(9, stalled(proxy, "GET"), "three ranges per agent attempt: " + proxy.log());

        // one streamed GET
        String small = "ef".repeat(32);
        start = System.nanoTime();
        down.send(request("download", small, 100_000, null));
        assertWithinThreeTimeouts(start, down.complete(small), "did not answer within 2 s");
        assertEquals(12, stalled(proxy, "GET"), proxy.log().toString());
        assertTrue(up.alive() && down.alive());
    }

    /** Three attempts of the agent, each one 2 s timeout: at least 6 s, at most about 4 timeouts. */
    private static void assertWithinThreeTimeouts(long start, JsonNode failed, String why) {
        double seconds = (System.nanoTime() - start) / 1e9;
        assertEquals(503, failed.path("error").path("code").asInt(), failed.toString());
        assertTrue(failed.path("error").path("message").asText().contains(why), failed.toString());
        assertTrue(seconds >= 6 && seconds < 11, "three 2 s timeouts and two pauses, not " + seconds + " s");
    }

    private static long stalled(FaultProxy proxy, String method) {
        return proxy.log().stream().filter(l -> l.startsWith(method + " ") && l.endsWith("stalled")).count();
    }

    @Test
    void aServerThatCannotDoARequestIsNotRetriedAndNoMessageSaysNull() throws Exception {
        Rig rig = rig();
        FaultProxy proxy = rig.proxy();
        Sandbox sb = rig.sb();
        Path repo = repo(sb, proxy.endpoint());
        Path file = repo.resolve("x.bin");
        String oid = Sandbox.writeRandom(file, 200_000, 9);
        // 501 to downloads; 403 to a HEAD (which carries no error code); 505 with an empty code to uploads
        proxy.rule((method, target, n) -> switch (method) {
            case "GET" -> new FaultProxy.Fault(501, "NotImplemented");
            case "PUT" -> new FaultProxy.Fault(505, "");
            default -> target.contains("denied") ? new FaultProxy.Fault(403, "AccessDenied") : null;
        });
        AgentProcess down = agent(sb, repo, "download", AWS);
        down.send(request("download", oid, 200_000, null));
        JsonNode notImplemented = down.complete(oid);
        assertTrue(notImplemented.path("error").path("message").asText().contains("(HTTP 501 NotImplemented)"),
                notImplemented.toString());
        assertEquals(1, proxy.log().stream().filter(l -> l.startsWith("GET")).count(), "not retried: " + proxy.log());

        AgentProcess up = agent(sb, repo, "upload", AWS);
        up.send(request("upload", oid, 200_000, file));
        JsonNode refused = up.complete(oid);
        String message = refused.path("error").path("message").asText();
        assertTrue(message.contains("(HTTP 505)") && !message.contains("null"), refused.toString());
        assertEquals(1, proxy.log().stream().filter(l -> l.startsWith("PUT")).count(), "not retried: " + proxy.log());

        sb.git(repo, "config", "lfs-cloud.store", "s3://lfs/denied/").ok();
        AgentProcess denied = agent(sb, repo, "upload", AWS);
        denied.send(request("upload", oid, 200_000, file));
        JsonNode deniedReply = denied.complete(oid);
        message = deniedReply.path("error").path("message").asText();
        assertEquals(403, deniedReply.path("error").path("code").asInt(), deniedReply.toString());
        assertTrue(message.startsWith("S3 denied access to s3://lfs/denied/") && message.contains("(HTTP 403)")
                && !message.contains("null"), message);
        assertTrue(down.alive() && up.alive() && denied.alive());
    }

    @Test
    void redirectsAreNeverFollowedSoCredentialsGoOnlyToTheConfiguredEndpoint() throws Exception {
        LoggingServer elsewhere = closing(new LoggingServer(x -> LoggingServer.status(x, 200)));
        boolean[] redirectHead = {false};
        LoggingServer endpoint = closing(new LoggingServer(x -> {
            String path = x.getRequestURI().getPath();
            String query = x.getRequestURI().getRawQuery();
            String there = elsewhere.url(path.substring(1) + (query == null ? "" : "?" + query));
            if (x.getRequestMethod().equals("HEAD") && path.equals("/lfs")) {
                LoggingServer.status(x, 200); // the bucket exists
            } else if (x.getRequestMethod().equals("HEAD")) {
                if (redirectHead[0]) {
                    LoggingServer.redirect(x, 301, there);
                } else {
                    LoggingServer.status(x, 404); // no such object yet: the upload goes on to its PUT
                }
            } else {
                LoggingServer.redirect(x, 307, there);
            }
        }));
        Sandbox sb = new Sandbox(tmp.resolve("sb"));
        Path repo = repo(sb, "http://127.0.0.1:" + endpoint.port());
        Map<String, String> env = new java.util.HashMap<>(AWS);
        env.put("AWS_SESSION_TOKEN", "session-token-of-the-user");
        Path file = repo.resolve("x.bin");
        String oid = Sandbox.writeRandom(file, 100_000, 10);

        AgentProcess up = agent(sb, repo, "upload", env);
        up.send(request("upload", oid, 100_000, file));
        JsonNode put = up.complete(oid);
        assertTrue(put.path("error").path("message").asText().contains("with a redirect (HTTP 307)"), put.toString());
        AgentProcess down = agent(sb, repo, "download", env);
        down.send(request("download", oid, 100_000, null));
        JsonNode get = down.complete(oid);
        assertTrue(get.path("error").path("message").asText().contains("with a redirect (HTTP 307)"), get.toString());
        redirectHead[0] = true;
        AgentProcess again = agent(sb, repo, "upload", env);
        again.send(request("upload", oid, 100_000, file));
        JsonNode head = again.complete(oid);
        assertTrue(head.path("error").path("message").asText().contains("with a redirect (HTTP 301)"), head.toString());

        // the endpoint got the credentials (so there were some to leak), the other server nothing at all
        List<LoggingServer.Request> asked = endpoint.requests();
        assertTrue(asked.stream().anyMatch(r -> r.method().equals("PUT") && r.path().contains("X-Amz-Credential=right-key")
                && r.path().contains("X-Amz-Security-Token=session-token-of-the-user")), asked.toString());
        assertTrue(asked.stream().anyMatch(r -> r.method().equals("GET") && String.valueOf(r.header("authorization"))
                .contains("Credential=right-key") && "session-token-of-the-user".equals(r.header("x-amz-security-token"))),
                asked.toString());
        assertEquals(List.of(), elsewhere.requests(), "no request followed a redirect to another server");
        assertTrue(up.alive() && down.alive() && again.alive());
    }

    @Test
    void aPushRewritesASameSizeObjectWhoseStoredChecksumIsNotItsOid() throws Exception {
        S3Proxy s3 = closing(new S3Proxy(tmp.resolve("s3")));
        s3.createBucket("lfs");
        Sandbox sb = new Sandbox(tmp.resolve("sb"));
        AWS.forEach(sb::env);
        Sandbox.Project p = sb.project("repair");
        sb.git(p.work(), "config", "lfs-cloud.store", "s3://lfs/repair/").ok();
        sb.git(p.work(), "config", "lfs-cloud.s3.endpoint", s3.endpoint()).ok();
        String oid = Sandbox.writeRandom(p.work().resolve("x.bin"), 300_000, 11);
        sb.git(p.work(), "add", "-A").ok();
        sb.git(p.work(), "commit", "-q", "-m", "x").ok();
        sb.git(p.work(), "push", "-q", "origin", "main").ok();
        String key = "repair/" + oid.substring(0, 2) + "/" + oid.substring(2, 4) + "/" + oid;
        assertEquals(oid, sha(s3.get("lfs", key)));

        // other bytes of the same size under the oid's key, stored with their own (right) checksum
        byte[] other = new byte[300_000];
        new java.util.Random(12).nextBytes(other);
        java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest
                .newBuilder(java.net.URI.create(s3.endpoint() + "/lfs/" + key))
                .header("Content-Type", "application/octet-stream")
                .header("x-amz-checksum-sha256", java.util.Base64.getEncoder().encodeToString(Sandbox.sha256().digest(other)))
                .PUT(java.net.http.HttpRequest.BodyPublishers.ofByteArray(other)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(sha(other), sha(s3.get("lfs", key)));

        sb.run(p.work(), "git", "lfs", "push", "--all", "origin").ok();
        assertEquals(oid, sha(s3.get("lfs", key)), "the push wrote the object again");
    }

    private static String sha(byte[] content) {
        return java.util.HexFormat.of().formatHex(Sandbox.sha256().digest(content));
    }
}
