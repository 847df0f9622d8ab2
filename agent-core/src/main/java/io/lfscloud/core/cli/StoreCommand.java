package io.lfscloud.core.cli;

import io.lfscloud.core.git.Repository;
import io.lfscloud.core.store.Stores;
import io.lfscloud.spi.StorageException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code git lfs-cloud store add|remove|list}: the repository's named stores, managed like git remotes. */
@Command(name = "store", mixinStandardHelpOptions = true,
        description = {"Manage the repository's stores, as 'git remote' does remotes: reads try them by priority and"
                + " fall through to the next; uploads go to every writable store (lfs-cloud.copies of them must succeed).",
                "The store of 'install --store' (lfs-cloud.store) is listed as 'default'."},
        subcommands = {StoreCommand.Add.class, StoreCommand.Remove.class, StoreCommand.ListStores.class})
final class StoreCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: add, remove or list");
    }

    /** Where a store's settings are written: the committed file with {@code --shared}, else this repository's git config. */
    private static String scope(Path top, boolean shared) {
        return shared ? "--file=" + Installer.sharedConfigFile(top) : "--local";
    }

    @Command(name = "add", mixinStandardHelpOptions = true,
            description = {"Add a store NAME at URL (lfs-cloud.store.NAME.url, .write, .priority).",
                    "The URL is checked as 'install --store' checks it: a folder must exist (or --create) and be writable"
                            + " (readable with --read-only), other stores must answer a metadata request (or --no-check)."})
    static final class Add implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "NAME", description = "Letters, digits, '-' and '_' ('default' is lfs-cloud.store).")
        String name;

        @Parameters(index = "1", paramLabel = "URL", description = "file:///srv/lfs, s3://bucket/prefix, az://account/container/prefix, https://… (with --read-only)")
        String url;

        @Option(names = "--shared", description = "Write to the committed .lfs-meta/config, so that every clone has the store.")
        boolean shared;

        @Option(names = "--read-only", description = "Only read from it: uploads do not go there (https: stores are read-only).")
        boolean readOnly;

        @Option(names = "--priority", paramLabel = "N", description = "Reads try higher priorities first (default 0; ties by name).")
        Integer priority;

        @Option(names = "--create", description = "With a folder URL: create the folder when it does not exist.")
        boolean create;

        @Option(names = "--no-check", description = "Add it without asking the store whether it answers.")
        boolean noCheck;

        @Mixin
        Cli.Verbosity verbosity;

        @Override
        public Integer call() {
            if (!Stores.validName(name)) {
                throw new CliException("'" + name + "' cannot name a store: use letters, digits, '-' and '_' (at most 64),"
                        + " not 'default' (that is lfs-cloud.store)", Cli.USAGE, null);
            }
            if (priority != null && Math.abs(priority) > Stores.MAX_PRIORITY) {
                throw new CliException("--priority must be from " + -Stores.MAX_PRIORITY + " to " + Stores.MAX_PRIORITY,
                        Cli.USAGE, null);
            }
            Path top = Installer.topLevel(Path.of("").toAbsolutePath());
            Repository repo = RemoteCommands.repository();
            Stores stores = stores(repo);
            if (stores.named(name).isPresent()) {
                throw new CliException("a store named '" + name + "' exists already (" + stores.named(name).get().url()
                        + "); remove it first", Cli.FAILURE, null);
            }
            String root = Installer.checkStore(top, url, create, !noCheck, readOnly);
            String scope = scope(top, shared);
            if (shared) {
                Installer.prepareSharedConfig(top);
            }
            Installer.setConfig(top, scope, Stores.key(name, "url"), root);
            if (readOnly) {
                Installer.setConfig(top, scope, Stores.key(name, "write"), "false");
            }
            if (priority != null) {
                Installer.setConfig(top, scope, Stores.key(name, "priority"), Integer.toString(priority));
            }
            RemoteCommands.out("store '" + name + "' " + root + (readOnly ? " (read-only)" : "")
                    + (priority == null ? "" : " priority " + priority)
                    + (shared ? " written to " + Repository.SHARED_CONFIG + " (commit it)" : ""));
            return 0;
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true,
            description = {"Remove store NAME from this repository's git config (or, with --shared, from the committed"
                    + " .lfs-meta/config). Objects in it stay where they are.", "'default' removes lfs-cloud.store."})
    static final class Remove implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Option(names = "--shared", description = "Remove it from the committed .lfs-meta/config.")
        boolean shared;

        @Mixin
        Cli.Verbosity verbosity;

        @Override
        public Integer call() {
            Path top = Installer.topLevel(Path.of("").toAbsolutePath());
            String scope = scope(top, shared);
            boolean removed = name.equals(Stores.DEFAULT)
                    ? Installer.git(top, List.of("config", scope, "--unset-all", Stores.LEGACY_KEY)).ok()
                    : Stores.validName(name) && Installer.git(top, List.of("config", scope, "--remove-section",
                    "lfs-cloud.store." + name)).ok();
            if (!removed) {
                String elsewhere = shared ? "this repository's git config (run it without --shared)"
                        : Repository.SHARED_CONFIG + " (run it with --shared, and commit the file)";
                throw new CliException("no store '" + name + "' in " + (shared ? Repository.SHARED_CONFIG : "this repository's"
                        + " git config") + "; if 'git lfs-cloud store list' shows it, it is set in " + elsewhere
                        + (shared ? "" : " or in your global git config"), Cli.FAILURE, null);
            }
            RemoteCommands.out("store '" + name + "' removed" + (shared ? " from " + Repository.SHARED_CONFIG + " (commit it)" : ""));
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List the stores in the order reads try them: name, URL, read-only or read-write, priority,"
                    + " and where it is set.")
    static final class ListStores implements Callable<Integer> {
        @Option(names = "--json", description = "One JSON document on stdout (see the README).")
        boolean json;

        @Mixin
        Cli.Verbosity verbosity;

        @Override
        public Integer call() {
            Repository repo = RemoteCommands.repository();
            Stores stores = stores(repo);
            List<JsonOutput.StoreEntry> entries = new ArrayList<>();
            for (Stores.Store s : stores.readOrder()) {
                String key = s.legacy() ? Stores.LEGACY_KEY : Stores.key(s.name(), "url");
                String origin = repo.isUserSetting(key) ? "git config" : Repository.SHARED_CONFIG;
                entries.add(new JsonOutput.StoreEntry(s.name(), s.url(), s.write(), s.priority(), origin));
            }
            Integer copies = stores.copiesSetting().orElse(null);
            if (json) {
                JsonOutput.print(new JsonOutput.StoreList(entries, copies));
                return 0;
            }
            if (entries.isEmpty()) {
                System.err.println("no store: add one with 'git lfs-cloud store add NAME URL'");
            }
            for (JsonOutput.StoreEntry e : entries) {
                RemoteCommands.out(String.format("%-12s %-10s priority %-4d %s  (%s)", e.name(),
                        e.write() ? "read-write" : "read-only", e.priority(), e.url(), e.origin()));
            }
            if (!entries.isEmpty()) {
                long writable = entries.stream().filter(JsonOutput.StoreEntry::write).count();
                System.err.println("uploads need " + (copies == null ? "every writable store (" + writable + ")"
                        : copies + " of " + writable + " writable stores (lfs-cloud.copies)"));
            }
            return 0;
        }
    }

    static Stores stores(Repository repo) {
        try {
            return repo.stores();
        } catch (StorageException e) {
            throw new CliException(e.getMessage(), Cli.FAILURE, e);
        }
    }
}
