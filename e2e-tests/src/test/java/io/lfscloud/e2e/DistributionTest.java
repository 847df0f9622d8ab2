package io.lfscloud.e2e;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The tarball users install: extracted somewhere else, it runs on its own runtime. */
class DistributionTest {

    @TempDir
    Path tmp;

    private static Path tarball() throws IOException {
        try (Stream<Path> s = Files.list(Sandbox.IMAGE.getParent())) {
            return s.filter(p -> p.getFileName().toString().matches("lfs-cloud-.*-linux-x64\\.tar\\.gz"))
                    .findFirst().orElseThrow(() -> new IOException("no tarball next to " + Sandbox.IMAGE));
        }
    }

    private static Stream<Path> jars(Path folder) {
        try {
            return Files.list(folder).filter(p -> p.toString().endsWith(".jar")).toList().stream();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void eachShippedPluginDeclaresExactlyTheSchemesItServes() throws IOException {
        // agents load a plugin only for the schemes it declares: a wrong declaration would hide it
        Sandbox sb = new Sandbox(tmp);
        String out = sb.run(tmp, Sandbox.IMAGE.resolve("bin/git-lfs-cloud").toString(), "backends").ok().out();
        int checked = 0;
        try (Stream<Path> folders = Files.list(Sandbox.IMAGE.resolve("plugins"))) {
            for (Path folder : folders.sorted().toList()) {
                java.util.Properties declared = new java.util.Properties();
                try (var r = Files.newBufferedReader(folder.resolve("lfs-cloud-plugin.properties"))) {
                    declared.load(r);
                }
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^\\S+\\s+(\\S+)\\s+plugin " 
                        + java.util.regex.Pattern.quote(folder.toString()) + "$").matcher(out);
                assertTrue(m.find(), folder + " in:\n" + out);
                assertEquals(java.util.Set.of(declared.getProperty("schemes").split(",")), java.util.Set.of(m.group(1).split(",")),
                        folder.toString());
                checked++;
            }
        }
        assertTrue(checked >= 2, "the http and s3 plugins at least: " + checked);
    }

    @Test
    void theExtractedTarballWorksAnywhereWithoutAJdk() throws IOException {
        Path target = Files.createDirectories(tmp.resolve("somewhere else/opt"));
        Sandbox sb = new Sandbox(tmp);
        sb.run(target, "tar", "-xzf", tarball().toString()).ok();
        Path product;
        try (Stream<Path> s = Files.list(target)) {
            product = s.findFirst().orElseThrow();
        }
        assertTrue(Files.isDirectory(product.resolve("plugins")), "the plugins/ folder ships");
        try (Stream<Path> s = Files.list(product.resolve("bin"))) {
            assertEquals(List.of("git-lfs-cloud"), s.map(p -> p.getFileName().toString()).toList(),
                    "bin/ holds only the command, so it can go on PATH without shadowing java");
        }
        assertTrue(Files.exists(product.resolve("runtime/lib/lfs-cloud.aot")), "the AOT cache ships");
        for (String shipped : List.of("README.md", "LICENSE", "licenses/README", "runtime/legal/java.base")) {
            assertTrue(Files.exists(product.resolve(shipped)), shipped + " ships");
        }
        String notices = Files.readString(product.resolve("licenses/README"));
        try (Stream<Path> jars = Stream.concat(Files.list(product.resolve("plugins")).flatMap(DistributionTest::jars),
                Stream.of("picocli-", "jackson-databind-").map(Path::of))) {
            for (Path jar : jars.toList()) {
                String name = jar.getFileName().toString().replaceFirst("\\.jar$", "");
                if (!name.startsWith("backend-") && !name.startsWith("agent-")) {
                    assertTrue(notices.lines().anyMatch(l -> l.startsWith(name)), "a licence notice for " + name);
                }
            }
        }

        // no JDK in sight: no JAVA_HOME, and PATH without any java
        Sandbox moved = new Sandbox(tmp.resolve("sb"), product);
        Map<String, String> noJdk = Map.of("PATH", product.resolve("bin") + ":/usr/bin/git-only-path:/bin", "JAVA_HOME", "");
        String version = moved.run(tmp, noJdk, product.resolve("bin/git-lfs-cloud").toString(), "version").ok().out();
        assertTrue(version.contains("Java 25"), "runs on its own runtime: " + version);

        // the cache is still accepted after the move: no AOT/CDS warning on stderr
        Sandbox.Result init = moved.run(tmp, Map.of("LFS_CLOUD_TRACE", "0"), "sh", "-c",
                "printf '{\"event\":\"init\",\"operation\":\"download\"}\\n' | '" + product.resolve("bin/git-lfs-cloud") + "' agent");
        assertEquals("{}", init.ok().out().strip());
        assertFalse(init.err().contains("aot") || init.err().contains("cds") || init.err().contains("AOT"), init.err());
        // and the init line git-lfs sends is answered by the moved launcher itself
        Sandbox.Result quick = moved.run(tmp, Map.of("LFS_CLOUD_TRACE", "1"), "sh", "-c",
                "printf '{\"event\":\"init\",\"operation\":\"download\",\"remote\":\"origin\",\"concurrent\":true,"
                        + "\"concurrenttransfers\":8}\\n' | '" + product.resolve("bin/git-lfs-cloud") + "' agent");
        assertEquals("{}", quick.ok().out().strip());
        assertTrue(quick.err().contains("answered by the launcher"), quick.err());
        assertFalse(quick.err().contains("aot") || quick.err().contains("cds") || quick.err().contains("AOT"), quick.err());

        // and a real push and clone through the extracted product
        Sandbox.Project p = moved.project("moved");
        String oid = Sandbox.writeRandom(p.work().resolve("x.bin"), 100_000, 5);
        moved.git(p.work(), "add", ".").ok();
        moved.git(p.work(), "commit", "-q", "-m", "x").ok();
        moved.git(p.work(), "push", "-q", "origin", "main").ok();
        assertEquals("git-lfs-cloud", moved.git(p.work(), "config", "lfs.customtransfer.lfs-cloud.path").out().strip(),
                "found on PATH, so that an upgrade or a move needs no new install");
        moved.run(tmp, "git", "lfs-cloud", "clone", p.origin().toString(), tmp.resolve("c").toString()).ok();
        assertEquals(oid, Sandbox.sha256(tmp.resolve("c/x.bin")));

        // help as git gives it: `git lfs-cloud --help` and `git help lfs-cloud` open the shipped
        // manual page (git runs man, which looks beside each PATH folder); it lists every command
        Map<String, String> onPath = Map.of("PATH", product.resolve("bin") + ":" + System.getenv("PATH"),
                "MANPAGER", "cat", "MANWIDTH", "200");
        String manual = moved.run(tmp, onPath, "git", "lfs-cloud", "--help").ok().out();
        assertTrue(manual.contains("GIT-LFS-CLOUD(1)"), manual);
        for (String command : List.of("install", "track-remote", "verify", "status", "trust", "doctor", "completion")) {
            assertTrue(manual.contains("   " + command + " "), command + " in the manual:\n" + manual);
        }
        assertEquals(manual, moved.run(tmp, onPath, "git", "help", "lfs-cloud").ok().out());
        // completion: git's own bash completion with the shipped script completes `git lfs-cloud tr<TAB>`
        String completed = moved.run(tmp, onPath, "bash", "-c", "source /usr/share/bash-completion/completions/git"
                + " && source \"$1\" && COMP_WORDS=(git lfs-cloud tr) && COMP_CWORD=2 && COMP_LINE='git lfs-cloud tr'"
                + " && COMP_POINT=${#COMP_LINE} && __git_wrap__git_main && echo \"${COMPREPLY[*]}\"", "complete",
                product.resolve("share/bash-completion/completions/git-lfs-cloud").toString()).ok().out();
        assertEquals("track-remote trust", completed.strip());

        // upgrade: a newer build extracted beside it, PATH moved there, the old one gone
        Path newer = Files.createDirectories(tmp.resolve("somewhere else/opt-new"));
        moved.run(newer, "tar", "-xzf", tarball().toString()).ok();
        Path upgraded;
        try (Stream<Path> s = Files.list(newer)) {
            upgraded = s.findFirst().orElseThrow();
        }
        moved.run(tmp, "rm", "-rf", product.toString()).ok();
        Sandbox after = new Sandbox(tmp.resolve("sb-upgraded"), upgraded);
        String oid2 = Sandbox.writeRandom(p.work().resolve("y.bin"), 50_000, 6);
        after.git(p.work(), "add", ".").ok();
        after.git(p.work(), "commit", "-q", "-m", "y").ok();
        after.git(p.work(), "push", "-q", "origin", "main").ok();
        after.git(tmp.resolve("c"), "pull", "-q").ok();
        assertEquals(oid2, Sandbox.sha256(tmp.resolve("c/y.bin")));
    }
}
