package io.lfscloud.core.agent;

import io.lfscloud.core.Log;
import io.lfscloud.core.json.Json;
import io.lfscloud.core.json.JsonException;
import io.lfscloud.core.store.Oids;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Git LFS custom transfer agent: reads requests from git-lfs on stdin and answers
 * on stdout, as {@code custom-transfers-protocol.md} specifies (version 1, what every
 * released git-lfs speaks).
 *
 * <p>The init reply comes at once; nothing heavy happens before the first transfer
 * request. A failed object is answered with a {@code complete} carrying an
 * {@code error}; only a broken conversation ends the agent.
 */
public final class Agent {

    /** Longest accepted message line; git-lfs's are a few hundred bytes. */
    static final int MAX_LINE = 1 << 20;

    /** Finds an oid in a line that is not valid JSON, so that the sender still gets an answer. */
    private static final Pattern OID_IN_TEXT = Pattern.compile("\"oid\"\\s*:\\s*\"([0-9a-f]{64})\"");

    private final LineReader reader;
    private final ProtocolWriter writer;
    private final Transfers transfers;
    private String operation;

    public Agent(InputStream in, OutputStream out, Transfers transfers) {
        this.reader = new LineReader(in, MAX_LINE);
        this.writer = new ProtocolWriter(out);
        this.transfers = transfers;
    }

    /** Serves until {@code terminate} or end of input. Returns the process exit code. */
    public int run() {
        try {
            while (true) {
                String line = reader.readLine();
                if (line == null) {
                    Log.trace("end of input, exiting");
                    return 0;
                }
                if (line == LineReader.TOO_LONG) {
                    Log.error("ignoring a message longer than " + MAX_LINE + " bytes");
                    continue;
                }
                if (line.isBlank()) {
                    continue;
                }
                Step step = handle(line);
                if (step != Step.CONTINUE) {
                    return step == Step.EXIT_OK ? 0 : 1;
                }
            }
        } catch (IOException | UncheckedIOException e) {
            Log.error("the conversation with git-lfs broke: " + e.getMessage(), e);
            return 1;
        } finally {
            transfers.close();
        }
    }

    private enum Step { CONTINUE, EXIT_OK, EXIT_FAILED }

    private Step handle(String line) {
        Map<String, Object> msg;
        try {
            msg = Json.parseObject(line);
        } catch (JsonException e) {
            Log.error("ignoring a malformed message (" + e.getMessage() + "): " + abbreviate(line));
            Matcher m = OID_IN_TEXT.matcher(line);
            if (m.find()) {
                fail(m.group(1), TransferFailure.badRequest("malformed request: " + e.getMessage()));
            }
            return Step.CONTINUE;
        }
        Object event = msg.get("event");
        if (!(event instanceof String name)) {
            reject(msg, "message without an \"event\"");
            return Step.CONTINUE;
        }
        switch (name) {
            case "init":
                return init(msg);
            case "upload":
            case "download":
                transfer(name, msg);
                return Step.CONTINUE;
            case "terminate":
                Log.trace("terminate received, exiting");
                return Step.EXIT_OK;
            default:
                reject(msg, "unknown event \"" + abbreviate(name) + "\"");
                return Step.CONTINUE;
        }
    }

    private Step init(Map<String, Object> msg) {
        if (operation != null) {
            Log.error("ignoring a second init message");
            writer.send(errorReply(400, "init received twice"));
            return Step.CONTINUE;
        }
        Object op = msg.get("operation");
        if (!"upload".equals(op) && !"download".equals(op)) {
            String problem = "init has no valid \"operation\" (upload or download): " + abbreviate(String.valueOf(op));
            Log.error(problem);
            writer.send(errorReply(32, problem));
            return Step.EXIT_FAILED;
        }
        operation = (String) op;
        writer.sendRaw("{}");
        Log.trace("initialised for " + operation + ", remote " + msg.get("remote"));
        return Step.CONTINUE;
    }

    private void transfer(String event, Map<String, Object> msg) {
        Object oidValue = msg.get("oid");
        if (!(oidValue instanceof String oid)) {
            reject(msg, event + " request without an \"oid\"");
            return;
        }
        try {
            if (operation == null) {
                throw TransferFailure.badRequest(event + " request before init");
            }
            if (!operation.equals(event)) {
                throw TransferFailure.badRequest(event + " request to an agent started for " + operation);
            }
            long size = size(msg);
            ProgressReporter progress = new ProgressReporter(writer, oid, size);
            Map<String, Object> done = new LinkedHashMap<>();
            done.put("event", "complete");
            done.put("oid", oid);
            if (event.equals("download")) {
                Path file = transfers.download(oid, size, progress);
                done.put("path", file.toAbsolutePath().toString());
            } else {
                Object path = msg.get("path");
                transfers.upload(oid, size, path instanceof String p ? p : null, progress);
            }
            writer.send(done);
        } catch (TransferFailure f) {
            fail(oid, f);
        } catch (RuntimeException e) {
            if (e instanceof UncheckedIOException u) {
                throw u; // stdout is gone
            }
            fail(oid, new TransferFailure(500, "internal error: " + e, false, e));
        }
    }

    private static long size(Map<String, Object> msg) throws TransferFailure {
        Object size = msg.get("size");
        if (size instanceof Long l && l >= 0) {
            return l;
        }
        if (size instanceof BigDecimal) {
            throw TransferFailure.badRequest("\"size\" is not a whole number of bytes: " + size);
        }
        throw TransferFailure.badRequest(size == null ? "request without a \"size\""
                : "invalid \"size\": " + abbreviate(String.valueOf(size)));
    }

    private void fail(String oid, TransferFailure f) {
        Log.error(Oids.shortForm(oid) + ": " + f.getMessage(), f.getCause());
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("event", "complete");
        m.put("oid", oid);
        m.put("error", error(f.code(), f.getMessage()));
        writer.send(m);
    }

    /** A message that cannot be served: answered if it names an oid, else only reported. */
    private void reject(Map<String, Object> msg, String problem) {
        Object oid = msg.get("oid");
        if (oid instanceof String s) {
            fail(s, TransferFailure.badRequest(problem));
        } else {
            Log.error("ignoring " + problem);
        }
    }

    private static Map<String, Object> errorReply(int code, String message) {
        return Map.of("error", error(code, message));
    }

    private static Map<String, Object> error(int code, String message) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("code", (long) code);
        e.put("message", message);
        return e;
    }

    private static String abbreviate(String s) {
        String clean = s.replaceAll("[^\\x20-\\x7e]", "?");
        return clean.length() > 120 ? clean.substring(0, 120) + "…" : clean;
    }
}
