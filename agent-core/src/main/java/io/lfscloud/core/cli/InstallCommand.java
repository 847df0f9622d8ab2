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
            description = {"Also set the default store (lfs-cloud.store), e.g. file:///srv/lfs or s3://bucket/prefix;"
                    + " 'lfs' is the repository's own Git LFS server, the default without a store.",
                    "It is checked first: a folder must exist (or --create) and be writable, https: is read-only and"
                            + " refused, other stores must answer a metadata request (or --no-check)."})
    String store;

    @Option(names = "--shared",
            description = "Write --store to the committed .lfs-meta/config, so that every clone uses it.")
    boolean shared;

    @Option(names = "--create", description = "With a folder --store: create the folder when it does not exist.")
    boolean create;

    @Option(names = "--no-check", description = "With --store: set it without asking the store whether it answers.")
    boolean noCheck;

    @Option(names = "--protocol", paramLabel = "N", completionCandidates = ProtocolVersions.class,
            description = "Custom transfer protocol version git-lfs should offer (1 or 2). Version 2 is for"
                    + " git-lfs clients that speak it; released git-lfs (3.x) speaks only version 1.")
    Integer protocol;

    @Option(names = "--concurrency-mode", paramLabel = "MODE", completionCandidates = ConcurrencyModes.class,
            description = "With --protocol 2: basic, batch or any (lfs.customtransfer.lfs-cloud.concurrencyMode).")
    String concurrencyMode;

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
        if (protocol != null && protocol != 1 && protocol != 2) {
            throw new CliException("--protocol must be 1 or 2", Cli.USAGE, null);
        }
        if (concurrencyMode != null && !java.util.Set.of("basic", "batch", "any").contains(concurrencyMode)) {
            throw new CliException("--concurrency-mode must be basic, batch or any", Cli.USAGE, null);
        }
        if (concurrencyMode != null && (protocol == null || protocol != 2)) {
            throw new CliException("--concurrency-mode needs --protocol 2", Cli.USAGE, null);
        }
        if ((create || noCheck) && store == null) {
            throw new CliException((create ? "--create" : "--no-check") + " needs --store URL", Cli.USAGE, null);
        }
        if (!global) {
            dir = Installer.topLevel(dir);
        }
        // the store is checked first: a store that cannot work changes nothing
        String storeRoot = store == null ? null : Installer.checkStore(dir, store, create, !noCheck);
        for (String line : Installer.install(dir, global)) {
            System.out.println(line);
        }
        if (protocol != null) {
            System.out.println(Installer.setProtocol(dir, global, protocol, concurrencyMode));
        }
        if (store != null) {
            System.out.println(Installer.setStore(dir, global, shared, storeRoot));
        }
        if (!global && Installer.unfinishedCheckout(dir)) {
            System.err.println("git-lfs-cloud: this clone's checkout did not finish (git-lfs could not fetch its objects"
                    + " before lfs-cloud was installed); finish it now with: git checkout -f HEAD");
        } else if (!global) {
            long pointers = Installer.pointersCheckedOut(dir);
            if (pointers > 0) {
                System.err.println("git-lfs-cloud: " + pointers + " file(s) in this checkout are Git LFS pointers, not"
                        + " their content (cloned without git-lfs's filters, or with GIT_LFS_SKIP_SMUDGE); fetch them"
                        + " now with: git lfs pull");
            }
        }
        return 0;
    }

    /** What shell completion offers for {@code --protocol}. */
    static final class ProtocolVersions extends java.util.ArrayList<String> {
        ProtocolVersions() {
            super(java.util.List.of("1", "2"));
        }
    }

    /** What shell completion offers for {@code --concurrency-mode}. */
    static final class ConcurrencyModes extends java.util.ArrayList<String> {
        ConcurrencyModes() {
            super(java.util.List.of("basic", "batch", "any"));
        }
    }
}
