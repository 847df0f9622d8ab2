package io.lfscloud.core.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code git lfs-cloud uninstall}: undoes what {@code install} set for the agent. */
@Command(name = "uninstall", mixinStandardHelpOptions = true,
        description = {"Stop git-lfs from using lfs-cloud, in this repository or for the user (--global).",
                "Removes lfs.customtransfer.lfs-cloud.* and lfs.standalonetransferagent (when it names lfs-cloud)."
                        + " git-lfs's own filters and hooks stay ('git lfs uninstall' removes those), and so do"
                        + " lfs-cloud.store and .lfs-meta/."})
final class UninstallCommand implements Callable<Integer> {

    @Option(names = "--global", description = "Change the user's git config instead of this repository's.")
    boolean global;

    @Mixin
    Cli.Verbosity verbosity;

    @Override
    public Integer call() {
        Path dir = Path.of("").toAbsolutePath();
        if (!global) {
            dir = Installer.topLevel(dir);
        }
        for (String line : Installer.uninstall(dir, global)) {
            System.out.println(line);
        }
        return 0;
    }
}
