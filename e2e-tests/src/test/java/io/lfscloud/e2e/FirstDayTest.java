package io.lfscloud.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lfscloud.testkit.Nginx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A new user's first day with files tracked in place (issue #17, items 2, 3, 4 and 12, and
 * {@code --json}): with the real git-lfs, a real nginx and a server that gives no change
 * signal, driving the built product as a user would.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FirstDayTest {

    @TempDir
    static Path tmp;

    Nginx nginx;
    PlainHttpServer plain;
    Sandbox sb;
    final AtomicInteger counter = new AtomicInteger();
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    void start() throws Exception {
        nginx = new Nginx(tmp);
        plain = new PlainHttpServer(tmp.resolve("plain-www"));
        sb = new Sandbox(tmp);
    }

    @AfterAll
    void stop() throws InterruptedException {
        plain.close();
        nginx.close();
    }

    private Sandbox.Project project() throws IOException {
        return sb.project("fd" + counter.incrementAndGet());
    }

    private Sandbox.Result lfsCloud(Path dir, String... args) {
        List<String> cmd = new ArrayList<>(List.of("git", "lfs-cloud"));
        cmd.addAll(List.of(args));
        return sb.run(dir, cmd.toArray(String[]::new));
    }

    private void commitAndPush(Sandbox.Project p) {
        sb.git(p.work(), "add", "-A").ok();
        sb.git(p.work(), "commit", "-q", "-m", "tracked").ok();
        sb.git(p.work(), "push", "-q", "origin", "HEAD").ok();
    }

    private static List<String> recordFiles(Path work) throws IOException {
        Path dir = work.resolve(".lfs-meta/sha256");
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(f -> f.getFileName().toString()).sorted().toList();
        }
    }

    /** Lines of {@code text} that start with {@code prefix}. */
    private static List<String> lines(String text, String prefix) {
        return text.lines().filter(l -> l.startsWith(prefix)).toList();
    }

    // ------------------------------------------------------------ item 10

    @Test
    void aPlainCloneBeforeInstallIsFinishedAsInstallSays() throws Exception {
        // a user with git-lfs installed globally clones with plain git: git-lfs cannot fetch the
        // objects (lfs-cloud is not installed in the clone yet), so git reports a failed checkout
        Sandbox user = new Sandbox(tmp.resolve("plain-clone"));
        user.git(user.root, "lfs", "install").ok();
        Sandbox.Project p = user.project("origin-side");
        String oid = Sandbox.writeRandom(p.work().resolve("a.bin"), 70_000, 10);
        user.git(p.work(), "add", "-A").ok();
        user.git(p.work(), "commit", "-q", "-m", "a").ok();
        user.git(p.work(), "push", "-q", "origin", "main").ok();
        Path clone = user.root.resolve("clone");
        Sandbox.Result cloned = user.git(user.root, "clone", "-q", p.origin().toString(), clone.toString()).failed();
        assertTrue(cloned.err().contains("checkout failed"), cloned.err());

        Sandbox.Result install = user.run(clone, "git", "lfs-cloud", "install").ok();
        assertTrue(install.err().contains("finish it now with: git checkout -f HEAD"), install.err());
        user.git(clone, "checkout", "-f", "HEAD").ok();
        assertEquals(oid, Sandbox.sha256(clone.resolve("a.bin")));
        assertEquals("", user.git(clone, "status", "--porcelain").ok().out());
        // a finished checkout gets no such advice, nor does a clone made without one
        assertFalse(user.run(clone, "git", "lfs-cloud", "install").ok().err().contains("checkout -f"));
        Path bare = user.root.resolve("no-checkout");
        user.git(user.root, "clone", "-q", "--no-checkout", p.origin().toString(), bare.toString()).ok();
        assertFalse(user.run(bare, "git", "lfs-cloud", "install").ok().err().contains("checkout -f"));
        // a clone whose checkout left pointers (no smudge) is told to pull them
        Path pointers = user.root.resolve("pointers");
        user.run(user.root, java.util.Map.of("GIT_LFS_SKIP_SMUDGE", "1"), "git", "clone", "-q", p.origin().toString(),
                pointers.toString()).ok();
        Sandbox.Result told = user.run(pointers, "git", "lfs-cloud", "install").ok();
        assertTrue(told.err().contains("1 file(s) in this checkout are Git LFS pointers") && told.err().contains("git lfs pull"),
                told.err());
        user.git(pointers, "lfs", "pull").ok();
        assertEquals(oid, Sandbox.sha256(pointers.resolve("a.bin")));
        assertFalse(user.run(pointers, "git", "lfs-cloud", "install").ok().err().contains("pointers"));
    }

    // ------------------------------------------------------------ item 2

    @Test
    void trackingAChangedObjectAgainAsVerifyAdvisesLeavesNoStaleRecord() throws Exception {
        Path served = nginx.root.resolve("fd-moving.bin");
        String old = Sandbox.writeRandom(served, 100_000, 1);
        Sandbox.Project p = project();
        lfsCloud(p.work(), "track-remote", "data/moving.bin", "--url", nginx.url("fd-moving.bin")).ok();
        commitAndPush(p);

        String now = Sandbox.writeRandom(served, 120_000, 2);
        Files.setLastModifiedTime(served, FileTime.fromMillis(System.currentTimeMillis() + 10_000));
        Sandbox.Result verify = lfsCloud(p.work(), "verify").failed();
        List<String> fixes = lines(verify.out(), "  fix: ");
        assertEquals(1, fixes.size(), verify.out());
        String fix = fixes.getFirst();
        assertTrue(fix.contains("git lfs-cloud track-remote --force data/moving.bin --url " + nginx.url("fd-moving.bin")), fix);

        // the user runs the command the hint names
        String command = fix.substring(fix.indexOf("git lfs-cloud "), fix.indexOf(" (else"));
        lfsCloud(p.work(), command.substring("git lfs-cloud ".length()).split(" ")).ok();
        assertEquals(List.of(now + ".json"), recordFiles(p.work()), "the old content's record is gone");
        lfsCloud(p.work(), "verify").ok();
        assertEquals(1, lines(lfsCloud(p.work(), "status").ok().out(), "resolved").size(), "the path is listed once");
        assertFalse(old.equals(now));

        commitAndPush(p);
        Path clone = tmp.resolve("fd-clone-moved");
        sb.run(tmp, "git", "lfs-cloud", "clone", p.origin().toString(), clone.toString()).ok();
        assertEquals(now, Sandbox.sha256(clone.resolve("data/moving.bin")));
    }

    // ------------------------------------------------------------ item 3

    @Test
    void twoPathsWithTheSameContentAreBothTrackedListedAndCloned() throws Exception {
        String sha = Sandbox.writeRandom(nginx.root.resolve("fd-same-a.bin"), 80_000, 3);
        Files.copy(nginx.root.resolve("fd-same-a.bin"), nginx.root.resolve("fd-same-b.bin"));
        Sandbox.Project p = project();
        lfsCloud(p.work(), "track-remote", "b/copy.bin", "--url", nginx.url("fd-same-b.bin")).ok();
        lfsCloud(p.work(), "track-remote", "a/original.bin", "--url", nginx.url("fd-same-a.bin")).ok();
        assertEquals(List.of(sha + ".json"), recordFiles(p.work()), "one content, one record");
        String record = Files.readString(p.work().resolve(".lfs-meta/sha256/" + sha + ".json"));
        assertTrue(record.indexOf("\"path\": \"a/original.bin\"") < record.indexOf("\"path\": \"b/copy.bin\"")
                && record.indexOf("\"path\": \"a/original.bin\"") > 0, "both places, sorted: " + record);

        String status = lfsCloud(p.work(), "status").ok().out();
        assertEquals(2, lines(status, "resolved").size(), status);
        assertTrue(status.contains("a/original.bin") && status.contains("b/copy.bin"), status);
        Sandbox.Result verify = lfsCloud(p.work(), "verify").ok();
        assertTrue(verify.err().contains("2 tracked place(s) checked with metadata requests: 2 ok"), verify.err());

        commitAndPush(p);
        Path clone = tmp.resolve("fd-clone-same");
        sb.run(tmp, "git", "lfs-cloud", "clone", p.origin().toString(), clone.toString()).ok();
        assertEquals(sha, Sandbox.sha256(clone.resolve("a/original.bin")));
        assertEquals(sha, Sandbox.sha256(clone.resolve("b/copy.bin")));
    }

    // ------------------------------------------------------------ item 4

    @Test
    void aServerWithoutChangeSignalsIsWarnedAboutAndOnlyADeepVerifySeesAChange() throws Exception {
        Path served = plain.root.resolve("quiet.bin");
        Sandbox.writeRandom(served, 60_000, 4);
        Sandbox.Project p = project();
        Sandbox.Result track = lfsCloud(p.work(), "track-remote", "quiet.bin", "--url", plain.url("quiet.bin")).ok();
        assertTrue(track.err().contains("warning: " + plain.url("quiet.bin") + " gives no ETag, version or Last-Modified"),
                track.err());

        Sandbox.Result shallow = lfsCloud(p.work(), "verify").ok();
        assertTrue(shallow.out().startsWith("unchecked  quiet.bin"), shallow.out());
        assertTrue(shallow.out().contains("fix: re-hash it: git lfs-cloud verify --deep"), shallow.out());
        assertTrue(shallow.err().contains("0 ok, 0 problem(s), 1 unchecked"), "never a bare '0 problems': " + shallow.err());
        lfsCloud(p.work(), "verify", "--deep").ok();

        Sandbox.writeRandom(served, 60_000, 5); // same size, other content
        assertTrue(lfsCloud(p.work(), "verify").ok().out().startsWith("unchecked  quiet.bin"));
        Sandbox.Result deep = lfsCloud(p.work(), "verify", "--deep").failed();
        assertTrue(deep.out().startsWith("changed  quiet.bin") && deep.out().contains("no longer hashes"), deep.out());
        assertTrue(deep.err().contains("re-hashed: 0 ok, 1 problem(s)"), deep.err());
    }

    // ------------------------------------------------------------ item 12

    @Test
    void theMissingLinesOfAPushAreExplainedWhereUsersMeetThem() throws Exception {
        String sha = Sandbox.writeRandom(nginx.root.resolve("fd-elsewhere.bin"), 50_000, 6);
        Sandbox.Project p = project();
        Sandbox.Result track = lfsCloud(p.work(), "track-remote", "elsewhere.bin", "--url", nginx.url("fd-elsewhere.bin")).ok();
        assertTrue(track.err().contains("'git push' lists such objects as \"(missing) PATH (OID)\"; that is expected"),
                track.err());
        sb.git(p.work(), "add", "-A").ok();
        sb.git(p.work(), "commit", "-q", "-m", "in place").ok();
        Sandbox.Result push = sb.git(p.work(), "push", "origin", "HEAD").ok();
        assertTrue(push.all().contains("(missing) elsewhere.bin (" + sha + ")"),
                "what the note explains is what git-lfs prints: " + push.all());

        Sandbox.Result status = lfsCloud(p.work(), "status").ok();
        assertTrue(status.out().startsWith("resolved    elsewhere.bin  " + nginx.url("fd-elsewhere.bin") + "  [not local]"),
                status.out());
        assertTrue(status.err().contains("(missing) PATH (OID)"), status.err());
        sb.git(p.work(), "lfs", "pull").ok(); // now it is here
        assertFalse(lfsCloud(p.work(), "status").ok().out().contains("[not local]"));
    }

    // ------------------------------------------------------------ --json

    @Test
    void jsonOutputFollowsTheDocumentedSchema() throws Exception {
        String sha = Sandbox.writeRandom(nginx.root.resolve("fd-json.bin"), 40_000, 7);
        Sandbox.Project p = project();
        lfsCloud(p.work(), "track-remote", "j\u00e9.bin", "--url", nginx.url("fd-json.bin")).ok();

        JsonNode version = JSON.readTree(lfsCloud(p.work(), "version", "--json").ok().out());
        assertEquals(1, version.get("schemaVersion").asInt());
        assertEquals("version", version.get("command").asText());
        assertTrue(version.get("version").asText().matches("\\d+\\.\\d+\\.\\d+.*"), version.toString());

        JsonNode backends = JSON.readTree(lfsCloud(p.work(), "backends", "--json").ok().out());
        assertEquals(List.of("file", "lfs", "azure", "gcs", "http", "s3"), backends.get("backends").valueStream().map(b -> b.get("name").asText()).toList());
        assertEquals(0, backends.get("broken").size());

        String statusText = lfsCloud(p.work(), "status", "--json").ok().out();
        assertTrue(statusText.contains("j\\u00E9.bin"), "non-ASCII escaped: " + statusText);
        JsonNode status = JSON.readTree(statusText);
        assertEquals("status", status.get("command").asText());
        JsonNode place = status.get("places").get(0);
        assertEquals("j\u00e9.bin", place.get("path").asText());
        assertEquals(sha, place.get("sha256").asText());
        assertEquals("ok", place.get("state").asText());
        assertFalse(place.get("local").asBoolean());
        assertEquals(40_000, place.get("size").asLong());

        Files.delete(nginx.root.resolve("fd-json.bin"));
        Sandbox.Result verifyRun = lfsCloud(p.work(), "verify", "--json").failed();
        JsonNode verify = JSON.readTree(verifyRun.out());
        assertEquals("missing", verify.get("places").get(0).get("state").asText());
        assertTrue(verify.get("places").get(0).get("hint").asText().contains("track-remote --force"));
        assertEquals(1, verify.get("summary").get("problems").asInt());
        assertFalse(verify.get("deep").asBoolean());
        assertEquals("", verifyRun.err(), "nothing but the document");
    }
}
