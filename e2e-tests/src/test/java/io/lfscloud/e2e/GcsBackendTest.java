package io.lfscloud.e2e;

import io.lfscloud.testkit.FakeGcs;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The GCS plugin, as shipped in the product's plugins/gcs, driven by the real git-lfs against
 * the test kit's {@link FakeGcs} (Google's JSON API as documented; no GCS emulator installs
 * here). The user's settings are what a user of an emulator would give: the endpoint in their
 * own git config, and a service-account key file in {@code GOOGLE_APPLICATION_CREDENTIALS} whose
 * token endpoint is the fake's, so the SDK's real OAuth path runs.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GcsBackendTest {

    @TempDir
    static Path tmp;

    FakeGcs gcs;
    Sandbox sb;
    Path key;
    int n;

    @BeforeAll
    void start() throws Exception {
        gcs = new FakeGcs();
        gcs.createBucket("lfs", false, false);
        gcs.createBucket("data", false, false);
        gcs.createBucket("versioned", true, false);
        gcs.createBucket("public-data", false, true);
        sb = new Sandbox(tmp);
        key = gcs.serviceAccount(Files.createDirectories(tmp.resolve("keys")), "pusher@fake-project.iam.gserviceaccount.com", true);
        sb.env("GOOGLE_APPLICATION_CREDENTIALS", key.toString());
        sb.git(tmp, "config", "--global", "lfs-cloud.gcs.endpoint", gcs.endpoint().toString()).ok();
    }

    @AfterAll
    void stop() {
        gcs.close();
    }

    /** A project whose committed config names a GCS store. */
    private Sandbox.Project project(String storeUrl) throws Exception {
        Sandbox.Project p = sb.project("gcs-" + (++n));
        Path shared = p.work().resolve(".lfs-meta/config");
        sb.git(p.work(), "config", "-f", shared.toString(), "lfs-cloud.store", storeUrl).ok();
        return p;
    }

    private void commitAndPush(Sandbox.Project p, Map<String, String> env) {
        sb.git(p.work(), "add", "-A").ok();
        sb.git(p.work(), "commit", "-q", "-m", "gcs").ok();
        sb.run(p.work(), env, "git", "push", "-q", "origin", "main").ok();
    }

    private Path cloneOf(Sandbox.Project p) {
        Path clone = tmp.resolve("clone-" + (++n));
        sb.run(tmp, "git", "lfs-cloud", "clone", p.origin().toString(), clone.toString()).ok();
        return clone;
    }

    private static String object(String prefix, String oid) {
        return prefix + oid.substring(0, 2) + "/" + oid.substring(2, 4) + "/" + oid;
    }

    private static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static String oidOf(Path pointer) throws Exception {
        return Files.readString(pointer).lines().filter(l -> l.startsWith("oid sha256:")).findFirst().orElseThrow().substring(11);
    }

    @Test
    void realGitLfsPushesClonesAndFetchesAllThroughAGsStore() throws Exception {
        Sandbox.Project p = project("gs://lfs/repo-a/");
        // chunks and ranges of 1 MB (committed tunables): the 3 MB object goes as a resumable session and comes back as ranges
        Path shared = p.work().resolve(".lfs-meta/config");
        sb.git(p.work(), "config", "-f", shared.toString(), "lfs-cloud.gcs.chunkSize", "1m").ok();
        sb.git(p.work(), "config", "-f", shared.toString(), "lfs-cloud.gcs.downloadPartSize", "1m").ok();
        String v1 = Sandbox.writeRandom(p.work().resolve("data.bin"), 5000, 1);
        String big = Sandbox.writeRandom(p.work().resolve("big.bin"), (3L << 20) + 77, 2);
        commitAndPush(p, Map.of());
        String v2 = Sandbox.writeRandom(p.work().resolve("data.bin"), 6000, 3);
        commitAndPush(p, Map.of());
        assertArrayEquals(Files.readAllBytes(p.work().resolve("data.bin")), gcs.content("lfs", object("repo-a/", v2)));
        assertNotNull(gcs.content("lfs", object("repo-a/", big)));
        assertTrue(gcs.requests().stream().anyMatch(r -> r.startsWith("POST /upload/") && r.contains("uploadType=resumable")),
                "the large object went as a resumable session");

        Path clone = cloneOf(p);
        assertEquals(v2, Sandbox.sha256(clone.resolve("data.bin")));
        assertEquals(big, Sandbox.sha256(clone.resolve("big.bin")));
        Path objects = clone.resolve(".git/lfs/objects");
        assertFalse(Files.exists(Sandbox.objectPath(objects, v1)), "a plain pull fetches only what HEAD needs");
        sb.git(clone, "lfs", "fetch", "--all", "origin").ok();
        assertEquals(v1, Sandbox.sha256(Sandbox.objectPath(objects, v1)));

        // doctor names where the credentials come from, never what they are, and the store answers
        Sandbox.Result doctor = sb.run(clone, "git", "lfs-cloud", "doctor");
        assertTrue(doctor.out().lines().anyMatch(l -> l.startsWith("ok    credentials")
                && l.contains("found (not shown): GOOGLE_APPLICATION_CREDENTIALS")), doctor.out());
        assertTrue(doctor.out().lines().anyMatch(l -> l.startsWith("ok    store answers")), doctor.out());
        assertFalse(doctor.all().contains("PRIVATE KEY"), doctor.all());

        // pushing again sends nothing: every object is there with its size
        int uploads = (int) gcs.requests().stream().filter(r -> r.startsWith("POST /upload/")).count();
        sb.run(p.work(), "git", "lfs", "push", "--all", "origin").ok();
        assertEquals(uploads, gcs.requests().stream().filter(r -> r.startsWith("POST /upload/")).count());
    }

    @Test
    void objectsInABucketAreTrackedInPlaceByBothUrlFormsAndCloned() throws Exception {
        byte[] a = random(700_000, 4);
        byte[] b = random(300_000, 5);
        gcs.put("data", "genomes/sample one.bam", a);
        gcs.put("data", "genomes/other.bam", b);
        Sandbox.Project p = project("gs://lfs/repo-t/");
        String out = sb.run(p.work(), "git", "lfs-cloud", "track-remote", "sample.bam", "--url",
                "gs://data/genomes/sample%20one.bam").ok().out();
        assertTrue(out.contains("tracked  sample.bam"), out);
        // the https form is GCS's too (claimed over the plain HTTPS backend): requests go to the endpoint, with credentials
        sb.run(p.work(), "git", "lfs-cloud", "track-remote", "other.bam", "--url",
                "https://storage.googleapis.com/data/genomes/other.bam").ok();
        commitAndPush(p, Map.of());
        Path clone = cloneOf(p);
        assertArrayEquals(a, Files.readAllBytes(clone.resolve("sample.bam")));
        assertArrayEquals(b, Files.readAllBytes(clone.resolve("other.bam")));
        assertEquals(0, sb.run(p.work(), "git", "lfs-cloud", "verify").exitCode());
        assertNull(gcs.content("lfs", object("repo-t/", oidOf(p.work().resolve("sample.bam")))), "nothing was copied to the store");
    }

    @Test
    void aTrackedObjectOverwrittenInAnUnversionedBucketIsRefusedAsChanged() throws Exception {
        gcs.put("data", "changing.bin", random(400_000, 6));
        Sandbox.Project p = project("gs://lfs/repo-c/");
        sb.run(p.work(), "git", "lfs-cloud", "track-remote", "changing.bin", "--url", "gs://data/changing.bin").ok();
        commitAndPush(p, Map.of());
        gcs.put("data", "changing.bin", random(400_000, 7));
        Path clone = tmp.resolve("clone-changed");
        Sandbox.Result r = sb.run(tmp, "git", "lfs-cloud", "clone", p.origin().toString(), clone.toString());
        assertTrue(r.all().contains("changed in GCS since it was tracked"), r.all());
        assertFalse(Files.exists(Sandbox.objectPath(clone.resolve(".git/lfs/objects"), oidOf(p.work().resolve("changing.bin")))),
                "no object arrived");
    }

    @Test
    void inAVersionedBucketTheRecordPinsTheGenerationAndSurvivesAnOverwrite() throws Exception {
        byte[] v1 = random(300_000, 8);
        long generation = gcs.put("versioned", "model.bin", v1);
        Sandbox.Project p = project("gs://lfs/repo-v/");
        sb.run(p.work(), "git", "lfs-cloud", "track-remote", "model.bin", "--url", "gs://versioned/model.bin").ok();
        String record = Files.readString(p.work().resolve(".lfs-meta/sha256/" + oidOf(p.work().resolve("model.bin")) + ".json"));
        assertTrue(record.matches("(?s).*\"versionId\"\\s*:\\s*\"" + generation + "\".*"), "the record pins the generation: " + record);
        commitAndPush(p, Map.of());
        gcs.put("versioned", "model.bin", random(300_000, 9));
        Path clone = cloneOf(p);
        assertArrayEquals(v1, Files.readAllBytes(clone.resolve("model.bin")), "the pinned generation, not the overwrite");
    }

    @Test
    void credentialsMissingWrongAndRight() throws Exception {
        Sandbox.Project p = project("gs://lfs/repo-key/");
        String oid = Sandbox.writeRandom(p.work().resolve("k.bin"), 4000, 10);
        sb.git(p.work(), "add", "-A").ok();
        sb.git(p.work(), "commit", "-q", "-m", "key").ok();

        // none: one line saying what to set
        Sandbox.Result none = sb.run(p.work(), Map.of("GOOGLE_APPLICATION_CREDENTIALS", ""), "git", "push", "origin", "main");
        assertEquals(1, none.exitCode(), none.all());
        assertTrue(none.all().contains("no Google Cloud credentials found: set GOOGLE_APPLICATION_CREDENTIALS"), none.all());
        Sandbox.Result doctor = sb.run(p.work(), Map.of("GOOGLE_APPLICATION_CREDENTIALS", ""), "git", "lfs-cloud", "doctor");
        assertTrue(doctor.out().lines().anyMatch(l -> l.startsWith("warn  credentials")
                && l.contains("no Google Cloud credentials")), doctor.out());

        // a key Google does not know: access denied, naming where it came from and nothing of it
        Path wrong = gcs.serviceAccount(Files.createDirectories(tmp.resolve("wrong-keys")), "stranger@fake-project.iam.gserviceaccount.com",
                false);
        Sandbox.Result denied = sb.run(p.work(), Map.of("GOOGLE_APPLICATION_CREDENTIALS", wrong.toString()), "git", "push",
                "origin", "main");
        assertEquals(1, denied.exitCode(), denied.all());
        assertTrue(denied.all().contains("Google refused the credentials from GOOGLE_APPLICATION_CREDENTIALS"), denied.all());
        assertFalse(denied.all().contains("PRIVATE KEY") || denied.all().contains("ya29."), "no secret printed: " + denied.all());
        assertNull(gcs.content("lfs", object("repo-key/", oid)));

        sb.run(p.work(), "git", "push", "-q", "origin", "main").ok();
        assertNotNull(gcs.content("lfs", object("repo-key/", oid)));
    }

    @Test
    void aPublicBucketIsReadAnonymouslyWhenAskedTo() throws Exception {
        byte[] content = random(50_000, 11);
        gcs.put("public-data", "open.bin", content);
        Sandbox.Project p = project("gs://lfs/repo-pub/");
        sb.run(p.work(), "git", "lfs-cloud", "track-remote", "open.bin", "--url", "gs://public-data/open.bin").ok();
        commitAndPush(p, Map.of());
        Path clone = tmp.resolve("clone-anon");
        Map<String, String> noKey = Map.of("GOOGLE_APPLICATION_CREDENTIALS", "");
        sb.git(tmp, "config", "--global", "lfs-cloud.gcs.public-data.anonymous", "true").ok();
        try {
            sb.run(tmp, noKey, "git", "lfs-cloud", "clone", p.origin().toString(), clone.toString()).ok();
        } finally {
            sb.git(tmp, "config", "--global", "--unset", "lfs-cloud.gcs.public-data.anonymous").ok();
        }
        assertArrayEquals(content, Files.readAllBytes(clone.resolve("open.bin")));
    }

    @Test
    void aMissingBucketIsAConfigurationErrorNamingIt() throws Exception {
        Sandbox.Project p = project("gs://no-such-bucket/x/");
        Sandbox.writeRandom(p.work().resolve("x.bin"), 1000, 12);
        sb.git(p.work(), "add", "-A").ok();
        sb.git(p.work(), "commit", "-q", "-m", "x").ok();
        Sandbox.Result push = sb.git(p.work(), "push", "origin", "main");
        assertEquals(1, push.exitCode());
        assertTrue(push.all().contains("GCS bucket 'no-such-bucket' does not exist"), push.all());
    }
}
