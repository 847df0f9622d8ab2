package io.lfscloud.e2e;

import io.lfscloud.testkit.Nginx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Records, pending entries and folders of {@code .lfs-meta} written by an attacker, committed,
 * and cloned with the real git-lfs as another user would: paths that point outside the
 * clone, records that are symbolic links to devices, FIFOs and secrets, symlinked
 * {@code .lfs-meta} folders, and terminal escape sequences. Nothing outside the clone may
 * change, nothing may hang or leak, and every good object still arrives.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostileRecordsTest {

    static final String ESC = "\u001b";

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
    void stop() throws Exception {
        nginx.close();
        // links to /dev/stdin and the like are the tests' own: removed before JUnit cleans up (it warns of them)
        try (Stream<Path> s = Files.walk(tmp)) {
            for (Path f : s.filter(Files::isSymbolicLink).toList()) {
                Files.delete(f);
            }
        }
    }

    /** A file on the web server; returns its SHA-256. */
    private String serve(String name, long size) throws IOException {
        return Sandbox.writeRandom(nginx.root.resolve(name), size, counter.incrementAndGet());
    }

    private Sandbox.Project project() throws IOException {
        return sb.project("h" + counter.incrementAndGet());
    }

    private Sandbox.Result lfsCloud(Path dir, String... args) {
        String[] cmd = new String[args.length + 2];
        cmd[0] = "git";
        cmd[1] = "lfs-cloud";
        System.arraycopy(args, 0, cmd, 2, args.length);
        return sb.run(dir, cmd);
    }

    private void commitAndPush(Path work) {
        sb.git(work, "add", "-A").ok();
        sb.git(work, "commit", "-q", "-m", "hostile").ok();
        sb.git(work, "push", "-q", "origin", "HEAD").ok();
    }

    private Path cloneOf(Path origin) {
        Path clone = tmp.resolve("clone" + counter.incrementAndGet());
        lfsCloud(tmp, "clone", origin.toString(), clone.toString()).ok();
        return clone;
    }

    private static String pointerOid(Path file) throws IOException {
        String text = Files.readString(file);
        assertTrue(text.startsWith("version https://git-lfs.github.com/spec/v1\noid sha256:"), text);
        return text.lines().filter(l -> l.startsWith("oid sha256:")).findFirst().orElseThrow().substring(11);
    }

    /** Runs a command that must finish within {@code limit}; kills what it started otherwise. */
    private Sandbox.Result within(Duration limit, Path dir, String... command) throws Exception {
        Process p = sb.start(dir, Map.of(), command);
        p.getOutputStream().close();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Thread a = Thread.ofVirtual().start(() -> copy(p.getInputStream(), out));
        Thread b = Thread.ofVirtual().start(() -> copy(p.getErrorStream(), err));
        if (!p.waitFor(limit.toSeconds(), TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor();
            fail(String.join(" ", command) + " did not finish within " + limit + "\nstderr so far:\n"
                    + err.toString(StandardCharsets.UTF_8));
        }
        a.join();
        b.join();
        return new Sandbox.Result(List.of(command), p.exitValue(), out.toString(StandardCharsets.UTF_8),
                err.toString(StandardCharsets.UTF_8));
    }

    private static void copy(InputStream in, OutputStream out) {
        try (in) {
            in.transferTo(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<Path> filesUnder(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(f -> !f.equals(dir)).toList();
        }
    }

    // ------------------------------------------------------- paths outside

    @Test
    void pendingEntriesWithPathsOutsideTheCloneAreRefusedAndTheirSiblingStillResolves() throws Exception {
        // three objects with one ETag (nginx: mtime and size), so their entries share one ETag file
        FileTime when = FileTime.fromMillis(1_700_000_000_000L);
        String good = serve("sibling.bin", 20_000);
        serve("evil-abs.bin", 20_000);
        serve("evil-up.bin", 20_000);
        for (String n : List.of("sibling.bin", "evil-abs.bin", "evil-up.bin")) {
            Files.setLastModifiedTime(nginx.root.resolve(n), when);
        }
        Sandbox.Project p = project();
        for (String n : List.of("sibling.bin", "evil-abs.bin", "evil-up.bin")) {
            lfsCloud(p.work(), "track-remote", n, "--url", nginx.url(n), "--defer").ok();
        }
        Path etagDir = p.work().resolve(".lfs-meta/etag");
        List<Path> etagFiles = filesUnder(etagDir);
        assertEquals(1, etagFiles.size(), "one shared ETag file: " + etagFiles);

        Path absolute = Files.writeString(tmp.resolve("victim-abs.txt"), "keep me");
        Path clone = tmp.resolve("clone" + counter.incrementAndGet());
        Path upward = clone.resolveSibling("victim-up.txt");
        Files.writeString(upward, "keep me too");
        String text = Files.readString(etagFiles.getFirst())
                .replace("\"path\": \"evil-abs.bin\"", "\"path\": \"" + absolute + "\"")
                .replace("\"path\": \"evil-up.bin\"", "\"path\": \"../victim-up.txt\"");
        Files.writeString(etagFiles.getFirst(), text);
        commitAndPush(p.work());

        lfsCloud(tmp, "clone", p.origin().toString(), clone.toString()).ok();
        Sandbox.Result r = lfsCloud(clone, "resolve");
        assertEquals(1, r.exitCode(), r.all());
        assertEquals("keep me", Files.readString(absolute), "a file outside the clone is never written");
        assertEquals("keep me too", Files.readString(upward), "a file outside the clone is never written");
        assertTrue(r.err().contains("\"path\" is absolute"), r.err());
        assertTrue(r.err().contains("\"path\" has a '..' segment"), r.err());
        assertFalse(r.all().contains(absolute.toString()), "the refused path is not echoed: " + r.all());
        assertTrue(r.out().contains("resolved sibling.bin"), r.out());
        assertEquals(good, pointerOid(clone.resolve("sibling.bin")), "the valid sibling still resolves");

        String status = lfsCloud(clone, "status").ok().out();
        assertEquals(2, status.lines().filter(l -> l.startsWith("corrupt")).count(), status);
    }

    // ------------------------------------------- records that are not files

    @Test
    void recordsLinkedToDevicesFifosOrSecretsFailOnlyTheirObjectsPromptlyAndLeakNothing() throws Exception {
        Sandbox.Project p = project();
        String good = serve("fine.bin", 40_000);
        lfsCloud(p.work(), "track-remote", "fine.bin", "--url", nginx.url("fine.bin")).ok();
        String local = Sandbox.writeRandom(p.work().resolve("local.bin"), 30_000, 5);

        Path fifo = tmp.resolve("fifo" + counter.incrementAndGet());
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        Path secret = Files.writeString(tmp.resolve("secret.json"), "{\"url\": \"hunter2-top-secret\", \"size\": 1}\n");
        Map<String, Path> targets = new LinkedHashMap<>();
        targets.put("stdin", Path.of("/dev/stdin"));
        targets.put("zero", Path.of("/dev/zero"));
        targets.put("fifo", fifo);
        targets.put("secret", secret);
        Map<String, String> oids = new LinkedHashMap<>();
        for (var t : targets.entrySet()) {
            String name = t.getKey() + ".bin";
            serve(name, 10_000);
            lfsCloud(p.work(), "track-remote", name, "--url", nginx.url(name)).ok();
            String oid = pointerOid(p.work().resolve(name));
            Path record = p.work().resolve(".lfs-meta/sha256/" + oid + ".json");
            Files.delete(record);
            Files.createSymbolicLink(record, t.getValue());
            oids.put(t.getKey(), oid);
        }
        commitAndPush(p.work());

        Path clone = tmp.resolve("clone" + counter.incrementAndGet());
        Sandbox.Result r = within(Duration.ofSeconds(120), tmp, "git", "lfs-cloud", "clone", p.origin().toString(),
                clone.toString());
        assertNotEquals(0, r.exitCode(), r.all());
        assertEquals(good, Sandbox.sha256(clone.resolve("fine.bin")), "a good record's object arrives");
        assertEquals(local, Sandbox.sha256(clone.resolve("local.bin")), "the store's object arrives");
        for (var o : oids.entrySet()) {
            assertTrue(r.all().contains(".lfs-meta/sha256/" + o.getValue() + ".json is a symbolic link"),
                    o.getKey() + ": " + r.all());
        }
        assertFalse(r.all().contains("hunter2"), "a linked file's content is never printed: " + r.all());
        assertFalse(r.all().contains("OutOfMemoryError"), r.all());

        Sandbox.Result verify = within(Duration.ofSeconds(60), clone, "git", "lfs-cloud", "verify");
        assertEquals(1, verify.exitCode(), verify.all());
        assertEquals(4, verify.out().lines().filter(l -> l.startsWith("corrupt") && l.contains("symbolic link")).count(),
                verify.out());
        assertFalse(verify.all().contains("hunter2"), verify.all());
    }

    // ------------------------------------------------------ symlinked folders

    /** A repository built by hand whose only commit holds {@code links} (relative path → target). */
    private Path originWithLinks(Map<String, Path> links) throws IOException {
        Path origin = tmp.resolve("links" + counter.incrementAndGet() + ".git");
        Path work = tmp.resolve("links-work" + counter.incrementAndGet());
        sb.git(tmp, "init", "-q", "--bare", origin.toString()).ok();
        sb.git(tmp, "init", "-q", work.toString()).ok();
        Files.writeString(work.resolve("readme.txt"), "hello\n");
        for (var l : links.entrySet()) {
            Path link = work.resolve(l.getKey());
            Files.createDirectories(link.getParent());
            Files.createSymbolicLink(link, l.getValue());
        }
        sb.git(work, "remote", "add", "origin", origin.toString()).ok();
        commitAndPush(work);
        return origin;
    }

    @Test
    void aSymlinkedLfsMetaFolderIsNeverWrittenThrough() throws Exception {
        serve("into-link.bin", 5_000);
        Path outside = Files.createDirectories(tmp.resolve("outside-meta"));
        Path clone = cloneOf(originWithLinks(Map.of(".lfs-meta", outside)));

        Sandbox.Result r = lfsCloud(clone, "track-remote", "x.bin", "--url", nginx.url("into-link.bin"));
        assertEquals(1, r.exitCode(), r.all());
        assertTrue(r.err().contains(".lfs-meta is a symbolic link"), r.err());
        Sandbox.Result deferred = lfsCloud(clone, "track-remote", "y.bin", "--url", nginx.url("into-link.bin"), "--defer");
        assertEquals(1, deferred.exitCode(), deferred.all());
        assertTrue(deferred.err().contains(".lfs-meta is a symbolic link"), deferred.err());
        Sandbox.Result shared = lfsCloud(clone, "install", "--store", tmp.resolve("some-store").toUri().toString(), "--shared");
        assertEquals(1, shared.exitCode(), shared.all());
        assertTrue(shared.err().contains(".lfs-meta is a symbolic link"), shared.err());
        assertEquals(List.of(), filesUnder(outside), "nothing written outside the clone");
        assertFalse(Files.exists(clone.resolve("x.bin"), LinkOption.NOFOLLOW_LINKS), "no pointer without records");
    }

    @Test
    void symlinkedFoldersInsideLfsMetaOrOnTheTrackedPathAreNeverWrittenThrough() throws Exception {
        String sha = serve("deep.bin", 6_000);
        Path outsideSha = Files.createDirectories(tmp.resolve("outside-sha256"));
        Path outsideData = Files.createDirectories(tmp.resolve("outside-data"));
        Path victim = Files.writeString(tmp.resolve("victim-record.json"), "untouched");
        Path clone = cloneOf(originWithLinks(Map.of(".lfs-meta/sha256", outsideSha, "data", outsideData,
                "other/.lfs-meta-not/x", victim)));

        Sandbox.Result r = lfsCloud(clone, "track-remote", "a.bin", "--url", nginx.url("deep.bin"));
        assertEquals(1, r.exitCode(), r.all());
        assertTrue(r.err().contains(".lfs-meta/sha256 is a symbolic link"), r.err());
        Sandbox.Result d = lfsCloud(clone, "track-remote", "data/b.bin", "--url", nginx.url("deep.bin"));
        assertEquals(1, d.exitCode(), d.all());
        assertTrue(d.err().contains("data is a symbolic link"), d.err());
        assertEquals(List.of(), filesUnder(outsideSha), "nothing written outside the clone");
        assertEquals(List.of(), filesUnder(outsideData), "nothing written outside the clone");
        Sandbox.Result verify = lfsCloud(clone, "verify");
        assertEquals(1, verify.exitCode(), verify.all());
        assertTrue(verify.out().contains("corrupt  .lfs-meta/sha256 is a symbolic link"), verify.out());

        // a record path that is a symlink itself is replaced, never written through
        Path clone2 = cloneOf(originWithLinks(Map.of(".lfs-meta/sha256/" + sha + ".json", victim, "c.bin", victim)));
        lfsCloud(clone2, "track-remote", "c.bin", "--url", nginx.url("deep.bin"), "--sha256", sha, "--force").ok();
        assertEquals("untouched", Files.readString(victim));
        assertTrue(Files.isRegularFile(clone2.resolve(".lfs-meta/sha256/" + sha + ".json"), LinkOption.NOFOLLOW_LINKS));
        assertEquals(sha, pointerOid(clone2.resolve("c.bin")));
    }

    // --------------------------------------------------------- escapes

    @Test
    void controlCharactersFromTheRepositoryArePrintedEscaped() throws Exception {
        serve("shown.bin", 7_000);
        Sandbox.Project p = project();
        lfsCloud(p.work(), "track-remote", "shown.bin", "--url", nginx.url("shown.bin")).ok();
        Path record;
        try (Stream<Path> s = Files.list(p.work().resolve(".lfs-meta/sha256"))) {
            record = s.findFirst().orElseThrow();
        }
        Files.delete(p.work().resolve("shown.bin")); // the record stays; no clone downloads its object
        // an ETag with an escape sequence: it would go into If-Match headers, so the record is refused
        Files.writeString(record, Files.readString(record).replaceFirst("\"etag\": \"[^\"]*\"",
                "\"etag\": \"\\\\u001b]2;owned\\\\u0007\\\\u001b[2J\""));
        // a record file name and a pending path with escape sequences
        Files.writeString(p.work().resolve(".lfs-meta/sha256/" + ESC + "[31mred.json"), "{}");
        Files.writeString(p.work().resolve(".lfs-meta/etag/x.json"), """
                {"etag": "x", "objects": [{"path": "a\\u001b[8mhidden", "size": 1, "url": "%s"}]}
                """.formatted(nginx.url("shown.bin")));
        commitAndPush(p.work());
        Path clone = cloneOf(p.origin());

        for (String command : List.of("verify", "status", "resolve")) {
            Sandbox.Result r = lfsCloud(clone, command);
            assertFalse(r.all().contains(ESC) || r.all().contains("\u0007"), command + " printed raw controls: " + r.all());
            assertTrue(command.equals("resolve") || r.all().contains("\\x1b[31mred.json"), command + ": " + r.all());
            assertTrue(r.all().contains("\"path\" has a control character"), command + ": " + r.all());
        }
        String verify = lfsCloud(clone, "verify").out();
        assertTrue(verify.contains("\"etag\" holds control characters"), verify);

        Sandbox.Result typed = lfsCloud(clone, "track-remote", "b" + ESC + "[31m.bin", "--url", nginx.url("shown.bin"));
        assertEquals(1, typed.exitCode(), typed.all());
        assertTrue(typed.err().contains("b\\x1b[31m.bin") && !typed.err().contains(ESC), typed.err());
    }
}
