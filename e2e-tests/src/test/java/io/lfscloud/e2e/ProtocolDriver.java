package io.lfscloud.e2e;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Plays git-lfs's side of custom transfer protocol version 2, which no released git-lfs
 * speaks yet: negotiation, batch definitions, and collection of the agent's answers,
 * checking the spec's rules on the way (progress per batch adding up and ending at the
 * batch's total, one {@code complete} per item with the batch's bid, {@code batch-complete}
 * after every item).
 */
final class ProtocolDriver implements AutoCloseable {

    /** One item of a batch. {@code path} is for uploads. */
    record Item(String oid, long size, String path) {
        static Item download(String oid, long size) {
            return new Item(oid, size, null);
        }
    }

    /** What the agent answered for one batch. */
    record BatchResult(Map<String, JsonNode> completes, JsonNode batchComplete, List<JsonNode> progress,
                       List<String> completionOrder) {
        boolean ok() {
            return !batchComplete.has("error");
        }

        JsonNode complete(String oid) {
            JsonNode n = completes.get(oid);
            if (n == null) {
                fail("no complete for " + oid);
            }
            return n;
        }
    }

    final AgentProcess agent;
    private String operation;

    ProtocolDriver(Sandbox sb, Path repo) throws IOException {
        this.agent = new AgentProcess(sb, repo);
    }

    /** Sends an init message with the given version and mode (either may be null) and returns the reply. */
    JsonNode init(String operation, Object protocol, String mode) throws Exception {
        this.operation = operation;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("event", "init");
        m.put("operation", operation);
        m.put("remote", "origin");
        m.put("concurrent", true);
        m.put("concurrenttransfers", 4);
        if (protocol != null) {
            m.put("protocol", protocol);
        }
        if (mode != null) {
            m.put("concurrencyMode", mode);
        }
        agent.send(m);
        return agent.next();
    }

    void header(String bid, long count, long size) throws IOException {
        agent.send(Map.of("event", "batch-header", "bid", bid, "totalSize", size, "objectsCount", count));
    }

    void footer(String bid, long count, long size) throws IOException {
        agent.send(Map.of("event", "batch-footer", "bid", bid, "totalSize", size, "objectsCount", count));
    }

    void item(String bid, Item item) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("event", operation);
        m.put("oid", item.oid());
        if (bid != null) {
            m.put("bid", bid);
        }
        m.put("size", item.size());
        if (item.path() != null) {
            m.put("path", item.path());
        }
        m.put("action", null);
        agent.send(m);
    }

    static long total(List<Item> items) {
        return items.stream().mapToLong(Item::size).sum();
    }

    /** Sends a whole, consistent batch and collects its answers. */
    BatchResult batch(String bid, List<Item> items) throws Exception {
        header(bid, items.size(), total(items));
        for (Item i : items) {
            item(bid, i);
        }
        footer(bid, items.size(), total(items));
        return collect(Map.of(bid, items)).get(bid);
    }

    /**
     * Reads answers until every batch in {@code batches} has its {@code batch-complete},
     * checking the spec's rules for each.
     */
    Map<String, BatchResult> collect(Map<String, List<Item>> batches) throws Exception {
        Map<String, Map<String, JsonNode>> completes = new HashMap<>();
        Map<String, List<String>> order = new HashMap<>();
        Map<String, List<JsonNode>> progress = new HashMap<>();
        Map<String, BatchResult> results = new HashMap<>();
        for (String bid : batches.keySet()) {
            completes.put(bid, new LinkedHashMap<>());
            order.put(bid, new ArrayList<>());
            progress.put(bid, new ArrayList<>());
        }
        while (results.size() < batches.size()) {
            JsonNode n = agent.next();
            String bid = n.path("bid").asText(null);
            assertTrue(bid != null && batches.containsKey(bid), "every answer names one of the batches: " + n);
            assertFalse(results.containsKey(bid), "nothing after batch-complete: " + n);
            switch (n.path("event").asText()) {
                case "progress" -> {
                    assertFalse(n.has("oid"), "batch progress is per batch: " + n);
                    List<JsonNode> p = progress.get(bid);
                    long before = p.isEmpty() ? 0 : p.getLast().path("bytesSoFar").asLong();
                    long soFar = n.path("bytesSoFar").asLong();
                    assertTrue(soFar >= before, "bytesSoFar never goes back: " + n);
                    assertEquals(soFar - before, n.path("bytesSinceLast").asLong(), "bytesSinceLast adds up: " + n);
                    p.add(n);
                }
                case "complete" -> {
                    String oid = n.path("oid").asText();
                    Set<String> expected = oids(batches.get(bid));
                    assertTrue(expected.contains(oid), "complete for an item of the batch: " + n);
                    assertFalse(completes.get(bid).containsKey(oid) && countOf(batches.get(bid), oid) == 1,
                            "one complete per item: " + n);
                    completes.get(bid).putIfAbsent(oid, n);
                    order.get(bid).add(oid);
                }
                case "batch-complete" -> {
                    List<Item> items = batches.get(bid);
                    assertEquals(items.size(), order.get(bid).size(), "batch-complete after every item's complete");
                    List<JsonNode> p = progress.get(bid);
                    assertFalse(p.isEmpty(), "at least one progress event");
                    assertEquals(total(items), p.getLast().path("bytesSoFar").asLong(), "progress ends at the batch total");
                    results.put(bid, new BatchResult(completes.get(bid), n, p, order.get(bid)));
                }
                default -> fail("unexpected message: " + n);
            }
        }
        return results;
    }

    private static Set<String> oids(List<Item> items) {
        Set<String> s = new java.util.HashSet<>();
        items.forEach(i -> s.add(i.oid()));
        return s;
    }

    private static long countOf(List<Item> items, String oid) {
        return items.stream().filter(i -> i.oid().equals(oid)).count();
    }

    void terminate() throws IOException {
        agent.send("{\"event\":\"terminate\"}");
    }

    @Override
    public void close() throws InterruptedException {
        agent.close();
    }
}
