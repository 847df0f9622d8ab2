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
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two S3 servers in one repository, through real git-lfs: the store in a bucket on one
 * s3proxy (the user's {@code lfs-cloud.s3.endpoint}), a file tracked in place in a bucket on
 * another ({@code lfs-cloud.s3.data.endpoint}, the bucket's own setting). Both servers hold
 * both buckets, so an object sent to the wrong one would not fail by itself: the test looks at
 * what each server holds.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class S3TwoEndpointsTest {

    @TempDir
    static Path tmp;

    S3Proxy storeServer;
    S3Proxy dataServer;
    Sandbox sb;

    @BeforeAll
    void start() throws Exception {
        storeServer = new S3Proxy(tmp.resolve("store-server"));
        dataServer = new S3Proxy(tmp.resolve("data-server"));
        for (S3Proxy s : new S3Proxy[] {storeServer, dataServer}) {
            s.createBucket("lfs");
            s.createBucket("data");
        }
        sb = new Sandbox(tmp);
        sb.env("AWS_ACCESS_KEY_ID", "test-key");
        sb.env("AWS_SECRET_ACCESS_KEY", "test-secret");
        sb.env("AWS_REGION", "us-east-1");
        sb.env("AWS_EC2_METADATA_DISABLED", "true");
        sb.git(tmp, "config", "--global", "lfs-cloud.s3.endpoint", storeServer.endpoint()).ok();
        sb.git(tmp, "config", "--global", "lfs-cloud.s3.data.endpoint", dataServer.endpoint()).ok();
    }

    @AfterAll
    void stop() throws InterruptedException {
        storeServer.close();
        dataServer.close();
    }

    private static String key(String prefix, String oid) {
        return prefix + oid.substring(0, 2) + "/" + oid.substring(2, 4) + "/" + oid;
    }

    @Test
    void aStoreOnOneServerAndAFileTrackedInPlaceOnAnotherPushCloneAndPull() throws Exception {
        byte[] sample = new byte[400_000];
        new Random(11).nextBytes(sample);
        dataServer.put("data", "runs/sample.bam", sample);

        Sandbox.Project p = sb.project("two-endpoints");
        Path shared = p.work().resolve(".lfs-meta/config");
        sb.git(p.work(), "config", "-f", shared.toString(), "lfs-cloud.store", "s3://lfs/repo/").ok();
        String stored = Sandbox.writeRandom(p.work().resolve("stored.bin"), 300_000, 12);
        String out = sb.run(p.work(), "git", "lfs-cloud", "track-remote", "sample.bam", "--url",
                "s3://data/runs/sample.bam").ok().out();
        assertTrue(out.contains("tracked  sample.bam"), out);
        sb.git(p.work(), "add", "-A").ok();
        sb.git(p.work(), "commit", "-q", "-m", "a store on one server, a file tracked on another").ok();
        sb.git(p.work(), "push", "-q", "origin", "main").ok();

        // the store's object went to the store's server only; nothing was copied for the tracked file
        assertArrayEquals(Files.readAllBytes(p.work().resolve("stored.bin")), storeServer.get("lfs", key("repo/", stored)));
        assertFalse(dataServer.listing("lfs").contains("<Key>"), "nothing on the data server's lfs bucket: "
                + dataServer.listing("lfs"));
        assertFalse(storeServer.listing("data").contains("<Key>"), "the store's server never got the tracked file");
        assertEquals(0, sb.run(p.work(), "git", "lfs-cloud", "verify").exitCode(), "verify asks the data server");

        // one agent downloads from both servers
        Path clone = tmp.resolve("clone");
        sb.run(tmp, "git", "lfs-cloud", "clone", p.origin().toString(), clone.toString()).ok();
        assertEquals(stored, Sandbox.sha256(clone.resolve("stored.bin")));
        assertArrayEquals(sample, Files.readAllBytes(clone.resolve("sample.bam")));

        // a later push and pull keep each object on its own server
        String more = Sandbox.writeRandom(p.work().resolve("more.bin"), 200_000, 13);
        sb.git(p.work(), "add", "-A").ok();
        sb.git(p.work(), "commit", "-q", "-m", "more").ok();
        sb.git(p.work(), "push", "-q", "origin", "main").ok();
        assertTrue(storeServer.get("lfs", key("repo/", more)) != null, "pushed to the store's server");
        assertNull(dataServer.get("lfs", key("repo/", more)), "not to the data server");
        sb.git(clone, "pull", "-q", "origin", "main").ok();
        sb.run(clone, "git", "lfs", "pull").ok();
        assertEquals(more, Sandbox.sha256(clone.resolve("more.bin")));
    }
}
