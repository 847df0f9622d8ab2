package io.lfscloud.core.server;

import io.lfscloud.core.Log;
import io.lfscloud.core.agent.Agent;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/**
 * What git-lfs starts when the transfer server is on: a thin relay that connects to the
 * server of this build and environment (starting it when there is none, {@link ServerConnector}),
 * says which working directory and git variables it serves, and copies protocol bytes both
 * ways, noting what is in flight ({@link InFlight}). It loads no backend and builds no client.
 * When no server can be had it says why in one trace line and the agent serves in-process, as
 * without a server; when the server dies with requests in flight, those requests and every
 * later one are served in this process ({@link Fallback}).
 */
public final class Relay {

    private final OutputStream protocolOut;
    private final Agent.FirstLine firstLine;
    private final Object lock = new Object();
    private final InFlight inFlight = new InFlight();

    // ---- guarded by lock: where git-lfs's input goes once the server is gone
    private boolean local;
    private boolean stdinEnded;
    private Fallback.QueueInput localInput;

    private final ByteArrayOutputStream partialOut = new ByteArrayOutputStream();
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
        SocketChannel ch = ServerConnector.open(launcher, verbose, firstLine);
        if (ch == null) {
            return -1;
        }
        Log.trace("relaying to the transfer server");
        return new Relay(protocolOut, firstLine).relay(ch);
    }

    private int relay(SocketChannel ch) {
        inFlight.first(firstLine);
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
            ServerConnector.closeQuietly(ch);
            return 1;
        } catch (IOException e) {
            Log.trace("the transfer server's connection broke: " + e.getMessage());
        }
        return serveLocally();
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
                    inFlight.trackIn(buf, n);
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
                inFlight.fromServer(line);
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
     * The server is gone before saying its last word: this process serves the requests it
     * left unanswered (and terminate, if git-lfs sent it), then whatever git-lfs sends next.
     */
    private int serveLocally() {
        Fallback.awaitGone(serverPid);
        Fallback fallback;
        synchronized (lock) {
            local = true;
            localInput = new Fallback.QueueInput();
            fallback = new Fallback(inFlight, lock, protocolOut, localInput);
            if (stdinEnded) {
                localInput.end();
            }
            partialOut.reset();
        }
        return fallback.run();
    }
}
