package io.lfscloud.core.plugin;

import io.lfscloud.spi.StorageBackendProvider;

import java.io.IOException;
import java.lang.module.Configuration;
import java.lang.module.FindException;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.lang.module.ResolutionException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Loads storage backends from plugin folders: each folder (one backend's jar and its
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

    private PluginHost() {
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
                return PluginHost.class.getClassLoader().loadClass(name);
            }
            return super.loadClass(name, resolve);
        }
    }

    // ----------------------------------------------------------------- common

    /**
     * Instantiates the providers {@code loader} finds whose class passes {@code own};
     * every failure is added to {@code problems} instead of being thrown.
     */
    public static void collect(ServiceLoader<StorageBackendProvider> loader,
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
    public static List<Path> parsePath(String list) {
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
