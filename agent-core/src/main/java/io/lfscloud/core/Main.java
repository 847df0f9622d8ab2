package io.lfscloud.core;

import io.lfscloud.core.agent.Agent;
import io.lfscloud.core.agent.Transfers;
import io.lfscloud.core.cli.Cli;
import io.lfscloud.core.server.Relay;
import io.lfscloud.core.server.TransferServer;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Entry point of {@code git-lfs-cloud}. {@code agent} is dispatched before anything
 * else is loaded: git-lfs starts up to eight agents one after another and waits for
 * each init reply, so the command-line library stays off that path.
 */
public final class Main {

    /** Where the launcher puts git-lfs's end of the protocol (the stdout git-lfs gave it). */
    private static final int PROTOCOL_FD = 3;

    /** Where the launcher puts the first line it read, when it passes one on. */
    private static final int FIRST_LINE_FD = 4;

    private Main() {
    }

    public static void main(String[] args) {
        int code = args.length > 0 && args[0].equals("agent") ? plainAgent(args) : -1;
        if (code < 0 && args.length > 1 && args[0].equals("server") && args[1].equals("run")) {
            // the warm transfer server (see io.lfscloud.core.server), off the command-line library's path too
            code = TransferServer.run(args);
        }
        if (code < 0) {
            code = Cli.run(args);
        }
        System.exit(code);
    }

    /**
     * Runs {@code agent}, alone or with {@code --verbose}/{@code -v}, and with what the
     * launcher passes on (explained in one place, the comment block "How `agent` starts" in
     * {@code distribution/src/bin/git-lfs-cloud}): {@code --launcher-streams} when the
     * protocol is on descriptor 3 and stdout already goes to stderr, and at most one of
     * {@code --launcher-answered} (the first line, already answered with {@code {}}, is on
     * descriptor 4), {@code --launcher-read} (the first line, unanswered, is on descriptor 4)
     * and {@code --launcher-skipped-long-line}; -1 for anything else, which goes through the CLI.
     */
    private static int plainAgent(String[] args) {
        boolean verbose = false;
        boolean streams = false;
        String first = null;
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--verbose", "-v" -> verbose = true;
                case "--launcher-streams" -> streams = true;
                case "--launcher-answered", "--launcher-read", "--launcher-skipped-long-line" -> {
                    if (first != null) {
                        return -1;
                    }
                    first = args[i];
                }
                default -> {
                    return -1;
                }
            }
        }
        return runAgent(verbose, streams, first);
    }

    /** Runs the transfer agent on the process's stdin and stdout. */
    public static int runAgent(boolean verbose) {
        return runAgent(verbose, false, null);
    }

    private static int runAgent(boolean verbose, boolean streams, String first) {
        if (verbose) {
            Log.setVerbose(true);
        }
        Log.followGitTrace();
        FileOutputStream protocolOut;
        Agent.FirstLine firstLine = null;
        try {
            // the protocol's stream is taken first; System.out then points at stderr so that
            // nothing else (a library's println, a stray debug line) can ever corrupt it
            protocolOut = streams ? new FileOutputStream(inherited(PROTOCOL_FD), true) : new FileOutputStream(FileDescriptor.out);
            System.setOut(System.err);
            if ("--launcher-skipped-long-line".equals(first)) {
                firstLine = new Agent.FirstLine(null, false);
            } else if (first != null) {
                firstLine = new Agent.FirstLine(launcherLine(), first.equals("--launcher-answered"));
            }
        } catch (IOException | RuntimeException | LinkageError e) {
            Log.error("internal error: cannot take over what the launcher passed on: " + e, e);
            return 1;
        }
        if (streams) {
            // started by git-lfs through the launcher: relay to the warm server when it is on
            int relayed = Relay.run(verbose, firstLine, protocolOut);
            if (relayed >= 0) {
                return relayed;
            }
        }
        Transfers transfers = new Transfers(Path.of("").toAbsolutePath());
        return new Agent(new FileInputStream(FileDescriptor.in), protocolOut, transfers).run(firstLine);
    }

    /** The first line the launcher read, from its descriptor (which is closed after). */
    private static String launcherLine() throws IOException {
        byte[] bytes;
        try (FileInputStream in = new FileInputStream(inherited(FIRST_LINE_FD))) {
            bytes = in.readNBytes(Agent.MAX_LINE + 1);
        }
        if (bytes.length == 0 || bytes[bytes.length - 1] != '\n') {
            throw new IOException("the first line on descriptor " + FIRST_LINE_FD + " is incomplete");
        }
        return new String(bytes, 0, bytes.length - 1, StandardCharsets.UTF_8);
    }

    /**
     * An open descriptor the process inherited, by its name in {@code /proc/self/fd} (java.io
     * has no public way to adopt a descriptor by number). Opening it there gives a second
     * handle on the same pipe; the protocol's is opened for appending, so that a file given
     * as the launcher's stdout keeps the launcher's own reply in front.
     */
    private static String inherited(int fd) {
        return "/proc/self/fd/" + fd;
    }
}
