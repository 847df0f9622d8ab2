package io.lfscloud.core.cli;

import io.lfscloud.core.Log;
import io.lfscloud.core.Printable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.List;
import java.util.Properties;

/** The {@code git-lfs-cloud} command line. */
@Command(name = "git-lfs-cloud",
        mixinStandardHelpOptions = true,
        versionProvider = Cli.Version.class,
        description = "Git LFS objects in any object store: a custom transfer agent and its tools.",
        subcommands = {
                AgentCommand.class,
                InstallCommand.class,
                StoreCommand.class,
                StoresCommands.Copy.class,
                StoresCommands.Whereis.class,
                StoresCommands.Fsck.class,
                UninstallCommand.class,
                CloneCommand.class,
                RemoteCommands.Track.class,
                RemoteCommands.Resolve.class,
                RemoteCommands.Verify.class,
                RemoteCommands.Status.class,
                TrustCommand.class,
                DoctorCommand.class,
                ServerCommand.class,
                BackendsCommand.class,
                VersionCommand.class,
                DocsCommands.Completion.class,
                DocsCommands.Man.class,
                CommandLine.HelpCommand.class,
        })
public final class Cli implements Runnable {

    /** Exit code for a failure. */
    public static final int FAILURE = 1;
    /** Exit code for bad usage (picocli's own default too). */
    public static final int USAGE = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** {@code --verbose}, shared by every command. */
    public static final class Verbosity {
        @Option(names = {"-v", "--verbose"}, description = "Show details and stack traces of errors.")
        void setVerbose(boolean verbose) {
            if (verbose) {
                Log.setVerbose(true);
            }
        }
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
    }

    /** Parses {@code args}, runs the command and returns the exit code. */
    public static int run(String[] args) {
        CommandLine cl = commandLine();
        cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            PrintWriter err = commandLine.getErr();
            int code = e instanceof CliException c ? c.exitCode() : FAILURE;
            String message = e.getMessage() == null ? e.toString() : e.getMessage();
            err.println("git-lfs-cloud: error: " + Printable.escape(message)); // may quote a repository's content
            if (Log.verbose()) {
                e.printStackTrace(err);
            } else if (!(e instanceof CliException)) {
                err.println("(run with --verbose or LFS_CLOUD_TRACE=1 for details)");
            }
            err.flush();
            return code;
        });
        return cl.execute(args);
    }

    /**
     * The command model: every command takes {@code --help}; only {@code git-lfs-cloud} itself
     * takes {@code --version} (picocli's standard options would give every subcommand a
     * {@code -V} that prints nothing).
     */
    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Cli());
        java.util.ArrayDeque<CommandLine> todo = new java.util.ArrayDeque<>(cl.getSubcommands().values());
        while (!todo.isEmpty()) {
            CommandLine sub = todo.pop();
            CommandLine.Model.OptionSpec version = sub.getCommandSpec().findOption("--version");
            if (version != null) {
                sub.getCommandSpec().remove(version);
            }
            todo.addAll(sub.getSubcommands().values());
        }
        CommandLine.IParameterExceptionHandler usage = cl.getParameterExceptionHandler();
        cl.setParameterExceptionHandler((e, arguments) -> {
            if (e instanceof CommandLine.UnmatchedArgumentException u && u.getCommandLine().getSubcommands().size() > 0
                    && !u.getUnmatched().isEmpty() && !u.getUnmatched().getFirst().startsWith("-")) {
                // an unknown command, in words, instead of picocli's "Unmatched arguments from index 0"
                CommandLine where = u.getCommandLine();
                String name = where.getCommandSpec().qualifiedName().replaceFirst("^git-lfs-cloud", "git lfs-cloud");
                PrintWriter err = where.getErr();
                err.println("git-lfs-cloud: error: '" + Printable.escape(u.getUnmatched().getFirst()) + "' is not a command of '"
                        + name + "' (see '" + name + " --help')");
                List<String> close = u.getSuggestions();
                if (!close.isEmpty()) {
                    err.println("did you mean: " + String.join(", ", close) + "?");
                }
                err.flush();
                return USAGE;
            }
            return usage.handleParseException(e, arguments);
        });
        return cl;
    }

    /** The product version, from the build. */
    public static String version() {
        Properties p = new Properties();
        try (InputStream in = Cli.class.getResourceAsStream("/io/lfscloud/core/version.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // fall through to "unknown"
        }
        return p.getProperty("version", "unknown");
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"lfs-cloud " + version() + " (Java " + Runtime.version() + ")"};
        }
    }
}
