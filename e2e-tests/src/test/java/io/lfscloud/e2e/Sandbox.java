package io.lfscloud.e2e;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A scratch world for one test: its own HOME (so no git config leaks in or out), the
 * built lfs-cloud on PATH, and helpers to run real git and git-lfs in it.
 */
final class Sandbox {

    /** The product under test, built by the distribution module. */
    static final Path IMAGE = Path.of(System.getProperty("lfscloud.image", "../distribution/target/lfs-cloud"))
            .toAbsolutePath().normalize();
    static final Path LAUNCHER = IMAGE.resolve("bin/git-lfs-cloud");
    /** Whether the suite runs with the transfer server on ({@code -Dlfscloud.test.server=true}). */
    static final boolean SERVER = Boolean.getBoolean("lfscloud.test.server");

    final Path root;
    final Path home;
    final Path launcher;
    /** Where this sandbox's transfer servers listen ({@code LFS_CLOUD_SERVER_DIR}). */
    final Path serverDir;
    private final Map<String, String> env = new HashMap<>();

    Sandbox(Path root) throws IOException {
        this(root, IMAGE);
    }

    /** A sandbox whose {@code git lfs-cloud} is the product at {@code image} (a copy, say). */
    Sandbox(Path root, Path image) throws IOException {
        this.launcher = image.resolve("bin/git-lfs-cloud");
        if (!Files.isExecutable(launcher)) {
            fail("the product is not built: " + launcher + " is missing (run the build first)");
        }
        this.root = root;
        this.home = Files.createDirectories(root.resolve("home"));
        env.put("HOME", home.toString());
        env.put("XDG_CONFIG_HOME", home.resolve(".config").toString());
        env.put("GIT_CONFIG_NOSYSTEM", "1");
        env.put("PATH", launcher.getParent() + ":" + System.getenv("PATH"));
        env.put("GIT_TERMINAL_PROMPT", "0");
        // git-lfs makes temp folders in TMPDIR: inside the sandbox, so nothing is left in /tmp
        env.put("TMPDIR", Files.createDirectories(root.resolve("tmp")).toString());
        // the transfer server's sockets too: a test never meets another test's server
        serverDir = root.resolve("srv");
        Files.createDirectories(serverDir, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
        env.put("LFS_CLOUD_SERVER_DIR", serverDir.toString());
        if (Boolean.getBoolean("lfscloud.test.server")) {
            // the whole suite through the transfer server: servers exit with their last agent
            env.put("LFS_CLOUD_SERVER", "1");
        }
        Files.writeString(home.resolve(".gitconfig"), """
                [user]
                \tname = lfs-cloud tests
                \temail = tests@lfs-cloud.invalid
                [init]
                \tdefaultBranch = main
                [advice]
                \tdetachedHead = false
                """ + (Boolean.getBoolean("lfscloud.test.server") ? "[lfs-cloud \"server\"]\n\tidleTimeout = 0\n" : ""));
    }

    /** The pids of the transfer servers running for this sandbox's environment (from {@code server status}). */
    List<Long> serverPids() {
        List<Long> pids = new ArrayList<>();
        for (String line : run(root, launcher.toString(), "server", "status").ok().out().split("\n")) {
            if (line.startsWith("pid ")) {
                pids.add(Long.parseLong(line.substring(4, line.indexOf(','))));
            }
        }
        return pids;
    }

    /** Stops every transfer server of this sandbox (and kills one that does not stop within 30 s). */
    void stopServers() {
        List<ProcessHandle> running = new ArrayList<>();
        try (var socks = Files.list(serverDir)) {
            for (Path sock : socks.filter(p -> p.toString().endsWith(".log")).toList()) {
                for (String line : Files.readAllLines(sock)) {
                    int at = line.indexOf("(pid ");
                    if (at >= 0) {
                        ProcessHandle.of(Long.parseLong(line.substring(at + 5, line.indexOf(')', at)))).ifPresent(running::add);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        run(root, launcher.toString(), "server", "stop");
        for (ProcessHandle h : running) {
            try {
                h.onExit().get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                h.destroyForcibly();
            }
        }
    }

    /** Sets an environment variable for every later command. */
    void env(String name, String value) {
        env.put(name, value);
    }

    /**
     * Points this user's S3 backend at a test server: its endpoint in the global git config (a
     * repository may not choose where credentials go) and credentials it accepts in the environment.
     */
    void useS3(String endpoint) {
        env("AWS_ACCESS_KEY_ID", "test-key");
        env("AWS_SECRET_ACCESS_KEY", "test-secret");
        env("AWS_REGION", "us-east-1");
        env("AWS_EC2_METADATA_DISABLED", "true");
        git(root, "config", "--global", "lfs-cloud.s3.endpoint", endpoint).ok();
    }

    /** What a command did. */
    record Result(List<String> command, int exitCode, String out, String err) {
        Result ok() {
            if (exitCode != 0) {
                fail(String.join(" ", command) + " exited " + exitCode + "\nstdout:\n" + out + "\nstderr:\n" + err);
            }
            return this;
        }

        Result failed() {
            if (exitCode == 0) {
                fail(String.join(" ", command) + " succeeded but should have failed\nstdout:\n" + out + "\nstderr:\n" + err);
            }
            return this;
        }

        String all() {
            return out + err;
        }
    }

    /** Runs a command in {@code dir} and waits (at most 5 minutes). */
    Result run(Path dir, String... command) {
        return run(dir, Map.of(), command);
    }

    Result run(Path dir, Map<String, String> extraEnv, String... command) {
        try {
            ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
            pb.environment().putAll(env);
            pb.environment().putAll(extraEnv);
            pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            Process p = pb.start();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            Thread a = Thread.ofVirtual().start(() -> copy(p.getInputStream(), out));
            Thread b = Thread.ofVirtual().start(() -> copy(p.getErrorStream(), err));
            if (!p.waitFor(5, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                fail(String.join(" ", command) + " did not finish in 5 minutes");
            }
            a.join();
            b.join();
            return new Result(List.of(command), p.exitValue(), out.toString(StandardCharsets.UTF_8),
                    err.toString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Starts a process with this sandbox's environment, without waiting. */
    Process start(Path dir, Map<String, String> extraEnv, String... command) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
        pb.environment().putAll(env);
        pb.environment().putAll(extraEnv);
        return pb.start();
    }

    private static void copy(InputStream in, OutputStream out) {
        try (in) {
            in.transferTo(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Result git(Path dir, String... args) {
        List<String> cmd = new ArrayList<>(List.of("git"));
        cmd.addAll(List.of(args));
        return run(dir, cmd.toArray(String[]::new));
    }

    /**
     * A bare origin and a working repository with lfs-cloud installed, tracking
     * {@code *.bin}, whose committed {@code .lfs-meta/config} names a folder store.
     */
    Project project(String name) throws IOException {
        Path origin = root.resolve(name + "-origin.git");
        Path work = root.resolve(name);
        Path store = root.resolve(name + "-store");
        git(root, "init", "-q", "--bare", origin.toString()).ok();
        git(root, "init", "-q", work.toString()).ok();
        run(work, "git", "lfs-cloud", "install", "--store", store.toUri().toString(), "--shared", "--create").ok();
        git(work, "lfs", "track", "*.bin").ok();
        git(work, "remote", "add", "origin", origin.toString()).ok();
        return new Project(origin, work, store);
    }

    record Project(Path origin, Path work, Path store) {
    }

    /** Writes {@code size} pseudo-random bytes (seeded, so reproducible) and returns their SHA-256. */
    static String writeRandom(Path file, long size, long seed) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Random random = new Random(seed);
        MessageDigest sha = sha256();
        byte[] buf = new byte[1 << 16];
        try (OutputStream out = Files.newOutputStream(file)) {
            long left = size;
            while (left > 0) {
                int n = (int) Math.min(buf.length, left);
                random.nextBytes(buf);
                out.write(buf, 0, n);
                sha.update(buf, 0, n);
                left -= n;
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    static String sha256(Path file) throws IOException {
        MessageDigest sha = sha256();
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                sha.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Where a content-addressed store or git-lfs keeps object {@code oid}. */
    static Path objectPath(Path base, String oid) {
        return base.resolve(oid.substring(0, 2)).resolve(oid.substring(2, 4)).resolve(oid);
    }

    static void assertSameContent(Path expected, Path actual) throws IOException {
        assertEquals(Files.size(expected), Files.size(actual), "size of " + actual);
        assertEquals(sha256(expected), sha256(actual), "content of " + actual);
    }
}
