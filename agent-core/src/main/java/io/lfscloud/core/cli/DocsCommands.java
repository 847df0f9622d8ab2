package io.lfscloud.core.cli;

import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

/** Documentation generated from the command model: the manual page and shell completion. */
final class DocsCommands {

    private DocsCommands() {
    }

    /** {@code man-page}: the troff of {@code git-lfs-cloud(1)} on stdout (the build installs it). */
    @Command(name = "man-page", hidden = true, description = "Print the manual page git-lfs-cloud(1) in troff.")
    static final class Man implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            System.out.print(ManPage.of(spec.root(), Cli.version()));
            System.out.flush();
            return 0;
        }
    }

    /** {@code completion bash}: completion for {@code git-lfs-cloud …} and {@code git lfs-cloud …}. */
    @Command(name = "completion", mixinStandardHelpOptions = true,
            description = {"Print a completion script for bash (zsh reads it too, with bashcompinit): it completes"
                    + " 'git lfs-cloud …' and 'git-lfs-cloud …'.",
                    "The product ships it in share/bash-completion/completions/, where bash-completion finds it"
                            + " next to a bin folder on PATH; otherwise add to ~/.bashrc:"
                            + " source <(git lfs-cloud completion bash)"})
    static final class Completion implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", arity = "0..1", paramLabel = "SHELL", defaultValue = "bash", completionCandidates = Shells.class,
                description = "bash (the default) or zsh.")
        String shell;

        @Override
        public Integer call() {
            if (!shell.equals("bash") && !shell.equals("zsh")) {
                throw new CliException("no completion for '" + shell + "': bash and zsh are supported", Cli.USAGE, null);
            }
            CommandLine root = spec.root().commandLine();
            StringBuilder script = new StringBuilder();
            if (shell.equals("zsh")) {
                script.append("autoload -U +X bashcompinit && bashcompinit\n");
            }
            script.append(AutoComplete.bash(root.getCommandName(), root));
            // git's own completion runs _git_<command> for `git <command> …` (loading the file
            // named git-<command> from bash-completion's folders first): hand it the same words
            // as if git-lfs-cloud had been typed.
            script.append("""

                    _git_lfs_cloud() {
                      local COMP_WORDS=(git-lfs-cloud "${COMP_WORDS[@]:2}")
                      local COMP_CWORD=$((COMP_CWORD - 1))
                      _complete_git-lfs-cloud
                    }
                    """);
            System.out.print(script);
            System.out.flush();
            return 0;
        }
    }

    /** What shell completion offers for {@code completion SHELL}. */
    static final class Shells extends java.util.ArrayList<String> {
        Shells() {
            super(java.util.List.of("bash", "zsh"));
        }
    }
}
