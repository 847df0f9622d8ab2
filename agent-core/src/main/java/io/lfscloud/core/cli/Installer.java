package io.lfscloud.core.cli;

import io.lfscloud.core.git.Git;
import io.lfscloud.core.git.Repository;
import io.lfscloud.core.meta.SafeFiles;
import io.lfscloud.core.store.BackendRegistry;
import io.lfscloud.core.store.StoreLayout;
import io.lfscloud.spi.StorageException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;

/** Writes the git configuration that makes git-lfs use lfs-cloud. Idempotent. */
final class Installer {

    /** The name of our transfer agent in {@code lfs.customtransfer.<name>}. */
    static final String AGENT_NAME = "lfs-cloud";

    private Installer() {
    }

    /** The command git-lfs should run: the launcher that started us, or the one on PATH. */
    static String launcherPath() {
        String launcher = System.getProperty("lfscloud.launcher");
        return launcher == null || launcher.isBlank() ? "git-lfs-cloud" : launcher;
    }

    /**
     * Configures git-lfs (filters and hooks) and the agent, for the repository at
     * {@code dir} or, with {@code global}, for the user.
     *
     * @return lines describing what was set
     */
    static List<String> install(Path dir, boolean global) {
        List<String> done = new ArrayList<>();
        String scope = global ? "--global" : "--local";
        // git lfs install writes the user's config by default; it has --local but no --global
        List<String> lfsInstall = global ? List.of("lfs", "install") : List.of("lfs", "install", "--local");
        Git.Result lfs = git(dir, lfsInstall);
        if (!lfs.ok()) {
            throw new CliException("'git " + String.join(" ", lfsInstall) + "' failed: " + lfs.firstErrorLine()
                    + " (is git-lfs installed?)");
        }
        done.add("git-lfs filters and hooks installed (" + scope.substring(2) + ")");
        setConfig(dir, scope, "lfs.customtransfer." + AGENT_NAME + ".path", launcherPath());
        setConfig(dir, scope, "lfs.customtransfer." + AGENT_NAME + ".args", "agent");
        setConfig(dir, scope, "lfs.standalonetransferagent", AGENT_NAME);
        done.add("transfer agent '" + AGENT_NAME + "' -> " + launcherPath() + " agent");
        return done;
    }

    /**
     * Sets the default store, after checking that an installed backend accepts its URL.
     *
     * @param shared write it to the committed {@code .lfs-meta/config} instead of git config
     */
    static String setStore(Path dir, boolean global, boolean shared, String url) {
        StoreLayout layout;
        try {
            layout = StoreLayout.parse(url);
            try (BackendRegistry registry = BackendRegistry.load(settingInRepository("lfs-cloud.pluginPath"))) {
                registry.providerFor(layout.root());
            }
        } catch (StorageException e) {
            throw new CliException(e.getMessage(), Cli.USAGE, e);
        }
        String value = layout.root().toString();
        if (shared) {
            Path top = topLevel(dir);
            Path file = top.resolve(Repository.SHARED_CONFIG);
            try {
                // git config writes through links: .lfs-meta and its config must be real (a clone's may be anything)
                SafeFiles.checkFolders(top, Repository.SHARED_CONFIG);
                BasicFileAttributes a = SafeFiles.attributes(file);
                if (a != null && !a.isRegularFile()) {
                    throw new IOException(Repository.SHARED_CONFIG + " is not a regular file (a symbolic link?); refusing to write it");
                }
                Files.createDirectories(file.getParent());
            } catch (IOException e) {
                throw new CliException("cannot write " + Repository.SHARED_CONFIG + ": " + e.getMessage());
            }
            setConfig(top, "--file=" + file, "lfs-cloud.store", value);
            return "default store " + value + " written to " + Repository.SHARED_CONFIG + " (commit it)";
        }
        setConfig(dir, global ? "--global" : "--local", "lfs-cloud.store", value);
        return "default store " + value;
    }

    /**
     * Writes {@code lfs.customtransfer.lfs-cloud.protocol} and {@code .concurrencyMode}:
     * for git-lfs clients that speak protocol version 2. Version 1 removes both.
     */
    static String setProtocol(Path dir, boolean global, int protocol, String mode) {
        String scope = global ? "--global" : "--local";
        String prefix = "lfs.customtransfer." + AGENT_NAME + ".";
        if (protocol == 1) {
            git(dir, List.of("config", scope, "--unset-all", prefix + "protocol"));
            git(dir, List.of("config", scope, "--unset-all", prefix + "concurrencyMode"));
            return "protocol version 1 (what released git-lfs speaks)";
        }
        setConfig(dir, scope, prefix + "protocol", "2");
        String effective = mode == null ? "basic" : mode;
        setConfig(dir, scope, prefix + "concurrencyMode", effective);
        return "protocol version 2, concurrency mode " + effective + " (for git-lfs clients that speak version 2)";
    }

    /** A setting of the repository in the working directory, if there is one. */
    static java.util.Optional<String> settingInRepository(String key) {
        try {
            return io.lfscloud.core.git.Repository.open(Path.of("").toAbsolutePath()).setting(key);
        } catch (IOException e) {
            return java.util.Optional.empty(); // not in a repository: no repository settings
        }
    }

    static Path topLevel(Path dir) {
        Git.Result r = git(dir, List.of("rev-parse", "--show-toplevel"));
        if (!r.ok()) {
            throw new CliException("not in a git working tree (" + dir.toAbsolutePath() + "); use --global outside one");
        }
        return Path.of(r.out().strip());
    }

    private static void setConfig(Path dir, String scope, String key, String value) {
        Git.Result r = git(dir, List.of("config", scope, "--replace-all", key, value));
        if (!r.ok()) {
            throw new CliException("cannot set " + key + ": " + r.firstErrorLine());
        }
    }

    static Git.Result git(Path dir, List<String> args) {
        try {
            return Git.run(dir, args);
        } catch (IOException e) {
            throw new CliException(e.getMessage(), Cli.FAILURE, e);
        }
    }
}
