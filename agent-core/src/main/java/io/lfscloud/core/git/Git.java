package io.lfscloud.core.git;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
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
        List<String> command = new ArrayList<>(args.size() + 1);
        command.add("git");
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
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
        byte[] out = p.getInputStream().readAllBytes();
        try {
            int code = p.waitFor();
            errReader.join();
            return new Result(code, new String(out, StandardCharsets.UTF_8), errBytes.toString(StandardCharsets.UTF_8));
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
