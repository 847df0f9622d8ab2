package io.lfscloud.core.agent;

import io.lfscloud.spi.ObjectInfo;
import io.lfscloud.spi.StorageBackend;
import io.lfscloud.spi.StorageException;
import io.lfscloud.spi.TransferListener;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The first line the launcher read before the JVM started: answered by it (the version 1
 * init line git-lfs sends), or handed on unanswered, or skipped for its length.
 */
class AgentFirstLineTest {

    static final String GIT_LFS_INIT =
            "{\"event\":\"init\",\"operation\":\"download\",\"remote\":\"origin\",\"concurrent\":true,\"concurrenttransfers\":8}";

    @TempDir
    Path repo;

    final byte[] content = "hello, first line\n".getBytes(StandardCharsets.UTF_8);
    String oid;

    @BeforeEach
    void setUp() throws Exception {
        for (String[] c : new String[][] {{"git", "init", "-q"}, {"git", "config", "lfs-cloud.store", "one://store"}}) {
            assertEquals(0, new ProcessBuilder(c).directory(repo.toFile()).inheritIO().start().waitFor());
        }
        oid = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    }

    private final class One implements StorageBackend {
        public ObjectInfo stat(URI object) throws StorageException {
            return ObjectInfo.of(object, content.length);
        }

        public InputStream read(URI object, long offset, ObjectInfo expected) throws StorageException {
            if (!object.getPath().endsWith(oid)) {
                throw new StorageException(StorageException.Kind.NOT_FOUND, "no such object " + object);
            }
            return new ByteArrayInputStream(content, (int) offset, content.length - (int) offset);
        }

        public boolean write(URI object, Path source, long size, String sha256, TransferListener progress) {
            throw new UnsupportedOperationException();
        }
    }

    private record Run(int exitCode, List<String> lines) {
    }

    private Run run(Agent.FirstLine first, String input) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Agent agent = new Agent(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)), out,
                TestBackends.transfers(repo, "one", One::new, 0));
        int code = agent.run(first);
        return new Run(code, out.toString(StandardCharsets.UTF_8).lines().toList());
    }

    private String download() {
        return "{\"event\":\"download\",\"oid\":\"" + oid + "\",\"size\":" + content.length + ",\"action\":null}\n";
    }

    @Test
    void anInitTheLauncherAnsweredIsNotAnsweredAgain() throws Exception {
        Run r = run(new Agent.FirstLine(GIT_LFS_INIT, true), download() + "{\"event\":\"terminate\"}\n");
        assertEquals(0, r.exitCode());
        assertTrue(r.lines().stream().noneMatch(l -> l.equals("{}")), "no second init reply: " + r.lines());
        String complete = r.lines().getLast();
        assertTrue(complete.startsWith("{\"event\":\"complete\",\"oid\":\"" + oid + "\",\"path\":"), complete);
        String path = complete.replaceAll(".*\"path\":\"([^\"]+)\".*", "$1");
        assertArrayEquals(content, Files.readAllBytes(Path.of(path)));
    }

    @Test
    void anAnsweredLineTheAgentWouldNotAcceptEndsItWithoutWritingAnything() {
        for (String line : List.of("{\"event\":\"init\",\"operation\":\"delete\"}", "not json",
                "{\"event\":\"init\",\"operation\":\"download\",\"protocol\":2}", "{\"event\":\"download\"}")) {
            Run r = run(new Agent.FirstLine(line, true), download());
            assertEquals(1, r.exitCode(), line);
            assertEquals(List.of(), r.lines(), line);
        }
    }

    @Test
    void anUnansweredFirstLineIsHandledAsIfReadFromStdin() {
        Run r = run(new Agent.FirstLine(GIT_LFS_INIT + "\r", false), download() + "{\"event\":\"terminate\"}\n");
        assertEquals("{}", r.lines().getFirst());
        assertTrue(r.lines().getLast().contains("\"event\":\"complete\"") && !r.lines().getLast().contains("error"),
                r.lines().toString());

        Run v2 = run(new Agent.FirstLine("{\"event\":\"init\",\"operation\":\"upload\",\"protocol\":2,\"concurrencyMode\":\"batch\"}",
                false), "");
        assertEquals(List.of("{\"protocol\":2,\"concurrencyMode\":\"batch\"}"), v2.lines());

        Run bad = run(new Agent.FirstLine("{\"event\":\"init\",\"operation\":\"delete\"}", false), download());
        assertEquals(1, bad.exitCode());
        assertTrue(bad.lines().getFirst().contains("\"code\":32"), bad.lines().toString());

        Run stop = run(new Agent.FirstLine("{\"event\":\"terminate\"}", false), download());
        assertEquals(0, stop.exitCode());
        assertEquals(List.of(), stop.lines(), "nothing read after terminate");
    }

    @Test
    void aMalformedOrSkippedFirstLineLeavesTheAgentWaitingForInit() {
        for (Agent.FirstLine first : List.of(new Agent.FirstLine("{\"event\":", false), new Agent.FirstLine(null, false),
                new Agent.FirstLine("", false))) {
            Run r = run(first, GIT_LFS_INIT + "\n" + download());
            assertEquals(0, r.exitCode());
            assertEquals("{}", r.lines().getFirst());
            assertTrue(r.lines().getLast().contains("\"event\":\"complete\"") && !r.lines().getLast().contains("error"),
                    r.lines().toString());
        }
    }
}
