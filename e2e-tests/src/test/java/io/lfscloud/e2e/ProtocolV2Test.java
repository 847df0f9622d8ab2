package io.lfscloud.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Protocol version 2, driven by {@link ProtocolDriver} (git-lfs's side of the spec) against
 * the built agent and a folder store: negotiation, the spec's flows, and adversarial batches.
 */
class ProtocolV2Test {

    @TempDir
    Path tmp;

    Sandbox sb;
    Sandbox.Project project;
    final List<ProtocolDriver> drivers = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        sb = new Sandbox(tmp);
        project = sb.project("repo");
    }

    @AfterEach
    void stdoutCarriedOnlyJson() throws InterruptedException {
        for (ProtocolDriver d : drivers) {
            assertEquals(List.of(), d.agent.badLines(), "stdout lines that are not JSON objects");
            d.close();
        }
    }

    private ProtocolDriver driver() throws IOException {
        ProtocolDriver d = new ProtocolDriver(sb, project.work());
        drivers.add(d);
        return d;
    }

    private ProtocolDriver batchDownloads() throws Exception {
        ProtocolDriver d = driver();
        assertEquals("{\"protocol\":2,\"concurrencyMode\":\"batch\"}", d.init("download", 2, "batch").toString());
        return d;
    }

    /** Stores {@code n} objects of the given size and returns them as download items. */
    private List<ProtocolDriver.Item> stored(int n, long size, long seed) throws IOException {
        List<ProtocolDriver.Item> items = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Path f = tmp.resolve("obj-" + seed + "-" + i);
            String oid = Sandbox.writeRandom(f, size, seed * 100_000 + i);
            Path target = Sandbox.objectPath(project.store(), oid);
            Files.createDirectories(target.getParent());
            Files.move(f, target);
            items.add(ProtocolDriver.Item.download(oid, size));
        }
        return items;
    }

    private void assertDownloaded(ProtocolDriver.BatchResult r, ProtocolDriver.Item item) throws IOException {
        JsonNode c = r.complete(item.oid());
        assertFalse(c.has("error"), c.toString());
        Path file = Path.of(c.path("path").asText());
        assertTrue(file.startsWith(project.work().resolve(".git/lfs/tmp")), file.toString());
        assertEquals(item.oid(), Sandbox.sha256(file));
    }

    private static void assertItemError(JsonNode complete, int code, boolean retry, String fragment) {
        JsonNode e = complete.path("error");
        assertEquals(code, e.path("code").asInt(), complete.toString());
        assertEquals(retry, e.path("retry").asBoolean(), complete.toString());
        assertTrue(e.path("message").asText().contains(fragment), complete.toString());
    }

    private List<Path> tmpFiles() throws IOException {
        Path dir = project.work().resolve(".git/lfs/tmp");
        if (!Files.exists(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        }
    }

    // ---------------------------------------------------------------- negotiation

    @Test
    void negotiation() throws Exception {
        assertEquals("{}", driver().init("download", null, null).toString(), "no version: version 1");
        assertEquals("{\"protocol\":1}", driver().init("download", 1, null).toString());
        assertEquals("{\"protocol\":2,\"concurrencyMode\":\"basic\"}", driver().init("download", 2, null).toString());
        assertEquals("{\"protocol\":2,\"concurrencyMode\":\"basic\"}", driver().init("upload", 2, "basic").toString());
        assertEquals("{\"protocol\":2,\"concurrencyMode\":\"batch\"}", driver().init("upload", 2, "batch").toString());
        assertEquals("{\"protocol\":2,\"concurrencyMode\":\"batch\"}", driver().init("download", 2, "any").toString(),
                "any: the agent confirms batch");
        assertEquals("{\"protocol\":2,\"concurrencyMode\":\"batch\"}", driver().init("download", 7, "batch").toString(),
                "a higher version: the agent answers the highest it speaks");
    }

    @Test
    void invalidInitIsAnErrorAndEndsTheAgent() throws Exception {
        for (Object[] bad : new Object[][] {{"two", "batch"}, {0, null}, {2, "turbo"}}) {
            ProtocolDriver d = driver();
            JsonNode reply = d.init("download", bad[0], (String) bad[1]);
            assertEquals(32, reply.path("error").path("code").asInt(), reply.toString());
            assertEquals(1, d.agent.exitCode());
        }
    }

    // ----------------------------------------------------------- the spec's flows

    @Test
    void theSpecsTwoFileBatchDownload() throws Exception {
        List<ProtocolDriver.Item> items = new ArrayList<>(stored(1, 1024, 1));
        items.addAll(stored(1, 2048, 2));
        ProtocolDriver d = batchDownloads();
        ProtocolDriver.BatchResult r = d.batch("batch-1", items);
        assertTrue(r.ok(), r.batchComplete().toString());
        assertEquals(0, r.progress().getFirst().path("bytesSoFar").asLong(), "a first progress event at 0");
        assertEquals(3072, r.progress().getLast().path("bytesSoFar").asLong());
        for (ProtocolDriver.Item i : items) {
            assertDownloaded(r, i);
        }
        d.terminate();
        assertEquals(0, d.agent.exitCode());
    }

    @Test
    void itemsOfABatchAreTransferredInParallelAndAnsweredInAnyOrder() throws Exception {
        List<ProtocolDriver.Item> items = stored(40, 200_000, 3);
        ProtocolDriver d = batchDownloads();
        ProtocolDriver.BatchResult r = d.batch("b", items);
        assertTrue(r.ok());
        assertEquals(new HashSet<>(items.stream().map(ProtocolDriver.Item::oid).toList()), new HashSet<>(r.completionOrder()));
        for (ProtocolDriver.Item i : items) {
            assertDownloaded(r, i);
        }
        assertTrue(d.agent.alive());
    }

    @Test
    void batchUploadsReachTheStore() throws Exception {
        List<ProtocolDriver.Item> items = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            Path f = project.work().resolve("up" + i + ".bin");
            items.add(new ProtocolDriver.Item(Sandbox.writeRandom(f, 10_000 + i, 50 + i), 10_000 + i, f.toString()));
        }
        ProtocolDriver d = driver();
        d.init("upload", 2, "batch");
        ProtocolDriver.BatchResult r = d.batch("up", items);
        assertTrue(r.ok());
        for (ProtocolDriver.Item i : items) {
            assertFalse(r.complete(i.oid()).has("error"));
            assertFalse(r.complete(i.oid()).has("path"), "uploads answer without a path");
            assertEquals(i.oid(), Sandbox.sha256(Sandbox.objectPath(project.store(), i.oid())));
        }
    }

    @Test
    void severalBatchesInOneSession() throws Exception {
        ProtocolDriver d = batchDownloads();
        for (int b = 0; b < 3; b++) {
            List<ProtocolDriver.Item> items = stored(5, 3000, 10 + b);
            ProtocolDriver.BatchResult r = d.batch("batch-" + b, items);
            assertTrue(r.ok());
            for (ProtocolDriver.Item i : items) {
                assertDownloaded(r, i);
            }
        }
    }

    @Test
    void itemErrorsCarryRetryFlagsAndTheBatchStillSucceeds() throws Exception {
        List<ProtocolDriver.Item> items = new ArrayList<>(stored(2, 5000, 20));
        ProtocolDriver.Item missing = ProtocolDriver.Item.download("e".repeat(64), 5000);
        items.add(missing);
        ProtocolDriver d = batchDownloads();
        ProtocolDriver.BatchResult r = d.batch("b", items);
        assertTrue(r.ok(), "partial failures leave the batch successful: " + r.batchComplete());
        assertItemError(r.complete(missing.oid()), 404, false, "no such object");
        assertDownloaded(r, items.get(0));
        assertDownloaded(r, items.get(1));
    }

    @Test
    void basicModeOfVersion2AddsRetryFlagsAndVersion1DoesNot() throws Exception {
        String oid = "d".repeat(64);
        ProtocolDriver v2 = driver();
        v2.init("download", 2, "basic");
        v2.item(null, ProtocolDriver.Item.download(oid, 10));
        JsonNode c2 = v2.agent.complete(oid);
        assertItemError(c2, 404, false, "no such object");
        assertTrue(c2.path("error").has("retry"));

        ProtocolDriver v1 = driver();
        v1.init("download", null, null);
        v1.item(null, ProtocolDriver.Item.download(oid, 10));
        JsonNode c1 = v1.agent.complete(oid);
        assertEquals(404, c1.path("error").path("code").asInt());
        assertFalse(c1.path("error").has("retry"), "version 1 is unchanged: " + c1);

        List<ProtocolDriver.Item> ok = stored(1, 100, 21);
        v2.item(null, ok.getFirst());
        assertFalse(v2.agent.complete(ok.getFirst().oid()).has("error"));
    }

    // ------------------------------------------------------------- adversarial

    @Test
    void aBatchWhoseCountsOrTotalsDisagreeIsRefusedWhole() throws Exception {
        ProtocolDriver d = batchDownloads();
        List<ProtocolDriver.Item> items = stored(2, 1000, 30);
        long total = ProtocolDriver.total(items);
        Map<String, long[]> cases = Map.of(
                "count-header", new long[] {3, total, 3, total},
                "size-header", new long[] {2, total + 1, 2, total + 1},
                "footer", new long[] {2, total, 2, total - 1});
        for (Map.Entry<String, long[]> c : cases.entrySet()) {
            long[] v = c.getValue();
            d.header(c.getKey(), v[0], v[1]);
            for (ProtocolDriver.Item i : items) {
                d.item(c.getKey(), i);
            }
            d.footer(c.getKey(), v[2], v[3]);
            ProtocolDriver.BatchResult r = d.collect(Map.of(c.getKey(), items)).get(c.getKey());
            assertFalse(r.ok(), c.getKey());
            assertEquals(400, r.batchComplete().path("error").path("code").asInt());
            assertFalse(r.batchComplete().path("error").path("retry").asBoolean(), "non-retriable: lets 'any' fall back");
            for (ProtocolDriver.Item i : items) {
                assertItemError(r.complete(i.oid()), 400, false, "batch refused");
            }
        }
        assertEquals(List.of(), tmpFiles(), "a refused batch transfers nothing");
    }

    @Test
    void itemsOutsideAnOpenBatchAreAnsweredAtOnce() throws Exception {
        ProtocolDriver d = batchDownloads();
        String oid = "a".repeat(64);
        d.item("nope", ProtocolDriver.Item.download(oid, 1));
        JsonNode c = d.agent.complete(oid);
        assertEquals("nope", c.path("bid").asText());
        assertItemError(c, 400, false, "unknown batch");
        d.item(null, ProtocolDriver.Item.download(oid, 1));
        assertItemError(d.agent.complete(oid), 400, false, "without a \"bid\"");
    }

    @Test
    void aDuplicateOidInABatchIsRefusedOnceAndTransferredOnce() throws Exception {
        List<ProtocolDriver.Item> one = stored(1, 4000, 40);
        List<ProtocolDriver.Item> items = List.of(one.getFirst(), one.getFirst());
        ProtocolDriver d = batchDownloads();
        d.header("dup", 2, 8000);
        d.item("dup", items.get(0));
        d.item("dup", items.get(1));
        d.footer("dup", 2, 8000);
        // collect by hand: two completes share the oid
        List<JsonNode> completes = new ArrayList<>();
        JsonNode n;
        while (!(n = d.agent.next()).path("event").asText().equals("batch-complete")) {
            if (n.path("event").asText().equals("complete")) {
                completes.add(n);
            }
        }
        assertFalse(n.has("error"), n.toString());
        assertEquals(2, completes.size());
        assertEquals(1, completes.stream().filter(c -> c.has("path")).count());
        assertEquals(1, completes.stream().filter(c -> c.path("error").path("message").asText().contains("appears twice")).count());
    }

    @Test
    void interleavedBatchesAreKeptApart() throws Exception {
        List<ProtocolDriver.Item> a = stored(3, 1500, 50);
        List<ProtocolDriver.Item> b = stored(2, 2500, 51);
        ProtocolDriver d = batchDownloads();
        d.header("A", 3, ProtocolDriver.total(a));
        d.header("B", 2, ProtocolDriver.total(b));
        d.item("A", a.get(0));
        d.item("B", b.get(0));
        d.item("A", a.get(1));
        d.item("B", b.get(1));
        d.footer("B", 2, ProtocolDriver.total(b));
        d.item("A", a.get(2));
        d.footer("A", 3, ProtocolDriver.total(a));
        Map<String, ProtocolDriver.BatchResult> r = d.collect(Map.of("A", a, "B", b));
        for (ProtocolDriver.Item i : a) {
            assertDownloaded(r.get("A"), i);
        }
        for (ProtocolDriver.Item i : b) {
            assertDownloaded(r.get("B"), i);
        }
    }

    @Test
    void terminateInTheMiddleOfABatchAnswersItsItemsAndExits() throws Exception {
        List<ProtocolDriver.Item> items = stored(2, 1000, 60);
        ProtocolDriver d = batchDownloads();
        d.header("half", 2, 2000);
        d.item("half", items.getFirst());
        d.terminate();
        ProtocolDriver.BatchResult r = d.collect(Map.of("half", List.of(items.getFirst()))).get("half");
        assertItemError(r.complete(items.getFirst().oid()), 400, false, "without a batch-footer");
        assertFalse(r.ok());
        assertEquals(0, d.agent.exitCode());
    }

    @Test
    void aBatchOfTenThousandItemsRunsInBoundedMemory() throws Exception {
        List<ProtocolDriver.Item> items = stored(10_000, 64, 70);
        ProtocolDriver d = batchDownloads();
        ProtocolDriver.BatchResult r = d.batch("big", items);
        assertTrue(r.ok());
        assertEquals(10_000, r.completes().size());
        for (ProtocolDriver.Item i : items.subList(0, 50)) {
            assertDownloaded(r, i);
        }
        long peakKb = peakRssKb(d.agent);
        assertTrue(peakKb < 200_000, "peak resident memory " + peakKb + " kB");
    }

    /** VmHWM of the agent's java process (the launcher execs java, so the pid is the JVM's). */
    private static long peakRssKb(AgentProcess agent) throws IOException {
        String status = Files.readString(Path.of("/proc/" + agent.pid() + "/status"));
        Matcher m = Pattern.compile("VmHWM:\\s+(\\d+) kB").matcher(status);
        assertTrue(m.find(), status);
        return Long.parseLong(m.group(1));
    }
}
