package io.lfscloud.core.cli;

import io.lfscloud.core.server.TransferServer;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

/**
 * {@code server status} and {@code server stop}. ({@code server run}, which the relay starts,
 * is dispatched by {@code Main} before the command-line library is loaded.)
 */
@Command(name = "server", mixinStandardHelpOptions = true,
        description = {"The warm transfer server that git-lfs's agents relay to when lfs-cloud.server is true:"
                + " list or stop this user's running servers.",
                "A server starts on demand and exits when idle (lfs-cloud.server.idleTimeout)."},
        subcommands = {ServerCommand.Status.class, ServerCommand.Stop.class})
final class ServerCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: status or stop");
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "List this user's running servers: pid, build, uptime, connections, backends held, memory.")
    static final class Status implements Callable<Integer> {
        @Override
        public Integer call() {
            return TransferServer.command(new String[] {"server", "status"});
        }
    }

    @Command(name = "stop", mixinStandardHelpOptions = true,
            description = "Stop this user's running servers once the transfers they are serving end.")
    static final class Stop implements Callable<Integer> {
        @Override
        public Integer call() {
            return TransferServer.command(new String[] {"server", "stop"});
        }
    }
}
