package io.lfscloud.core.cli;

import io.lfscloud.core.Log;
import io.lfscloud.core.Printable;
import io.lfscloud.core.plugin.BackendRegistry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

@Command(name = "backends", mixinStandardHelpOptions = true,
        description = {"List the storage backends found, the URL schemes they serve and where they were loaded from.",
                "Plugins come from the product's plugins/ folder, LFS_CLOUD_PLUGIN_PATH and lfs-cloud.pluginPath;"
                        + " --verbose says how each was loaded (module layer or class loader) and why."})
final class BackendsCommand implements Callable<Integer> {

    @Option(names = "--json", description = "Print one JSON document (see 'Output for scripts' in the README).")
    boolean json;

    @Mixin
    Cli.Verbosity verbosity;

    @Override
    public Integer call() {
        try (BackendRegistry registry = BackendRegistry.load(Installer.settingInRepository("lfs-cloud.pluginPath"))) {
            if (json) {
                JsonOutput.print(new JsonOutput.Backends(
                        registry.providers().stream().map(f -> new JsonOutput.Backend(f.provider().name(),
                                f.provider().schemes().stream().sorted().toList(), String.valueOf(f.origin()), f.how()))
                                .toList(),
                        registry.broken().stream().map(b -> new JsonOutput.Broken(String.valueOf(b.origin()), b.problem()))
                                .toList()));
                return registry.broken().isEmpty() ? 0 : Cli.FAILURE;
            }
            if (registry.providers().isEmpty()) {
                System.out.println("no storage backends found");
            }
            for (BackendRegistry.Found f : registry.providers()) {
                // plugin names and folders may come from a repository: escaped
                System.out.println(Printable.escape(String.format("%-8s %-24s %s", f.provider().name(),
                        String.join(",", f.provider().schemes().stream().sorted().toList()), f.origin())));
                if (Log.verbose()) {
                    System.out.println("         loaded as: " + Printable.escape(f.how()));
                }
            }
            for (BackendRegistry.Broken b : registry.broken()) {
                System.out.println("BROKEN   " + Printable.escape(b.origin() + ": " + b.problem()));
            }
            return registry.broken().isEmpty() ? 0 : Cli.FAILURE;
        }
    }
}
