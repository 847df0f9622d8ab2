package io.lfscloud.core.git;

import io.lfscloud.core.Log;
import io.lfscloud.core.policy.UrlPolicy;
import io.lfscloud.core.policy.UrlRefusedException;
import io.lfscloud.spi.BackendConfig;
import io.lfscloud.spi.StorageException;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The git repository the agent serves: where git-lfs keeps objects and temp files,
 * and the lfs-cloud settings. Everything is read once, on first use, by running git
 * (git-lfs starts the agent in the working tree's root with {@code GIT_DIR} unset).
 */
public final class Repository {

    /** The committed settings file, git-config format (see {@link CommittedConfig}). */
    public static final String SHARED_CONFIG = CommittedConfig.PATH;

    private final Path workTree;
    private final Path lfsDir;
    private final ConfigValues local;
    private final CommittedConfig shared;

    private Repository(Path workTree, Path lfsDir, ConfigValues local, CommittedConfig shared) {
        this.workTree = workTree;
        this.lfsDir = lfsDir;
        this.local = local;
        this.shared = shared;
    }

    /**
     * The one message for "this command needs a repository": git's own reason only when it is
     * another than "not a git repository" (a repository owned by someone else, say).
     */
    public static String notARepository(Path dir, Git.Result revParse) {
        String why = revParse.firstErrorLine();
        return "not in a git repository: " + dir.toAbsolutePath()
                + (why.contains("not a git repository") ? "" : " (" + why + ")");
    }

    /**
     * Opens the repository containing {@code dir}.
     *
     * @throws IOException with a one-line message when {@code dir} is not in a git repository
     */
    public static Repository open(Path dir) throws IOException {
        return open(dir, true);
    }

    /**
     * Opens the repository containing {@code dir}.
     *
     * @param warn say (once per process, on stderr) which committed settings are withheld
     */
    public static Repository open(Path dir, boolean warn) throws IOException {
        Git.Result paths = Git.run(dir, List.of("rev-parse", "--path-format=absolute",
                "--git-common-dir", "--show-toplevel"));
        if (!paths.ok()) {
            throw new IOException(notARepository(dir, paths));
        }
        String[] lines = paths.out().split("\n");
        Path gitDir = Path.of(lines[0].strip());
        Path workTree = lines.length > 1 && !lines[1].isBlank() ? Path.of(lines[1].strip()) : dir.toAbsolutePath();

        Git.Result cfg = Git.run(dir, List.of("config", "-z", "--get-regexp", "^(lfs-cloud\\.|lfs\\.storage$|" + GIT_HTTP_KEYS + ")"));
        // exit code 1 means "no such key": not an error
        if (cfg.exitCode() > 1) {
            throw new IOException("cannot read git config: " + cfg.firstErrorLine());
        }
        ConfigValues local = ConfigValues.parseNulSeparated(cfg.out());

        Path lfsDir = gitDir.resolve("lfs");
        Optional<String> storage = local.get("lfs.storage");
        if (storage.isPresent() && !storage.get().isBlank()) {
            lfsDir = gitDir.resolve(storage.get().strip()); // git-lfs: relative to the git dir
        }
        CommittedConfig shared = CommittedConfig.read(workTree, local);
        String warning = shared.warning();
        if (warn && warning != null && Log.firstTime("committed config warning")) {
            Log.warn(warning);
        }
        return new Repository(workTree, lfsDir, local, shared);
    }

    public Path workTree() {
        return workTree;
    }

    /** git-lfs's storage folder ({@code .git/lfs} unless {@code lfs.storage} moves it). */
    public Path lfsDir() {
        return lfsDir;
    }

    /** Where downloads are written, on the same file system as git-lfs's objects. */
    public Path lfsTmpDir() {
        return lfsDir.resolve("tmp");
    }

    /**
     * A setting: the user's git config first, then the committed {@code .lfs-meta/config}
     * for the keys a repository may set (all of them once the user trusts the file).
     */
    public Optional<String> setting(String key) {
        Optional<String> v = local.get(key);
        return v.isPresent() ? v : shared.get(key);
    }

    /** The keys of every setting {@link #setting} gives (canonical): the user's, then the committed file's. */
    public java.util.Set<String> settingKeys() {
        java.util.Set<String> keys = new java.util.LinkedHashSet<>(local.keys());
        keys.addAll(shared.keys());
        return keys;
    }

    /** Whether {@link #setting} takes {@code key} from the user's git config (else from the committed file, or nowhere). */
    public boolean isUserSetting(String key) {
        return local.get(key).isPresent();
    }

    /** The stores the settings name (see {@link io.lfscloud.core.store.Stores}). */
    public io.lfscloud.core.store.Stores stores() throws StorageException {
        return io.lfscloud.core.store.Stores.from(settingKeys(), this::setting);
    }

    /** The committed settings file and what of it is withheld. */
    public CommittedConfig committed() {
        return shared;
    }

    /**
     * git's own HTTP settings that backends honour (TLS trust, proxy, low speed; see the README's HTTPS
     * section), as a {@code git config --get-regexp} pattern. Read from the user's git config
     * only: a repository cannot commit them.
     */
    static final String GIT_HTTP_KEYS = "http\\.(sslcainfo|sslcapath|proxy|lowspeedlimit|lowspeedtime)$";

    /** The settings as backends see them; redirects are held to the same URL policy as records. */
    public BackendConfig backendConfig() {
        return new BackendConfig() {
            @Override
            public Optional<String> get(String key) {
                return key.regionMatches(true, 0, "http.", 0, 5) ? local.get(key) : setting(key);
            }

            @Override
            public void checkRedirect(URI from, URI to) throws StorageException {
                BackendConfig.super.checkRedirect(from, to);
                try {
                    UrlPolicy.checkFollow(to, this);
                } catch (UrlRefusedException e) {
                    throw new StorageException(StorageException.Kind.ACCESS_DENIED, "redirect from " + from.getHost()
                            + " refused: " + e.getMessage());
                }
            }
        };
    }
}
