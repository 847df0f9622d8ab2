package io.lfscloud.core.agent;

import io.lfscloud.core.Log;
import io.lfscloud.core.lfs.Oid;
import io.lfscloud.spi.ObjectInfo;
import io.lfscloud.spi.StorageBackend;
import io.lfscloud.spi.StorageException;
import io.lfscloud.spi.TransferListener;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A backend that fails in ways nobody planned for (a RuntimeException, an OutOfMemoryError,
 * a StackOverflowError) fails only the object it was serving: that object is answered with
 * an error naming the failure, and the next one on the same agent is served, in protocol
 * version 1, version 2's basic mode and its batch mode, for downloads and uploads.
 * (git-lfs never restarts an agent: one that died would fail every object after it.)
 */
class AgentUnexpectedErrorTest {

    static final String V1_INIT = "{\"event\":\"init\",\"operation\":\"%s\",\"remote\":\"origin\",\"concurrent\":true,"
            + "\"concurrenttransfers\":8}";

    /** What each fault is expected to be called in the object's error. */
    static final Map<String, String> FAULTS = Map.of(
            "runtime", "internal error: java.lang.IllegalStateException: a backend bug, on purpose",
            "oom", "internal error: the agent ran out of memory (java.lang.OutOfMemoryError",
            "stack", "internal error: stack overflow (java.lang.StackOverflowError");

    @TempDir
    Path repo;

    /** oid → content; the objects the backend holds. */
    final Map<String, byte[]> objects = new HashMap<>();
    /** oid → the fault it meets, in reads and writes alike. */
    final Map<String, String> faults = new LinkedHashMap<>();
    /** oid → content of the uploads that went through. */
    final Map<String, byte[]> uploaded = new HashMap<>();
    final ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
    String good;

    @BeforeEach
    void setUp() throws Exception {
        for (String[] c : new String[][] {{"git", "init", "-q"}, {"git", "config", "lfs-cloud.store", "faulty://store"}}) {
            assertEquals(0, new ProcessBuilder(c).directory(repo.toFile()).inheritIO().start().waitFor());
        }
        for (String fault : List.of("runtime", "oom", "stack")) {
            faults.put(add(("meets " + fault).getBytes(StandardCharsets.UTF_8)), fault);
        }
        good = add("served after every failure".getBytes(StandardCharsets.UTF_8));
        Log.setStream(new PrintStream(diagnostics, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restoreLog() {
        Log.setStream(System.err);
    }

    private String add(byte[] content) throws Exception {
        String oid = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        objects.put(oid, content);
        Files.write(repo.resolve(oid), content);
        return oid;
    }

    /** Unused results land here, so that nothing is optimised away. */
    static volatile Object sink;

    private static int deeper(int depth) {
        return deeper(depth + 1) + 1;
    }

    private void meetFault(String oid) {
        String fault = faults.get(oid);
        if (fault == null) {
            return;
        }
        switch (fault) {
            case "runtime" -> throw new IllegalStateException("a backend bug, on purpose");
            case "oom" -> {
                // more than the whole heap in one array: refused at once, nothing is filled
                long words = Runtime.getRuntime().maxMemory() / Long.BYTES + 1;
                if (words > Integer.MAX_VALUE - 8) {
                    throw new OutOfMemoryError("Java heap space (a heap larger than any array)");
                }
                sink = new long[(int) words];
            }
            case "stack" -> sink = deeper(0);
            default -> throw new AssertionError(fault);
        }
    }

    private final class Faulty implements StorageBackend {
        private String oid(URI u) {
            String p = u.getPath();
            return p.substring(p.lastIndexOf('/') + 1);
        }

        public ObjectInfo stat(URI object) throws StorageException {
            return ObjectInfo.of(object, objects.get(oid(object)).length);
        }

        public InputStream read(URI object, long offset, ObjectInfo expected) {
            meetFault(oid(object));
            byte[] b = objects.get(oid(object));
            return new ByteArrayInputStream(b, (int) offset, b.length - (int) offset);
        }

        public boolean write(URI object, Path source, long size, String sha256, TransferListener progress) {
            meetFault(sha256);
            try {
                uploaded.put(sha256, Files.readAllBytes(source));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            progress.transferred(size);
            return true;
        }
    }

    /** The session's replies, parsed; progress messages left out. */
    private List<Map<String, Object>> run(String... lines) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        String input = String.join("\n", lines) + "\n{\"event\":\"terminate\"}\n";
        Agent agent = new Agent(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)), out,
                TestBackends.transfers(repo, "faulty", Faulty::new, 0));
        assertEquals(0, agent.run(), "the agent ends as asked, not for a failure");
        List<Map<String, Object>> replies = new ArrayList<>();
        for (String line : out.toString(StandardCharsets.UTF_8).lines().toList()) {
            Map<String, Object> m = WireJson.parseObject(line);
            if (!"progress".equals(m.get("event"))) {
                replies.add(m);
            }
        }
        return replies;
    }

    private List<String> requests(String event, String bid) {
        List<String> oids = new ArrayList<>(faults.keySet());
        oids.add(good);
        return oids.stream().map(oid -> "{\"event\":\"" + event + "\",\"oid\":\"" + oid + "\",\"size\":"
                + objects.get(oid).length + (bid == null ? "" : ",\"bid\":\"" + bid + "\"")
                + (event.equals("upload") ? ",\"path\":\"" + oid + "\"" : ",\"action\":null") + "}").toList();
    }

    /** One complete per object, the faulty ones with their failure named, the good one served. */
    @SuppressWarnings("unchecked")
    private void assertEachObjectAnswered(List<Map<String, Object>> replies, String operation) throws Exception {
        Map<String, Map<String, Object>> completes = new HashMap<>();
        for (Map<String, Object> m : replies) {
            if ("complete".equals(m.get("event"))) {
                assertNull(completes.put((String) m.get("oid"), m), "one complete per object: " + replies);
            }
        }
        assertEquals(4, completes.size(), replies.toString());
        String log = diagnostics.toString(StandardCharsets.UTF_8);
        for (Map.Entry<String, String> f : faults.entrySet()) {
            Map<String, Object> error = (Map<String, Object>) completes.get(f.getKey()).get("error");
            String expected = FAULTS.get(f.getValue());
            assertEquals(500L, error.get("code"), f.getValue());
            assertTrue(((String) error.get("message")).startsWith(expected), error + " should start with " + expected);
            assertTrue(log.contains(Oid.shortForm(f.getKey()) + ": " + expected), "one line on stderr names it: " + log);
        }
        Map<String, Object> served = completes.get(good);
        assertNull(served.get("error"), served.toString());
        if (operation.equals("download")) {
            assertArrayEquals(objects.get(good), Files.readAllBytes(Path.of((String) served.get("path"))));
        } else {
            assertArrayEquals(objects.get(good), uploaded.get(good));
        }
    }

    @Test
    void version1ServesTheNextObjectAfterEachFailure() throws Exception {
        for (String operation : List.of("download", "upload")) {
            List<String> lines = new ArrayList<>(List.of(V1_INIT.formatted(operation)));
            lines.addAll(requests(operation, null));
            List<Map<String, Object>> replies = run(lines.toArray(String[]::new));
            assertEquals(Map.of(), replies.getFirst());
            assertEachObjectAnswered(replies, operation);
            // in order: the good object, last, came after all three failures
            assertEquals(good, replies.getLast().get("oid"));
        }
    }

    @Test
    void runningOutOfMemoryWhileReadingLosesOneReadNotTheAgent() throws Exception {
        byte[] input = (V1_INIT.formatted("download") + "\n" + requests("download", null).getLast()
                + "\n{\"event\":\"terminate\"}\n").getBytes(StandardCharsets.UTF_8);
        InputStream failingOnce = new InputStream() {
            final ByteArrayInputStream in = new ByteArrayInputStream(input);
            boolean failed;

            public int read() {
                return in.read();
            }

            public int read(byte[] b, int off, int len) {
                if (!failed) {
                    failed = true;
                    throw new OutOfMemoryError("Java heap space");
                }
                return in.read(b, off, len);
            }
        };
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Agent agent = new Agent(failingOnce, out, TestBackends.transfers(repo, "faulty", Faulty::new, 0));
        assertEquals(0, agent.run());
        List<String> replies = out.toString(StandardCharsets.UTF_8).lines().filter(l -> !l.contains("progress")).toList();
        assertEquals("{}", replies.getFirst());
        assertTrue(replies.getLast().startsWith("{\"event\":\"complete\",\"oid\":\"" + good + "\",\"path\":"), replies.toString());
        assertTrue(diagnostics.toString(StandardCharsets.UTF_8).contains("out of memory while reading a message"));
    }

    @Test
    void version2BasicServesTheNextObjectAfterEachFailure() throws Exception {
        List<String> lines = new ArrayList<>(List.of("{\"event\":\"init\",\"operation\":\"download\",\"protocol\":2}"));
        lines.addAll(requests("download", null));
        List<Map<String, Object>> replies = run(lines.toArray(String[]::new));
        assertEquals(Map.of("protocol", 2L, "concurrencyMode", "basic"), replies.getFirst());
        assertEachObjectAnswered(replies, "download");
        assertEquals(good, replies.getLast().get("oid"));
    }

    @Test
    void aBatchAnswersEachItemAndTheAgentServesTheNextBatch() throws Exception {
        for (String operation : List.of("download", "upload")) {
            long total = objects.values().stream().mapToLong(b -> b.length).sum();
            List<String> lines = new ArrayList<>(List.of("{\"event\":\"init\",\"operation\":\"" + operation
                    + "\",\"protocol\":2,\"concurrencyMode\":\"batch\",\"concurrenttransfers\":2}"));
            for (String bid : List.of("b1", "b2")) {
                String counts = ",\"objectsCount\":4,\"totalSize\":" + total + "}";
                lines.add("{\"event\":\"batch-header\",\"bid\":\"" + bid + "\"" + counts);
                lines.addAll(requests(operation, bid));
                lines.add("{\"event\":\"batch-footer\",\"bid\":\"" + bid + "\"" + counts);
            }
            List<Map<String, Object>> replies = run(lines.toArray(String[]::new));
            for (String bid : List.of("b1", "b2")) {
                List<Map<String, Object>> ofBatch = replies.stream().filter(m -> bid.equals(m.get("bid"))).toList();
                assertEachObjectAnswered(ofBatch, operation);
                assertEquals(Map.of("event", "batch-complete", "bid", bid), ofBatch.getLast(),
                        "the batch itself completes: " + ofBatch);
            }
            uploaded.clear();
        }
    }
}
