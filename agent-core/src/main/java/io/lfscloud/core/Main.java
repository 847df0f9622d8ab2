package io.lfscloud.core;

import io.lfscloud.core.agent.Agent;
import io.lfscloud.core.agent.Transfers;
import io.lfscloud.core.cli.Cli;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.nio.file.Path;

/**
 * Entry point of {@code git-lfs-cloud}. {@code agent} is dispatched before anything
 * else is loaded: git-lfs starts up to eight agents one after another and waits for
 * each init reply, so the command-line library stays off that path.
 */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
        int code = args.length > 0 && args[0].equals("agent") ? plainAgent(args) : -1;
        if (code < 0) {
            code = Cli.run(args);
        }
        System.exit(code);
    }

    /**
     * Runs {@code agent}, alone or with {@code --verbose}/{@code -v}, and with the first line
     * the launcher read ({@code --launcher-answered LINE} when it already replied {@code {}},
     * {@code --launcher-read LINE} when it did not, {@code --launcher-skipped-long-line} when
     * the line was too long to pass on); -1 for anything else, which goes
     * through the CLI.
     */
    private static int plainAgent(String[] args) {
        boolean verbose = false;
        Agent.FirstLine first = null;
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--verbose", "-v" -> verbose = true;
                case "--launcher-answered", "--launcher-read" -> {
                    if (first != null || i + 1 == args.length) {
                        return -1;
                    }
                    first = new Agent.FirstLine(args[i + 1], args[i].equals("--launcher-answered"));
                    i++;
                }
                case "--launcher-skipped-long-line" -> {
                    if (first != null) {
                        return -1;
                    }
                    first = new Agent.FirstLine(null, false);
                }
                default -> {
                    return -1;
                }
            }
        }
        return runAgent(verbose, first);
    }

    /** Runs the transfer agent on the process's stdin and stdout. */
    public static int runAgent(boolean verbose) {
        return runAgent(verbose, null);
    }

    private static int runAgent(boolean verbose, Agent.FirstLine first) {
        // stdout belongs to the protocol: take it, then point System.out at stderr so that
        // nothing else (a library's println, a stray debug line) can ever corrupt it
        FileOutputStream protocolOut = new FileOutputStream(FileDescriptor.out);
        System.setOut(System.err);
        if (verbose) {
            Log.setVerbose(true);
        }
        Log.followGitTrace();
        Transfers transfers = new Transfers(Path.of("").toAbsolutePath());
        return new Agent(new FileInputStream(FileDescriptor.in), protocolOut, transfers).run(first);
    }
}
