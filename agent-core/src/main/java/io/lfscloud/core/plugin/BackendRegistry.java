package io.lfscloud.core.plugin;

import io.lfscloud.core.Log;
import io.lfscloud.core.policy.UrlPolicy;
import io.lfscloud.spi.BackendConfig;
import io.lfscloud.spi.BackendContext;
import io.lfscloud.spi.Diagnostics;
import io.lfscloud.spi.RetryPolicy;
import io.lfscloud.spi.StorageBackend;
import io.lfscloud.spi.StorageBackendProvider;
import io.lfscloud.spi.StorageException;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

/**
 * Chooses the storage provider for a URL (by scheme and priority) and opens backends; the
 * providers come from {@link PluginHost}. A provider that fails to load is recorded and
 * skipped; it never stops the others.
 *
 * <p>For the agent, a plugin folder that declares its schemes in
 * {@value PluginHost#DECLARATION} ({@code schemes=s3}) is loaded only when a URL of one of them is
 * asked for (and, when it also names {@code hosts}, an {@code https:} URL of one of those): a module layer of an SDK costs ~0.1 s per agent process, and git-lfs starts
 * eight of them for every command, most of which never touch that SDK.
 *
 * <p>Backends are opened per location: one per provider, {@linkplain StorageBackendProvider#scope
 * scope} of the URL (an S3 bucket) and the settings the backend read, so that two buckets on
 * two S3 servers work side by side, and a changed setting (or another repository's, when one
 * registry serves several) gets a backend of its own instead of one opened with other settings.
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

    /** A plugin folder not loaded yet, and what it declares. */
    private record Deferred(Path folder, PluginHost.Declaration declared) {
    }

    /** Which backends may be shared: one provider's, for one scope. */
    private record Scope(StorageBackendProvider provider, String name) {
    }

    /** An open backend and every setting it read (absent ones too), with the value it read. */
    private record Opened(Map<String, Optional<String>> read, StorageBackend backend, long[] lastUsed) {
        Opened(Map<String, Optional<String>> read, StorageBackend backend) {
            this(read, backend, new long[] {System.nanoTime()});
        }

        /** Notes a hand-out; false when it was closed as unused (then it is not handed out). */
        boolean use() {
            synchronized (lastUsed) {
                if (lastUsed[0] == Long.MIN_VALUE) {
                    return false;
                }
                lastUsed[0] = System.nanoTime();
                return true;
            }
        }

        /** Marks it closed when last handed out before {@code cutoff} (nanoTime). */
        boolean retireIfUnusedSince(long cutoff) {
            synchronized (lastUsed) {
                if (lastUsed[0] == Long.MIN_VALUE || lastUsed[0] - cutoff >= 0) {
                    return false;
                }
                lastUsed[0] = Long.MIN_VALUE;
                return true;
            }
        }

        boolean sameSettings(BackendConfig config) {
            for (Map.Entry<String, Optional<String>> e : read.entrySet()) {
                if (!config.get(e.getKey()).equals(e.getValue())) {
                    return false;
                }
            }
            return true;
        }
    }

    /** Backends' trace lines go to the agent's own. */
    static final Diagnostics DIAGNOSTICS = new Diagnostics() {
        @Override
        public boolean tracing() {
            return Log.verbose();
        }

        @Override
        public void trace(String message) {
            Log.trace(message);
        }
    };

    private final List<Found> found;
    private final List<Broken> broken;
    private final List<Deferred> deferred;
    private final Map<Scope, List<Opened>> open = new ConcurrentHashMap<>();
    private volatile boolean pinned;

    public BackendRegistry(List<Found> found, List<Broken> broken) {
        this(found, broken, List.of());
    }

    private BackendRegistry(List<Found> found, List<Broken> broken, List<Deferred> deferred) {
        this.found = new CopyOnWriteArrayList<>(found);
        this.broken = new CopyOnWriteArrayList<>(broken);
        this.deferred = new ArrayList<>(deferred);
    }

    /** The embedded providers and those of the product's own {@code plugins/} folder. */
    public static BackendRegistry load() {
        return load(Optional.empty());
    }

    /**
     * The embedded providers, then those of every plugin folder (see
     * {@link PluginHost#pluginRoots}; {@code configuredPath} is the {@code lfs-cloud.pluginPath} setting).
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
        List<StorageBackendProvider> embedded = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        PluginHost.embedded(embedded, problems);
        embedded.sort(Comparator.comparing(StorageBackendProvider::name)); // ServiceLoader's order is the image's
        for (StorageBackendProvider p : embedded) {
            found.add(new Found(p, PluginHost.originOf(p.getClass())));
        }
        for (String problem : problems) {
            broken.add(new Broken("embedded backend", problem));
        }
        for (Path folder : PluginHost.pluginFolders(PluginHost.pluginRoots(configuredPath))) {
            PluginHost.Declaration declared = lazily ? PluginHost.declaration(folder) : null;
            if (declared != null) {
                deferred.add(new Deferred(folder, declared));
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

    /** Loads the deferred plugin folders that claim {@code location} (all of them for {@code null}). */
    private void loadDeferred(URI location) {
        synchronized (deferred) {
            for (var it = deferred.iterator(); it.hasNext(); ) {
                Deferred d = it.next();
                if (location != null && !d.declared().wants(location)) {
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
                    if (!d.declared().schemes().containsAll(f.provider().schemes())) {
                        Log.trace(d.folder() + " declares " + d.declared().schemes() + " in " + PluginHost.DECLARATION
                                + " but its provider '" + f.provider().name() + "' serves " + f.provider().schemes());
                    }
                }
            }
        }
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
        loadDeferred(location);
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

    /**
     * The backend for {@code location}: the one already open for its provider, its scope and
     * the same values of every setting that backend read, or a new one opened with a
     * {@link BackendContext} (the location, {@code config} scoped to it, diagnostics, the retry
     * policy of {@code config}).
     *
     * @throws StorageException MISCONFIGURED when no provider serves {@code location}, its scope is
     *                          not a plain name, a setting is invalid or the provider fails to open
     */
    public StorageBackend backendFor(URI location, BackendConfig config) throws StorageException {
        StorageBackendProvider provider = providerFor(location);
        Scope scope = new Scope(provider, scopeOf(provider, location));
        List<Opened> candidates = open.computeIfAbsent(scope, k -> new CopyOnWriteArrayList<>());
        for (Opened o : candidates) {
            if (o.sameSettings(config) && o.use()) {
                return o.backend();
            }
        }
        synchronized (candidates) {
            for (Opened o : candidates) {
                if (o.sameSettings(config) && o.use()) {
                    return o.backend();
                }
            }
            Recording recording = new Recording(config);
            // the URL policy a backend applies to redirects reads these: part of what it was opened with
            recording.get(UrlPolicy.ALLOW_FILE);
            recording.get(UrlPolicy.ALLOW_PRIVATE);
            RetryPolicy retry = RetryPolicy.from(recording);
            BackendContext context = new BackendContext(location, scope.name(),
                    recording.scoped(provider.name(), scope.name()), DIAGNOSTICS, retry);
            StorageBackend backend;
            try {
                backend = provider.open(context);
            } catch (StorageException e) {
                throw e;
            } catch (RuntimeException | LinkageError e) {
                throw new StorageException(StorageException.Kind.MISCONFIGURED,
                        "storage backend '" + provider.name() + "' failed to start: " + e, e);
            }
            if (backend == null) {
                throw new StorageException(StorageException.Kind.MISCONFIGURED,
                        "storage backend '" + provider.name() + "' opened nothing for " + location);
            }
            candidates.add(new Opened(recording.read, backend));
            if (candidates.size() > 1) {
                Log.trace("storage backend '" + provider.name() + "' opened again for " + location
                        + " with other settings (" + candidates.size() + " open for its scope)");
            }
            return backend;
        }
    }

    /**
     * A backend of its own for {@code location}, handed git's {@code credentials}: never shared (the
     * credentials are one repository's), closed by the caller.
     */
    public StorageBackend openUnshared(URI location, BackendConfig config, io.lfscloud.spi.Credentials credentials)
            throws StorageException {
        StorageBackendProvider provider = providerFor(location);
        BackendContext context = new BackendContext(location, "", config, DIAGNOSTICS, RetryPolicy.from(config), credentials);
        try {
            return java.util.Objects.requireNonNull(provider.open(context), "opened nothing");
        } catch (RuntimeException | LinkageError e) {
            throw new StorageException(StorageException.Kind.MISCONFIGURED,
                    "storage backend '" + provider.name() + "' failed to start: " + e, e);
        }
    }

    /** The provider's scope of {@code location}, which must be usable as a git config subsection. */
    private static String scopeOf(StorageBackendProvider provider, URI location) throws StorageException {
        String scope;
        try {
            scope = provider.scope(location);
        } catch (RuntimeException e) {
            throw new StorageException(StorageException.Kind.MISCONFIGURED,
                    "storage backend '" + provider.name() + "' cannot serve " + location + ": " + e.getMessage(), e);
        }
        if (scope == null || scope.chars().anyMatch(c -> c < 0x20 || c == 0x7f || c == '"' || c == '\\')) {
            throw new StorageException(StorageException.Kind.MISCONFIGURED,
                    "storage backend '" + provider.name() + "' gave no usable scope for " + location);
        }
        return scope;
    }

    /**
     * Settings that remember every key read through them (and what it read as), so that a
     * backend is shared only with callers whose settings agree on all of those.
     */
    private static final class Recording implements BackendConfig {
        final Map<String, Optional<String>> read = new ConcurrentHashMap<>();
        private final BackendConfig config;

        Recording(BackendConfig config) {
            this.config = config;
        }

        @Override
        public Optional<String> get(String key) {
            Optional<String> v = config.get(key);
            read.putIfAbsent(key, v);
            return v;
        }

        @Override
        public void checkRedirect(URI from, URI to) throws StorageException {
            config.checkRedirect(from, to);
        }
    }

    /** How many backends are open (one per provider, scope and the settings it read). */
    public int openBackends() {
        return open.values().stream().mapToInt(List::size).sum();
    }

    /**
     * Closes the backends last handed out before {@code cutoff} ({@link System#nanoTime()}),
     * for a long-lived registry whose callers' settings change (a backend opened with settings
     * nobody has any more is never asked for again). The caller chooses a cutoff before which
     * none of its current users began: a backend in use is never closed.
     *
     * @return how many were closed
     */
    public int closeUnusedSince(long cutoff) {
        int closed = 0;
        for (List<Opened> backends : open.values()) {
            synchronized (backends) {
                for (Opened o : backends) {
                    if (o.retireIfUnusedSince(cutoff)) {
                        backends.remove(o);
                        closed++;
                        try {
                            o.backend().close();
                        } catch (RuntimeException e) {
                            // closing is best effort
                        }
                    }
                }
            }
        }
        return closed;
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
        for (List<Opened> backends : open.values()) {
            for (Opened o : backends) {
                try {
                    o.backend().close();
                } catch (RuntimeException e) {
                    // closing is best effort
                }
            }
        }
        open.clear();
    }
}
