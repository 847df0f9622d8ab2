package io.lfscloud.core.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

@Command(name = "version", mixinStandardHelpOptions = true, description = "Print the version of lfs-cloud.")
final class VersionCommand implements Callable<Integer> {

    @Option(names = "--json", description = "Print one JSON document (see 'Output for scripts' in the README).")
    boolean json;

    @Override
    public Integer call() {
        if (json) {
            JsonOutput.print(new JsonOutput.Version(Cli.version(), Runtime.version().toString()));
        } else {
            System.out.println("lfs-cloud " + Cli.version() + " (Java " + Runtime.version() + ")");
        }
        return 0;
    }
}
