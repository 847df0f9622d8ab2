package io.lfscloud.e2e;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The warm transfer server with real git-lfs: git-lfs's agents relay to one server per
 * build and environment, started on demand; whatever happens to the server, every object
 * arrives and nothing partial is left.
 */
class TransferServerTest {

    private static final Map<String, String> TRACE = Map.of("GIT_TRACE", "1", "LFS_CLOUD_TRACE", "1");

    @TempDir
    Path tmp;

    Sandbox sb;

    @BeforeEach
    void serverOn() throws IOException {
        sb = new Sandbox(tmp);
        sb.git(tmp, "config", "--global", "lfs-cloud.server", "true").ok();
        // these tests set the server up themselves, also in a run with -Dlfscloud.test.server=true
        sb.env("LFS_CLOUD_SERVER", "");
        sb.git(tmp, "config", "--global", "lfs-cloud.server.idleTimeout", "300").ok();
    }

    @AfterEach
    void stopServers() throws IOException {
        sb.stopServers();
        try (Stream<Path> s = Files.list(sb.serverDir)) {
            assertEquals(List.of(), s.filter(p -> p.toString().endsWith(".sock")).toList(), "sockets left behind");
        }
    }

    private List<Path> sockets() throws IOException {
        try (Stream<Path> s = Files.list(sb.serverDir)) {
            return s.filter(p -> p.toString().endsWith(".sock")).sorted().toList();
        }
    }

    /** A project with {@code n} small objects and one of {@code bigSize} bytes, pushed. */
    private Sandbox.Project pushed(String name, int n, long bigSize) throws IOException {
        Sandbox.Project p = sb.project(name);
        for (int i = 0; i < n; i++) {
            Sandbox.writeRandom(p.work().resolve("f" + i + ".bin"), 4096 + i, i * 31L + name.hashCode());
        }
        if (bigSize > 0) {
            Sandbox.writeRandom(p.work().resolve("big.bin"), bigSize, name.hashCode());
        }
        sb.git(p.work(), "add", ".").ok();
        sb.git(p.work(), "commit", "-q", "-m", "objects").ok();
        return p;
    }

    private Path cloneWithoutSmudge(Sandbox.Project p, String dir) {
        Path clone = tmp.resolve(dir);
        sb.run(tmp, Map.of("GIT_LFS_SKIP_SMUDGE", "1"), "git", "clone", "-q", p.origin().toString(), clone.toString()).ok();
        sb.run(clone, "git", "lfs-cloud", "install").ok();
        return clone;
    }

    private static void assertSameFiles(Path from, Path to, String... names) throws IOException {
        for (String n : names) {
            Sandbox.assertSameContent(from.resolve(n), to.resolve(n));
        }
    }

    private static void assertNoPartialFiles(Path clone) throws IOException {
        try (Stream<Path> s = Files.walk(clone.resolve(".git/lfs"))) {
            assertEquals(List.of(), s.filter(f -> f.getFileName().toString().startsWith("lfs-cloud-")).toList(),
                    "temp files left in " + clone);
        }
    }

    private static void assertNoStoreTempFiles(Path store) throws IOException {
        try (Stream<Path> s = Files.walk(store)) {
            assertEquals(List.of(), s.filter(f -> f.getFileName().toString().endsWith(".tmp")).toList(), "temp files in the store");
        }
    }

    @Test
    void pushCloneAndFetchGoThroughOneServer() throws IOException {
        Sandbox.Project p = pushed("repo", 12, 3 << 20);
        Sandbox.Result push = sb.run(p.work(), TRACE, "git", "push", "-q", "origin", "main").ok();
        assertTrue(push.err().contains("relaying to the transfer server"), push.err());
        Path clone = tmp.resolve("clone");
        Sandbox.Result c = sb.run(tmp, TRACE, "git", "lfs-cloud", "clone", p.origin().toString(), clone.toString()).ok();
        assertTrue(c.err().contains("relaying to the transfer server"), c.err());
        assertFalse(c.err().contains("started the transfer server"), "the push's server served the clone too");
        assertSameFiles(p.work(), clone, "f0.bin", "f11.bin", "big.bin");
        sb.run(clone, "git", "lfs", "fetch", "--all").ok();
        assertEquals(1, sockets().size(), "one server");
        assertEquals(1, sb.serverPids().size());
        String status = sb.run(tmp, "git", "lfs-cloud", "server", "status").ok().out();
        assertTrue(status.matches("(?s)pid \\d+, build .*, up \\d+ s, 0 connections \\(\\d+ served\\), backends open: 1, \\d+ MB resident.*"), status);
    }

    @Test
    void twoRepositoriesWithTheirOwnStoresShareOneServerAtOnce() throws Exception {
        Sandbox.Project a = pushed("alpha", 6, 8 << 20);
        Sandbox.Project b = pushed("beta", 6, 8 << 20);
        sb.git(a.work(), "push", "-q", "origin", "main").ok();
        sb.git(b.work(), "push", "-q", "origin", "main").ok();
        assertTrue(Files.exists(Sandbox.objectPath(a.store(), Sandbox.sha256(a.work().resolve("big.bin")))));
        assertFalse(Files.exists(Sandbox.objectPath(b.store(), Sandbox.sha256(a.work().resolve("big.bin")))));
        Path ca = cloneWithoutSmudge(a, "ca");
        Path cb = cloneWithoutSmudge(b, "cb");
        Process pa = started(ca, Map.of(), "git", "lfs", "pull");
        Process pb = started(cb, Map.of(), "git", "lfs", "pull");
        String ea = finish(pa);
        String eb = finish(pb);
        assertEquals(0, pa.exitValue(), ea);
        assertEquals(0, pb.exitValue(), eb);
        assertSameFiles(a.work(), ca, "f0.bin", "f5.bin", "big.bin");
        assertSameFiles(b.work(), cb, "f0.bin", "f5.bin", "big.bin");
        assertEquals(1, sockets().size(), "one server for both");
        // the folder store's backend serves any folder: the two repositories share it
        String status = sb.run(tmp, "git", "lfs-cloud", "server", "status").ok().out();
        assertTrue(status.contains("backends open: 1,"), "one shared backend: " + status);
    }

    @Test
    void aChangedStoreSettingTakesEffectOnTheNextCommand() throws IOException {
        Sandbox.Project p = pushed("repo", 2, 0);
        sb.git(p.work(), "push", "-q", "origin", "main").ok();
        Path other = tmp.resolve("other-store");
        Files.createDirectories(other);
        sb.git(p.work(), "config", "lfs-cloud.store", other.toUri().toString()).ok();
        Sandbox.writeRandom(p.work().resolve("later.bin"), 5000, 7);
        sb.git(p.work(), "add", "later.bin").ok();
        sb.git(p.work(), "commit", "-q", "-m", "later").ok();
        Sandbox.Result push = sb.run(p.work(), TRACE, "git", "push", "-q", "origin", "main").ok();
        assertFalse(push.err().contains("started the transfer server"), "the same server: " + push.err());
        String oid = Sandbox.sha256(p.work().resolve("later.bin"));
        assertTrue(Files.exists(Sandbox.objectPath(other, oid)), "the new store got the object");
        assertFalse(Files.exists(Sandbox.objectPath(p.store(), oid)), "the old store did not");
    }

    @Test
    void aBackendOpenedWithSettingsThatChangedIsClosedOnceUnused() throws Exception {
        Sandbox.Project p = pushed("repo", 2, 0);
        sb.git(tmp, "config", "--global", "lfs-cloud.server.idleTimeout", "10").ok();
        sb.git(p.work(), "push", "-q", "origin", "main").ok(); // opens the folder store's backend
        long pid = onlyServer();
        // another retry setting: the next agent gets a backend of its own, and the first one is
        // used by nobody any more
        sb.git(p.work(), "config", "lfs-cloud.retry.attempts", "2").ok();
        try (AgentProcess a = new AgentProcess(sb, p.work(), Map.of())) {
            a.init("download");
            String f0 = Sandbox.sha256(p.work().resolve("f0.bin"));
            a.send("{\"event\":\"download\",\"oid\":\"" + f0 + "\",\"size\":4096,\"action\":null}");
            assertFalse(a.complete(f0).has("error"));
            long until = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
            String status = "";
            while (System.nanoTime() < until && !status.contains("backends open: 1,")) {
                Thread.sleep(500);
                status = sb.run(tmp, "git", "lfs-cloud", "server", "status").ok().out();
            }
            assertTrue(status.startsWith("pid " + pid + ",") && status.contains("1 connections"), status);
            assertTrue(status.contains("backends open: 1,"), "the stale backend is closed: " + status);
            // the running agent's backend was not closed under it
            String f1 = Sandbox.sha256(p.work().resolve("f1.bin"));
            a.send("{\"event\":\"download\",\"oid\":\"" + f1 + "\",\"size\":4097,\"action\":null}");
            assertFalse(a.complete(f1).has("error"));
            a.send("{\"event\":\"terminate\"}");
            assertEquals(0, a.exitCode(), a.stderr());
        }
        assertEquals(List.of(pid), startedServers(), "one server throughout");
    }

    /** Waits for a file matching {@code pattern} (a glob) under {@code dir}; fails after a minute. */
    private static void waitForFile(Path dir, String pattern) throws Exception {
        var matcher = dir.getFileSystem().getPathMatcher("glob:" + pattern);
        long until = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        while (System.nanoTime() < until) {
            if (Files.isDirectory(dir)) {
                try (Stream<Path> s = Files.walk(dir)) {
                    if (s.anyMatch(f -> matcher.matches(f.getFileName()) && sizeOf(f) > 0)) {
                        return;
                    }
                } catch (java.io.UncheckedIOException e) {
                    // a file went away while the folder was walked: look again
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no " + pattern + " appeared under " + dir);
    }

    private static long sizeOf(Path f) {
        try {
            return Files.size(f);
        } catch (IOException e) {
            return 0;
        }
    }

    /** A command started in the background, its output read as it comes (so that it never blocks on a full pipe). */
    private Process started(Path dir, Map<String, String> env, String... command) throws IOException {
        Process p = sb.start(dir, env, command);
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        Thread.ofVirtual().start(() -> {
            try {
                p.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
            } catch (IOException e) {
                // the process is gone
            }
        });
        errors.put(p, Thread.ofVirtual().start(() -> {
            try {
                p.getErrorStream().transferTo(err);
            } catch (IOException e) {
                // the process is gone
            }
        }));
        errorBytes.put(p, err);
        return p;
    }

    private final Map<Process, Thread> errors = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<Process, java.io.ByteArrayOutputStream> errorBytes = new java.util.concurrent.ConcurrentHashMap<>();

    /** Waits for a command from {@link #started}; kills it and what it started when it hangs. Its stderr. */
    private String finish(Process p) throws InterruptedException {
        if (!p.waitFor(3, TimeUnit.MINUTES)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new AssertionError("did not finish within 3 minutes");
        }
        errors.get(p).join();
        return errorBytes.get(p).toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** The pids of every server started in this sandbox, from their logs (those may have exited already). */
    private List<Long> startedServers() throws IOException {
        List<Long> pids = new ArrayList<>();
        try (Stream<Path> s = Files.list(sb.serverDir)) {
            for (Path log : s.filter(f -> f.toString().endsWith(".log")).toList()) {
                for (String line : Files.readAllLines(log)) {
                    int at = line.indexOf("(pid ");
                    if (at >= 0) {
                        pids.add(Long.parseLong(line.substring(at + 5, line.indexOf(')', at))));
                    }
                }
            }
        }
        return pids;
    }

    private static void signal(String which, List<ProcessHandle> processes) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("kill", which));
        processes.forEach(h -> cmd.add(Long.toString(h.pid())));
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
    }

    /** The one live server, from the logs (no command run: the kill must land while the transfer runs). */
    private ProcessHandle liveServer() throws IOException {
        List<ProcessHandle> live = startedServers().stream().map(ProcessHandle::of)
                .flatMap(java.util.Optional::stream).filter(ProcessHandle::isAlive).toList();
        assertEquals(1, live.size(), "one live server: " + live);
        return live.get(0);
    }

    private long onlyServer() {
        List<Long> pids = sb.serverPids();
        assertEquals(1, pids.size(), "one server: " + pids);
        return pids.get(0);
    }

    @Test
    void serverKilledMidPullAndMidPushLosesNothing() throws Exception {
        Sandbox.Project p = pushed("repo", 4, 192 << 20);
        // push: the server is killed while it writes the big object into the store
        Process push = started(p.work(), TRACE, "git", "push", "-q", "origin", "main");
        waitForFile(p.store(), ".*-*.tmp");
        liveServer().destroyForcibly();
        String pushErr = finish(push);
        assertEquals(0, push.exitValue(), pushErr);
        assertTrue(pushErr.contains("the transfer server went away"), pushErr);
        String big = Sandbox.sha256(p.work().resolve("big.bin"));
        assertEquals(big, Sandbox.sha256(Sandbox.objectPath(p.store(), big)));
        assertNoStoreTempFiles(p.store());

        // pull: a new server starts, and is killed while it downloads the big object
        Path clone = cloneWithoutSmudge(p, "clone");
        Process pull = started(clone, TRACE, "git", "lfs", "pull");
        waitForFile(clone.resolve(".git/lfs/tmp"), "lfs-cloud-*.part");
        liveServer().destroyForcibly();
        String pullErr = finish(pull);
        assertEquals(0, pull.exitValue(), pullErr);
        assertTrue(pullErr.contains("the transfer server went away"), pullErr);
        assertSameFiles(p.work(), clone, "f0.bin", "f3.bin", "big.bin");
        assertNoPartialFiles(clone);
        assertTrue(sb.git(clone, "status", "--porcelain").ok().out().isEmpty());
    }

    /** Stores {@code sizes.length} random objects in {@code p}'s store; download items for them. */
    private List<ProtocolDriver.Item> storedObjects(Sandbox.Project p, long seed, long... sizes) throws IOException {
        List<ProtocolDriver.Item> items = new ArrayList<>();
        for (int i = 0; i < sizes.length; i++) {
            Path f = tmp.resolve("obj-" + seed + "-" + i);
            String oid = Sandbox.writeRandom(f, sizes[i], seed * 1000 + i);
            Path target = Sandbox.objectPath(p.store(), oid);
            Files.createDirectories(target.getParent());
            Files.move(f, target);
            items.add(ProtocolDriver.Item.download(oid, sizes[i]));
        }
        return items;
    }

    /** Every item answered without an error, each download's file the object itself. */
    private static void assertAllDone(ProtocolDriver.BatchResult r, List<ProtocolDriver.Item> items, boolean download)
            throws IOException {
        assertTrue(r.ok(), r.batchComplete().toString());
        for (ProtocolDriver.Item i : items) {
            com.fasterxml.jackson.databind.JsonNode c = r.complete(i.oid());
            assertFalse(c.has("error"), c.toString());
            if (download) {
                assertEquals(i.oid(), Sandbox.sha256(Path.of(c.path("path").asText())));
            }
        }
    }

    @Test
    void serverKilledDuringAVersion2BatchDownloadAnswersEveryItemOnce() throws Exception {
        Sandbox.Project p = sb.project("repo");
        List<ProtocolDriver.Item> items = storedObjects(p, 1, 64 << 20, 5000, 64 << 20, 7000, 64 << 20, 9000);
        List<ProtocolDriver.Item> later = storedObjects(p, 2, 3000, 4000);
        sb.env("LFS_CLOUD_TRACE", "1");
        try (ProtocolDriver d = new ProtocolDriver(sb, p.work())) {
            assertEquals("{\"protocol\":2,\"concurrencyMode\":\"batch\"}", d.init("download", 2, "batch").toString());
            d.header("b1", items.size(), ProtocolDriver.total(items));
            for (ProtocolDriver.Item i : items) {
                d.item("b1", i);
            }
            d.footer("b1", items.size(), ProtocolDriver.total(items));
            waitForFile(p.work().resolve(".git/lfs/tmp"), "lfs-cloud-*.part");
            liveServer().destroyForcibly();
            // one complete per item, progress that never goes back and ends at the total (checked by collect)
            ProtocolDriver.BatchResult r = d.collect(Map.of("b1", items)).get("b1");
            assertAllDone(r, items, true);
            // the relay goes on answering later batches, in its own process
            assertAllDone(d.batch("b2", later), later, true);
            d.terminate();
            assertEquals(0, d.agent.exitCode(), d.agent.stderr());
            assertTrue(d.agent.stderr().contains("the transfer server went away with "), d.agent.stderr());
            assertEquals(List.of(), d.agent.badLines());
            // nothing partial and nothing twice: the tmp folder holds exactly the files answered
            List<Path> answered = new ArrayList<>();
            for (ProtocolDriver.Item i : items) {
                answered.add(Path.of(r.complete(i.oid()).path("path").asText()));
            }
            try (Stream<Path> s = Files.list(p.work().resolve(".git/lfs/tmp"))) {
                List<Path> files = s.toList();
                assertEquals(items.size() + later.size(), files.size(), files.toString());
                assertTrue(files.containsAll(answered), files.toString());
            }
            assertFalse(Files.exists(p.work().resolve(".git/lfs/objects")), "the agent writes no object itself");
        }
    }

    @Test
    void serverKilledDuringAVersion2BatchUploadStoresEveryObjectWhole() throws Exception {
        Sandbox.Project p = sb.project("repo");
        List<ProtocolDriver.Item> items = new ArrayList<>();
        long[] sizes = {64 << 20, 6000, 64 << 20, 8000, 64 << 20};
        for (int i = 0; i < sizes.length; i++) {
            Path f = p.work().resolve("up" + i + ".bin");
            items.add(new ProtocolDriver.Item(Sandbox.writeRandom(f, sizes[i], 300 + i), sizes[i], f.toString()));
        }
        sb.env("LFS_CLOUD_TRACE", "1");
        try (ProtocolDriver d = new ProtocolDriver(sb, p.work())) {
            assertEquals("{\"protocol\":2,\"concurrencyMode\":\"batch\"}", d.init("upload", 2, "batch").toString());
            d.header("u1", items.size(), ProtocolDriver.total(items));
            for (ProtocolDriver.Item i : items) {
                d.item("u1", i);
            }
            d.footer("u1", items.size(), ProtocolDriver.total(items));
            waitForFile(p.store(), ".*-*.tmp");
            liveServer().destroyForcibly();
            assertAllDone(d.collect(Map.of("u1", items)).get("u1"), items, false);
            d.terminate();
            assertEquals(0, d.agent.exitCode(), d.agent.stderr());
            assertTrue(d.agent.stderr().contains("the transfer server went away with "), d.agent.stderr());
        }
        for (ProtocolDriver.Item i : items) {
            assertEquals(i.oid(), Sandbox.sha256(Sandbox.objectPath(p.store(), i.oid())));
        }
        assertNoStoreTempFiles(p.store());
    }

    @Test
    void aStaleSocketIsReplaced() throws IOException {
        Sandbox.Project p = pushed("repo", 2, 0);
        sb.git(p.work(), "push", "-q", "origin", "main").ok();
        Path socket = sockets().get(0);
        sb.stopServers();
        // a server killed without cleaning up leaves its socket file, with nobody listening
        try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            dead.bind(UnixDomainSocketAddress.of(socket));
        }
        assertTrue(Files.exists(socket));
        Path clone = tmp.resolve("clone");
        Sandbox.Result c = sb.run(tmp, TRACE, "git", "lfs-cloud", "clone", p.origin().toString(), clone.toString()).ok();
        assertTrue(c.err().contains("started the transfer server"), c.err());
        assertFalse(c.err().contains("serving in this process"), c.err());
        assertSameFiles(p.work(), clone, "f0.bin", "f1.bin");
        assertEquals(1, sb.serverPids().size());
    }

    @Test
    void agentsRacingToStartTheServerEndWithOne() throws Exception {
        Sandbox.Project p = pushed("repo", 1, 0);
        sb.git(p.work(), "push", "-q", "origin", "main").ok();
        sb.stopServers();
        List<AgentProcess> agents = new ArrayList<>();
        try {
            for (int i = 0; i < 6; i++) {
                agents.add(new AgentProcess(sb, p.work(), Map.of()));
            }
            for (AgentProcess a : agents) {
                a.init("download");
            }
            String oid = Sandbox.sha256(p.work().resolve("f0.bin"));
            for (AgentProcess a : agents) {
                a.send("{\"event\":\"download\",\"oid\":\"" + oid + "\",\"size\":4096,\"action\":null}");
            }
            for (AgentProcess a : agents) {
                assertFalse(a.complete(oid).has("error"));
                a.send("{\"event\":\"terminate\"}");
                assertEquals(0, a.exitCode(), a.stderr());
            }
        } finally {
            for (AgentProcess a : agents) {
                a.close();
            }
        }
        assertEquals(1, sockets().size());
        assertEquals(1, sb.serverPids().size(), "one server");
        try (Stream<Path> s = Files.list(sb.serverDir)) {
            List<Path> logs = s.filter(f -> f.toString().endsWith(".log")).toList();
            assertEquals(1, logs.size());
            // the racing relays started one server (the earlier one was stopped before)
            assertEquals(1, Files.readAllLines(logs.get(0)).stream().filter(l -> l.contains("listening")).count());
        }
    }

    @Test
    void aSocketFolderWithTheWrongModeOrALinkIsRefused() throws IOException {
        Sandbox.Project p = pushed("repo", 2, 0);
        sb.git(p.work(), "config", "--global", "lfs-cloud.server", "false").ok();
        sb.git(p.work(), "push", "-q", "origin", "main").ok();
        sb.git(p.work(), "config", "--global", "lfs-cloud.server", "true").ok();
        Files.setPosixFilePermissions(sb.serverDir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path clone = tmp.resolve("clone");
        Sandbox.Result c = sb.run(tmp, TRACE, "git", "lfs-cloud", "clone", p.origin().toString(), clone.toString()).ok();
        assertTrue(c.err().contains("refusing the server folder " + sb.serverDir + ": its mode is 755, not 700"), c.err());
        assertSameFiles(p.work(), clone, "f0.bin", "f1.bin");
        assertEquals(List.of(), sockets(), "no server in a refused folder");

        Files.setPosixFilePermissions(sb.serverDir, PosixFilePermissions.fromString("rwx------"));
        Path link = tmp.resolve("srv-link");
        Files.createSymbolicLink(link, sb.serverDir);
        Path clone2 = tmp.resolve("clone2");
        Sandbox.Result c2 = sb.run(tmp, Map.of("GIT_TRACE", "1", "LFS_CLOUD_TRACE", "1", "LFS_CLOUD_SERVER_DIR", link.toString()),
                "git", "lfs-cloud", "clone", p.origin().toString(), clone2.toString()).ok();
        assertTrue(c2.err().contains("refusing the server folder " + link + ": it is a symbolic link"), c2.err());
        assertEquals(List.of(), sockets());
    }

    @Test
    void aSocketFolderOfAnotherUserIsRefused() throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root to chown");
        Sandbox.Project p = pushed("repo", 1, 0);
        sb.run(tmp, "chown", "nobody", sb.serverDir.toString()).ok();
        Sandbox.Result push = sb.run(p.work(), TRACE, "git", "push", "-q", "origin", "main").ok();
        assertTrue(push.err().contains("refusing the server folder " + sb.serverDir + ": it belongs to uid"), push.err());
        assertTrue(Files.exists(Sandbox.objectPath(p.store(), Sandbox.sha256(p.work().resolve("f0.bin")))));
        sb.run(tmp, "chown", "root", sb.serverDir.toString()).ok();
    }

    @Test
    void anotherAwsProfileGetsAnotherServer() throws IOException {
        Sandbox.Project p = pushed("repo", 2, 0);
        sb.git(p.work(), "push", "-q", "origin", "main").ok();
        Path c1 = tmp.resolve("c1");
        Path c2 = tmp.resolve("c2");
        sb.run(tmp, Map.of("AWS_PROFILE", "one"), "git", "lfs-cloud", "clone", p.origin().toString(), c1.toString()).ok();
        assertEquals(2, sockets().size(), "AWS_PROFILE=one is not the environment of the push's server");
        sb.run(tmp, Map.of("AWS_PROFILE", "one"), "git", "lfs-cloud", "clone", p.origin().toString(), c2.toString()).ok();
        assertEquals(2, sockets().size(), "the same environment, the same server");
        sb.run(tmp, Map.of("AWS_PROFILE", "two", "LFS_CLOUD_TRACE", "1"), "git", "lfs", "version").ok();
        assertSameFiles(p.work(), c2, "f0.bin");
        assertEquals(2, sb.serverPids().size());
    }

    @Test
    void anIdleServerExits() throws Exception {
        Sandbox.Project p = pushed("repo", 2, 0);
        sb.git(tmp, "config", "--global", "lfs-cloud.server.idleTimeout", "1").ok();
        sb.git(p.work(), "push", "-q", "origin", "main").ok();
        List<Long> started = startedServers(); // it may be gone already: its log names it
        assertEquals(1, started.size(), started.toString());
        long pid = started.get(0);
        ProcessHandle h = ProcessHandle.of(pid).orElse(null);
        if (h != null) {
            h.onExit().get(20, TimeUnit.SECONDS);
        }
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
        assertEquals(List.of(), sockets(), "the idle server removed its socket");
    }

    @Test
    void serverStopWaitsForTheRunningTransfer() throws Exception {
        Sandbox.Project p = pushed("repo", 2, 96 << 20);
        sb.git(p.work(), "push", "-q", "origin", "main").ok();
        long pid = onlyServer();
        Path clone = cloneWithoutSmudge(p, "clone");
        Process pull = started(clone, TRACE, "git", "lfs", "pull");
        waitForFile(clone.resolve(".git/lfs/tmp"), "lfs-cloud-*.part");
        // git-lfs and its relays are paused while `server stop` runs, so that the pull cannot end
        // before the stop arrives (a quiet machine downloads 96 MB faster than a JVM starts)
        List<ProcessHandle> pulling = java.util.stream.Stream.concat(Stream.of(pull.toHandle()), pull.descendants())
                .filter(h -> h.pid() != pid).toList();
        signal("-STOP", pulling);
        try {
            String stop = sb.run(tmp, "git", "lfs-cloud", "server", "stop").ok().out();
            assertTrue(stop.startsWith("stopping server " + pid), stop);
            assertTrue(ProcessHandle.of(pid).isPresent(), "still serving the pull");
        } finally {
            signal("-CONT", pulling);
        }
        String err = finish(pull);
        assertEquals(0, pull.exitValue(), err);
        assertFalse(err.contains("went away"), err);
        assertSameFiles(p.work(), clone, "big.bin");
        ProcessHandle.of(pid).ifPresent(h -> h.onExit().join());
        // the stopped server is gone; agents git-lfs started after the stop may have started a new one
        assertFalse(sb.serverPids().contains(pid), "the stopped server still answers");
    }
}
