package io.lfscloud.core.git;

import io.lfscloud.core.Log;
import io.lfscloud.spi.Credentials.Authorization;
import io.lfscloud.spi.StorageException;
import io.lfscloud.spi.StorageException.Kind;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The Git LFS server of an SSH remote, asked for as git-lfs asks: {@code ssh [-p PORT] [user@]host
 * "git-lfs-authenticate PATH OPERATION"}, whose JSON answer gives the Batch API endpoint
 * ({@code href}), the headers that authenticate requests to it ({@code header}) and how long they
 * hold ({@code expires_in} seconds or {@code expires_at}). The ssh program is git-lfs's choice:
 * {@code GIT_SSH_COMMAND} (a shell command), else {@code GIT_SSH} (a program), else git config
 * {@code core.sshCommand} (a shell command), else {@code ssh}; PuTTY's {@code plink} (by name, or
 * {@code GIT_SSH_VARIANT}/{@code ssh.variant}) takes the port as {@code -P}. A host or path that ssh
 * or the server's shell would read as something else (a leading '-', shell characters) is refused
 * before anything runs. An answer is kept per operation until 5 seconds before it expires. When the
 * server has no {@code git-lfs-authenticate} (exit 127, "command not found"), the endpoint is
 * git-lfs's guess, {@code https://host/path}, with git's credentials. The headers are never
 * written, printed or traced.
 */
final class SshAuthentication {

    /** Reads git-lfs-authenticate's answers (strict on duplicate members; never quotes them in errors). */
    private static final com.fasterxml.jackson.databind.ObjectMapper ANSWERS = com.fasterxml.jackson.databind.json.JsonMapper
            .builder().enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .disable(com.fasterxml.jackson.core.StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION).build();

    private static final Duration MARGIN = Duration.ofSeconds(5);
    private static final long TIMEOUT_SECONDS = 120;
    private static final int MAX_ANSWER = 1 << 20;

    private final Path workTree;
    private final SshRemote remote;
    /** Answers per operation; empty optional: the server has no git-lfs-authenticate. Guarded by {@code this}. */
    private final Map<String, Answer> answers = new HashMap<>();

    record Answer(Optional<Authorization> authorization, Instant expires) {
    }

    SshAuthentication(Path workTree, SshRemote remote) {
        this.workTree = workTree;
        this.remote = remote;
    }

    synchronized Optional<Authorization> authorization(String operation, boolean renew) throws StorageException {
        Answer a = answers.get(operation);
        if (a != null && !renew && (a.expires() == null || Instant.now().plus(MARGIN).isBefore(a.expires()))) {
            return a.authorization();
        }
        a = ask(operation);
        answers.put(operation, a);
        return a.authorization();
    }

    private Answer ask(String operation) throws StorageException {
        if (!operation.equals("download") && !operation.equals("upload")) {
            throw new IllegalArgumentException("operation " + operation);
        }
        String refusal = remote.refusal();
        if (refusal != null) {
            throw new StorageException(Kind.MISCONFIGURED, "refusing the SSH remote " + remote + ": " + refusal);
        }
        List<String> command = command(operation);
        ProcessBuilder pb = new ProcessBuilder(command).directory(workTree.toFile());
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Git.useConnectionEnvironment(pb);
        long start = System.nanoTime();
        Instant asked = Instant.now();
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new StorageException(Kind.MISCONFIGURED, "cannot run " + command.getFirst() + " for the SSH remote "
                    + remote + ": " + e.getMessage(), e);
        }
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Thread errReader = Thread.ofVirtual().start(() -> drain(p.getErrorStream(), err));
        byte[] out;
        int code;
        try {
            out = p.getInputStream().readNBytes(MAX_ANSWER);
            p.getInputStream().close();
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new StorageException(Kind.TRANSIENT, "ssh to " + remote.userAndHost() + " (git-lfs-authenticate) gave no"
                        + " answer in " + TIMEOUT_SECONDS + " s");
            }
            code = p.exitValue();
            errReader.join(1000);
        } catch (IOException e) {
            p.destroyForcibly();
            throw new StorageException(Kind.TRANSIENT, "ssh to " + remote.userAndHost() + " broke off: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new StorageException(Kind.TRANSIENT, "interrupted while waiting for ssh to " + remote.userAndHost(), e);
        }
        String stderr;
        synchronized (err) {
            stderr = err.toString(StandardCharsets.UTF_8).strip();
        }
        Log.trace("ssh " + remote.userAndHost() + (remote.port() == null ? "" : " port " + remote.port())
                + " git-lfs-authenticate " + remote.path() + " " + operation + ": exit " + code + " in "
                + (System.nanoTime() - start) / 1_000_000 + " ms");
        if (code != 0) {
            if (unavailable(code, stderr)) {
                Log.trace("the SSH server has no git-lfs-authenticate: using " + remote.guessedUrl() + " with git's credentials");
                return new Answer(Optional.empty(), null);
            }
            String line = firstLine(stderr);
            Kind kind = code == 255 && line.toLowerCase(Locale.ROOT).contains("permission denied") ? Kind.ACCESS_DENIED
                    : code == 255 ? Kind.TRANSIENT : Kind.MISCONFIGURED;
            throw new StorageException(kind, "ssh " + remote.userAndHost() + " git-lfs-authenticate " + remote.path() + " "
                    + operation + " failed (exit " + code + ")" + (line.isEmpty() ? "" : ": " + line));
        }
        return parse(new String(out, StandardCharsets.UTF_8), asked);
    }

    /** git-lfs's reading of "the server has no such command". */
    private static boolean unavailable(int code, String stderr) {
        if (code == 127) {
            return true;
        }
        String s = stderr.toLowerCase(Locale.ROOT);
        return s.contains("git-lfs-authenticate: not found") || s.contains("git-lfs-authenticate: command not found")
                || s.contains("git-lfs-authenticate: no such file") || s.contains("command not found: git-lfs-authenticate");
    }

    /** The answer of git-lfs-authenticate: {@code href}, {@code header}, {@code expires_in} or {@code expires_at}. */
    Answer parse(String json, Instant asked) throws StorageException {
        com.fasterxml.jackson.databind.JsonNode o;
        try {
            o = ANSWERS.readTree(json.strip());
        } catch (java.io.IOException e) {
            o = null;
        }
        if (o == null || !o.isObject()) {
            // the answer may hold a token: its text is not shown
            throw new StorageException(Kind.MISCONFIGURED, "git-lfs-authenticate on " + remote.userAndHost()
                    + " gave no valid JSON answer");
        }
        URI href;
        if (o.path("href").isTextual() && !o.path("href").asText().isBlank()) {
            String h = o.path("href").asText();
            try {
                href = new URI(h.strip().replaceAll("/+$", ""));
            } catch (URISyntaxException e) {
                throw new StorageException(Kind.MISCONFIGURED, "git-lfs-authenticate on " + remote.userAndHost()
                        + " gave an invalid href");
            }
            String scheme = href.getScheme() == null ? "" : href.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https") || href.getHost() == null) {
                throw new StorageException(Kind.MISCONFIGURED, "git-lfs-authenticate on " + remote.userAndHost()
                        + " gave an href that is not an http(s) URL");
            }
        } else {
            href = URI.create(remote.guessedUrl());
        }
        Map<String, String> headers = new LinkedHashMap<>();
        if (o.path("header").isObject()) {
            for (Map.Entry<String, com.fasterxml.jackson.databind.JsonNode> e : o.path("header").properties()) {
                if (e.getValue().isTextual() && safeHeader(e.getKey(), e.getValue().asText())) {
                    headers.put(e.getKey(), e.getValue().asText());
                }
            }
        }
        Instant expires = null;
        if (o.path("expires_in").canConvertToLong() && o.path("expires_in").isIntegralNumber()
                && o.path("expires_in").asLong() != 0) {
            expires = asked.plusSeconds(o.path("expires_in").asLong());
        } else if (o.path("expires_at").isTextual()) {
            try {
                expires = Instant.parse(o.path("expires_at").asText());
            } catch (DateTimeParseException e) {
                expires = null; // as git-lfs, what cannot be read does not expire
            }
        }
        return new Answer(Optional.of(new Authorization(href, headers)), expires);
    }

    private static boolean safeHeader(String name, String value) {
        return !name.isEmpty() && name.chars().allMatch(c -> c > 0x20 && c < 0x7f && c != ':')
                && value.chars().noneMatch(c -> c == '\r' || c == '\n' || c == 0)
                && !name.equalsIgnoreCase("Host") && !name.equalsIgnoreCase("Content-Length");
    }

    /** The ssh command line, as git-lfs builds it. */
    List<String> command(String operation) throws StorageException {
        String remoteCommand = "git-lfs-authenticate " + remote.path() + " " + operation;
        String shellCommand = nonEmpty(Git.variable("GIT_SSH_COMMAND"));
        String program = null;
        if (shellCommand == null) {
            program = nonEmpty(Git.variable("GIT_SSH"));
            if (program == null) {
                shellCommand = nonEmpty(config("core.sshCommand"));
            }
        }
        String base = program != null ? program : shellCommand != null ? firstWord(shellCommand) : "ssh";
        boolean putty = isPutty(base);
        List<String> args = new ArrayList<>();
        if (variant(base).equals("tortoiseplink")) {
            args.add("-batch");
        }
        if (remote.port() != null) {
            args.add(putty ? "-P" : "-p");
            args.add(remote.port());
        }
        args.add(remote.userAndHost());
        args.add(remoteCommand);
        List<String> command = new ArrayList<>();
        if (shellCommand != null) {
            // as git does: the shell runs the configured command with the arguments appended
            command.addAll(List.of("sh", "-c", shellCommand + " \"$@\"", shellCommand));
        } else {
            command.add(program != null ? program : "ssh");
        }
        command.addAll(args);
        return command;
    }

    private boolean isPutty(String base) throws StorageException {
        String v = variant(base);
        return v.equals("putty") || v.equals("plink") || v.equals("tortoiseplink");
    }

    /** {@code GIT_SSH_VARIANT}, else {@code ssh.variant}, else by the program's name. */
    private String variant(String base) throws StorageException {
        String v = nonEmpty(Git.variable("GIT_SSH_VARIANT"));
        if (v == null) {
            v = nonEmpty(config("ssh.variant"));
        }
        if (v != null && !v.equalsIgnoreCase("auto")) {
            v = v.toLowerCase(Locale.ROOT);
            return v.equals("plink") ? "putty" : v;
        }
        String name = base.substring(base.lastIndexOf('/') + 1).toLowerCase(Locale.ROOT);
        int dot = name.lastIndexOf('.');
        if (dot > 0) {
            name = name.substring(0, dot);
        }
        return name.equals("plink") ? "putty" : name.equals("tortoiseplink") ? "tortoiseplink" : "ssh";
    }

    private final Map<String, Optional<String>> config = new HashMap<>();

    private String config(String key) throws StorageException {
        Optional<String> v = config.get(key);
        if (v == null) {
            try {
                Git.Result r = Git.run(workTree, List.of("config", "--get", key));
                v = r.ok() ? Optional.of(r.out().strip()) : Optional.empty();
            } catch (IOException e) {
                throw new StorageException(Kind.MISCONFIGURED, "cannot read git config " + key + ": " + e.getMessage(), e);
            }
            config.put(key, v);
        }
        return v.orElse(null);
    }

    private static String firstWord(String shellCommand) {
        String s = shellCommand.strip();
        if (s.startsWith("'") || s.startsWith("\"")) {
            int end = s.indexOf(s.charAt(0), 1);
            return end < 0 ? s.substring(1) : s.substring(1, end);
        }
        int space = s.indexOf(' ');
        return space < 0 ? s : s.substring(0, space);
    }

    private static String nonEmpty(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        String line = nl < 0 ? s : s.substring(0, nl);
        StringBuilder sb = new StringBuilder();
        line.codePoints().limit(200).forEach(c -> sb.appendCodePoint(c < 0x20 || c == 0x7f ? '?' : c));
        return sb.toString();
    }

    private static void drain(InputStream in, ByteArrayOutputStream out) {
        try (in) {
            byte[] b = new byte[8192];
            for (int n; (n = in.read(b)) > 0; ) {
                synchronized (out) {
                    if (out.size() < 64 * 1024) {
                        out.write(b, 0, n);
                    }
                }
            }
        } catch (IOException e) {
            // ssh's exit code says enough
        }
    }
}
