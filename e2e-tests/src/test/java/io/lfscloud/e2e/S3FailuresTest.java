package io.lfscloud.e2e;

import com.fasterxml.jackson.databind.JsonNode;
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
}
