package io.lfscloud.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The agent's protocol stream, as git-lfs and other users of the machine see it:
 * <ul>
 *   <li>JVM options from the environment ({@code _JAVA_OPTIONS}, {@code JAVA_TOOL_OPTIONS},
 *       {@code JDK_JAVA_OPTIONS}) that make the JVM print on stdout never reach git-lfs;</li>
 *   <li>the first line git-lfs sends, with any credentials in its remote URL, is in no
 *       process's arguments or environment, the agent's or its children's, and arrives
 *       byte for byte;</li>
 *   <li>an object whose backend fails in a way nobody planned for (a RuntimeException, an
 *       OutOfMemoryError, a StackOverflowError, from a plugin) fails alone: the agent names
 *       the failure and serves the next object.</li>
 * </ul>
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProtocolStreamTest {

    static final String SECRET = "s3cret-T0ken";

    @TempDir
    static Path tmp;

    Sandbox sb;
    Sandbox.Project project;
    Path clone;
    Path faultyStore;
    String pushedOid;

    @BeforeAll
    void setUp() throws IOException {
        sb = new Sandbox(tmp);
        sb.env("LFS_CLOUD_PLUGIN_PATH", buildFaultyPlugin().toString());
        project = sb.project("repo");
        pushedOid = Sandbox.writeRandom(project.work().resolve("first.bin"), 50_000, 1);
        sb.git(project.work(), "add", ".").ok();
        sb.git(project.work(), "commit", "-q", "-m", "first").ok();
        sb.git(project.work(), "push", "-q", "origin", "main").ok();
        clone = tmp.resolve("clone");
        sb.run(tmp, "git", "lfs-cloud", "clone", project.origin().toString(), clone.toString()).ok();
        faultyStore = Files.createDirectories(tmp.resolve("faulty-store"));
    }

    // ------------------------------------------------------------ JVM options

    @Test
    void jvmOutputAskedForInTheEnvironmentNeverReachesGitLfs() throws IOException {
        // each prints on the JVM's stdout at start-up (the launcher's own -Xlog options
        // neutralise only what comes before them, so each case has one that survives)
        List<Map<String, String>> settings = List.of(
                Map.of("_JAVA_OPTIONS", "-Xlog:gc"),
                Map.of("JAVA_TOOL_OPTIONS", "-Xlog:all=info:stdout -XX:+PrintFlagsFinal"),
                Map.of("JDK_JAVA_OPTIONS", "-verbose:class -XX:+PrintVMOptions"));
        for (int i = 0; i < settings.size(); i++) {
            Map<String, String> env = settings.get(i);
            String name = "opts-" + i + ".bin";
            String oid = Sandbox.writeRandom(project.work().resolve(name), 300_000 + i, 100 + i);
            sb.git(project.work(), "add", name).ok();
            sb.git(project.work(), "commit", "-q", "-m", name).ok();
            sb.run(project.work(), env, "git", "push", "-q", "origin", "main").ok();
            assertEquals(oid, Sandbox.sha256(Sandbox.objectPath(project.store(), oid)), "pushed with " + env);

            sb.run(clone, Map.of("GIT_LFS_SKIP_SMUDGE", "1"), "git", "pull", "-q", "--ff-only").ok();
            sb.run(clone, env, "git", "lfs", "pull").ok();
            assertEquals(oid, Sandbox.sha256(clone.resolve(name)), "pulled with " + env);
        }
    }

    // ------------------------------------------------------------- first line

    /**
     * A {@code git} in front of the real one that records what each git the agent starts
     * inherits: its environment and its open descriptors.
     */
    private Map<String, String> gitSpy(Path log) throws IOException {
        String realGit = sb.run(tmp, "sh", "-c", "command -v git").ok().out().strip();
        Path bin = Files.createDirectories(tmp.resolve("spy-bin-" + log.getFileName()));
        Path spy = bin.resolve("git");
        Files.writeString(spy, """
                #!/usr/bin/python3
                import json, os, sys
                fds = {}
                for n in os.listdir("/proc/self/fd"):
                    try:
                        fds[n] = os.readlink("/proc/self/fd/" + n)
                    except OSError:
                        pass  # the listing's own descriptor, closed by now
                with open("/proc/self/environ", "rb") as f:
                    environ = f.read().decode("utf-8", "replace")
                with open(%s, "a") as f:
                    f.write(json.dumps({"environ": environ, "fds": fds}) + "\\n")
                os.execv(%s, [%s] + sys.argv[1:])
                """.formatted(pyString(log.toString()), pyString(realGit), pyString(realGit)));
        assertTrue(spy.toFile().setExecutable(true));
        return Map.of("PATH", bin + ":" + sb.launcher.getParent() + ":" + System.getenv("PATH"), "LFS_CLOUD_TRACE", "1");
    }

    private static String pyString(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    /** The NUL-separated text of {@code /proc/PID/<what>}, NULs as spaces. */
    private static String proc(long pid, String what) throws IOException {
        return new String(Files.readAllBytes(Path.of("/proc/" + pid + "/" + what)), StandardCharsets.UTF_8).replace('\0', ' ');
    }

    /**
     * Starts the agent with {@code first} as git-lfs's first line, has it serve one download
     * (so the JVM runs, and has run git), and checks what other processes can see while it
     * waits for the next request.
     */
    private String serveOneWithFirstLine(String first, String expectedReply, String howPassed) throws Exception {
        Path log = tmp.resolve("spy-" + howPassed + ".jsonl");
        try (AgentProcess a = new AgentProcess(sb, clone, gitSpy(log))) {
            a.send(first);
            assertEquals(expectedReply, a.next().toString());
            a.send("{\"event\":\"download\",\"oid\":\"" + pushedOid + "\",\"size\":50000,\"action\":null}");
            JsonNode done = a.complete(pushedOid);
            assertFalse(done.has("error"), done.toString());

            String cmdline = proc(a.pid(), "cmdline");
            assertTrue(cmdline.contains("io.lfscloud.core.Main agent") && cmdline.contains(howPassed),
                    "the JVM itself, started the way under test: " + cmdline);
            assertFalse(cmdline.contains(SECRET) || cmdline.contains("example.com"),
                    "the first line is not in the arguments any user can read: " + cmdline);
            assertFalse(proc(a.pid(), "environ").contains(SECRET), "nor in the agent's environment");

            List<String> spied = Files.readAllLines(log);
            assertFalse(spied.isEmpty(), "the agent ran git");
            for (String line : spied) {
                JsonNode child = AgentProcess.JSON.readTree(line);
                assertFalse(child.path("environ").asText().contains(SECRET), "git does not inherit it in its environment");
                List<String> fds = new ArrayList<>();
                child.path("fds").fieldNames().forEachRemaining(fds::add);
                assertEquals(Set.of("0", "1", "2"), Set.copyOf(fds),
                        "git inherits no descriptor of the agent's (protocol, first line): " + child.path("fds"));
            }
            a.send("{\"event\":\"terminate\"}");
            assertEquals(0, a.exitCode(), a.stderr());
            assertEquals(List.of(), a.badLines());
            return a.stderr();
        }
    }

    @Test
    void theFirstLineWithCredentialsIsInNoArgumentsAndNoEnvironment() throws Exception {
        // the line git-lfs sends for a remote given as a URL: the launcher answers it
        String answered = "{\"event\":\"init\",\"operation\":\"download\",\"remote\":\"https://lfs-user:" + SECRET
                + "@example.com/team/repo.git\",\"concurrent\":true,\"concurrenttransfers\":8}";
        String err = serveOneWithFirstLine(answered, "{}", "--launcher-answered");
        assertTrue(err.contains("answered by the launcher), remote https://<redacted>@example.com/team/repo.git"), err);
        assertFalse(err.contains(SECRET), "nor in the trace: " + err);

        // one the launcher leaves to the agent, with what a shell would expand or unescape
        String remote = "https://lfs-user:" + SECRET + "@example.com/$(id) `id` ${HOME} \\\\ \\\\n %s'\\\"/repo.git";
        String unanswered = "{\"event\":\"init\",\"operation\":\"download\",\"remote\":\"" + remote
                + "\",\"protocol\":2,\"concurrencyMode\":\"basic\"}";
        err = serveOneWithFirstLine(unanswered, "{\"protocol\":2,\"concurrencyMode\":\"basic\"}", "--launcher-read");
        assertTrue(err.contains("remote https://<redacted>@example.com/$(id) `id` ${HOME} \\ \\n %s'\"/repo.git"),
                "the line arrived byte for byte: " + err);
        assertFalse(err.contains(SECRET), "nor in the trace: " + err);
    }

    // ------------------------------------------------------- unexpected errors

    /**
     * A folder store plugin for scheme {@code faulty} whose objects can hold a fault instead
     * of content: a stored file (or an upload's source) {@code FAULT <kind>} makes the
     * backend throw a RuntimeException, run out of memory (a real allocation larger than
     * the agent's heap) or overflow its stack.
     */
    private Path buildFaultyPlugin() throws IOException {
        Path plugins = tmp.resolve("plugins");
        Path work = Files.createDirectories(tmp.resolve("plugin-build"));
        String spi = "io.lfscloud.spi.StorageBackendProvider";
        PluginBuilder.jar(work, plugins.resolve("faulty/faulty.jar"), Map.of(
                "module-info.java", "module demo.faulty { requires io.lfscloud.spi; provides " + spi
                        + " with demo.faulty.Faulty; }",
                "demo/faulty/Faulty.java", """
                        package demo.faulty;

                        import io.lfscloud.spi.*;
                        import java.io.*;
                        import java.net.URI;
                        import java.nio.file.*;
                        import java.util.Set;

                        public final class Faulty implements StorageBackendProvider {
                            static volatile Object sink;

                            public String name() { return "faulty"; }
                            public Set<String> schemes() { return Set.of("faulty"); }

                            static int deeper(int n) { return deeper(n + 1) + 1; }

                            static void meetFault(Path p) throws IOException {
                                byte[] head = new byte[6];
                                try (InputStream in = Files.newInputStream(p)) {
                                    if (in.readNBytes(head, 0, 6) < 6 || !new String(head).equals("FAULT ")) {
                                        return;
                                    }
                                    switch (new String(in.readAllBytes()).strip()) {
                                        case "runtime" -> throw new IllegalStateException("the faulty plugin's bug");
                                        case "oom" -> sink = new long[1 << 28];
                                        case "stack" -> sink = deeper(0);
                                        default -> { }
                                    }
                                }
                            }

                            public StorageBackend open(io.lfscloud.spi.BackendContext context) {
                                return new StorageBackend() {
                                    public ObjectInfo stat(URI o) throws StorageException {
                                        try {
                                            return ObjectInfo.of(o, Files.size(Path.of(o.getPath())));
                                        } catch (IOException e) {
                                            throw new StorageException(StorageException.Kind.NOT_FOUND, e.toString());
                                        }
                                    }

                                    public InputStream read(URI o, long offset, ObjectInfo expected) throws StorageException {
                                        try {
                                            meetFault(Path.of(o.getPath()));
                                            InputStream in = Files.newInputStream(Path.of(o.getPath()));
                                            in.skipNBytes(offset);
                                            return in;
                                        } catch (IOException e) {
                                            throw new StorageException(StorageException.Kind.NOT_FOUND, e.toString());
                                        }
                                    }

                                    public boolean write(URI o, Path source, long size, String sha256, TransferListener progress)
                                            throws StorageException {
                                        try {
                                            meetFault(source);
                                            Files.createDirectories(Path.of(o.getPath()).getParent());
                                            Files.copy(source, Path.of(o.getPath()), StandardCopyOption.REPLACE_EXISTING);
                                            progress.transferred(size);
                                            return true;
                                        } catch (IOException e) {
                                            throw new StorageException(StorageException.Kind.MISCONFIGURED, e.toString());
                                        }
                                    }
                                };
                            }
                        }
                        """), Map.of(), List.of(PluginBuilder.spiJar()));
        Files.writeString(plugins.resolve("faulty/lfs-cloud-plugin.properties"), "schemes=faulty\n");
        return plugins;
    }

    /** What each fault is called in its object's error. */
    static final Map<String, String> FAULTS = Map.of(
            "runtime", "[500] internal error: java.lang.IllegalStateException: the faulty plugin's bug",
            "oom", "[500] internal error: the agent ran out of memory (java.lang.OutOfMemoryError: Java heap space)",
            "stack", "[500] internal error: stack overflow (java.lang.StackOverflowError)");

    /** A repository whose store is the faulty plugin's, and objects (oid → fault, or null) in that store. */
    private Map<String, String> faultyRepository(Path repo, Map<String, Long> sizes) throws IOException {
        sb.git(tmp, "init", "-q", repo.toString()).ok();
        sb.git(repo, "config", "lfs-cloud.store", "faulty://" + faultyStore).ok();
        Map<String, String> objects = new HashMap<>();
        List<String> kinds = new ArrayList<>(List.of("runtime", "oom", "stack"));
        kinds.add(null);
        for (String kind : kinds) {
            Path content = tmp.resolve("content-" + kind);
            String oid = Sandbox.writeRandom(content, 20_000, kinds.indexOf(kind) + 7);
            Path stored = Sandbox.objectPath(faultyStore, oid);
            Files.createDirectories(stored.getParent());
            if (kind == null) {
                Files.copy(content, stored, StandardCopyOption.REPLACE_EXISTING);
            } else {
                Files.writeString(stored, "FAULT " + kind);
            }
            objects.put(oid, kind);
            sizes.put(oid, 20_000L);
        }
        return objects;
    }

    /** Waits (a few seconds at most) until the agent's stderr, read on another thread, shows {@code text}. */
    private static void awaitStderr(AgentProcess a, String text) throws InterruptedException {
        for (int i = 0; i < 50 && !a.stderr().contains(text); i++) {
            Thread.sleep(100);
        }
        assertTrue(a.stderr().contains(text), "one line on stderr names it: " + text + "\n" + a.stderr());
    }

    private static void assertFailedWith(JsonNode complete, String kind) {
        String expected = FAULTS.get(kind);
        String got = "[" + complete.path("error").path("code").asInt() + "] " + complete.path("error").path("message").asText();
        assertTrue(got.startsWith(expected), got + "\nshould start with\n" + expected);
    }

    @Test
    void aPluginsUnexpectedFailureFailsOnlyItsObjectAndTheAgentServesTheNext() throws Exception {
        Path repo = tmp.resolve("faulty-v1");
        Map<String, Long> sizes = new HashMap<>();
        Map<String, String> objects = faultyRepository(repo, sizes);
        List<String> order = new ArrayList<>(objects.keySet());
        order.sort((x, y) -> objects.get(x) == null ? 1 : objects.get(y) == null ? -1 : x.compareTo(y));
        try (AgentProcess a = new AgentProcess(sb, repo)) {
            a.init("download");
            for (String oid : order) {
                a.send("{\"event\":\"download\",\"oid\":\"" + oid + "\",\"size\":" + sizes.get(oid) + ",\"action\":null}");
                JsonNode done = a.complete(oid);
                if (objects.get(oid) == null) {
                    assertFalse(done.has("error"), "served after the three failures: " + done);
                    assertEquals(oid, Sandbox.sha256(Path.of(done.path("path").asText())));
                } else {
                    assertFailedWith(done, objects.get(oid));
                }
            }
            a.send("{\"event\":\"terminate\"}");
            assertEquals(0, a.exitCode(), a.stderr());
            for (String kind : FAULTS.keySet()) {
                awaitStderr(a, FAULTS.get(kind).substring("[500] ".length()));
            }
        }

        // uploads: a source that makes the backend fail, then one that goes through
        try (AgentProcess a = new AgentProcess(sb, repo)) {
            a.init("upload");
            for (String kind : List.of("runtime", "oom", "stack")) {
                Path source = repo.resolve("up-" + kind);
                Files.writeString(source, "FAULT " + kind);
                String oid = Sandbox.sha256(source);
                a.send("{\"event\":\"upload\",\"oid\":\"" + oid + "\",\"size\":" + Files.size(source)
                        + ",\"path\":\"" + source.getFileName() + "\",\"action\":null}");
                assertFailedWith(a.complete(oid), kind);
            }
            Path source = repo.resolve("up-good");
            String oid = Sandbox.writeRandom(source, 30_000, 42);
            a.send("{\"event\":\"upload\",\"oid\":\"" + oid + "\",\"size\":30000,\"path\":\"up-good\",\"action\":null}");
            assertFalse(a.complete(oid).has("error"));
            assertEquals(oid, Sandbox.sha256(Sandbox.objectPath(faultyStore, oid)), "stored after the failures");
        }
    }

    @Test
    void inABatchEachFaultyItemFailsAloneAndTheNextBatchIsServed() throws Exception {
        Path repo = tmp.resolve("faulty-v2");
        Map<String, Long> sizes = new HashMap<>();
        Map<String, String> objects = faultyRepository(repo, sizes);
        List<ProtocolDriver.Item> items = objects.keySet().stream()
                .map(oid -> ProtocolDriver.Item.download(oid, sizes.get(oid))).toList();
        try (ProtocolDriver d = new ProtocolDriver(sb, repo)) {
            assertEquals("{\"protocol\":2,\"concurrencyMode\":\"batch\"}", d.init("download", 2, "batch").toString());
            for (String bid : List.of("first", "second")) {
                ProtocolDriver.BatchResult r = d.batch(bid, items);
                assertTrue(r.ok(), "the batch itself completes: " + r.batchComplete());
                for (Map.Entry<String, String> o : objects.entrySet()) {
                    JsonNode done = r.complete(o.getKey());
                    if (o.getValue() == null) {
                        assertFalse(done.has("error"), done.toString());
                        assertEquals(o.getKey(), Sandbox.sha256(Path.of(done.path("path").asText())));
                    } else {
                        assertFailedWith(done, o.getValue());
                    }
                }
            }
            d.terminate();
            assertEquals(0, d.agent.exitCode(), d.agent.stderr());
        }
    }

    @Test
    void gitLfsPullGetsEveryObjectAPluginDoesNotFailOn() throws Exception {
        // a repository whose pointers name the faulty store's objects, cloned as users do
        Path work = tmp.resolve("faulty-work");
        Map<String, Long> sizes = new HashMap<>();
        Map<String, String> objects = faultyRepository(work, sizes);
        sb.git(work, "lfs", "install", "--local").ok();
        sb.git(work, "lfs", "track", "*.bin").ok();
        Map<String, String> names = new HashMap<>();
        for (String oid : objects.keySet()) {
            String name = (objects.get(oid) == null ? "good" : objects.get(oid)) + ".bin";
            names.put(oid, name);
            Files.copy(tmp.resolve("content-" + objects.get(oid)), work.resolve(name));
        }
        sb.git(work, "add", ".").ok();
        sb.git(work, "commit", "-q", "-m", "objects in a faulty store").ok();

        Path pulled = tmp.resolve("faulty-clone");
        sb.run(tmp, Map.of("GIT_LFS_SKIP_SMUDGE", "1"), "git", "clone", "-q", work.toString(), pulled.toString()).ok();
        sb.run(pulled, "git", "lfs-cloud", "install", "--store", "faulty://" + faultyStore).ok();
        sb.git(pulled, "config", "lfs.concurrenttransfers", "1").ok(); // one agent serves them all
        Sandbox.Result r = sb.run(pulled, Map.of("GIT_TRACE", "1"), "git", "lfs", "pull").failed();
        for (Map.Entry<String, String> o : objects.entrySet()) {
            Path file = pulled.resolve(names.get(o.getKey()));
            if (o.getValue() == null) {
                assertEquals(o.getKey(), Sandbox.sha256(file), "the object the plugin does not fail on arrives");
            } else {
                assertTrue(Files.readString(file).startsWith("version https://git-lfs.github.com/spec/v1"),
                        "a failed object stays a pointer");
                assertTrue(r.err().contains(FAULTS.get(o.getValue()).substring("[500] ".length())),
                        "git-lfs shows why:\n" + r.err());
            }
        }
    }
}
