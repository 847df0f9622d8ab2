package io.lfscloud.core.plugin;

import io.lfscloud.core.Log;
import io.lfscloud.spi.StorageBackendProvider;

import java.io.IOException;
import java.io.Reader;
import java.lang.module.Configuration;
import java.lang.module.FindException;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.lang.module.ResolutionException;
import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Finds storage backend providers: the embedded ones, and those of plugin folders (where
 * they are, which schemes they declare, loading each). {@link BackendRegistry} chooses among
 * what this finds and opens backends; this class never opens one.
 *
 * <p>Each plugin folder (one backend's jar and its
 * dependencies) becomes its own {@link ModuleLayer} over the boot layer, so two plugins
 * can carry different versions of one library. When a folder's jars cannot resolve as
 * modules because they share packages (cloud SDKs do), the plugin gets an isolating class
 * loader instead, which sees only its own jars, the JDK and the storage SPI.
 *
 * <p>A plugin that fails (corrupt jar, missing dependency, a provider that throws) is
 * reported and skipped; it never stops the others.
 */
public final class PluginHost {

    /** How one plugin folder was loaded. */
    public record Loaded(Path folder, String mode, String why, List<StorageBackendProvider> providers,
                         List<String> problems) {
    }

    /** The layer-based way. */
    public static final String MODULE_LAYER = "module layer";
    /** The fallback for jars that do not resolve as modules. */
    public static final String CLASS_LOADER = "class loader";

    private static final String SPI_PACKAGE = StorageBackendProvider.class.getPackageName();

    /** The file in a plugin folder that declares the URL schemes its providers serve. */
    public static final String DECLARATION = "lfs-cloud-plugin.properties";

    private PluginHost() {
    }

    /**
     * Folders that hold plugin folders: the product's {@code plugins/}, those listed by
     * {@code LFS_CLOUD_PLUGIN_PATH}, and those listed by the {@code lfs-cloud.pluginPath}
     * setting ({@code configuredPath}).
     */
    public static List<Path> pluginRoots(Optional<String> configuredPath) {
        List<Path> roots = new ArrayList<>();
        String home = System.getProperty("lfscloud.home");
        if (home != null && !home.isBlank()) {
            roots.add(Path.of(home, "plugins"));
        }
        roots.addAll(absoluteOnly(parsePath(System.getenv("LFS_CLOUD_PLUGIN_PATH")), "LFS_CLOUD_PLUGIN_PATH"));
        configuredPath.ifPresent(p -> roots.addAll(absoluteOnly(parsePath(p), "lfs-cloud.pluginPath")));
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

    /**
     * What a plugin folder declares in {@value #DECLARATION}: the URL schemes its providers serve
     * ({@code schemes=az,https}) and, optionally, the only hosts whose {@code http:}/{@code https:}
     * URLs it claims ({@code hosts=*.blob.core.windows.net}; a {@code *.} entry matches any
     * subdomain). Without {@code hosts}, every URL of its schemes loads it.
     */
    record Declaration(Set<String> schemes, List<String> hosts) {
        /** Whether a URL may be served by this plugin, so that it is worth loading. */
        boolean wants(URI location) {
            String scheme = location.getScheme() == null ? "" : location.getScheme().toLowerCase(Locale.ROOT);
            if (!schemes.contains(scheme)) {
                return false;
            }
            if (hosts.isEmpty() || !(scheme.equals("http") || scheme.equals("https"))) {
                return true;
            }
            String host = location.getHost() == null ? "" : location.getHost().toLowerCase(Locale.ROOT);
            for (String h : hosts) {
                if (h.startsWith("*.") ? host.endsWith(h.substring(1)) && host.length() > h.length() - 1
                        : host.equals(h)) {
                    return true;
                }
            }
            return false;
        }
    }

    /** What a plugin folder declares; {@code null} when it declares no schemes (or unreadably). */
    static Declaration declaration(Path folder) {
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
        List<String> schemes = list(p.getProperty("schemes", ""));
        if (schemes.isEmpty()) {
            return null;
        }
        return new Declaration(Set.copyOf(schemes), list(p.getProperty("hosts", "")));
    }

    private static List<String> list(String commaSeparated) {
        return java.util.Arrays.stream(commaSeparated.split(",")).map(x -> x.strip().toLowerCase(Locale.ROOT))
                .filter(x -> !x.isEmpty()).distinct().toList();
    }

    /**
     * The providers of the host's own layer (embedded in the product): plugin layers are its
     * children, and their providers are found by {@link #load}.
     */
    static void embedded(List<StorageBackendProvider> providers, List<String> problems) {
        collect(ServiceLoader.load(StorageBackendProvider.class, PluginHost.class.getClassLoader()),
                type -> type.getModule().getLayer() == null
                        || type.getModule().getLayer() == PluginHost.class.getModule().getLayer(), providers, problems);
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

    /** The plugin folders inside each root (folders of plugin folders), in name order. */
    public static List<Path> pluginFolders(List<Path> roots) {
        List<Path> folders = new ArrayList<>();
        for (Path root : roots) {
            if (!Files.isDirectory(root)) {
                continue;
            }
            try (Stream<Path> s = Files.list(root)) {
                s.filter(Files::isDirectory).sorted().forEach(folders::add);
            } catch (IOException e) {
                // an unreadable root holds no plugins we can use
            }
        }
        return folders;
    }

    /** Loads one plugin folder. Never throws: failures are in {@link Loaded#problems()}. */
    public static Loaded load(Path folder) {
        List<String> problems = new ArrayList<>();
        try {
            return loadAsLayer(folder, problems);
        } catch (FindException | ResolutionException | LayerInstantiationException e) {
            String why = String.valueOf(e.getMessage());
            if (!why.toLowerCase(Locale.ROOT).contains("package")) {
                problems.add(why);
                return new Loaded(folder, MODULE_LAYER, null, List.of(), problems);
            }
            return loadWithClassLoader(folder, why, problems);
        } catch (RuntimeException | LinkageError e) {
            problems.add(String.valueOf(e));
            return new Loaded(folder, MODULE_LAYER, null, List.of(), problems);
        }
    }

    // ----------------------------------------------------------------- layers

    private static Loaded loadAsLayer(Path folder, List<String> problems) {
        ModuleLayer boot = ModuleLayer.boot();
        ModuleFinder all = ModuleFinder.of(folder);
        // a copy of a module the host already has (above all the SPI's own) would be a
        // second, incompatible copy: leave it out
        Set<ModuleReference> refs = all.findAll();
        List<String> shadowed = refs.stream().map(r -> r.descriptor().name())
                .filter(n -> boot.findModule(n).isPresent()).sorted().toList();
        if (!shadowed.isEmpty()) {
            problems.add("ignored jars of modules the host already has: " + String.join(", ", shadowed));
        }
        ModuleFinder finder = new ModuleFinder() {
            public Optional<ModuleReference> find(String name) {
                return boot.findModule(name).isPresent() ? Optional.empty() : all.find(name);
            }

            public Set<ModuleReference> findAll() {
                return refs.stream().filter(r -> boot.findModule(r.descriptor().name()).isEmpty())
                        .collect(Collectors.toSet());
            }
        };
        Set<String> roots = finder.findAll().stream().map(r -> r.descriptor().name()).collect(Collectors.toSet());
        Configuration cf = boot.configuration().resolveAndBind(finder, ModuleFinder.of(), roots);
        ModuleLayer layer = boot.defineModulesWithOneLoader(cf, PluginHost.class.getClassLoader());
        List<StorageBackendProvider> providers = new ArrayList<>();
        collect(ServiceLoader.load(layer, StorageBackendProvider.class), p -> p.getModule().getLayer() == layer,
                providers, problems);
        if (providers.isEmpty() && problems.isEmpty()) {
            problems.add("no storage backend provider in " + folder + " (a module must 'provides "
                    + StorageBackendProvider.class.getName() + "')");
        }
        return new Loaded(folder, MODULE_LAYER, null, providers, problems);
    }

    // ----------------------------------------------------------- class loader

    private static Loaded loadWithClassLoader(Path folder, String why, List<String> problems) {
        List<URL> urls = new ArrayList<>();
        try (Stream<Path> s = Files.list(folder)) {
            for (Path jar : s.filter(p -> p.toString().endsWith(".jar")).sorted().toList()) {
                if (containsSpi(jar)) {
                    problems.add("ignored " + jar.getFileName() + ": it holds the storage SPI, which the host provides");
                    continue;
                }
                urls.add(jar.toUri().toURL());
            }
        } catch (IOException e) {
            problems.add("cannot list " + folder + ": " + e.getMessage());
            return new Loaded(folder, CLASS_LOADER, why, List.of(), problems);
        }
        ClassLoader loader = new IsolatingLoader(folder, urls.toArray(URL[]::new));
        List<StorageBackendProvider> providers = new ArrayList<>();
        collect(ServiceLoader.load(StorageBackendProvider.class, loader), p -> p.getClassLoader() == loader,
                providers, problems);
        if (providers.isEmpty() && problems.isEmpty()) {
            problems.add("no storage backend provider in " + folder + " (class-path jars need META-INF/services/"
                    + StorageBackendProvider.class.getName() + ")");
        }
        return new Loaded(folder, CLASS_LOADER, why, providers, problems);
    }

    private static boolean containsSpi(Path jar) {
        try (JarFile f = new JarFile(jar.toFile())) {
            return f.getEntry(SPI_PACKAGE.replace('.', '/') + "/StorageBackendProvider.class") != null;
        } catch (IOException e) {
            return false; // a corrupt jar is reported when it is used
        }
    }

    /** Sees its own jars and the JDK; only the storage SPI comes from the host. */
    private static final class IsolatingLoader extends URLClassLoader {
        static {
            registerAsParallelCapable();
        }

        IsolatingLoader(Path folder, URL[] urls) {
            super("plugin:" + folder.getFileName(), urls, ClassLoader.getPlatformClassLoader());
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (name.startsWith(SPI_PACKAGE + ".")) {
                return StorageBackendProvider.class.getClassLoader().loadClass(name);
            }
            return super.loadClass(name, resolve);
        }
    }

    // ----------------------------------------------------------------- common

    /**
     * Instantiates the providers {@code loader} finds whose class passes {@code own};
     * every failure is added to {@code problems} instead of being thrown.
     */
    static void collect(ServiceLoader<StorageBackendProvider> loader,
                               java.util.function.Predicate<Class<?>> own,
                               List<StorageBackendProvider> providers, List<String> problems) {
        var it = loader.stream().iterator();
        while (true) {
            ServiceLoader.Provider<StorageBackendProvider> p;
            try {
                if (!it.hasNext()) {
                    return;
                }
                p = it.next();
            } catch (ServiceConfigurationError | LinkageError e) {
                problems.add(describe(e));
                continue;
            }
            try {
                if (own.test(p.type())) {
                    providers.add(p.get());
                }
            } catch (ServiceConfigurationError | RuntimeException | LinkageError e) {
                problems.add(describe(e));
            }
        }
    }

    private static String describe(Throwable e) {
        StringBuilder sb = new StringBuilder(String.valueOf(e.getMessage()));
        for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            sb.append(": ").append(c);
        }
        return sb.toString();
    }

    /** Folders given as a path list ({@code a:b}), as in {@code LFS_CLOUD_PLUGIN_PATH}. */
    static List<Path> parsePath(String list) {
        List<Path> roots = new ArrayList<>();
        if (list == null) {
            return roots;
        }
        for (String part : list.split(java.io.File.pathSeparator)) {
            if (!part.isBlank()) {
                roots.add(Path.of(part.strip()));
            }
        }
        return roots;
    }
}
