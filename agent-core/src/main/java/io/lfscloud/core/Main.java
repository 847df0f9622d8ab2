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
        int code;
        if (isPlainAgent(args)) {
            code = runAgent(args.length > 1);
        } else {
            code = Cli.run(args);
        }
        System.exit(code);
    }

    /** {@code agent} alone or with {@code --verbose}/{@code -v}; anything else goes through the CLI. */
    private static boolean isPlainAgent(String[] args) {
        if (args.length == 0 || !args[0].equals("agent")) {
            return false;
        }
        return args.length == 1 || (args.length == 2 && (args[1].equals("--verbose") || args[1].equals("-v")));
    }

    /** Runs the transfer agent on the process's stdin and stdout. */
    public static int runAgent(boolean verbose) {
        // stdout belongs to the protocol: take it, then point System.out at stderr so that
        // nothing else (a library's println, a stray debug line) can ever corrupt it
        FileOutputStream protocolOut = new FileOutputStream(FileDescriptor.out);
        System.setOut(System.err);
        if (verbose) {
            Log.setVerbose(true);
        }
        Log.followGitTrace();
        Transfers transfers = new Transfers(Path.of("").toAbsolutePath());
        return new Agent(new FileInputStream(FileDescriptor.in), protocolOut, transfers).run();
    }
}
