package io.lfscloud.core.cli;

import io.lfscloud.core.Main;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.concurrent.Callable;

/**
 * Only reached for {@code agent --help} and misuse: a plain {@code agent} is dispatched
 * by {@link Main} before picocli is loaded.
 */
@Command(name = "agent", mixinStandardHelpOptions = true,
        description = {"Run the Git LFS custom transfer agent on stdin/stdout.",
                "git-lfs starts it; 'git lfs-cloud install' configures that. Diagnostics go to stderr,"
                        + " which git-lfs shows with GIT_TRACE=1; LFS_CLOUD_TRACE=1 adds the agent's trace."})
final class AgentCommand implements Callable<Integer> {

    @Mixin
    Cli.Verbosity verbosity;

    @Override
    public Integer call() {
        return Main.runAgent(false);
    }
}
