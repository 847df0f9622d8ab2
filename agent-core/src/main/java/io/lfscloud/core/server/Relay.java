package io.lfscloud.core.server;

import io.lfscloud.core.Log;
import io.lfscloud.core.agent.Agent;
import io.lfscloud.core.agent.Transfers;
import io.lfscloud.core.git.ConfigValues;
import io.lfscloud.core.git.Git;
import io.lfscloud.core.json.Json;
import io.lfscloud.core.json.JsonException;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
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
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * What git-lfs starts when the transfer server is on: a thin relay that connects to the
 * server of this build and environment (starting it when there is none), says which
 * working directory and git variables it serves, and copies protocol bytes both ways. It
 * loads no backend and builds no client. When no server can be had it says why in one trace
 * line and the agent serves in-process, as without a server; when the server dies with
 * requests in flight, those requests and every later one are served in this process.
 */
public final class Relay {

    /** Longest wait for a server being started by this or another relay. */
    private static final long START_MILLIS = 15_000;

    private final OutputStream protocolOut;
    private final Agent.FirstLine firstLine;
    private final Object lock = new Object();

    // ---- what the relay has seen, to serve in-process whatever the server leaves unanswered
    private boolean local;
    private String initLine;
    private boolean initAnsweredByLauncher;
    private boolean initReplied;
    private boolean sawTerminate;
    private long seq;
    /** Requests forwarded without a final answer, in order: key ("O:oid" or "B:bid") and line. */
    private final LinkedHashMap<Long, String[]> pending = new LinkedHashMap<>();
    /** Per batch in flight, its items already answered (oid to the path answered, or ""). */
    private final Map<String, Map<String, String>> answered = new HashMap<>();
    /** Batches already answered whole. */
    private final Set<String> batchesAnswered = new HashSet<>();
    /** The files the server handed over to git-lfs lately, which git-lfs may not have moved yet. */
    private final Set<String> handedOver = java.util.Collections.newSetFromMap(new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > 4096;
        }
    });
    /** The last {@code bytesSoFar} git-lfs was told, per object ("O:oid") or batch ("B:bid") in flight. */
    private final Map<String, Long> progressSent = new HashMap<>();
    private final ByteArrayOutputStream partialIn = new ByteArrayOutputStream();
    private boolean partialInTooLong;
    private final ByteArrayOutputStream partialOut = new ByteArrayOutputStream();
    private boolean stdinEnded;
    private QueueInput localInput;
    private long serverPid = -1;

    private Relay(OutputStream protocolOut, Agent.FirstLine firstLine) {
        this.protocolOut = protocolOut;
        this.firstLine = firstLine;
    }

    /**
     * Serves through the server when it is on and can be had: the exit code; -1 when the
     * agent should serve in-process (nothing has been read from stdin then).
     */
    public static int run(boolean verbose, Agent.FirstLine firstLine, OutputStream protocolOut) {
        String launcher = System.getProperty("lfscloud.launcher");
        if (launcher == null) {
            return -1;
        }
        Settings settings = settings();
        if (!settings.on) {
            return -1;
        }
        Map<String, String> env = System.getenv();
        SocketChannel ch;
        try {
            ServerDir dir = ServerDir.open(env);
            ch = connectOrStart(dir, ServerDir.key(env), launcher, settings.idle);
        } catch (ServerDir.Refused e) {
            Log.warn(e.getMessage() + "; serving without the transfer server");
            return -1;
        } catch (IOException | RuntimeException e) {
            Log.trace("no transfer server (" + e.getMessage() + "): serving in this process");
            return -1;
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
            return -1;
        }
        Log.trace("relaying to the transfer server");
        return new Relay(protocolOut, firstLine).relay(ch);
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

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException e) {
            // nothing to do
        }
    }

    // ------------------------------------------------------------------ relaying

    private int relay(SocketChannel ch) {
        if (firstLine != null && firstLine.line() != null) {
            trackIn(firstLine.line());
            initAnsweredByLauncher = firstLine.answered() && initLine != null;
        }
        OutputStream toServer = Wire.output(ch);
        Thread pump = Thread.ofPlatform().daemon().name("relay-stdin").start(() -> pump(ch, toServer));
        InputStream fromServer = new BufferedInputStream(Wire.input(ch), 1 << 16);
        try {
            while (true) {
                Wire.Frame f = Wire.Frame.read(fromServer);
                if (f == null) {
                    break;
                }
                switch (f.type()) {
                    case Wire.OUT -> fromServer(f.data());
                    case Wire.ERR -> {
                        System.err.write(f.data());
                        System.err.flush();
                    }
                    case Wire.TEXT -> {
                        String text = new String(f.data(), StandardCharsets.UTF_8);
                        if (text.startsWith("pid ")) {
                            serverPid = Long.parseLong(text.substring(4).strip());
                        }
                    }
                    case Wire.EXIT -> {
                        return f.data().length > 0 ? f.data()[0] : 0;
                    }
                    default -> {
                    }
                }
            }
        } catch (GitLfsGone e) {
            // nobody is left to answer: closing the connection has the server cancel its transfers
            Log.trace("cannot write to git-lfs (" + e.getMessage() + "): ending the connection");
            closeQuietly(ch);
            return 1;
        } catch (IOException e) {
            Log.trace("the transfer server's connection broke: " + e.getMessage());
        }
        return serveLocally(pump);
    }

    /** git-lfs's end of the protocol stream (stdout) is closed: git-lfs is gone. */
    private static final class GitLfsGone extends IOException {
        GitLfsGone(IOException cause) {
            super(cause.getMessage(), cause);
        }
    }

    /** Copies git-lfs's input to the server (or, once it is gone, to the in-process agent). */
    private void pump(SocketChannel ch, OutputStream toServer) {
        InputStream stdin = new FileInputStream(FileDescriptor.in);
        byte[] buf = new byte[1 << 16];
        boolean serverBroken = false;
        try {
            int n;
            while ((n = stdin.read(buf)) >= 0) {
                boolean toLocal;
                synchronized (lock) {
                    trackIn(buf, n);
                    toLocal = local;
                    if (toLocal) {
                        localInput.add(java.util.Arrays.copyOf(buf, n));
                    }
                }
                if (!toLocal && !serverBroken) {
                    try {
                        toServer.write(buf, 0, n);
                    } catch (IOException e) {
                        serverBroken = true; // the reader sees the end and replays what was tracked
                    }
                }
            }
        } catch (IOException e) {
            Log.trace("cannot read from git-lfs: " + e.getMessage());
        }
        synchronized (lock) {
            stdinEnded = true;
            if (local) {
                localInput.end();
            }
        }
        try {
            ch.shutdownOutput();
        } catch (IOException e) {
            // the server is gone
        }
    }

    private void trackIn(byte[] buf, int n) {
        int start = 0;
        for (int i = 0; i < n; i++) {
            if (buf[i] == '\n') {
                appendPartial(buf, start, i - start);
                if (!partialInTooLong) {
                    trackIn(partialIn.toString(StandardCharsets.UTF_8));
                }
                partialIn.reset();
                partialInTooLong = false;
                start = i + 1;
            }
        }
        appendPartial(buf, start, n - start);
    }

    private void appendPartial(byte[] buf, int off, int len) {
        if (partialInTooLong) {
            return;
        }
        if (partialIn.size() + len > Agent.MAX_LINE) {
            partialInTooLong = true;
            partialIn.reset();
            return;
        }
        partialIn.write(buf, off, len);
    }

    /** Notes a request line (or init, terminate, a batch's lines) forwarded to the server. */
    private void trackIn(String line) {
        if (!line.contains("\"event\"")) {
            return;
        }
        Map<String, Object> msg;
        try {
            msg = Json.parseObject(line.endsWith("\r") ? line.substring(0, line.length() - 1) : line);
        } catch (JsonException e) {
            return;
        }
        Object event = msg.get("event");
        Object oid = msg.get("oid");
        Object bid = msg.get("bid");
        if ("init".equals(event)) {
            if (initLine == null) {
                initLine = line;
            }
        } else if ("terminate".equals(event)) {
            sawTerminate = true;
        } else if (bid instanceof String b && ("batch-header".equals(event) || "batch-footer".equals(event)
                || "upload".equals(event) || "download".equals(event))) {
            pending.put(seq++, new String[] {"B:" + b, line});
        } else if (oid instanceof String o && ("upload".equals(event) || "download".equals(event))) {
            pending.put(seq++, new String[] {"O:" + o, line});
        }
    }

    /** Passes the server's complete lines on to git-lfs, noting the answers. */
    private void fromServer(byte[] data) throws IOException {
        byte[] ready;
        synchronized (lock) {
            partialOut.write(data);
            byte[] all = partialOut.toByteArray();
            int end = lastNewline(all);
            if (end < 0) {
                return;
            }
            ready = java.util.Arrays.copyOf(all, end + 1);
            partialOut.reset();
            partialOut.write(all, end + 1, all.length - end - 1);
            for (String line : new String(ready, StandardCharsets.UTF_8).split("\n")) {
                initReplied = true;
                trackOut(line, false);
            }
        }
        try {
            protocolOut.write(ready);
            protocolOut.flush();
        } catch (IOException e) {
            throw new GitLfsGone(e);
        }
    }

    private static int lastNewline(byte[] b) {
        for (int i = b.length - 1; i >= 0; i--) {
            if (b[i] == '\n') {
                return i;
            }
        }
        return -1;
    }

    /**
     * Notes an answer. For the in-process agent that took over ({@code replayed}) it returns
     * the line to pass on to git-lfs, or {@code null} when git-lfs must not see it: a
     * {@code complete} or {@code batch-complete} the server already gave (a file downloaded
     * again for it is deleted), a {@code progress} at or below what git-lfs was already told
     * (one above is passed on with {@code bytesSinceLast} counted from there), so that git-lfs
     * sees one answer per request and progress that never goes back.
     */
    private String trackOut(String line, boolean replayed) {
        boolean progress = line.contains("\"progress\"");
        if (!progress && !line.contains("complete\"")) {
            return line;
        }
        Map<String, Object> msg;
        try {
            msg = Json.parseObject(line);
        } catch (JsonException e) {
            return line;
        }
        Object event = msg.get("event");
        Object oid = msg.get("oid");
        Object bid = msg.get("bid");
        if ("progress".equals(event) && msg.get("bytesSoFar") instanceof Number n) {
            String key = bid instanceof String b ? "B:" + b : oid instanceof String o ? "O:" + o : null;
            if (key == null) {
                return line;
            }
            Long before = progressSent.get(key);
            long soFar = n.longValue();
            if (before != null && soFar <= before) {
                return replayed ? null : line;
            }
            progressSent.put(key, soFar);
            if (!replayed || before == null) {
                return line;
            }
            Map<String, Object> rewritten = new LinkedHashMap<>();
            rewritten.put("event", "progress");
            rewritten.put(key.substring(0, 1).equals("B") ? "bid" : "oid", key.substring(2));
            rewritten.put("bytesSoFar", soFar);
            rewritten.put("bytesSinceLast", soFar - before);
            return Json.write(rewritten);
        } else if ("complete".equals(event) && oid instanceof String o) {
            String path = msg.get("path") instanceof String p ? p : "";
            if (!replayed && !path.isEmpty()) {
                handedOver.add(path);
            }
            if (bid instanceof String b) {
                String given = answered.computeIfAbsent(b, x -> new HashMap<>()).putIfAbsent(o, path);
                if (given != null && replayed) {
                    if (!path.isEmpty() && !path.equals(given)) {
                        deleteQuietly(path); // the server's answer named another copy
                    }
                    return null;
                }
                return line;
            }
            removeFirst("O:" + o);
            progressSent.remove("O:" + o);
        } else if ("batch-complete".equals(event) && bid instanceof String b) {
            boolean repeat = !batchesAnswered.add(b);
            answered.remove(b); // its items are answered: none comes again
            pending.values().removeIf(p -> p[0].equals("B:" + b));
            progressSent.remove("B:" + b);
            return repeat && replayed ? null : line;
        }
        return line;
    }

    private static void deleteQuietly(String path) {
        try {
            Files.deleteIfExists(Path.of(path));
        } catch (IOException | RuntimeException e) {
            Log.trace("cannot delete " + path + ": " + e.getMessage());
        }
    }

    private void removeFirst(String key) {
        Iterator<String[]> it = pending.values().iterator();
        while (it.hasNext()) {
            if (it.next()[0].equals(key)) {
                it.remove();
                return;
            }
        }
    }

    /**
     * The server is gone before saying its last word: this process serves the requests it
     * left unanswered (and terminate, if git-lfs sent it), then whatever git-lfs sends next.
     */
    private int serveLocally(Thread pump) {
        // its temp files are swept as those of a dead process only once it is gone
        long until = System.nanoTime() + 3_000_000_000L;
        while (serverPid > 0 && ProcessHandle.of(serverPid).isPresent()
                && System.nanoTime() < until) {
            pause(10);
        }
        Agent.FirstLine replayFirst;
        boolean dropReply;
        synchronized (lock) {
            local = true;
            localInput = new QueueInput();
            Log.trace("the transfer server went away with " + pending.size()
                    + " requests unanswered: serving them and the rest in this process");
            StringBuilder replay = new StringBuilder();
            for (String[] p : pending.values()) {
                replay.append(p[1]).append('\n');
            }
            if (sawTerminate) {
                replay.append("{\"event\":\"terminate\"}\n");
            }
            localInput.add(replay.toString().getBytes(StandardCharsets.UTF_8));
            if (!partialInTooLong && partialIn.size() > 0) {
                localInput.add(partialIn.toByteArray());
            }
            if (stdinEnded) {
                localInput.end();
            }
            if (initLine == null) {
                replayFirst = null;
                dropReply = false;
            } else if (initAnsweredByLauncher) {
                replayFirst = new Agent.FirstLine(initLine, true);
                dropReply = false;
            } else {
                replayFirst = new Agent.FirstLine(initLine, false);
                dropReply = initReplied;
            }
            partialOut.reset();
            // the server's finished files are git-lfs's now: not its leftovers to sweep
            handedOver.forEach(p -> io.lfscloud.core.temp.TempFiles.spare(Path.of(p)));
        }
        OutputStream filtered = new OutputStream() {
            private final ByteArrayOutputStream line = new ByteArrayOutputStream();
            private boolean drop = dropReply;

            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                for (int i = off; i < off + len; i++) {
                    line.write(b[i]);
                    if (b[i] == '\n') {
                        String text = line.toString(StandardCharsets.UTF_8);
                        line.reset();
                        String pass;
                        synchronized (lock) {
                            pass = trackOut(text.strip(), true);
                        }
                        if (drop) {
                            drop = false;
                        } else if (pass != null) {
                            protocolOut.write((pass + "\n").getBytes(StandardCharsets.UTF_8));
                        }
                    }
                }
                protocolOut.flush();
            }
        };
        Transfers transfers = new Transfers(Path.of("").toAbsolutePath());
        return new Agent(localInput, filtered, transfers).run(replayFirst);
    }

    /** The in-process agent's input: what was replayed, then what git-lfs sends next. */
    private static final class QueueInput extends InputStream {
        private static final byte[] END = new byte[0];
        private final LinkedBlockingQueue<byte[]> queue = new LinkedBlockingQueue<>();
        private byte[] current = new byte[0];
        private int pos;
        private boolean ended;

        void add(byte[] b) {
            if (b.length > 0) {
                queue.add(b);
            }
        }

        void end() {
            queue.add(END);
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            while (pos >= current.length) {
                if (ended) {
                    return -1;
                }
                try {
                    current = queue.take();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted", e);
                }
                pos = 0;
                if (current == END) {
                    ended = true;
                }
            }
            int n = Math.min(len, current.length - pos);
            System.arraycopy(current, pos, b, off, n);
            pos += n;
            return n;
        }
    }
}
