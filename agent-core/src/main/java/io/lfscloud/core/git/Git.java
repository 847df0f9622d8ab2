package io.lfscloud.core.git;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Runs the {@code git} command and captures what it prints. */
public final class Git {

    private Git() {
    }

    /**
     * git's own variables (GIT_DIR, GIT_CONFIG_*, …) of the agent this thread serves, when the
     * transfer server serves it: they replace the server's own for every git it runs, on this
     * thread and the threads it starts.
     */
    private static final InheritableThreadLocal<Map<String, String>> CONNECTION_ENV = new InheritableThreadLocal<>();

    /** Runs this thread's (and its future threads') git with these GIT_* variables; {@code null} ends it. */
    public static void useGitEnvironment(Map<String, String> gitVariables) {
        if (gitVariables == null) {
            CONNECTION_ENV.remove();
        } else {
            CONNECTION_ENV.set(Map.copyOf(gitVariables));
        }
    }

    /** Gives a process this thread's GIT_* variables (those of the agent it serves, in the transfer server). */
    static void useConnectionEnvironment(ProcessBuilder pb) {
        Map<String, String> connection = CONNECTION_ENV.get();
        if (connection != null) {
            pb.environment().keySet().removeIf(name -> name.startsWith("GIT_"));
            pb.environment().putAll(connection);
        }
    }

    /** A GIT_* variable as the git this thread runs sees it ({@code null}: unset). */
    static String variable(String name) {
        Map<String, String> connection = CONNECTION_ENV.get();
        return connection != null ? connection.get(name) : System.getenv(name);
    }

    /** The outcome of one git command. */
    public record Result(int exitCode, String out, String err) {
        public boolean ok() {
            return exitCode == 0;
        }

        /** The first line of stderr, or a generic text, for error messages. */
        public String firstErrorLine() {
            String e = err.strip();
            int nl = e.indexOf('\n');
            return e.isEmpty() ? "git exited with " + exitCode : (nl < 0 ? e : e.substring(0, nl));
        }
    }

    /** Runs {@code git args…} in {@code dir}, stdin closed, output captured. */
    public static Result run(Path dir, List<String> args) throws IOException {
        return run(dir, args, Map.of());
    }

    /** Runs {@code git args…} in {@code dir} with extra environment variables. */
    public static Result run(Path dir, List<String> args, Map<String, String> env) throws IOException {
        Raw r = exec(dir, args, env, null);
        return new Result(r.exitCode, new String(r.out, StandardCharsets.UTF_8), r.err);
    }

    /** Runs {@code git args…} in {@code dir} with {@code input} on its stdin. */
    public static Result run(Path dir, List<String> args, byte[] input) throws IOException {
        Raw r = exec(dir, args, Map.of(), input);
        return new Result(r.exitCode, new String(r.out, StandardCharsets.UTF_8), r.err);
    }

    /** The bytes of a blob, exactly (no decoding), or {@code null} when git cannot show it. */
    public static byte[] blob(Path dir, String object) throws IOException {
        Raw r = exec(dir, List.of("cat-file", "blob", object), Map.of(), null);
        return r.exitCode == 0 ? r.out : null;
    }

    private record Raw(int exitCode, byte[] out, String err) {
    }

    private static Raw exec(Path dir, List<String> args, Map<String, String> env, byte[] input) throws IOException {
        List<String> command = new ArrayList<>(args.size() + 1);
        command.add("git");
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
        if (input == null) {
            pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        }
        useConnectionEnvironment(pb);
        pb.environment().putAll(env);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new IOException("cannot run git: " + e.getMessage(), e);
        }
        // stderr is small; read it on a virtual thread so neither pipe can fill up
        ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
        Thread errReader = Thread.ofVirtual().start(() -> copy(p.getErrorStream(), errBytes));
        if (input != null) {
            Thread.ofVirtual().start(() -> {
                try (OutputStream stdin = p.getOutputStream()) {
                    stdin.write(input);
                } catch (IOException e) {
                    // git stopped reading: its exit code says why
                }
            });
        }
        byte[] out = p.getInputStream().readAllBytes();
        try {
            int code = p.waitFor();
            errReader.join();
            return new Raw(code, out, errBytes.toString(StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            p.destroy();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running git", e);
        }
    }

    private static void copy(InputStream in, ByteArrayOutputStream out) {
        try (in) {
            in.transferTo(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
