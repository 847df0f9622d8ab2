package io.lfscloud.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The built {@code git-lfs-cloud agent} as a real process, driven the way git-lfs drives
 * it: JSON lines in, JSON lines out. Every stdout line is checked to be one JSON object.
 */
final class AgentProcess implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNode EOF = JSON.createObjectNode().put("__eof", true);

    private final Process process;
    private final OutputStream stdin;
    private final BlockingQueue<JsonNode> replies = new LinkedBlockingQueue<>();
    private final List<String> badLines = new ArrayList<>();
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();

    AgentProcess(Sandbox sb, Path repo) throws IOException {
        this(sb, repo, Map.of());
    }

    AgentProcess(Sandbox sb, Path repo, Map<String, String> env) throws IOException {
        process = sb.start(repo, env, sb.launcher.toString(), "agent");
        stdin = process.getOutputStream();
        Thread.ofVirtual().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    try {
                        JsonNode n = JSON.readTree(line);
                        if (n == null || !n.isObject()) {
                            throw new IOException("not an object");
                        }
                        replies.add(n);
                    } catch (IOException e) {
                        synchronized (badLines) {
                            badLines.add(line);
                        }
                    }
                }
            } catch (IOException e) {
                // process gone
            } finally {
                replies.add(EOF);
            }
        });
        Thread.ofVirtual().start(() -> {
            try {
                process.getErrorStream().transferTo(stderr);
            } catch (IOException e) {
                // process gone
            }
        });
    }

    void send(String line) throws IOException {
        stdin.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        stdin.flush();
    }

    void send(Object message) throws IOException {
        send(JSON.writeValueAsString(message));
    }

    void closeInput() throws IOException {
        stdin.close();
    }

    /** The next reply, failing after 30 s. */
    JsonNode next() throws InterruptedException {
        JsonNode n = replies.poll(30, TimeUnit.SECONDS);
        assertNotNull(n, "no reply from the agent within 30 s; stderr:\n" + stderr());
        if (n == EOF) {
            fail("the agent closed stdout; stderr:\n" + stderr());
        }
        return n;
    }

    /** Whether a reply arrives within {@code millis}. */
    JsonNode poll(long millis) throws InterruptedException {
        return replies.poll(millis, TimeUnit.MILLISECONDS);
    }

    /** Sends the init line exactly as git-lfs 3.3.0 does (the launcher answers that one itself). */
    void init(String operation) throws Exception {
        send("{\"event\":\"init\",\"operation\":\"" + operation
                + "\",\"remote\":\"origin\",\"concurrent\":true,\"concurrenttransfers\":8}");
        assertEquals("{}", next().toString());
    }

    /** Skips progress events and returns the {@code complete} for {@code oid}, checking progress on the way. */
    JsonNode complete(String oid) throws InterruptedException {
        return complete(oid, 0);
    }

    /** As {@link #complete(String)}, after the caller already read progress up to {@code bytesSoFar}. */
    JsonNode complete(String oid, long bytesSoFar) throws InterruptedException {
        long last = bytesSoFar;
        while (true) {
            JsonNode n = next();
            String event = n.path("event").asText();
            assertEquals(oid, n.path("oid").asText(), "reply for another object: " + n);
            if (event.equals("progress")) {
                long soFar = n.path("bytesSoFar").asLong();
                assertEquals(soFar - last, n.path("bytesSinceLast").asLong(), "bytesSinceLast is consistent: " + n);
                last = soFar;
                continue;
            }
            assertEquals("complete", event, n.toString());
            return n;
        }
    }

    /** Waits for the process to exit and returns its exit code. */
    int exitCode() throws InterruptedException {
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail("the agent did not exit within 30 s");
        }
        return process.exitValue();
    }

    long pid() {
        return process.pid();
    }

    boolean alive() {
        return process.isAlive();
    }

    String stderr() {
        synchronized (stderr) {
            return stderr.toString(StandardCharsets.UTF_8);
        }
    }

    /** Lines on stdout that were not JSON objects: always expected to be none. */
    List<String> badLines() {
        synchronized (badLines) {
            return List.copyOf(badLines);
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        process.waitFor(10, TimeUnit.SECONDS);
        process.destroyForcibly();
    }
}
