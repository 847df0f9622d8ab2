package io.lfscloud.core.cli;

import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

@Command(name = "version", mixinStandardHelpOptions = true, description = "Print the version of lfs-cloud.")
final class VersionCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        System.out.println("lfs-cloud " + Cli.version() + " (Java " + Runtime.version() + ")");
        return 0;
    }
}
