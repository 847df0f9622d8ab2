package io.lfscloud.e2e;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Backends dropped into an already built product, as a user or a third party would:
 * plugin jars are compiled here, at test time, against the SPI, and copied into a copy of
 * the image's {@code plugins/} (or a folder named by {@code LFS_CLOUD_PLUGIN_PATH}),
 * without rebuilding anything. Two plugins carry different versions of one library;
 * one has split packages (class-loader fallback); three are broken on purpose.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PluginTest {

    static final String SPI = "io.lfscloud.spi.StorageBackendProvider";

    @TempDir
    static Path tmp;

    Path image;
    Path morePlugins;
    Sandbox sb;

    @BeforeAll
    void dropPlugins() throws IOException {
        image = tmp.resolve("installed/lfs-cloud");
        PluginBuilder.copyTree(Sandbox.IMAGE, image);
        Path plugins = image.resolve("plugins");
        morePlugins = tmp.resolve("more-plugins");
        Path work = Files.createDirectories(tmp.resolve("build"));

        // two plugins, each with its own version of demo.lib
        Path lib1 = PluginBuilder.lib(work, plugins.resolve("alpha/demo-lib-1.jar"), "1");
        PluginBuilder.backend(work, plugins.resolve("alpha/demo-alpha.jar"), "alpha", "alpha", lib1, "");
        Path lib2 = PluginBuilder.lib(work, morePlugins.resolve("beta/demo-lib-2.jar"), "2");
        PluginBuilder.backend(work, morePlugins.resolve("beta/demo-beta.jar"), "beta", "beta", lib2, "");

        // split package: two plain jars share gamma.impl, so they cannot be modules in one layer
        Path helper = PluginBuilder.jar(work, plugins.resolve("gamma/gamma-helper.jar"), Map.of(
                "gamma/impl/Helper.java", "package gamma.impl; public final class Helper { public static String name() { return \"gamma\"; } }"),
                Map.of(), List.of());
        String alphaSource = Files.readString(Path.of("src/test/plugin-sources/DemoBackend.java.template"))
                .replace("package demo.NAME;", "package gamma.impl;").replace("import demo.lib.Lib;\n", "")
                .replace("\"NAME-lib\" + Lib.version()", "Helper.name()").replace("SCHEME", "gamma");
        PluginBuilder.jar(work, plugins.resolve("gamma/gamma-provider.jar"), Map.of("gamma/impl/DemoProvider.java", alphaSource),
                Map.of("META-INF/services/" + SPI, "gamma.impl.DemoProvider\n"), List.of(),
                List.of(PluginBuilder.spiJar(), helper));

        // broken: a corrupt jar; a missing dependency; a provider that throws
        byte[] junk = new byte[4096];
        new Random(1).nextBytes(junk);
        Files.createDirectories(plugins.resolve("broken-corrupt"));
        Files.write(plugins.resolve("broken-corrupt/garbage.jar"), junk);
        Path missing = PluginBuilder.jar(work, work.resolve("not-shipped/demo-missing.jar"),
                Map.of("module-info.java", "module demo.missing { }"), Map.of(), List.of());
        PluginBuilder.backend(work, plugins.resolve("broken-missing/demo-delta.jar"), "delta", "delta",
                PluginBuilder.lib(work, plugins.resolve("broken-missing/demo-lib-1.jar"), "1"), "requires demo.missing;", missing);
        PluginBuilder.jar(work, plugins.resolve("broken-throws/thrower.jar"), Map.of(
                "module-info.java", "module demo.thrower { requires io.lfscloud.core; provides " + SPI + " with demo.thrower.Thrower; }",
                "demo/thrower/Thrower.java", """
                        package demo.thrower;
                        public final class Thrower implements io.lfscloud.spi.StorageBackendProvider {
                            public Thrower() { throw new IllegalStateException("this provider always fails"); }
                            public String name() { return "thrower"; }
                            public java.util.Set<String> schemes() { return java.util.Set.of("thrower"); }
                            public io.lfscloud.spi.StorageBackend open(java.net.URI u, io.lfscloud.spi.BackendConfig c) { return null; }
                        }
                        """), Map.of(), List.of(PluginBuilder.spiJar()));

        sb = new Sandbox(tmp, image);
        sb.env("LFS_CLOUD_PLUGIN_PATH", morePlugins.toString());
    }

    @Test
    void backendsListsEveryDroppedPluginAndReportsTheBrokenOnes() {
        Sandbox.Result r = sb.run(tmp, "git", "lfs-cloud", "backends", "--verbose");
        assertEquals(1, r.exitCode(), "broken plugins make 'backends' fail: " + r.all());
        String out = r.out();
        assertTrue(out.contains("alpha-lib1") && out.contains("beta-lib2"),
                "each plugin sees its own version of demo.lib:\n" + out);
        assertTrue(out.matches("(?s).*alpha-lib1 .*plugins/alpha\\s+loaded as: module layer\\n.*"), out);
        assertTrue(out.matches("(?s).*beta-lib2 .*more-plugins/beta\\s+loaded as: module layer\\n.*"), out);
        assertTrue(out.matches("(?s).*gamma .*plugins/gamma\\s+loaded as: class loader \\(.*gamma\\.impl.*"), out);
        assertTrue(out.matches("(?s).*file .*embedded.*"), out);
        assertTrue(out.matches("(?s).*BROKEN +plugin .*broken-corrupt: .*"), out);
        assertTrue(out.matches("(?s).*BROKEN +plugin .*broken-missing: .*demo\\.missing.*"), out);
        assertTrue(out.matches("(?s).*BROKEN +plugin .*broken-throws: .*this provider always fails.*"), out);
    }

    private void pushAndCloneThrough(String scheme) throws IOException {
        Sandbox.Project p = sb.project("via-" + scheme);
        Path store = tmp.resolve(scheme + "-store");
        sb.git(p.work(), "config", "-f", ".lfs-meta/config", "lfs-cloud.store", scheme + "://" + store).ok();
        String oid = Sandbox.writeRandom(p.work().resolve("data.bin"), 2_000_000, scheme.hashCode());
        sb.git(p.work(), "add", ".").ok();
        sb.git(p.work(), "commit", "-q", "-m", "through " + scheme).ok();
        sb.git(p.work(), "push", "-q", "origin", "main").ok();
        assertEquals(oid, Sandbox.sha256(Sandbox.objectPath(store, oid)), "the plugin stored the object");

        Path clone = tmp.resolve("clone-" + scheme);
        sb.run(tmp, "git", "lfs-cloud", "clone", p.origin().toString(), clone.toString()).ok();
        assertEquals(oid, Sandbox.sha256(clone.resolve("data.bin")));
    }

    @Test
    void realGitLfsPushesAndClonesThroughAPluginInAModuleLayer() throws IOException {
        pushAndCloneThrough("alpha");
    }

    @Test
    void realGitLfsPushesAndClonesThroughAPluginFromThePluginPath() throws IOException {
        pushAndCloneThrough("beta");
    }

    @Test
    void realGitLfsPushesAndClonesThroughAPluginInAClassLoader() throws IOException {
        pushAndCloneThrough("gamma");
    }
}
