package io.lfscloud.core.server;

import io.lfscloud.core.Log;
import io.lfscloud.core.agent.Agent;
import io.lfscloud.core.git.ConfigValues;
import io.lfscloud.core.git.Git;

import java.io.BufferedInputStream;
import java.io.File;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The relay's way to its server: whether the server is on, connecting to the server of this
 * build and environment or starting it (one relay at a time), and the header that tells it
 * which working directory, git variables and first line the connection serves. Also the
 * one-shot requests of {@code server status} and {@code server stop}.
 */
final class ServerConnector {

    /** Longest wait for a server being started by this or another relay. */
    private static final long START_MILLIS = 15_000;

    private ServerConnector() {
    }

    /**
     * A connection to the server that took the header, or {@code null} when the agent should
     * serve in-process (the reason traced, or warned about when the server folder is refused).
     */
    static SocketChannel open(String launcher, boolean verbose, Agent.FirstLine firstLine) {
        Settings settings = settings();
        if (!settings.on) {
            return null;
        }
        Map<String, String> env = System.getenv();
        SocketChannel ch;
        try {
            ServerDir dir = ServerDir.open(env);
            ch = connectOrStart(dir, ServerDir.key(env), launcher, settings.idle);
        } catch (ServerDir.Refused e) {
            Log.warn(e.getMessage() + "; serving without the transfer server");
            return null;
        } catch (IOException | RuntimeException e) {
            Log.trace("no transfer server (" + e.getMessage() + "): serving in this process");
            return null;
        }
        Map<String, String> header = new LinkedHashMap<>();
        header.put("kind", "agent");
        header.put("cwd", Path.of("").toAbsolutePath().toString());
        header.put("verbose", verbose || Log.verbose() ? "1" : "0");
        header.put("idle", Long.toString(settings.idle));
        if (firstLine != null) {
            header.put("first", firstLine.line() == null ? "skipped" : firstLine.answered() ? "answered" : "read");
            if (firstLine.line() != null) {
                header.put("line", firstLine.line());
            }
        }
        env.forEach((k, v) -> {
            if (k.startsWith("GIT_")) {
                header.put("env." + k, v);
            }
        });
        try {
            Wire.writeHeader(Wire.output(ch), header);
        } catch (IOException e) {
            Log.trace("the transfer server did not take the connection (" + e.getMessage() + "): serving in this process");
            closeQuietly(ch);
            return null;
        }
        return ch;
    }

    private record Settings(boolean on, long idle) {
    }

    /** {@code LFS_CLOUD_SERVER}, else git config {@code lfs-cloud.server} (off unless set). */
    private static Settings settings() {
        String envValue = System.getenv("LFS_CLOUD_SERVER");
        ConfigValues cfg = ConfigValues.EMPTY;
        try {
            Git.Result r = Git.run(Path.of("").toAbsolutePath(), List.of("config", "-z", "--get-regexp", "^lfs-cloud\\.server"));
            if (r.exitCode() == 0) {
                cfg = ConfigValues.parseNulSeparated(r.out());
            }
        } catch (IOException e) {
            // no git: no settings
        }
        Optional<String> value = envValue != null && !envValue.isEmpty() ? Optional.of(envValue) : cfg.get("lfs-cloud.server");
        boolean on = value.map(v -> switch (v.strip().toLowerCase(Locale.ROOT)) {
            case "1", "true", "yes", "on" -> true;
            default -> false;
        }).orElse(false);
        long idle = cfg.get("lfs-cloud.server.idleTimeout").flatMap(TransferServer::parseIdle)
                .orElse(TransferServer.DEFAULT_IDLE_SECONDS);
        return new Settings(on, idle);
    }

    // ------------------------------------------------------------------ connecting

    private static SocketChannel tryConnect(Path socket) throws IOException {
        try {
            if (!ServerDir.ownSocket(socket)) {
                throw new ServerDir.Refused("refusing " + socket + ": not a socket of yours");
            }
        } catch (NoSuchFileException e) {
            return null;
        }
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.connect(UnixDomainSocketAddress.of(socket));
            return ch;
        } catch (IOException e) {
            ch.close();
            return null;
        }
    }

    /** Connects to the server of {@code key}, starting it (one relay at a time, under a lock) when there is none. */
    static SocketChannel connectOrStart(ServerDir dir, String key, String launcher, long idle) throws IOException {
        Path socket = dir.socket(key);
        SocketChannel ch = tryConnect(socket);
        if (ch != null) {
            return ch;
        }
        long deadline = System.nanoTime() + START_MILLIS * 1_000_000;
        try (FileChannel lockFile = FileChannel.open(dir.lock(key), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            FileLock held = null;
            while (held == null) {
                held = lockFile.tryLock();
                if (held == null) {
                    if (System.nanoTime() > deadline) {
                        throw new IOException("another relay is still starting the server");
                    }
                    pause(20);
                }
            }
            try {
                ch = tryConnect(socket); // started by the relay that held the lock
                if (ch != null) {
                    return ch;
                }
                Files.deleteIfExists(socket); // stale: its server is gone
                Process server = start(dir, key, launcher, idle);
                while (System.nanoTime() < deadline) {
                    ch = tryConnect(socket);
                    if (ch != null) {
                        Log.trace("started the transfer server (pid " + server.pid() + ")");
                        return ch;
                    }
                    if (!server.isAlive()) {
                        throw new IOException("the server exited with " + server.exitValue() + " (see " + dir.log(key) + ")");
                    }
                    pause(10);
                }
                throw new IOException("the server did not answer within " + START_MILLIS / 1000 + " s");
            } finally {
                held.release();
            }
        }
    }

    private static Process start(ServerDir dir, String key, String launcher, long idle) throws IOException {
        List<String> cmd = new ArrayList<>();
        // its own session: git-lfs's Ctrl-C and process group are not the server's
        if (new File("/usr/bin/setsid").canExecute()) {
            cmd.add("/usr/bin/setsid");
        }
        cmd.addAll(List.of(launcher, "server", "run", "--idle", Long.toString(idle)));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.dir.toFile());
        pb.environment().keySet().removeIf(name -> name.startsWith("GIT_"));
        pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.redirectOutput(ProcessBuilder.Redirect.to(dir.log(key).toFile()));
        pb.redirectErrorStream(true);
        return pb.start();
    }

    /** Asks the server at {@code socket} for its status or to stop; {@code null} when none answers. */
    static String ask(Path socket, String kind) {
        SocketChannel ch;
        try {
            ch = tryConnect(socket);
        } catch (IOException e) {
            return null;
        }
        if (ch == null) {
            return null;
        }
        try (ch) {
            Wire.writeHeader(Wire.output(ch), Map.of("kind", kind));
            Wire.Frame f = Wire.Frame.read(new BufferedInputStream(Wire.input(ch)));
            return f != null && f.type() == Wire.TEXT ? new String(f.data(), StandardCharsets.UTF_8) : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** Whether nobody listens on {@code socket} (a server killed without removing it). */
    static boolean refused(Path socket) {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            return false;
        } catch (java.net.ConnectException e) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static void closeQuietly(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException e) {
            // nothing to do
        }
    }
}
