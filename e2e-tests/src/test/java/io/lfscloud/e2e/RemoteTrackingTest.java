package io.lfscloud.e2e;

import io.lfscloud.testkit.Nginx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Files that live on a web server (a real nginx) tracked in place with the real git-lfs:
 * {@code track-remote} in its variants, pushes that copy nothing, clones that download
 * straight from the server, and every way it can go wrong.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RemoteTrackingTest {

    @TempDir
    static Path tmp;

    Nginx nginx;
    Sandbox sb;
    final AtomicInteger counter = new AtomicInteger();

    @BeforeAll
    void start() throws Exception {
        nginx = new Nginx(tmp);
        sb = new Sandbox(tmp);
    }

    @AfterAll
    void stop() throws InterruptedException {
        nginx.close();
    }

    /** A file on the web server; returns its SHA-256. */
    private String serve(String name, long size) throws IOException {
        return Sandbox.writeRandom(nginx.root.resolve(name), size, counter.incrementAndGet());
    }

    private Sandbox.Project project() throws IOException {
        return sb.project("p" + counter.incrementAndGet());
    }

    private Sandbox.Result track(Path repo, String... args) {
        String[] cmd = new String[args.length + 3];
        cmd[0] = "git";
        cmd[1] = "lfs-cloud";
        cmd[2] = "track-remote";
        System.arraycopy(args, 0, cmd, 3, args.length);
        return sb.run(repo, cmd);
    }

    private void commitAndPush(Sandbox.Project p) {
        sb.git(p.work(), "add", "-A").ok();
        sb.git(p.work(), "commit", "-q", "-m", "tracked").ok();
        sb.git(p.work(), "push", "-q", "origin", "HEAD").ok();
    }

    private Path cloneOf(Sandbox.Project p) {
        Path clone = tmp.resolve("clone" + counter.incrementAndGet());
        sb.run(tmp, "git", "lfs-cloud", "clone", p.origin().toString(), clone.toString()).ok();
        return clone;
    }

    private List<Path> storeFiles(Sandbox.Project p) throws IOException {
        if (!Files.exists(p.store())) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(p.store())) {
            return s.filter(Files::isRegularFile).toList();
        }
    }

    private static String etagOf(String url) throws Exception {
        HttpResponse<Void> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
        return r.headers().firstValue("ETag").orElseThrow().replace("\"", "");
    }

    private static String pointerOid(Path file) throws IOException {
        String text = Files.readString(file);
        assertTrue(text.startsWith("version https://git-lfs.github.com/spec/v1\noid sha256:"), text);
        return text.lines().filter(l -> l.startsWith("oid sha256:")).findFirst().orElseThrow().substring(11);
    }

    // -------------------------------------------------------------- tracking

    @Test
    void trackedWithoutAHashItIsStreamedOncePushedWithoutACopyAndClonedFromTheServer() throws Exception {
        String sha = serve("genome.bam", 3_000_000);
        Sandbox.Project p = project();
        String out = track(p.work(), "data/genome.bam", "--url", nginx.url("genome.bam")).ok().out();
        assertTrue(out.contains("hashed by streaming"), out);
        assertEquals(sha, pointerOid(p.work().resolve("data/genome.bam")), "a real pointer with the content's SHA-256");
        String record = Files.readString(p.work().resolve(".lfs-meta/sha256/" + sha + ".json"));
        assertTrue(record.contains("\"url\": \"" + nginx.url("genome.bam") + "\"") && record.contains("\"etag\""), record);
        assertFalse(Files.exists(Sandbox.objectPath(p.work().resolve(".git/lfs/objects"), sha)), "no local copy kept");
        commitAndPush(p);
        assertEquals(List.of(), storeFiles(p), "a remote-tracked object is never copied into the store");

        Path clone = cloneOf(p);
        assertEquals(sha, Sandbox.sha256(clone.resolve("data/genome.bam")));
    }

    @Test
    void trackingAgainUsesTheEtagMappingAndReadsNothing() throws Exception {
        String sha = serve("again.bin", 500_000);
        Sandbox.Project p = project();
        track(p.work(), "a.bin", "--url", nginx.url("again.bin")).ok();
        String out = track(p.work(), "b.bin", "--url", nginx.url("again.bin")).ok().out();
        assertTrue(out.contains("earlier ETag mapping"), out);
        assertEquals(sha, pointerOid(p.work().resolve("b.bin")));
    }

    @Test
    void givenEtagAndSizeAreCheckedAgainstTheServer() throws Exception {
        String sha = serve("checked.bin", 100_000);
        String etag = etagOf(nginx.url("checked.bin"));
        Sandbox.Project p = project();
        Sandbox.Result wrongSize = track(p.work(), "x.bin", "--url", nginx.url("checked.bin"), "--size", "99999");
        assertEquals(1, wrongSize.exitCode());
        assertTrue(wrongSize.err().contains("--size 99999 does not match") && wrongSize.err().contains("100000"), wrongSize.err());
        Sandbox.Result wrongEtag = track(p.work(), "x.bin", "--url", nginx.url("checked.bin"), "--etag", "\"nope\"");
        assertEquals(1, wrongEtag.exitCode());
        assertTrue(wrongEtag.err().contains("--etag \"nope\" does not match"), wrongEtag.err());
        assertFalse(Files.exists(p.work().resolve("x.bin")), "a refused track writes nothing");

        track(p.work(), "x.bin", "--url", nginx.url("checked.bin"), "--etag", "\"" + etag + "\"", "--size", "100000").ok();
        assertEquals(sha, pointerOid(p.work().resolve("x.bin")));
    }

    @Test
    void aGivenSha256IsUsedWithoutReadingAndAWrongOneNeverReachesACheckout() throws Exception {
        String sha = serve("given.bin", 200_000);
        Sandbox.Project p = project();
        String out = track(p.work(), "good.bin", "--url", nginx.url("given.bin"), "--sha256", sha).ok().out();
        assertTrue(out.contains("SHA-256 given"), out);
        String wrong = "0".repeat(64);
        serve("other.bin", 1000);
        track(p.work(), "bad.bin", "--url", nginx.url("other.bin"), "--sha256", wrong).ok();
        commitAndPush(p);

        Path clone = tmp.resolve("clone-given");
        Sandbox.Result r = sb.run(tmp, "git", "lfs-cloud", "clone", p.origin().toString(), clone.toString());
        assertEquals(1, r.exitCode(), "the wrong hash fails the pull");
        assertTrue(r.all().contains("no longer has the content tracked as " + wrong), r.all());
        assertEquals(sha, Sandbox.sha256(clone.resolve("good.bin")), "the other object still arrives");
    }

    @Test
    void deferredThenResolved() throws Exception {
        String sha = serve("later.bin", 400_000);
        Sandbox.Project p = project();
        String out = track(p.work(), "later.bin", "--url", nginx.url("later.bin"), "--defer").ok().out();
        assertTrue(out.startsWith("pending"), out);
        assertFalse(Files.exists(p.work().resolve("later.bin")), "no pointer while pending");
        try (Stream<Path> s = Files.list(p.work().resolve(".lfs-meta/etag"))) {
            assertEquals(1, s.count());
        }
        assertTrue(sb.run(p.work(), "git", "lfs-cloud", "status").ok().out().contains("pending"));

        String resolved = sb.run(p.work(), "git", "lfs-cloud", "resolve").ok().out();
        assertTrue(resolved.contains("resolved later.bin"), resolved);
        assertEquals(sha, pointerOid(p.work().resolve("later.bin")));
        assertTrue(sb.run(p.work(), "git", "lfs-cloud", "status").ok().out().startsWith("resolved"));
        assertEquals("nothing pending", sb.run(p.work(), "git", "lfs-cloud", "resolve").ok().out().strip());
    }

    @Test
    void fetchKeepsTheBytesSoNobodyDownloadsThemTwice() throws Exception {
        String sha = serve("keep.bin", 300_000);
        Sandbox.Project p = project();
        track(p.work(), "keep.bin", "--url", nginx.url("keep.bin"), "--fetch").ok();
        assertEquals(sha, Sandbox.sha256(Sandbox.objectPath(p.work().resolve(".git/lfs/objects"), sha)));
        assertEquals(sha, Sandbox.sha256(p.work().resolve("keep.bin")), "the working tree has the content");
        commitAndPush(p);
        assertEquals(List.of(), storeFiles(p), "still no copy in the store");
    }

    // ----------------------------------------------------------- in the clone

    @Test
    void contentChangedOnTheServerIsReportedByPullAndVerify() throws Exception {
        serve("moving.bin", 100_000);
        Sandbox.Project p = project();
        track(p.work(), "moving.bin", "--url", nginx.url("moving.bin")).ok();
        commitAndPush(p);
        assertEquals(0, sb.run(p.work(), "git", "lfs-cloud", "verify").exitCode());

        Path served = nginx.root.resolve("moving.bin");
        Sandbox.writeRandom(served, 100_000, 999);
        Files.setLastModifiedTime(served, FileTime.fromMillis(System.currentTimeMillis() + 10_000));

        Sandbox.Result clone = sb.run(tmp, "git", "lfs-cloud", "clone", p.origin().toString(), tmp.resolve("moved").toString());
        assertEquals(1, clone.exitCode());
        assertTrue(clone.all().contains("changed since it was tracked") && clone.all().contains("moving.bin"), clone.all());

        Sandbox.Result verify = sb.run(p.work(), "git", "lfs-cloud", "verify");
        assertEquals(1, verify.exitCode());
        assertTrue(verify.out().startsWith("changed  moving.bin  " + nginx.url("moving.bin") + "  ETag was"), verify.out());
    }

    @Test
    void aRepositoryMixesStoreObjectsAndRemoteObjects() throws Exception {
        String remote = serve("mixed-remote.bin", 250_000);
        Sandbox.Project p = project();
        String local = Sandbox.writeRandom(p.work().resolve("local.bin"), 150_000, 77);
        track(p.work(), "remote.bin", "--url", nginx.url("mixed-remote.bin")).ok();
        commitAndPush(p);
        List<Path> stored = storeFiles(p);
        assertEquals(1, stored.size(), "only the ordinary object is in the store: " + stored);
        assertEquals(local, stored.getFirst().getFileName().toString());

        Path clone = cloneOf(p);
        assertEquals(local, Sandbox.sha256(clone.resolve("local.bin")));
        assertEquals(remote, Sandbox.sha256(clone.resolve("remote.bin")));
    }

    @Test
    void checkingOutABranchFindsRecordsThatAreNotCheckedOutYet() throws Exception {
        Sandbox.Project p = project();
        Files.writeString(p.work().resolve("readme.txt"), "main");
        commitAndPush(p);
        Path clone = cloneOf(p);

        sb.git(p.work(), "checkout", "-q", "-b", "feature").ok();
        String sha = serve("branch.bin", 120_000);
        track(p.work(), "branch.bin", "--url", nginx.url("branch.bin")).ok();
        commitAndPush(p);

        sb.git(clone, "fetch", "-q", "origin").ok();
        sb.git(clone, "checkout", "-q", "feature").ok();
        assertEquals(sha, Sandbox.sha256(clone.resolve("branch.bin")));
    }

    @Test
    void aWholePrefixIsTrackedRecursivelyAndCloned() throws Exception {
        // its own world: this user allows file: records (the default refusal is tested below)
        Sandbox world = new Sandbox(Files.createDirectories(tmp.resolve("recursive-world")));
        world.git(world.root, "config", "--global", "lfs-cloud.allowFileUrls", "true").ok();
        Path bucket = Files.createDirectories(world.root.resolve("bucket"));
        java.util.Map<String, String> shas = new java.util.TreeMap<>();
        for (String name : List.of("a.bin", "sub/b.bin", "sub/with space.bin", "sub/deeper/c.bin")) {
            shas.put(name, Sandbox.writeRandom(bucket.resolve(name), 150_000 + name.length(), name.hashCode()));
        }
        Sandbox.Project p = world.project("rec");
        Sandbox.Result r = world.run(p.work(), "git", "lfs-cloud", "track-remote", "--recursive", "data",
                "--url", bucket.toUri().toString(), "--jobs", "3").ok();
        assertTrue(r.err().contains("4 tracked, 0 failed"), r.err());
        assertTrue(Files.readString(p.work().resolve(".gitattributes")).contains("data/** filter=lfs"), "one pattern for all");
        for (var e : shas.entrySet()) {
            assertEquals(e.getValue(), pointerOid(p.work().resolve("data/" + e.getKey())), e.getKey());
        }
        world.git(p.work(), "add", "-A").ok();
        world.git(p.work(), "commit", "-q", "-m", "bucket").ok();
        world.git(p.work(), "push", "-q", "origin", "main").ok();
        assertEquals(List.of(), storeFiles(p));
        Path clone = world.root.resolve("rec-clone");
        world.run(world.root, "git", "lfs-cloud", "clone", p.origin().toString(), clone.toString()).ok();
        for (var e : shas.entrySet()) {
            assertEquals(e.getValue(), Sandbox.sha256(clone.resolve("data/" + e.getKey())), e.getKey());
        }

        Sandbox.Result http = world.run(p.work(), "git", "lfs-cloud", "track-remote", "-r", "web", "--url", nginx.url("dir/"));
        assertEquals(1, http.exitCode());
        assertTrue(http.err().contains("cannot list"), http.err());
    }

    // ------------------------------------------------------------- bad input

    @Test
    void unreachableHostsMissingObjectsAndUnknownSchemesAreClearErrors() throws Exception {
        Sandbox.Project p = project();
        Sandbox.Result refused = track(p.work(), "a.bin", "--url", "http://127.0.0.1:" + Nginx.freePort() + "/a.bin");
        assertEquals(1, refused.exitCode());
        assertTrue(refused.err().contains("cannot connect to 127.0.0.1"), refused.err());
        Sandbox.Result missing = track(p.work(), "a.bin", "--url", nginx.url("absent.bin"));
        assertEquals(1, missing.exitCode());
        assertTrue(missing.err().contains("nothing to track") && missing.err().contains("404"), missing.err());
        Sandbox.Result scheme = track(p.work(), "a.bin", "--url", "ftp://example.org/a.bin");
        assertEquals(1, scheme.exitCode());
        assertTrue(scheme.err().contains("no storage backend accepts 'ftp://example.org/a.bin'"), scheme.err());
        assertEquals(2, track(p.work(), "a.bin", "--url", "not a url").exitCode());
    }

    @Test
    void credentialsAndSignaturesInUrlsAreRefused() throws Exception {
        Sandbox.Project p = project();
        Sandbox.Result user = track(p.work(), "a.bin", "--url", "http://me:secret@127.0.0.1:" + nginx.port + "/a.bin");
        assertEquals(1, user.exitCode());
        assertTrue(user.err().contains("credentials") && !user.err().contains("secret"), user.err());
        Sandbox.Result signed = track(p.work(), "a.bin", "--url", nginx.url("a.bin?X-Amz-Signature=abc&X-Amz-Credential=k"));
        assertEquals(1, signed.exitCode());
        assertTrue(signed.err().contains("signed"), signed.err());
    }

    @Test
    void fileUrlsInRecordsAreRefusedUnlessAllowed() throws Exception {
        Path secret = Files.writeString(tmp.resolve("secret.txt"), "do not read me");
        Sandbox.Project p = project();
        Sandbox.Result refused = track(p.work(), "s.bin", "--url", secret.toUri().toString());
        assertEquals(1, refused.exitCode());
        assertTrue(refused.err().contains("git config lfs-cloud.allowFileUrls true"), refused.err());

        // a committed record with a file: URL is refused by the agent of whoever clones
        sb.git(p.work(), "config", "lfs-cloud.allowFileUrls", "true").ok();
        track(p.work(), "s.bin", "--url", secret.toUri().toString()).ok();
        commitAndPush(p);
        Path clone = tmp.resolve("clone-file-url");
        Sandbox.Result r = sb.run(tmp, "git", "lfs-cloud", "clone", p.origin().toString(), clone.toString());
        assertEquals(1, r.exitCode());
        assertTrue(r.all().contains("[403] refusing " + secret.toUri()) && r.all().contains("allowFileUrls"), r.all());
        sb.git(clone, "config", "lfs-cloud.allowFileUrls", "true").ok();
        sb.git(clone, "lfs", "pull").ok();
        assertEquals("do not read me", Files.readString(clone.resolve("s.bin")));
    }

    @Test
    void aCorruptRecordFailsOnlyItsObject() throws Exception {
        String good = serve("good.bin", 50_000);
        String other = serve("other2.bin", 60_000);
        Sandbox.Project p = project();
        track(p.work(), "good.bin", "--url", nginx.url("good.bin")).ok();
        track(p.work(), "broken.bin", "--url", nginx.url("other2.bin")).ok();
        Files.writeString(p.work().resolve(".lfs-meta/sha256/" + other + ".json"), "{\"url\": \"http://x/\", \"size\": ");
        commitAndPush(p);
        Path clone = tmp.resolve("clone-corrupt");
        Sandbox.Result r = sb.run(tmp, "git", "lfs-cloud", "clone", p.origin().toString(), clone.toString());
        assertEquals(1, r.exitCode());
        assertTrue(r.all().contains("unusable .lfs-meta record: .lfs-meta/sha256/" + other + ".json is not valid JSON"), r.all());
        assertEquals(good, Sandbox.sha256(clone.resolve("good.bin")));
        Sandbox.Result verify = sb.run(p.work(), "git", "lfs-cloud", "verify");
        assertEquals(1, verify.exitCode());
        assertTrue(verify.out().contains("corrupt  .lfs-meta/sha256/" + other + ".json"), verify.out());
    }
}
