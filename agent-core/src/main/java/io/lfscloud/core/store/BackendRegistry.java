package io.lfscloud.core.store;

import io.lfscloud.core.Log;
import io.lfscloud.core.plugin.PluginHost;
import io.lfscloud.spi.BackendConfig;
import io.lfscloud.spi.StorageBackend;
import io.lfscloud.spi.StorageBackendProvider;
import io.lfscloud.spi.StorageException;

import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * The storage providers found with {@link ServiceLoader}, and the choice among them by
 * URL scheme and priority. A provider that fails to load is recorded and skipped; it
 * never stops the others.
 *
 * <p>For the agent, a plugin folder that declares its schemes in
 * {@value #DECLARATION} ({@code schemes=s3}) is loaded only when a URL of one of them is
 * asked for: a module layer of an SDK costs ~0.1 s per agent process, and git-lfs starts
 * eight of them for every command, most of which never touch that SDK.
 */
public final class BackendRegistry implements AutoCloseable {

    /**
     * A provider that was found, and where it came from.
     *
     * @param how how its plugin was loaded ({@code "embedded"}, module layer or class loader) and why
     */
    public record Found(StorageBackendProvider provider, String origin, String how) {
        public Found(StorageBackendProvider provider, String origin) {
            this(provider, origin, "embedded");
        }
    }

    /** A provider that could not be loaded, and why. */
    public record Broken(String origin, String problem) {
    }

    /** The file in a plugin folder that declares the URL schemes its providers serve. */
    public static final String DECLARATION = "lfs-cloud-plugin.properties";

    /** A plugin folder not loaded yet, and the schemes it declares. */
    private record Deferred(Path folder, Set<String> schemes) {
    }

    private final List<Found> found;
    private final List<Broken> broken;
    private final List<Deferred> deferred;
    private final Map<StorageBackendProvider, StorageBackend> open = new ConcurrentHashMap<>();
    private volatile boolean pinned;

    public BackendRegistry(List<Found> found, List<Broken> broken) {
        this(found, broken, List.of());
    }

    private BackendRegistry(List<Found> found, List<Broken> broken, List<Deferred> deferred) {
        this.found = new java.util.concurrent.CopyOnWriteArrayList<>(found);
        this.broken = new java.util.concurrent.CopyOnWriteArrayList<>(broken);
        this.deferred = new ArrayList<>(deferred);
    }

    /** The embedded providers and those of the product's own {@code plugins/} folder. */
    public static BackendRegistry load() {
        return load(Optional.empty());
    }

    /**
     * The embedded providers, then those of every plugin folder: in the product's
     * {@code plugins/}, in the folders listed by {@code LFS_CLOUD_PLUGIN_PATH}, and in
     * those listed by the {@code lfs-cloud.pluginPath} setting ({@code configuredPath}).
     */
    public static BackendRegistry load(Optional<String> configuredPath) {
        return load(configuredPath, false);
    }

    /**
     * As {@link #load(Optional)}, but with {@code lazily}, plugin folders that declare their
     * schemes are loaded only when a URL of one of them is asked for.
     */
    public static BackendRegistry load(Optional<String> configuredPath, boolean lazily) {
        List<Found> found = new ArrayList<>();
        List<Broken> broken = new ArrayList<>();
        List<Deferred> deferred = new ArrayList<>();
        addEmbedded(ServiceLoader.load(StorageBackendProvider.class, BackendRegistry.class.getClassLoader()),
                found, broken);
        for (Path folder : PluginHost.pluginFolders(pluginRoots(configuredPath))) {
            Set<String> schemes = lazily ? declaredSchemes(folder) : null;
            if (schemes != null) {
                deferred.add(new Deferred(folder, schemes));
            } else {
                loadFolder(folder, found, broken);
            }
        }
        return new BackendRegistry(found, broken, deferred);
    }

    private static void loadFolder(Path folder, List<Found> found, List<Broken> broken) {
        PluginHost.Loaded loaded = PluginHost.load(folder);
        String how = loaded.mode() + (loaded.why() == null ? "" : " (" + loaded.why() + ")");
        for (StorageBackendProvider p : loaded.providers()) {
            found.add(new Found(p, "plugin " + folder, how));
        }
        for (String problem : loaded.problems()) {
            broken.add(new Broken("plugin " + folder, problem));
        }
    }

    /** The schemes a plugin folder declares, lowercased; {@code null} when it declares none (or unreadably). */
    static Set<String> declaredSchemes(Path folder) {
        Path file = folder.resolve(DECLARATION);
        if (!Files.isRegularFile(file)) {
            return null;
        }
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) {
            p.load(r);
        } catch (IOException | IllegalArgumentException e) {
            Log.trace("ignoring " + file + " (" + e.getMessage() + "): the plugin is loaded to ask it");
            return null;
        }
        String schemes = p.getProperty("schemes", "").strip();
        if (schemes.isEmpty()) {
            return null;
        }
        return java.util.Arrays.stream(schemes.split(",")).map(x -> x.strip().toLowerCase(Locale.ROOT))
                .filter(x -> !x.isEmpty()).collect(Collectors.toUnmodifiableSet());
    }

    /** Loads the deferred plugin folders that declare {@code scheme} (all of them for {@code null}). */
    private void loadDeferred(String scheme) {
        synchronized (deferred) {
            for (var it = deferred.iterator(); it.hasNext(); ) {
                Deferred d = it.next();
                if (scheme != null && !d.schemes().contains(scheme)) {
                    continue;
                }
                it.remove();
                List<Found> more = new ArrayList<>();
                List<Broken> failed = new ArrayList<>();
                loadFolder(d.folder(), more, failed);
                found.addAll(more);
                broken.addAll(failed);
                for (Broken b : failed) {
                    Log.error("storage backend skipped, it failed to load: " + b.origin() + ": " + b.problem());
                }
                for (Found f : more) {
                    if (!d.schemes().containsAll(f.provider().schemes())) {
                        Log.trace(d.folder() + " declares " + d.schemes() + " in " + DECLARATION + " but its provider '"
                                + f.provider().name() + "' serves " + f.provider().schemes());
                    }
                }
            }
        }
    }

    /** Folders that hold plugin folders. */
    public static List<Path> pluginRoots(Optional<String> configuredPath) {
        List<Path> roots = new ArrayList<>();
        String home = System.getProperty("lfscloud.home");
        if (home != null && !home.isBlank()) {
            roots.add(Path.of(home, "plugins"));
        }
        roots.addAll(absoluteOnly(PluginHost.parsePath(System.getenv("LFS_CLOUD_PLUGIN_PATH")), "LFS_CLOUD_PLUGIN_PATH"));
        configuredPath.ifPresent(p -> roots.addAll(absoluteOnly(PluginHost.parsePath(p), "lfs-cloud.pluginPath")));
        return roots;
    }

    /**
     * Plugin folders must be absolute: git-lfs runs the agent inside the repository, so a
     * relative folder would load code from whatever repository the user happens to be in.
     * A folder that does not exist is said once, not silently skipped.
     */
    private static List<Path> absoluteOnly(List<Path> folders, String source) {
        List<Path> out = new ArrayList<>();
        for (Path p : folders) {
            if (p.isAbsolute()) {
                if (!java.nio.file.Files.isDirectory(p)) {
                    Log.warn(source + " names " + p + ", which is not a folder; ignored");
                }
                out.add(p);
            } else {
                Log.warn(source + " entry '" + p + "' is not an absolute path; ignored (a relative folder would load"
                        + " code from the repository you are in)");
            }
        }
        return out;
    }

    private static void addEmbedded(ServiceLoader<StorageBackendProvider> loader, List<Found> found, List<Broken> broken) {
        List<StorageBackendProvider> providers = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        // plugin layers are children of this one: leave their providers to the plugin host
        PluginHost.collect(loader, type -> type.getModule().getLayer() == null
                || type.getModule().getLayer() == BackendRegistry.class.getModule().getLayer(), providers, problems);
        for (StorageBackendProvider p : providers) {
            found.add(new Found(p, originOf(p.getClass())));
        }
        for (String problem : problems) {
            broken.add(new Broken("embedded backend", problem));
        }
    }

    /** The module and where its code was loaded from. */
    static String originOf(Class<?> type) {
        Module m = type.getModule();
        String where;
        try {
            var cs = type.getProtectionDomain().getCodeSource();
            where = cs == null || cs.getLocation() == null ? "?" : cs.getLocation().toString();
        } catch (SecurityException e) {
            where = "?";
        }
        return (m.isNamed() ? "module " + m.getName() : "class path") + " (" + where + ")";
    }

    public List<Found> providers() {
        return found;
    }

    public List<Broken> broken() {
        return broken;
    }

    /**
     * The provider that serves {@code location}: the highest priority among those that
     * accept its scheme.
     *
     * @throws StorageException MISCONFIGURED naming the URL and every installed provider
     */
    public StorageBackendProvider providerFor(URI location) throws StorageException {
        String scheme = location.getScheme() == null ? "" : location.getScheme().toLowerCase(Locale.ROOT);
        loadDeferred(scheme);
        StorageBackendProvider best = null;
        int bestPriority = Integer.MIN_VALUE;
        for (Found f : found) {
            if (!f.provider().schemes().contains(scheme)) {
                continue;
            }
            int priority;
            try {
                priority = f.provider().priority(location);
            } catch (RuntimeException e) {
                continue;
            }
            if (priority >= 0 && priority > bestPriority) {
                best = f.provider();
                bestPriority = priority;
            }
        }
        if (best == null) {
            loadDeferred(null); // every installed backend is named in the error: load the rest to name them
            String installed = found.isEmpty() ? "none"
                    : found.stream().map(f -> f.provider().name() + " (" + String.join(", ", sorted(f))
                            + ")").collect(Collectors.joining("; "));
            throw new StorageException(StorageException.Kind.MISCONFIGURED,
                    (scheme.isEmpty() ? "no URL scheme in '" + location + "'"
                            : "no storage backend accepts '" + location + "'")
                            + "; installed backends: " + installed);
        }
        return best;
    }

    private static List<String> sorted(Found f) {
        return f.provider().schemes().stream().sorted(Comparator.naturalOrder()).toList();
    }

    /** The backend for {@code location}, opened once per provider and then shared. */
    public StorageBackend backendFor(URI location, BackendConfig config) throws StorageException {
        StorageBackendProvider provider = providerFor(location);
        StorageBackend backend = open.get(provider);
        if (backend != null) {
            return backend;
        }
        synchronized (open) {
            backend = open.get(provider);
            if (backend == null) {
                try {
                    backend = provider.open(location, config);
                } catch (StorageException e) {
                    throw e;
                } catch (RuntimeException | LinkageError e) {
                    throw new StorageException(StorageException.Kind.MISCONFIGURED,
                            "storage backend '" + provider.name() + "' failed to start: " + e, e);
                }
                open.put(provider, backend);
            }
            return backend;
        }
    }

    /**
     * Makes {@link #close()} do nothing: the transfer server shares one registry (and the
     * backends it opened) between connections, whose agents each close theirs when done;
     * {@link #closePinned()} closes it for good.
     */
    public BackendRegistry pin() {
        pinned = true;
        return this;
    }

    /** Closes a {@linkplain #pin() pinned} registry. */
    public void closePinned() {
        pinned = false;
        close();
    }

    @Override
    public void close() {
        if (pinned) {
            return;
        }
        for (StorageBackend b : open.values()) {
            try {
                b.close();
            } catch (RuntimeException e) {
                // closing is best effort
            }
        }
        open.clear();
    }
}
