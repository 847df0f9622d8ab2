package io.lfscloud.core.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "install", mixinStandardHelpOptions = true,
        description = {"Make git-lfs transfer objects through lfs-cloud, in this repository or for the user (--global).",
                "Sets lfs.customtransfer.lfs-cloud.path/args and lfs.standalonetransferagent, and runs"
                        + " 'git lfs install'. Safe to run again."})
final class InstallCommand implements Callable<Integer> {

    @Option(names = "--global", description = "Configure the user's git config instead of this repository's.")
    boolean global;

    @Option(names = "--store", paramLabel = "URL",
            description = "Also set the default store (lfs-cloud.store), e.g. file:///srv/lfs or s3://bucket/prefix.")
    String store;

    @Option(names = "--shared",
            description = "Write --store to the committed .lfs-meta/config, so that every clone uses it.")
    boolean shared;

    @Mixin
    Cli.Verbosity verbosity;

    @Override
    public Integer call() {
        Path dir = Path.of("").toAbsolutePath();
        if (shared && store == null) {
            throw new CliException("--shared needs --store URL", Cli.USAGE, null);
        }
        if (shared && global) {
            throw new CliException("--shared and --global cannot be combined", Cli.USAGE, null);
        }
        if (!global) {
            dir = Installer.topLevel(dir);
        }
        for (String line : Installer.install(dir, global)) {
            System.out.println(line);
        }
        if (store != null) {
            System.out.println(Installer.setStore(dir, global, shared, store));
        }
        return 0;
    }
}
