package io.lfscloud.e2e;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** Compiles small third-party plugins at test time, as an outside author would build them. */
final class PluginBuilder {

    /** The SPI a plugin compiles against: the agent-spi jar the image was built from. */
    static Path spiJar() throws IOException {
        try (Stream<Path> s = Files.list(Sandbox.IMAGE.getParent().resolve("modules"))) {
            return s.filter(p -> p.getFileName().toString().startsWith("agent-spi-")).findFirst()
                    .orElseThrow(() -> new IOException("agent-spi jar not found next to the image"));
        }
    }

    /**
     * Compiles {@code sources} (file name → text) with {@code modulePath} and packs the classes
     * and {@code resources} into {@code jar}.
     */
    static Path jar(Path work, Path jar, Map<String, String> sources, Map<String, String> resources,
                    List<Path> modulePath) throws IOException {
        return jar(work, jar, sources, resources, modulePath, List.of());
    }

    static Path jar(Path work, Path jar, Map<String, String> sources, Map<String, String> resources,
                    List<Path> modulePath, List<Path> classPath) throws IOException {
        Path src = Files.createTempDirectory(work, "src");
        Path classes = Files.createTempDirectory(work, "classes");
        List<String> args = new ArrayList<>(List.of("-d", classes.toString(), "--release", "25"));
        if (!modulePath.isEmpty()) {
            args.addAll(List.of("--module-path", String.join(":", modulePath.stream().map(Path::toString).toList())));
        }
        if (!classPath.isEmpty()) {
            args.addAll(List.of("-classpath", String.join(":", classPath.stream().map(Path::toString).toList())));
        }
        for (Map.Entry<String, String> e : sources.entrySet()) {
            Path f = src.resolve(e.getKey());
            Files.createDirectories(f.getParent());
            Files.writeString(f, e.getValue());
            args.add(f.toString());
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = javac.run(null, err, err, args.toArray(String[]::new));
        if (rc != 0) {
            fail("compiling a test plugin failed:\n" + err.toString(StandardCharsets.UTF_8));
        }
        Files.createDirectories(jar.getParent());
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out)) {
            try (Stream<Path> s = Files.walk(classes)) {
                for (Path p : s.filter(Files::isRegularFile).sorted().toList()) {
                    j.putNextEntry(new JarEntry(classes.relativize(p).toString()));
                    j.write(Files.readAllBytes(p));
                    j.closeEntry();
                }
            }
            for (Map.Entry<String, String> r : resources.entrySet()) {
                j.putNextEntry(new JarEntry(r.getKey()));
                j.write(r.getValue().getBytes(StandardCharsets.UTF_8));
                j.closeEntry();
            }
        }
        return jar;
    }

    /** {@code demo.lib} at {@code version}: a library two plugins carry in different versions. */
    static Path lib(Path work, Path jar, String version) throws IOException {
        return jar(work, jar, Map.of(
                "module-info.java", "module demo.lib { exports demo.lib; }",
                "demo/lib/Lib.java", "package demo.lib; public final class Lib { public static String version() { return \""
                        + version + "\"; } }"), Map.of(), List.of());
    }

    /** A backend module named {@code demo.<name>} for scheme {@code scheme}, using {@code demo.lib}. */
    static Path backend(Path work, Path jar, String name, String scheme, Path libJar, String extraModuleInfo,
                        Path... compileOnly) throws IOException {
        String template = Files.readString(Path.of("src/test/plugin-sources/DemoBackend.java.template"));
        String source = template.replace("NAME", name).replace("SCHEME", scheme);
        String moduleInfo = "module demo." + name + " { requires io.lfscloud.spi; requires demo.lib; " + extraModuleInfo
                + " provides io.lfscloud.spi.StorageBackendProvider with demo." + name + ".DemoProvider; }";
        return jar(work, jar, Map.of("module-info.java", moduleInfo, "demo/" + name + "/DemoProvider.java", source),
                Map.of(), Stream.concat(Stream.of(spiJar(), libJar), Stream.of(compileOnly)).toList());
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
        assertEquals(Files.isDirectory(from), Files.isDirectory(to));
    }
}
