package io.lfscloud.core.cli;

import io.lfscloud.core.git.Git;
import io.lfscloud.core.git.Repository;
import io.lfscloud.core.meta.SafeFiles;
import io.lfscloud.core.plugin.BackendRegistry;
import io.lfscloud.core.store.StoreLayout;
import io.lfscloud.spi.StorageBackend;
import io.lfscloud.spi.StorageException;

import java.io.IOException;
import java.net.URI;
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

    /** The command's name, as git finds it on PATH ({@code git lfs-cloud}). */
    static final String COMMAND = "git-lfs-cloud";

    /**
     * The command git-lfs should run: {@value #COMMAND}, found on PATH, when PATH leads to the
     * launcher that started us, so that moving or upgrading the install (a new folder on PATH)
     * needs no new install; otherwise the launcher's absolute path, with a warning.
     */
    static String launcherPath(List<String> warnings) {
        String launcher = System.getProperty("lfscloud.launcher");
        if (launcher == null || launcher.isBlank()) {
            return COMMAND;
        }
        Path self = Path.of(launcher);
        Path onPath = onPath(COMMAND);
        try {
            if (onPath != null && Files.isSameFile(onPath, self)) {
                return COMMAND;
            }
        } catch (IOException e) {
            // fall through to the absolute path
        }
        warnings.add("warning: " + self.getParent() + " is not first on your PATH for " + COMMAND + ", so the agent is set"
                + " to the absolute path " + self + "; put that folder on PATH and run install again, or the setting"
                + " breaks when this install moves or is upgraded");
        return self.toString();
    }

    /** The first executable {@code name} on PATH, or {@code null}. */
    static Path onPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
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
        String command = launcherPath(done);
        setConfig(dir, scope, "lfs.customtransfer." + AGENT_NAME + ".path", command);
        setConfig(dir, scope, "lfs.customtransfer." + AGENT_NAME + ".args", "agent");
        setConfig(dir, scope, "lfs.standalonetransferagent", AGENT_NAME);
        done.add("transfer agent '" + AGENT_NAME + "' -> " + command + " agent");
        return done;
    }

    /**
     * Removes what {@link #install} set for lfs-cloud (the agent's settings), leaving
     * git-lfs's own filters and hooks and the store settings alone.
     *
     * @return lines describing what was removed
     */
    static List<String> uninstall(Path dir, boolean global) {
        String scope = global ? "--global" : "--local";
        List<String> done = new ArrayList<>();
        Git.Result agent = git(dir, List.of("config", scope, "--get", "lfs.standalonetransferagent"));
        if (agent.ok() && agent.out().strip().equals(AGENT_NAME)) {
            git(dir, List.of("config", scope, "--unset-all", "lfs.standalonetransferagent"));
            done.add("lfs.standalonetransferagent removed");
        }
        Git.Result section = git(dir, List.of("config", scope, "--remove-section", "lfs.customtransfer." + AGENT_NAME));
        if (section.ok()) {
            done.add("lfs.customtransfer." + AGENT_NAME + ".* removed");
        }
        if (done.isEmpty()) {
            done.add("lfs-cloud was not installed " + (global ? "for this user" : "in this repository") + "; nothing removed");
        }
        return done;
    }

    /**
     * Checks that {@code url} can serve as the default store before anything is written: a
     * backend accepts it, it can be written to (a {@code https:} store is read-only), a folder
     * store exists and is a writable folder (created only with {@code create}), and other
     * stores answer a metadata request.
     *
     * @return the store's root URL, as it is to be written
     */
    static String checkStore(Path dir, String url, boolean create, boolean probe) {
        return checkStore(dir, url, create, probe, false);
    }

    /** As {@link #checkStore(Path, String, boolean, boolean)}; a {@code readOnly} store may be {@code https:}, a folder need only be readable. */
    static String checkStore(Path dir, String url, boolean create, boolean probe, boolean readOnly) {
        if (url.strip().equals(io.lfscloud.core.agent.Transfers.LFS_STORE)) {
            return url.strip(); // the repository's own Git LFS server, found by the agent for each remote
        }
        StoreLayout layout;
        try {
            layout = StoreLayout.parse(url);
        } catch (StorageException e) {
            throw new CliException(e.getMessage(), Cli.USAGE, e);
        }
        URI root = layout.root();
        String scheme = root.getScheme() == null ? "" : root.getScheme().toLowerCase(java.util.Locale.ROOT);
        if (!readOnly && (scheme.equals("http") || scheme.equals("https"))) {
            throw new CliException(root + " cannot be the default store: " + scheme + ": stores are read-only (they serve"
                    + " files tracked in place); give a store that can be written, such as file:// or s3://", Cli.USAGE, null);
        }
        try (BackendRegistry registry = BackendRegistry.load(settingInRepository("lfs-cloud.pluginPath"))) {
            registry.providerFor(root);
            if (scheme.equals("file")) {
                checkFolder(Path.of(root), create, readOnly);
            } else if (probe && !scheme.startsWith("lfs+")) { // a Git LFS server has no object to probe with
                StorageBackend backend = registry.backendFor(root, userConfig(dir));
                URI probeUrl = root.resolve(".lfs-cloud-install-probe");
                try {
                    backend.stat(probeUrl);
                } catch (StorageException e) {
                    if (e.kind() != StorageException.Kind.NOT_FOUND) {
                        // the probe is ours, not the user's: messages name the store
                        throw new CliException("the store " + root + " does not answer as it should: "
                                + e.getMessage().replace(probeUrl.toString(), root.toString())
                                + " (pass --no-check to set it anyway)", Cli.FAILURE, e);
                    }
                }
            }
        } catch (StorageException e) {
            throw new CliException(e.getMessage(), Cli.USAGE, e);
        }
        return root.toString();
    }

    private static void checkFolder(Path folder, boolean create, boolean readOnly) {
        if (!Files.exists(folder)) {
            if (!create) {
                throw new CliException("the store folder " + folder + " does not exist (an unmounted share?); create it,"
                        + " or pass --create to have install create it", Cli.FAILURE, null);
            }
            try {
                Files.createDirectories(folder);
            } catch (IOException e) {
                throw new CliException("cannot create the store folder " + folder + ": " + e.getMessage());
            }
        }
        if (!Files.isDirectory(folder)) {
            throw new CliException("the store " + folder + " is not a folder", Cli.FAILURE, null);
        }
        if (!readOnly && !Files.isWritable(folder)) {
            throw new CliException("the store folder " + folder + " is not writable by you", Cli.FAILURE, null);
        }
    }

    /** The lfs-cloud settings of the repository at {@code dir}, or the user's when it is none. */
    private static io.lfscloud.spi.BackendConfig userConfig(Path dir) {
        try {
            return io.lfscloud.core.git.Repository.open(dir, false).backendConfig();
        } catch (IOException e) {
            Git.Result r = git(dir, List.of("config", "-z", "--get-regexp", "^lfs-cloud\\."));
            io.lfscloud.core.git.ConfigValues values = io.lfscloud.core.git.ConfigValues.parseNulSeparated(r.ok() ? r.out() : "");
            return values::get;
        }
    }

    /**
     * Sets the default store; {@code value} is what {@link #checkStore} returned.
     *
     * @param shared write it to the committed {@code .lfs-meta/config} instead of git config
     */
    static String setStore(Path dir, boolean global, boolean shared, String value) {
        if (shared) {
            Path top = topLevel(dir);
            Path file = prepareSharedConfig(top);
            setConfig(top, "--file=" + file, "lfs-cloud.store", value);
            return "default store " + value + " written to " + Repository.SHARED_CONFIG + " (commit it)";
        }
        setConfig(dir, global ? "--global" : "--local", "lfs-cloud.store", value);
        return "default store " + value;
    }

    /** The committed {@code .lfs-meta/config} of the working tree {@code top}. */
    static Path sharedConfigFile(Path top) {
        return top.resolve(Repository.SHARED_CONFIG);
    }

    /** Makes sure {@code .lfs-meta/config} can be written by git config: real folders, a regular file or none. */
    static Path prepareSharedConfig(Path top) {
        Path file = sharedConfigFile(top);
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
        return file;
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
            throw new CliException(io.lfscloud.core.git.Repository.notARepository(dir, r) + "; use --global outside one");
        }
        return Path.of(r.out().strip());
    }

    /**
     * Whether this is a clone whose checkout failed: HEAD names a commit with files, but the
     * index is empty. That is what a plain {@code git clone} of an lfs-cloud repository leaves
     * when git-lfs could not fetch the objects because lfs-cloud was not installed yet.
     */
    static boolean unfinishedCheckout(Path top) {
        Git.Result head = git(top, List.of("ls-tree", "--name-only", "HEAD"));
        Git.Result index = git(top, List.of("ls-files", "--cached"));
        return head.ok() && !head.out().isBlank() && index.ok() && index.out().isBlank() && startedCheckout(top);
    }

    /**
     * How many files of the checkout are LFS pointers whose object this clone does not have
     * ({@code git lfs ls-files} marks them {@code -}): what a clone made without git-lfs's filters
     * leaves. 0 when git-lfs cannot tell.
     */
    static long pointersCheckedOut(Path top) {
        Git.Result files = git(top, List.of("lfs", "ls-files"));
        return files.ok() ? files.out().lines().filter(l -> l.matches("[0-9a-f]{10,64} - .*")).count() : 0;
    }

    /**
     * Whether a checkout began writing the working tree (a failed one leaves the files before the
     * one git-lfs could not smudge, .gitattributes first); {@code clone --no-checkout} writes none.
     */
    private static boolean startedCheckout(Path top) {
        try (java.util.stream.Stream<Path> entries = Files.list(top)) {
            return entries.anyMatch(e -> !e.getFileName().toString().equals(".git"));
        } catch (IOException e) {
            return true; // cannot tell: say what to do, which is harmless
        }
    }

    static void setConfig(Path dir, String scope, String key, String value) {
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
