package io.lfscloud.e2e;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The launcher answers the version 1 init line git-lfs sends before the JVM starts. Whatever
 * the first line, the product must answer exactly as the agent alone does
 * ({@code LFS_CLOUD_INIT_IN_JAVA=1}); only the exact git-lfs line may take the short way.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LauncherInitTest {

    static final String GIT_LFS_INIT =
            "{\"event\":\"init\",\"operation\":\"download\",\"remote\":\"origin\",\"concurrent\":true,\"concurrenttransfers\":8}";

    @TempDir
    static Path tmp;

    Sandbox sb;
    Sandbox.Project project;

    @BeforeAll
    void setUp() throws IOException {
        sb = new Sandbox(tmp);
        project = sb.project("repo");
    }

    record Run(int exitCode, String out, String err) {
    }

    /** The agent with {@code input} on stdin (a file: the launcher reads it byte by byte, as from a pipe it must). */
    private Run agent(String input, Map<String, String> env) throws Exception {
        Path in = Files.createTempFile(tmp, "in", ".jsonl");
        Files.writeString(in, input, StandardCharsets.UTF_8);
        Path out = Files.createTempFile(tmp, "out", ".txt");
        Path err = Files.createTempFile(tmp, "err", ".txt");
        ProcessBuilder pb = new ProcessBuilder("sh", "-c", "cat \"$0\" | \"$1\" agent", in.toString(), sb.launcher.toString())
                .directory(project.work().toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().put("GIT_TRACE", "1");
        pb.environment().putAll(env);
        Process p = pb.start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the agent finished");
        return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    private static String init(String operation, String remote, String concurrent, String transfers) {
        return "{\"event\":\"init\",\"operation\":\"" + operation + "\",\"remote\":\"" + remote
                + "\",\"concurrent\":" + concurrent + ",\"concurrenttransfers\":" + transfers + "}";
    }

    @Test
    void everyFirstLineIsAnsweredAsTheAgentAloneAnswersIt() throws Exception {
        String missing = "{\"event\":\"download\",\"oid\":\"" + "e".repeat(64) + "\",\"size\":3,\"action\":null}\n";
        String terminate = "{\"event\":\"terminate\"}\n";
        List<String> firstLines = List.of(
                GIT_LFS_INIT,
                init("upload", "https://example.com/a/b.git", "false", "1"),
                init("download", "", "true", "0"),
                init("download", "or\\\"igin", "true", "8"),          // escaped quote in the remote
                init("download", "caf\u00e9", "true", "8"),            // not plain ASCII
                init("download", "origin", "true", "08"),              // leading zero: not JSON
                init("download", "origin", "true", "99999999999"),     // too many digits for the short way
                init("download", "origin", "maybe", "8"),
                init("delete", "origin", "true", "8"),
                GIT_LFS_INIT + "}",
                GIT_LFS_INIT.substring(0, GIT_LFS_INIT.length() - 1),
                GIT_LFS_INIT + "\r",
                GIT_LFS_INIT.replace("}", ",\"protocol\":2,\"concurrencyMode\":\"batch\"}"),
                "{\"event\": \"init\", \"operation\": \"download\"}",
                "{\"event\":\"terminate\"}",
                "garbage",
                "");
        for (String first : firstLines) {
            for (String rest : List.of(missing + terminate, "")) {
                String input = first + "\n" + rest;
                Run fast = agent(input, Map.of());
                Run java = agent(input, Map.of("LFS_CLOUD_INIT_IN_JAVA", "1"));
                assertEquals(java.out(), fast.out(), "same replies for first line " + first + "\n" + fast.err());
                assertEquals(java.exitCode(), fast.exitCode(), "same exit code for first line " + first);
                assertFalse(java.err().contains("answered by the launcher"), java.err());
                boolean shortWay = first.equals(GIT_LFS_INIT) || first.startsWith("{\"event\":\"init\",\"operation\":\"upload\",\"remote\":\"https")
                        || first.equals(init("download", "", "true", "0"));
                assertEquals(shortWay, fast.err().contains("answered by the launcher"), first + "\n" + fast.err());
            }
        }
        // without a final newline as well
        Run fast = agent(GIT_LFS_INIT, Map.of());
        assertEquals("{}\n", fast.out());
        assertEquals(0, fast.exitCode());
    }

    @Test
    void aFirstLineTooLongToPassOnIsSkippedAndTheAgentServesOn() throws Exception {
        for (int size : new int[] {70_000, 2 << 20}) {
            String input = "{\"event\":\"download\",\"pad\":\"" + "x".repeat(size) + "\"}\n" + GIT_LFS_INIT + "\n{\"event\":\"terminate\"}\n";
            Run r = agent(input, Map.of());
            assertEquals("{}\n", r.out(), r.err());
            assertEquals(0, r.exitCode());
            assertTrue(r.err().contains("too long"), r.err());
        }
    }

    @Test
    void realGitLfsSendsTheLineTheLauncherAnswers() throws Exception {
        String oid = Sandbox.writeRandom(project.work().resolve("a.bin"), 10_000, 7);
        sb.git(project.work(), "add", ".").ok();
        sb.git(project.work(), "commit", "-q", "-m", "a").ok();
        // git-lfs keeps its agents' stderr to itself, but traces every message it sends
        Sandbox.Result push = sb.run(project.work(), Map.of("GIT_TRACE", "1", "GIT_TRANSFER_TRACE", "1"),
                "git", "push", "origin", "main").ok();
        assertTrue(Files.exists(Sandbox.objectPath(project.store(), oid)));
        List<String> inits = push.err().lines()
                .filter(l -> l.contains("sending message: {\"event\":\"init\""))
                .map(l -> l.substring(l.indexOf("sending message: ") + "sending message: ".length()))
                .distinct().toList();
        assertFalse(inits.isEmpty(), push.err());
        for (String line : inits) {
            Run r = agent(line + "\n{\"event\":\"terminate\"}\n", Map.of());
            assertEquals("{}\n", r.out());
            assertTrue(r.err().contains("answered by the launcher"), "the short way for " + line + "\n" + r.err());
        }
    }
}
