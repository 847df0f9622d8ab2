package io.lfscloud.e2e;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The folder store's hygiene through real git and git-lfs: permissions a shared store
 * needs, temp files that outlive neither SIGINT nor (after the next push or pull) kill -9,
 * non-regular files at object paths, repair of a corrupt stored copy by pushing again.
 */
class StoreHygieneTest {

    /** Large enough that writing it takes seconds here, so that a signal lands mid-way. */
    static final long BIG = 256L << 20;

    /** The owner pid in a temp file's name ({@code <stem>-<pid>-<token>-<n>@<host><suffix>}). */
    static final Pattern OWNER = Pattern.compile("-(\\d+)-[0-9a-z]+-\\d+@[A-Za-z0-9._-]+\\.(tmp|part)$");

    @TempDir
    Path tmp;

    Sandbox sb;

    /** Commands started without waiting: stopped, with everything they started, after each test. */
    final List<Running> started = new ArrayList<>();

    @BeforeEach
    void sandbox() throws IOException {
        sb = new Sandbox(tmp);
    }

    @AfterEach
    void stopWhatIsStillRunning() throws Exception {
        for (Running r : started) {
            r.stop();
        }
    }

    // ------------------------------------------------------------ permissions

    @Test
    void withUmask022ObjectsAndFoldersAreReadableByOthers() throws Exception {
        Sandbox.Project p = sb.project("u022");
        Map<String, String> oids = commitSmall(p, 3);
        pushWithUmask(p, "022");
        assertModes(p.store(), oids.values(), 0755, 0644);
        openToOthers(p.store());
        for (String oid : oids.values()) {
            Path object = Sandbox.objectPath(p.store(), oid);
            assertEquals(oid, readAs("65534", "65534", object), "another user reads " + object);
        }
    }

    @Test
    void withUmask077ObjectsAndFoldersStayPrivate() throws Exception {
        Sandbox.Project p = sb.project("u077");
        // made again by install --create under umask 077 (a push never makes the store's own folder)
        Files.delete(p.store());
        sb.run(p.work(), "sh", "-c", "umask 077 && exec git lfs-cloud install --store '" + p.store().toUri() + "' --create").ok();
        Map<String, String> oids = commitSmall(p, 3);
        pushWithUmask(p, "077");
        assertModes(p.store(), oids.values(), 0700, 0600);
        openToOthers(p.store().getParent());
        assertEquals(null, readAs("65534", "65534", Sandbox.objectPath(p.store(), oids.values().iterator().next())));
    }

    @Test
    void aGroupSharedRootGivesItsGroupEveryFolderAndObjectWhateverTheUmask() throws Exception {
        assumeTrue(isRoot(), "needs root to give the store to another group and to act as another user");
        Sandbox.Project p = sb.project("shared");
        Files.delete(p.store()); // made empty by install --create: this test makes its own
        Files.createDirectory(p.store());
        Files.setAttribute(p.store(), "unix:gid", 4242);
        Files.setAttribute(p.store(), "unix:mode", 02770);
        Map<String, String> oids = commitSmall(p, 3);
        pushWithUmask(p, "077");
        assertModes(p.store(), oids.values(), 02770, 0640);
        try (Stream<Path> all = Files.walk(p.store())) {
            for (Path f : all.toList()) {
                assertEquals(4242, Files.getAttribute(f, "unix:gid"), "the root's group: " + f);
            }
        }

        // a member of the group clones through the store; someone else is refused, clearly
        Path perfData = Path.of("/tmp/hsperfdata_" + sb.run(tmp, "id", "-nu", "65534").ok().out().strip());
        boolean perfDataBefore = Files.exists(perfData);
        try {
            cloneAsMemberAndAsOutsider(p, oids);
        } finally {
            if (!perfDataBefore) {
                // the other user's JVMs made it (HotSpot's perf data folder is always under /tmp)
                Files.deleteIfExists(perfData);
            }
        }
    }

    private void cloneAsMemberAndAsOutsider(Sandbox.Project p, Map<String, String> oids) throws IOException {
        openToOthers(p.store().getParent());
        sb.run(tmp, "chmod", "-R", "a+rX", p.origin().toString()).ok();
        Path member = otherUsersHome("member", 4242);
        Sandbox.Result ok = asOtherUser(member, "4242", "git", "lfs-cloud", "clone", p.origin().toString(),
                member.resolve("clone").toString());
        ok.ok();
        for (Map.Entry<String, String> e : oids.entrySet()) {
            assertEquals(e.getValue(), Sandbox.sha256(member.resolve("clone").resolve(e.getKey())));
        }
        Path outsider = otherUsersHome("outsider", 4343);
        Sandbox.Result refused = asOtherUser(outsider, "4343", "git", "lfs-cloud", "clone", p.origin().toString(),
                outsider.resolve("clone").toString()).failed();
        for (String oid : oids.values()) {
            assertTrue(refused.err().contains("[403] permission denied to read " + Sandbox.objectPath(p.store(), oid)),
                    refused.err());
        }
    }

    private Map<String, String> commitSmall(Sandbox.Project p, int count) throws IOException {
        Map<String, String> oids = new java.util.TreeMap<>();
        for (int i = 0; i < count; i++) {
            oids.put("f" + i + ".bin", Sandbox.writeRandom(p.work().resolve("f" + i + ".bin"), 1000 + i, i));
        }
        sb.git(p.work(), "add", ".").ok();
        sb.git(p.work(), "commit", "-q", "-m", "objects").ok();
        return oids;
    }

    private void pushWithUmask(Sandbox.Project p, String umask) {
        sb.run(p.work(), "sh", "-c", "umask " + umask + " && exec git push -q origin main").ok();
    }

    /** Every folder under the store has {@code folderMode} (with setgid), every object {@code objectMode}. */
    private static void assertModes(Path store, Iterable<String> oids, int folderMode, int objectMode)
            throws IOException {
        for (String oid : oids) {
            Path object = Sandbox.objectPath(store, oid);
            assertEquals(Integer.toOctalString(objectMode), Integer.toOctalString(mode(object)), object.toString());
            for (Path folder : List.of(object.getParent(), object.getParent().getParent())) {
                assertEquals(Integer.toOctalString(folderMode), Integer.toOctalString(mode(folder)), folder.toString());
            }
        }
    }

    private static int mode(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
    }

    private static boolean isRoot() throws IOException {
        return Files.readString(Path.of("/proc/self/status")).lines()
                .anyMatch(l -> l.matches("Uid:\\s+0\\s.*"));
    }

    /** Lets other users pass through this test's folders down to {@code dir} (JUnit makes them private). */
    private void openToOthers(Path dir) throws IOException {
        for (Path d = dir; d != null && d.startsWith(tmp); d = d.getParent()) {
            Files.setAttribute(d, "unix:mode", mode(d) | 0711);
        }
    }

    /** The SHA-256 of {@code file} as user {@code uid} (group {@code gid}) reads it, or {@code null} if they cannot. */
    private String readAs(String uid, String gid, Path file) {
        Sandbox.Result r = sb.run(tmp, "setpriv", "--reuid=" + uid, "--regid=" + gid, "--groups=" + gid,
                "sha256sum", file.toString());
        return r.exitCode() == 0 ? r.out().split(" ")[0] : null;
    }

    private Path otherUsersHome(String name, int gid) throws IOException {
        Path home = Files.createDirectory(tmp.resolve(name));
        Files.writeString(home.resolve(".gitconfig"), """
                [user]
                \tname = another user
                \temail = other@lfs-cloud.invalid
                [safe]
                \tdirectory = *
                """);
        for (Path f : List.of(home, home.resolve(".gitconfig"))) {
            Files.setAttribute(f, "unix:uid", 65534);
            Files.setAttribute(f, "unix:gid", gid);
        }
        return home;
    }

    private Sandbox.Result asOtherUser(Path home, String gid, String... command) {
        List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid=65534", "--regid=" + gid, "--groups=" + gid));
        cmd.addAll(List.of(command));
        return sb.run(home, Map.of("HOME", home.toString(), "XDG_CONFIG_HOME", home.resolve(".config").toString()),
                cmd.toArray(String[]::new));
    }

    // ------------------------------------------------------------ interruptions

    @Test
    void sigintMidPushLeavesNoTempFileAndTheNextPushStoresTheObjectWhole() throws Exception {
        Sandbox.Project p = sb.project("sigint-push");
        String oid = commitBig(p);
        Running push = inOwnGroup(p.work(), "git", "push", "-q", "origin", "main");
        Path temp = await(() -> storeTemps(p.store()).stream().findFirst(), push, "a temp file in the store");
        long agent = agentOwning(temp);

        push.signalGroup("INT");
        push.awaitExit();
        awaitGone(agent);
        assertFalse(Files.exists(Sandbox.objectPath(p.store(), oid)),
                "precondition: the signal came before the object was stored (make BIG larger otherwise)");
        assertEquals(List.of(), storeTemps(p.store()), "the interrupted agent deleted its temp file");

        sb.git(p.work(), "push", "-q", "origin", "main").ok();
        assertEquals(oid, Sandbox.sha256(Sandbox.objectPath(p.store(), oid)));
        assertEquals(List.of(), storeTemps(p.store()));
    }

    @Test
    void aTempFileLeftByKillDashNineMidPushIsRemovedByTheNextPush() throws Exception {
        Sandbox.Project p = sb.project("kill-push");
        String oid = commitBig(p);
        Running push = inOwnGroup(p.work(), "git", "push", "-q", "origin", "main");
        Path temp = await(() -> storeTemps(p.store()).stream().findFirst(), push, "a temp file in the store");
        long agent = agentOwning(temp);

        killAgents(push, agent);
        awaitGone(agent);
        assertNotEquals(0, push.awaitExit());
        if (Sandbox.SERVER) {
            assertFalse(Files.exists(temp), "the server cancelled the killed relay's transfer and deleted its temp file");
        } else {
            assertTrue(Files.exists(temp), "kill -9 cannot be caught: the temp file stays until someone sweeps it");
        }
        assertFalse(Files.exists(Sandbox.objectPath(p.store(), oid)), "precondition: killed before the object was stored");

        sb.git(p.work(), "push", "-q", "origin", "main").ok();
        assertEquals(List.of(), storeTemps(p.store()), "the next writer of that folder swept it: its owner is gone");
        assertEquals(oid, Sandbox.sha256(Sandbox.objectPath(p.store(), oid)));
    }

    @Test
    void sigintMidPullLeavesNoPartFileAndKillDashNinesIsSweptByTheNextPull() throws Exception {
        Sandbox.Project p = sb.project("pull");
        String oid = commitBig(p);
        sb.git(p.work(), "push", "-q", "origin", "main").ok();
        Path clone = tmp.resolve("clone");
        sb.run(tmp, Map.of("GIT_LFS_SKIP_SMUDGE", "1"), "git", "clone", "-q", p.origin().toString(), clone.toString()).ok();
        sb.run(clone, "git", "lfs-cloud", "install").ok();
        Path lfsTmp = clone.resolve(".git/lfs/tmp");
        Path downloaded = Sandbox.objectPath(clone.resolve(".git/lfs/objects"), oid);

        for (String signal : List.of("INT", "KILL")) {
            Running pull = inOwnGroup(clone, "git", "lfs", "pull");
            Path part = await(() -> parts(lfsTmp).stream().findFirst(), pull, "a .part file in .git/lfs/tmp");
            long agent = agentOwning(part);
            if (signal.equals("INT")) {
                pull.signalGroup("INT");
            } else {
                killAgents(pull, agent);
            }
            awaitGone(agent);
            pull.awaitExit();
            assertFalse(Files.exists(downloaded), "precondition: the signal came before the download ended");
            if (signal.equals("INT")) {
                assertEquals(List.of(), parts(lfsTmp), "SIGINT: the agent deleted its .part file");
            } else if (Sandbox.SERVER) {
                assertEquals(List.of(), parts(lfsTmp), "kill -9 of the relay: the server deleted its .part file");
            } else {
                assertEquals(List.of(part), parts(lfsTmp), "kill -9 cannot be caught");
            }
        }

        sb.git(clone, "lfs", "pull").ok();
        assertEquals(List.of(), parts(lfsTmp), "the next pull swept the .part of the killed agent");
        assertEquals(oid, Sandbox.sha256(clone.resolve("big.bin")));
    }

    private String commitBig(Sandbox.Project p) throws IOException {
        String oid = Sandbox.writeRandom(p.work().resolve("big.bin"), BIG, 42);
        sb.git(p.work(), "add", ".").ok();
        sb.git(p.work(), "commit", "-q", "-m", "big").ok();
        return oid;
    }

    /** Temp files in the folder store (objects in the making are dot files ending in .tmp). */
    private static List<Path> storeTemps(Path store) {
        if (!Files.isDirectory(store)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(store)) {
            return s.filter(f -> f.getFileName().toString().startsWith(".") && f.getFileName().toString().endsWith(".tmp"))
                    .toList();
        } catch (IOException | java.io.UncheckedIOException e) {
            return List.of(); // a folder vanished under the walk: look again
        }
    }

    /** The agent's download temp files in git-lfs's temp folder. */
    private static List<Path> parts(Path lfsTmp) {
        try (Stream<Path> s = Files.list(lfsTmp)) {
            return s.filter(f -> f.getFileName().toString().startsWith("lfs-cloud-")
                    && f.getFileName().toString().endsWith(".part")).toList();
        } catch (IOException | java.io.UncheckedIOException e) {
            return List.of();
        }
    }

    /** The pid a temp file's name gives, checked to be a running lfs-cloud agent (its JVM). */
    private static long agentOwning(Path temp) {
        Matcher m = OWNER.matcher(temp.getFileName().toString());
        assertTrue(m.find(), "the temp file's name says its owner: " + temp.getFileName());
        long pid = Long.parseLong(m.group(1));
        ProcessHandle agent = ProcessHandle.of(pid).orElseThrow(() -> new AssertionError("no process " + pid));
        String command = agent.info().command().orElse("");
        assertTrue(command.startsWith(Sandbox.IMAGE.toString()), "process " + pid + " is the agent: " + command);
        return pid;
    }

    /**
     * kill -9 of git-lfs's agent: the process that owns the temp file; with the transfer server
     * on, the relays git-lfs started (the server owns the file, and is not git-lfs's process).
     */
    private static void killAgents(Running command, long owner) {
        if (!Sandbox.SERVER) {
            ProcessHandle.of(owner).orElseThrow().destroyForcibly();
            return;
        }
        List<ProcessHandle> relays = command.process.descendants()
                .filter(h -> h.pid() != owner && h.info().command().orElse("").startsWith(Sandbox.IMAGE.toString()))
                .toList();
        assertFalse(relays.isEmpty(), "no relay of git-lfs's is running");
        relays.forEach(ProcessHandle::destroyForcibly);
    }

    /**
     * Waits for {@code pid} to exit; with the transfer server on, for the server that owns the
     * temp files (its idle timeout is 0 in this mode: it exits when its last relay is gone).
     */
    private static void awaitGone(long pid) throws Exception {
        Optional<ProcessHandle> h = ProcessHandle.of(pid);
        if (h.isPresent()) {
            h.get().onExit().get(60, TimeUnit.SECONDS);
        }
    }

    /** Starts {@code command} in {@code dir} in its own process group (as a terminal's foreground job). */
    private Running inOwnGroup(Path dir, String... command) throws IOException {
        // a child of this JVM leads no group, so setsid makes one without forking: pid == pgid
        List<String> cmd = new ArrayList<>(List.of("setsid", "--wait"));
        cmd.addAll(List.of(command));
        Process process = sb.start(dir, Map.of(), cmd.toArray(String[]::new));
        process.getOutputStream().close();
        Running r = new Running(process);
        started.add(r);
        return r;
    }

    /** Polls (every 5 ms, up to 2 minutes) until {@code probe} finds something. */
    private static <T> T await(Supplier<Optional<T>> probe, Running running, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (System.nanoTime() < deadline) {
            Optional<T> found = probe.get();
            if (found.isPresent()) {
                return found.get();
            }
            if (!running.process.isAlive()) {
                fail("no " + what + " before the command ended:\n" + running.output());
            }
            Thread.sleep(5);
        }
        return fail("no " + what + " within 2 minutes");
    }

    /** A command started in its own process group (as a terminal's foreground job), its output kept. */
    static final class Running {
        final Process process;
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        private Running(Process process) {
            this.process = process;
            // platform threads: a stray grandchild holding a pipe open must not hold a carrier
            Thread.ofPlatform().daemon().start(() -> drain(process.getInputStream()));
            Thread.ofPlatform().daemon().start(() -> drain(process.getErrorStream()));
        }

        /** Kills the group (what is left of it) if the command is still running or left processes behind. */
        void stop() throws Exception {
            new ProcessBuilder("kill", "-KILL", "--", "-" + process.pid()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
            process.waitFor(30, TimeUnit.SECONDS);
        }

        private void drain(InputStream in) {
            try (in) {
                in.transferTo(new java.io.OutputStream() {
                    @Override
                    public void write(int b) {
                        synchronized (out) {
                            out.write(b);
                        }
                    }

                    @Override
                    public void write(byte[] b, int off, int len) {
                        synchronized (out) {
                            out.write(b, off, len);
                        }
                    }
                });
            } catch (IOException e) {
                // process gone
            }
        }

        /** Sends {@code signal} to the whole group, as Ctrl-C on a terminal does. */
        void signalGroup(String signal) throws Exception {
            Process kill = new ProcessBuilder("kill", "-" + signal, "--", "-" + process.pid()).inheritIO().start();
            assertEquals(0, kill.waitFor(), "kill -" + signal + " -" + process.pid());
        }

        int awaitExit() throws InterruptedException {
            if (!process.waitFor(2, TimeUnit.MINUTES)) {
                fail("still running after 2 minutes (stopped after the test):\n" + output());
            }
            return process.exitValue();
        }

        String output() {
            synchronized (out) {
                return out.toString(StandardCharsets.UTF_8);
            }
        }
    }

    // ---------------------------------------------------- what is at an object's path

    @Test
    void aFifoAndAFolderAtObjectPathsFailPromptlyAndClearlyAndTheOtherObjectsArrive() throws Exception {
        Sandbox.Project p = sb.project("special");
        Map<String, String> oids = commitSmall(p, 3);
        sb.git(p.work(), "push", "-q", "origin", "main").ok();
        Path fifo = Sandbox.objectPath(p.store(), oids.get("f0.bin"));
        Files.delete(fifo);
        sb.run(tmp, "mkfifo", fifo.toString()).ok();
        Path folder = Sandbox.objectPath(p.store(), oids.get("f1.bin"));
        Files.delete(folder);
        Files.createDirectory(folder);

        Path clone = tmp.resolve("clone");
        long start = System.nanoTime();
        Running cloning = inOwnGroup(tmp, "git", "lfs-cloud", "clone", p.origin().toString(), clone.toString());
        assertNotEquals(0, cloning.awaitExit(), cloning.output());
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
        assertTrue(seconds < 60, "the clone took " + seconds + " s");
        String err = cloning.output();
        assertTrue(err.contains("[422] refusing to read ")
                && err.contains(fifo + ": it is a FIFO (named pipe), not a regular file"), err);
        assertTrue(err.contains(folder + ": it is a folder, not a regular file"), err);
        assertFalse(err.contains("[503]"), "nothing reported as transient: " + err);
        assertEquals(oids.get("f2.bin"), Sandbox.sha256(clone.resolve("f2.bin")), "the other object arrived");
    }

    // ------------------------------------------------------------- verification

    @Test
    void aCorruptStoredCopyOfTheRightSizeIsRepairedByPushAll() throws Exception {
        Sandbox.Project p = sb.project("repair");
        Map<String, String> oids = commitSmall(p, 2);
        sb.git(p.work(), "push", "-q", "origin", "main").ok();
        Path corrupt = Sandbox.objectPath(p.store(), oids.get("f0.bin"));
        byte[] bytes = Files.readAllBytes(corrupt);
        bytes[500] ^= 0x20;
        Files.write(corrupt, bytes);
        Path good = Sandbox.objectPath(p.store(), oids.get("f1.bin"));
        Object goodInode = Files.getAttribute(good, "unix:ino");

        sb.git(p.work(), "lfs", "push", "--all", "origin").ok();

        assertEquals(oids.get("f0.bin"), Sandbox.sha256(corrupt), "rewritten");
        assertEquals(goodInode, Files.getAttribute(good, "unix:ino"), "a good copy is only read");
        assertEquals(List.of(), storeTemps(p.store()));
        Path clone = tmp.resolve("clone");
        sb.run(tmp, "git", "lfs-cloud", "clone", p.origin().toString(), clone.toString()).ok();
        for (Map.Entry<String, String> e : oids.entrySet()) {
            assertEquals(e.getValue(), Sandbox.sha256(clone.resolve(e.getKey())));
        }
    }

    @Test
    void aRefusedUploadDoesNotSayWhatTheLocalFileHashesTo() throws Exception {
        Sandbox.Project p = sb.project("refused");
        Map<String, String> oids = commitSmall(p, 1);
        String oid = oids.get("f0.bin");
        Path local = Sandbox.objectPath(p.work().resolve(".git/lfs/objects"), oid);
        byte[] bytes = Files.readAllBytes(local);
        bytes[0] ^= 1;
        Files.write(local, bytes);
        String actual = Sandbox.sha256(local);

        Sandbox.Result r = sb.git(p.work(), "lfs", "push", "--all", "origin").failed();

        assertTrue(r.err().contains("[422] refusing to store") && r.err().contains("does not match its oid"), r.err());
        assertFalse(r.all().contains(actual), r.all());
        assertFalse(Files.exists(Sandbox.objectPath(p.store(), oid)));
        assertEquals(List.of(), storeTemps(p.store()));
    }
}
