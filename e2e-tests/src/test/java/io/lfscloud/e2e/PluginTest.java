package io.lfscloud.e2e;

import com.fasterxml.jackson.databind.JsonNode;
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
import static org.junit.jupiter.api.Assertions.assertFalse;
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
                "module-info.java", "module demo.thrower { requires io.lfscloud.spi; provides " + SPI + " with demo.thrower.Thrower; }",
                "demo/thrower/Thrower.java", """
                        package demo.thrower;
                        public final class Thrower implements io.lfscloud.spi.StorageBackendProvider {
                            public Thrower() { throw new IllegalStateException("this provider always fails"); }
                            public String name() { return "thrower"; }
                            public java.util.Set<String> schemes() { return java.util.Set.of("thrower"); }
                            public io.lfscloud.spi.StorageBackend open(io.lfscloud.spi.BackendContext c) { return null; }
                        }
                        """), Map.of(), List.of(PluginBuilder.spiJar()));

        // two plugins that declare their schemes: loaded by an agent only for URLs of those
        Path lib3 = PluginBuilder.lib(work, plugins.resolve("epsilon/demo-lib-3.jar"), "3");
        PluginBuilder.backend(work, plugins.resolve("epsilon/demo-epsilon.jar"), "epsilon", "epsilon", lib3, "");
        Files.writeString(plugins.resolve("epsilon/lfs-cloud-plugin.properties"), "schemes=epsilon\n");
        Files.createDirectories(plugins.resolve("broken-declared"));
        Files.write(plugins.resolve("broken-declared/garbage.jar"), junk);
        Files.writeString(plugins.resolve("broken-declared/lfs-cloud-plugin.properties"), "schemes=zeta\n");
        // and one that claims https URLs of some hosts only (as the Azure plugin does)
        Files.createDirectories(plugins.resolve("broken-hosted"));
        Files.write(plugins.resolve("broken-hosted/garbage.jar"), junk);
        Files.writeString(plugins.resolve("broken-hosted/lfs-cloud-plugin.properties"),
                "schemes=https\nhosts=*.hosted.test\n");

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
    void aPluginThatDeclaresItsSchemesIsLoadedOnlyForThem() throws Exception {
        // 'backends' loads everything, declared or not
        String out = sb.run(tmp, "git", "lfs-cloud", "backends").out();
        assertTrue(out.contains("epsilon-lib3") && out.matches("(?s).*BROKEN +plugin .*broken-declared: .*"), out);

        // an agent serving a folder store leaves both declared plugins alone
        Sandbox.Project p = sb.project("lazy");
        String oid = "ab".repeat(32);
        try (AgentProcess a = new AgentProcess(sb, p.work(), Map.of("LFS_CLOUD_TRACE", "1"))) {
            a.init("download");
            a.send("{\"event\":\"download\",\"oid\":\"" + oid + "\",\"size\":5,\"action\":null}");
            assertEquals(404, a.complete(oid).path("error").path("code").asInt());
            a.send("{\"event\":\"terminate\"}");
            assertEquals(0, a.exitCode());
            assertTrue(a.stderr().contains("broken-corrupt"), "undeclared plugins still load (and fail): " + a.stderr());
            assertFalse(a.stderr().contains("broken-declared"), "a declared plugin is not loaded for file: " + a.stderr());
            // file and lfs (embedded), alpha, beta, gamma; not the shipped http and s3 plugins nor epsilon, which all declare
            assertTrue(a.stderr().matches("(?s).*storage backends found in \\d+ ms: 5 providers.*"), a.stderr());
        }

        // a URL of a declared scheme loads it: the working one serves a push and a clone
        pushAndCloneThrough("epsilon");
        // and the broken one is reported when its scheme is asked for
        Sandbox.Project z = sb.project("zeta");
        sb.git(z.work(), "config", "lfs-cloud.store", "zeta://somewhere").ok();
        try (AgentProcess a = new AgentProcess(sb, z.work())) {
            a.init("download");
            a.send("{\"event\":\"download\",\"oid\":\"" + oid + "\",\"size\":5,\"action\":null}");
            JsonNode failed = a.complete(oid);
            assertTrue(failed.path("error").path("message").asText().contains("no storage backend accepts 'zeta://somewhere/"),
                    failed.toString());
            a.send("{\"event\":\"terminate\"}");
            assertEquals(0, a.exitCode());
            assertTrue(a.stderr().contains("broken-declared"), a.stderr());
        }
    }

    @Test
    void aPluginThatDeclaresHostsIsLoadedOnlyForHttpsUrlsOfThem() throws Exception {
        String oid = "cd".repeat(32);
        for (String host : List.of("127.0.0.1", "store.hosted.test")) {
            Sandbox.Project p = sb.project("hosted-" + host);
            sb.git(p.work(), "config", "lfs-cloud.store", "https://" + host + ":1/store").ok();
            try (AgentProcess a = new AgentProcess(sb, p.work())) {
                a.init("download");
                a.send("{\"event\":\"download\",\"oid\":\"" + oid + "\",\"size\":5,\"action\":null}");
                assertTrue(a.complete(oid).has("error"), "nothing listens on port 1");
                a.send("{\"event\":\"terminate\"}");
                assertEquals(0, a.exitCode());
                assertEquals(host.endsWith(".hosted.test"), a.stderr().contains("broken-hosted"),
                        "the plugin is loaded (and fails) only for its hosts (" + host + "): " + a.stderr());
            }
        }
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
