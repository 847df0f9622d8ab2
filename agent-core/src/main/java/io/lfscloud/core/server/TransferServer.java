package io.lfscloud.core.server;

import io.lfscloud.core.Log;
import io.lfscloud.core.agent.Agent;
import io.lfscloud.core.agent.Transfers;
import io.lfscloud.core.git.Git;
import io.lfscloud.core.git.Repository;
import io.lfscloud.core.plugin.BackendRegistry;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The warm transfer server ({@code git lfs-cloud server run}, started by the first relay
 * that needs it): serves the transfer protocol for every relay that connects to its Unix
 * domain socket, one {@link Agent} per connection on its own threads, with the storage
 * backends (module layers, SDK clients, connection pools) and compiled code shared between
 * connections. Each connection brings its working directory, git's variables and its
 * tracing flag; its diagnostics go back to its own relay. It exits after an idle time
 * without connections, or on {@code server stop} once its connections have ended.
 */
public final class TransferServer {

    /** How long a server waits without agents before it gives unused heap back. */
    private static final long TRIM_AFTER_NANOS = 5_000_000_000L;

    /** How often a connection with transfers in flight checks that its relay is still there. */
    private static final long WATCH_MILLIS = 200;

    /** How long cancelled transfers have to stop by themselves before their threads are interrupted. */
    private static final long INTERRUPT_AFTER_MILLIS = 2_000;

    /** The default idle time before a server without connections exits. */
    static final long DEFAULT_IDLE_SECONDS = 300;

    private final ServerDir dir;
    private final String key;
    private final Path socket;
    private final long started = System.currentTimeMillis();
    private final AtomicInteger active = new AtomicInteger();
    private final AtomicLong served = new AtomicLong();
    private final AtomicLong lastChange = new AtomicLong(System.nanoTime());
    private volatile long idleSeconds;
    private volatile boolean stopping;
    /** Backends shared between connections: one registry per plugin path (it keys backends by their settings). */
    private final Map<String, BackendRegistry> registries = new ConcurrentHashMap<>();
    /** When each running agent connection began ({@link System#nanoTime()}). */
    private final Map<Object, Long> agentsSince = new ConcurrentHashMap<>();
    private long lastEviction = System.nanoTime();
    /** The {@link #lastChange} after which the heap was last given back. */
    private long trimmedFor;
    private ServerSocketChannel listener;
    private Object socketFileKey;

    private TransferServer(ServerDir dir, String key, long idleSeconds) {
        this.dir = dir;
        this.key = key;
        this.socket = dir.socket(key);
        this.idleSeconds = idleSeconds;
    }

    /** {@code server run [--idle SECONDS]}: listens until idle or stopped. */
    public static int run(String[] args) {
        long idle = DEFAULT_IDLE_SECONDS;
        for (int i = 2; i < args.length; i++) {
            if (args[i].equals("--idle") && i + 1 < args.length) {
                idle = parseIdle(args[++i]).orElse(DEFAULT_IDLE_SECONDS);
            }
        }
        Map<String, String> env = System.getenv();
        TransferServer server;
        try {
            server = new TransferServer(ServerDir.open(env), ServerDir.key(env), idle);
            server.listen();
        } catch (IOException e) {
            Log.error("server: cannot listen: " + e.getMessage(), e);
            return 1;
        }
        server.serve();
        return 0;
    }

    /** An idle time in seconds ({@code 0}: exit when the last agent disconnects), or empty when invalid. */
    static Optional<Long> parseIdle(String value) {
        try {
            long v = Long.parseLong(value.strip());
            return v >= 0 && v <= 86_400 ? Optional.of(v) : Optional.empty();
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private void listen() throws IOException {
        listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        listener.bind(UnixDomainSocketAddress.of(socket));
        socketFileKey = Files.readAttributes(socket, java.nio.file.attribute.BasicFileAttributes.class,
                java.nio.file.LinkOption.NOFOLLOW_LINKS).fileKey();
        Runtime.getRuntime().addShutdownHook(new Thread(this::removeSocket));
        // into the server's log file (its stderr), always: tests and users find its pid there
        System.err.println("lfs-cloud: server: listening on " + socket + " (pid " + ProcessHandle.current().pid() + ")");
        System.err.flush();
    }

    /** Deletes the socket file, if it is still this server's (a later server may have replaced it). */
    private void removeSocket() {
        try {
            Object now = Files.readAttributes(socket, java.nio.file.attribute.BasicFileAttributes.class,
                    java.nio.file.LinkOption.NOFOLLOW_LINKS).fileKey();
            if (now != null && now.equals(socketFileKey)) {
                Files.deleteIfExists(socket);
            }
        } catch (IOException e) {
            // gone already
        }
    }

    private void serve() {
        Thread watchdog = Thread.ofPlatform().daemon().name("server-idle").start(this::watch);
        while (!stopping) {
            SocketChannel ch;
            try {
                ch = listener.accept();
            } catch (IOException e) {
                if (!stopping) {
                    Log.error("server: accept failed: " + e.getMessage(), e);
                }
                break;
            }
            Thread.ofPlatform().daemon().name("server-connection").start(() -> connection(ch));
        }
        try {
            watchdog.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Exits once idle long enough, or once stopped and without connections; closes stale backends. */
    private void watch() {
        while (true) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                return;
            }
            if (System.nanoTime() - lastEviction > 1_000_000_000L) {
                lastEviction = System.nanoTime();
                closeStaleBackends();
            }
            if (active.get() > 0) {
                continue;
            }
            long idleNanos = System.nanoTime() - lastChange.get();
            if (idleNanos > TRIM_AFTER_NANOS && trimmedFor != lastChange.get()) {
                // without agents for a while: the heap they needed goes back to the system
                // (the launcher has the collector shrink it at once and trim malloc's arenas)
                trimmedFor = lastChange.get();
                System.gc();
            }
            boolean everServed = served.get() > 0;
            if (stopping || (idleSeconds == 0 ? everServed || idleNanos > 10_000_000_000L
                    : idleNanos >= idleSeconds * 1_000_000_000L)) {
                Log.trace("server: exiting (" + (stopping ? "stopped" : "idle") + ")");
                removeSocket();
                for (BackendRegistry r : registries.values()) {
                    r.closePinned();
                }
                System.exit(0);
            }
        }
    }

    /**
     * Closes the backends nobody asked for during the idle time (at least a second), such as
     * one opened with settings that changed since; never one handed out to an agent still
     * running (only those last handed out before the oldest running agent began are closed).
     */
    private void closeStaleBackends() {
        long cutoff = System.nanoTime() - Math.max(idleSeconds, 1) * 1_000_000_000L;
        for (long since : agentsSince.values()) {
            if (since - cutoff < 0) {
                cutoff = since;
            }
        }
        for (BackendRegistry r : registries.values()) {
            int closed = r.closeUnusedSince(cutoff);
            if (closed > 0) {
                Log.trace("server: closed " + closed + " storage backends unused for the idle time");
            }
        }
    }

    private void connection(SocketChannel ch) {
        try (ch) {
            InputStream in = Wire.input(ch);
            Wire.FrameWriter frames = new Wire.FrameWriter(Wire.output(ch));
            Map<String, String> header;
            try {
                header = Wire.readHeader(in);
            } catch (IOException e) {
                return; // not a relay of this build: nothing to say to it
            }
            switch (header.getOrDefault("kind", "")) {
                case "agent" -> agent(header, in, frames);
                case "status" -> text(frames, status());
                case "stop" -> {
                    stopping = true;
                    text(frames, "stopping server " + ProcessHandle.current().pid() + " (" + active.get()
                            + " agent connections still running)\n");
                    removeSocket();
                    try {
                        listener.close();
                    } catch (IOException e) {
                        // closing is best effort
                    }
                }
                default -> {
                }
            }
        } catch (IOException e) {
            Log.trace("server: connection ended: " + e.getMessage());
        }
    }

    private static void text(Wire.FrameWriter frames, String text) throws IOException {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        frames.frame(Wire.TEXT, b, 0, b.length);
    }

    private String status() {
        long uptime = (System.currentTimeMillis() - started) / 1000;
        return "pid " + ProcessHandle.current().pid() + ", build " + ServerDir.version() + ", up " + uptime + " s, "
                + active.get() + " connections (" + served.get() + " served), "
                + "backends open: " + registries.values().stream().mapToInt(BackendRegistry::openBackends).sum() + ", "
                + rssMegabytes() + " MB resident, idle timeout " + idleSeconds + " s, socket "
                + socket + "\n";
    }

    static long rssMegabytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // unknown
        }
        return -1;
    }

    private void agent(Map<String, String> header, InputStream in, Wire.FrameWriter frames) throws IOException {
        Object me = new Object();
        agentsSince.put(me, System.nanoTime());
        active.incrementAndGet();
        lastChange.set(System.nanoTime());
        // the relay waits for this pid to be gone before serving in-process what it left
        text(frames, "pid " + ProcessHandle.current().pid());
        parseIdle(header.getOrDefault("idle", "")).ifPresent(v -> idleSeconds = v);
        PrintStream err = new PrintStream(frames.stream(Wire.ERR), true, StandardCharsets.UTF_8);
        Map<String, String> gitEnv = new HashMap<>();
        header.forEach((k, v) -> {
            if (k.startsWith("env.GIT_")) {
                gitEnv.put(k.substring(4), v);
            }
        });
        Log.enter(new Log.Scope(err, "1".equals(header.get("verbose"))));
        Git.useGitEnvironment(gitEnv);
        int code;
        try {
            Agent.FirstLine first = switch (header.getOrDefault("first", "none")) {
                case "answered" -> new Agent.FirstLine(header.get("line"), true);
                case "read" -> new Agent.FirstLine(header.get("line"), false);
                case "skipped" -> new Agent.FirstLine(null, false);
                default -> null;
            };
            Transfers transfers = new Transfers(Path.of(header.get("cwd")), this::registryFor, null);
            OutputStream out = frames.stream(Wire.OUT);
            java.util.concurrent.CountDownLatch ended = new java.util.concurrent.CountDownLatch(1);
            Thread watcher = Thread.ofVirtual().name("server-relay-watch").start(() -> watchRelay(frames, transfers, ended));
            try {
                code = new Agent(in, out, transfers).run(first);
            } finally {
                ended.countDown();
                watcher.join();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            code = 1;
        } catch (RuntimeException | Error e) {
            Log.error("internal error in the transfer server: " + e, e);
            code = 1;
        } finally {
            Log.enter(null);
            Git.useGitEnvironment(null);
            served.incrementAndGet();
            lastChange.set(System.nanoTime());
            active.decrementAndGet();
            agentsSince.remove(me);
        }
        byte[] exit = {(byte) code};
        frames.frame(Wire.EXIT, exit, 0, 1);
    }

    /**
     * Cancels a connection's transfers once its relay is gone (git-lfs killed or interrupted,
     * the relay with it): nobody is left to take their answers, and an interrupted agent in
     * process would have deleted its temp files on its way out. The transfers stop at their next
     * buffer or retry; those still running a while later (blocked where no bytes move) are
     * interrupted. While transfers run, a relay that heard nothing lately is pinged.
     */
    private static void watchRelay(Wire.FrameWriter frames, Transfers transfers, java.util.concurrent.CountDownLatch ended) {
        try {
            while (!ended.await(WATCH_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                if (!transfers.busy() || frames.alive(WATCH_MILLIS * 1_000_000)) {
                    continue;
                }
                Log.trace("server: the relay is gone: cancelling its transfers");
                transfers.cancel();
                if (!ended.await(INTERRUPT_AFTER_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                    transfers.interruptRunning();
                }
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The shared registry for a repository's plugin path. It opens a backend per provider, scope
     * and the value of every setting that backend read (URL-policy switches and retry settings
     * included), so repositories share warm clients only where their settings agree.
     */
    private BackendRegistry registryFor(Repository repo) {
        Optional<String> pluginPath = repo.setting("lfs-cloud.pluginPath");
        return registries.computeIfAbsent(pluginPath.orElse(""), x -> BackendRegistry.load(pluginPath, true).pin());
    }

    /** {@code server status} and {@code server stop}: asks every server of this user. */
    public static int command(String[] args) {
        String what = args.length > 1 ? args[1] : "";
        if (!what.equals("status") && !what.equals("stop") || args.length > 2) {
            System.err.println("usage: git lfs-cloud server status|stop");
            return 2;
        }
        ServerDir sd;
        try {
            sd = ServerDir.open(System.getenv());
        } catch (IOException e) {
            System.err.println("lfs-cloud: " + e.getMessage());
            return 1;
        }
        int found = 0;
        try (var list = Files.list(sd.dir)) {
            for (Path p : list.sorted().toList()) {
                if (!p.getFileName().toString().endsWith(".sock") || !ServerDir.ownSocket(p)) {
                    continue;
                }
                String answer = ServerConnector.ask(p, what);
                if (answer != null) {
                    found++;
                    System.out.print(answer);
                } else if (ServerConnector.refused(p)) {
                    Files.deleteIfExists(p); // its server is gone (killed): nobody listens there
                }
            }
        } catch (IOException e) {
            System.err.println("lfs-cloud: cannot list " + sd.dir + ": " + e.getMessage());
            return 1;
        }
        if (found == 0) {
            System.out.println("no lfs-cloud server is running");
        }
        System.out.flush();
        return 0;
    }
}
