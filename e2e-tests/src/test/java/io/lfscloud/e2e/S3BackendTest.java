package io.lfscloud.e2e;

import io.lfscloud.testkit.S3Proxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The S3 plugin, as shipped in the product's plugins/s3, against a real S3 server
 * (s3proxy), driven by the real git-lfs.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class S3BackendTest {

    @TempDir
    static Path tmp;

    S3Proxy s3;
    Sandbox sb;
    int n;

    @BeforeAll
    void start() throws Exception {
        s3 = new S3Proxy(tmp);
        sb = new Sandbox(tmp);
        // s3proxy runs without authorization; the SDK still signs, with any credentials
        sb.env("AWS_ACCESS_KEY_ID", "test-key");
        sb.env("AWS_SECRET_ACCESS_KEY", "test-secret");
        sb.env("AWS_REGION", "us-east-1");
        sb.env("AWS_EC2_METADATA_DISABLED", "true");
        // the endpoint is the user's own setting: a repository may not choose where credentials go
        sb.git(tmp, "config", "--global", "lfs-cloud.s3.endpoint", s3.endpoint()).ok();
        s3.createBucket("lfs");
        s3.createBucket("data");
    }

    @AfterAll
    void stop() throws InterruptedException {
        s3.close();
    }

    /** A project whose committed config points at an S3 store (on s3proxy: the user's endpoint setting). */
    private Sandbox.Project project(String storeUrl) throws Exception {
        Sandbox.Project p = sb.project("s3-" + (++n));
        Path shared = p.work().resolve(".lfs-meta/config");
        sb.git(p.work(), "config", "-f", shared.toString(), "lfs-cloud.store", storeUrl).ok();
        return p;
    }

    private Path cloneOf(Sandbox.Project p) {
        Path clone = tmp.resolve("clone-" + (++n));
        sb.run(tmp, "git", "lfs-cloud", "clone", p.origin().toString(), clone.toString()).ok();
        return clone;
    }

    private static String key(String prefix, String oid) {
        return prefix + oid.substring(0, 2) + "/" + oid.substring(2, 4) + "/" + oid;
    }

    @Test
    void realGitLfsPushesToAndClonesFromAnS3Store() throws Exception {
        Sandbox.Project p = project("s3://lfs/repo-a/");
        String small = Sandbox.writeRandom(p.work().resolve("small.bin"), 10_000, 1);
        String big = Sandbox.writeRandom(p.work().resolve("big.bin"), 12L << 20, 2);
        sb.git(p.work(), "add", "-A").ok();
        sb.git(p.work(), "commit", "-q", "-m", "s3").ok();
        sb.git(p.work(), "push", "-q", "origin", "main").ok();
        assertArrayEquals(Files.readAllBytes(p.work().resolve("small.bin")), s3.get("lfs", key("repo-a/", small)));
        assertNotNull(s3.get("lfs", key("repo-a/", big)));

        Path clone = cloneOf(p);
        assertEquals(small, Sandbox.sha256(clone.resolve("small.bin")));
        assertEquals(big, Sandbox.sha256(clone.resolve("big.bin")));
    }

    @Test
    void aLargeObjectCrossesTheMultipartThreshold() throws Exception {
        Sandbox.Project p = project("s3://lfs/repo-mp/");
        Path shared = p.work().resolve(".lfs-meta/config");
        sb.git(p.work(), "config", "-f", shared.toString(), "lfs-cloud.s3.multipartThreshold", "6m").ok();
        sb.git(p.work(), "config", "-f", shared.toString(), "lfs-cloud.s3.partSize", "5m").ok();
        // and the clone downloads it as 13 ranges of 1 MB, 4 at a time
        sb.git(p.work(), "config", "-f", shared.toString(), "lfs-cloud.s3.downloadPartSize", "1m").ok();
        String oid = Sandbox.writeRandom(p.work().resolve("parts.bin"), 13L << 20, 3);
        sb.git(p.work(), "add", "-A").ok();
        sb.git(p.work(), "commit", "-q", "-m", "multipart").ok();
        sb.git(p.work(), "push", "-q", "origin", "main").ok();
        String listing = s3.listing("lfs");
        assertTrue(listing.matches("(?s).*" + oid + ".*<ETag>(&quot;|\")?[0-9a-f]{32}-3(&quot;|\")?</ETag>.*"),
                "a 3-part multipart upload: " + listing);
        assertEquals(oid, Sandbox.sha256(cloneOf(p).resolve("parts.bin")));
        assertFalse(s3.openUploads("lfs").contains("<Upload>"), "no multipart upload left open: " + s3.openUploads("lfs"));
    }

    @Test
    void aBucketObjectIsTrackedInPlaceAndCloned() throws Exception {
        byte[] content = new byte[700_000];
        new Random(4).nextBytes(content);
        s3.put("data", "genomes/sample one.bam", content);
        Sandbox.Project p = project("s3://lfs/repo-t/");
        String out = sb.run(p.work(), "git", "lfs-cloud", "track-remote", "sample.bam", "--url",
                "s3://data/genomes/sample%20one.bam").ok().out();
        assertTrue(out.contains("tracked  sample.bam"), out);
        sb.git(p.work(), "add", "-A").ok();
        sb.git(p.work(), "commit", "-q", "-m", "tracked in place").ok();
        sb.git(p.work(), "push", "-q", "origin", "main").ok();
        Path clone = cloneOf(p);
        assertArrayEquals(content, Files.readAllBytes(clone.resolve("sample.bam")));
        assertEquals(0, sb.run(p.work(), "git", "lfs-cloud", "verify").exitCode());
    }

    @Test
    void inAVersionedBucketTheRecordPinsTheVersionAndSurvivesAnOverwrite() throws Exception {
        s3.createBucket("versioned");
        int status = s3.request("PUT", "/versioned?versioning", """
                <VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Enabled</Status></VersioningConfiguration>"""
                .getBytes()).statusCode();
        assertEquals(200, status, "enable versioning");
        byte[] v1 = new byte[300_000];
        new Random(7).nextBytes(v1);
        s3.put("versioned", "model.bin", v1);
        Sandbox.Project p = project("s3://lfs/repo-v/");
        sb.run(p.work(), "git", "lfs-cloud", "track-remote", "model.bin", "--url", "s3://versioned/model.bin").ok();
        String oid = Files.readString(p.work().resolve("model.bin")).lines()
                .filter(l -> l.startsWith("oid sha256:")).findFirst().orElseThrow().substring(11);
        String record = Files.readString(p.work().resolve(".lfs-meta/sha256/" + oid + ".json"));
        assertTrue(record.contains("\"versionId\""), "the record pins the version: " + record);
        sb.git(p.work(), "add", "-A").ok();
        sb.git(p.work(), "commit", "-q", "-m", "pinned").ok();
        sb.git(p.work(), "push", "-q", "origin", "main").ok();

        byte[] v2 = new byte[300_000];
        new Random(8).nextBytes(v2);
        s3.put("versioned", "model.bin", v2);
        Path clone = cloneOf(p);
        assertArrayEquals(v1, Files.readAllBytes(clone.resolve("model.bin")), "the pinned version, not the overwrite");
    }

    @Test
    void aMissingBucketIsMisconfigurationNamingTheBucket() throws Exception {
        Sandbox.Project p = project("s3://no-such-bucket/x/");
        Sandbox.writeRandom(p.work().resolve("x.bin"), 1000, 5);
        sb.git(p.work(), "add", "-A").ok();
        sb.git(p.work(), "commit", "-q", "-m", "x").ok();
        Sandbox.Result push = sb.git(p.work(), "push", "origin", "main");
        assertEquals(1, push.exitCode());
        assertTrue(push.all().contains("S3 bucket 'no-such-bucket' does not exist"), push.all());
        // install and doctor tell before a push does, naming the store (not the probe they send)
        Sandbox.Result install = sb.run(p.work(), "git", "lfs-cloud", "install", "--store", "s3://no-such-bucket/y/");
        assertEquals(1, install.exitCode(), install.all());
        assertTrue(install.err().contains("S3 bucket 'no-such-bucket' does not exist")
                && !install.err().contains("install-probe"), install.err());
        Sandbox.Result doctor = sb.run(p.work(), "git", "lfs-cloud", "doctor");
        String store = doctor.out().lines().filter(l -> l.contains("store answers")).findFirst().orElse("");
        assertTrue(store.startsWith("FAIL") && store.contains("does not exist") && !store.contains("--no-check"), doctor.out());
    }

    @Test
    void theStoreItselfRefusesBytesThatDoNotMatchTheOid() throws Exception {
        Sandbox.Project p = project("s3://lfs/repo-digest/");
        Path file = p.work().resolve("liar.bin");
        String actual = Sandbox.writeRandom(file, 5000, 6);
        String claimed = "cd".repeat(32);
        AgentProcess a = new AgentProcess(sb, p.work());
        try {
            a.init("upload");
            a.send(java.util.Map.of("event", "upload", "oid", claimed, "size", 5000, "path", file.toString()));
            var done = a.complete(claimed);
            assertEquals(422, done.path("error").path("code").asInt(), done.toString());
            String message = done.path("error").path("message").asText();
            assertTrue(message.contains("the content sent does not match its oid"), done.toString());
            assertFalse(message.contains(actual), "the file's own SHA-256 is not told: " + message);
        } finally {
            a.close();
        }
        assertEquals(null, s3.get("lfs", key("repo-digest/", claimed)), "nothing stored");
    }

    @Test
    void anObjectMissingFromTheBucketIsNotFound() throws Exception {
        Sandbox.Project p = project("s3://lfs/repo-missing/");
        AgentProcess a = new AgentProcess(sb, p.work());
        try {
            a.init("download");
            String oid = "ab".repeat(32);
            a.send(java.util.Map.of("event", "download", "oid", oid, "size", 10));
            var done = a.complete(oid);
            assertEquals(404, done.path("error").path("code").asInt(), done.toString());
            assertTrue(done.path("error").path("message").asText().contains("no such object: s3://lfs/repo-missing/ab/ab/"),
                    done.toString());
        } finally {
            a.close();
        }
    }
}
