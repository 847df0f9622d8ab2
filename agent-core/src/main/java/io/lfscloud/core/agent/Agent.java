package io.lfscloud.core.agent;

import io.lfscloud.core.Log;
import io.lfscloud.core.json.Json;
import io.lfscloud.core.json.JsonException;
import io.lfscloud.core.store.Oids;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Git LFS custom transfer agent: reads requests from git-lfs on stdin and answers
 * on stdout, as {@code custom-transfers-protocol.md} specifies.
 *
 * <p>Protocol version 1 (what every released git-lfs speaks) and version 2 are
 * negotiated at {@code init}. Version 1 and version 2's basic mode serve one request at
 * a time on this thread; version 2's batch mode hands complete batches to
 * {@link Batches}, which transfers their items in parallel while this thread reads on.
 *
 * <p>The init reply comes at once; nothing heavy happens before the first transfer
 * request. A failed object is answered with a {@code complete} carrying an
 * {@code error}, whatever failed (a backend's RuntimeException, an OutOfMemoryError):
 * git-lfs never restarts an agent, so only a broken conversation ends it.
 */
public final class Agent {

    /** Longest accepted message line; git-lfs's are a few hundred bytes. */
    public static final int MAX_LINE = 1 << 20;

    /** Most transfers one agent runs at once in batch mode, whatever init asks for. */
    static final int MAX_CONCURRENCY = 64;

    /**
     * Finds an oid in a line that is not valid JSON, so that the sender still gets an answer.
     * In a holder: compiled on the first malformed line, not before every init reply.
     */
    private static final class OidInText {
        static final Pattern PATTERN = Pattern.compile("\"oid\"\\s*:\\s*\"([0-9a-f]{64})\"");
    }

    private final LineReader reader;
    private final ProtocolWriter writer;
    private final Transfers transfers;
    private String operation;
    private int protocol;
    private Batches batches;

    public Agent(InputStream in, OutputStream out, Transfers transfers) {
        this.reader = new LineReader(in, MAX_LINE);
        this.writer = new ProtocolWriter(out);
        this.transfers = transfers;
    }

    /** Serves until {@code terminate} or end of input. Returns the process exit code. */
    public int run() {
        return run(null);
    }

    /**
     * Serves as {@link #run()} does, after a first line that the launcher already read from
     * stdin (and, if {@link FirstLine#answered()}, already answered with {@code {}}: the
     * launcher does that for the version 1 init line git-lfs sends, so that git-lfs can start
     * its next agent while this JVM is still starting).
     */
    public int run(FirstLine first) {
        Step step = Step.EXIT_OK;
        try {
            if (first != null && first.line() == null) {
                Log.error("ignoring a first message too long for the launcher to pass on");
            } else if (first != null) {
                step = first.answered() ? answeredInit(first.line()) : handleLine(stripCr(first.line()));
                if (step != Step.CONTINUE) {
                    return step == Step.EXIT_FAILED || writer.broken() != null ? 1 : 0;
                }
            }
            while (true) {
                String line;
                try {
                    line = reader.readLine();
                } catch (OutOfMemoryError e) {
                    // transfers running meanwhile took the heap: one message is lost, not the agent
                    Log.error("out of memory while reading a message from git-lfs; skipping it", e);
                    continue;
                }
                if (line == null) {
                    Log.trace("end of input, exiting");
                    break;
                }
                if (line == LineReader.TOO_LONG) {
                    Log.error("ignoring a message longer than " + MAX_LINE + " bytes");
                    continue;
                }
                step = handleSafely(line);
                if (writer.broken() != null) {
                    Log.error("cannot write to git-lfs (stdout): " + writer.broken().getMessage());
                    return 1;
                }
                if (step != Step.CONTINUE) {
                    break;
                }
            }
            if (batches != null) {
                batches.finish();
            }
            return step == Step.EXIT_FAILED || writer.broken() != null ? 1 : 0;
        } catch (IOException e) {
            Log.error("cannot read from git-lfs (stdin): " + e.getMessage(), e);
            return 1;
        } finally {
            transfers.close();
        }
    }

    private enum Step { CONTINUE, EXIT_OK, EXIT_FAILED }

    /**
     * A first message line read by the launcher, and whether the launcher answered it;
     * a {@code null} line is one the launcher skipped for its length.
     */
    public record FirstLine(String line, boolean answered) {
    }

    private Step handleLine(String line) {
        return line.isBlank() ? Step.CONTINUE : handle(line);
    }

    /**
     * One message, with a last guard: transfers answer their own failures, so whatever still
     * escapes is a fault outside any transfer, reported here; the agent reads on. A message
     * naming an object is answered for it, except in batch mode, where {@link Batches}
     * answers every item it accepted.
     */
    private Step handleSafely(String line) {
        try {
            return handleLine(line);
        } catch (Throwable t) {
            TransferFailure f = TransferFailure.unexpected(t);
            Log.error(f.getMessage() + ", on message: " + abbreviate(line), t);
            Matcher m = OidInText.PATTERN.matcher(line);
            if (batches == null && m.find()) {
                writer.send(Messages.failed(m.group(1), null, f, protocol >= 2));
            }
            return Step.CONTINUE;
        }
    }

    private static String stripCr(String line) {
        return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
    }

    /**
     * The launcher only answers init lines of the exact shape git-lfs sends for version 1;
     * this agent must agree, or git-lfs was told something this agent cannot keep. (The
     * launcher's check, and why it answers at all: the comment block "How `agent` starts"
     * in {@code distribution/src/bin/git-lfs-cloud}.)
     */
    private Step answeredInit(String line) {
        Map<String, Object> msg;
        try {
            msg = Json.parseObject(line);
        } catch (JsonException e) {
            msg = Map.of();
        }
        Object op = msg.get("operation");
        if (!"init".equals(msg.get("event")) || msg.containsKey("protocol") || !isOperation(op)) {
            Log.error("internal error: the launcher answered an init this agent does not accept: " + abbreviate(line));
            return Step.EXIT_FAILED;
        }
        return startVersion1((String) op, msg.get("remote"), true);
    }

    private static boolean isOperation(Object op) {
        return "upload".equals(op) || "download".equals(op);
    }

    /** Version 1: no negotiation, an empty confirmation (unless the launcher already sent it). */
    private Step startVersion1(String op, Object remote, boolean answered) {
        operation = op;
        protocol = 1;
        if (!answered) {
            writer.sendRaw("{}");
        }
        Log.trace("initialised for " + operation + " (protocol 1" + (answered ? ", answered by the launcher" : "")
                + "), remote " + forTrace(remote));
        return Step.CONTINUE;
    }

    private Step handle(String line) {
        Map<String, Object> msg;
        try {
            msg = Json.parseObject(line);
        } catch (JsonException e) {
            Log.error("ignoring a malformed message (" + e.getMessage() + "): " + abbreviate(line));
            Matcher m = OidInText.PATTERN.matcher(line);
            if (m.find()) {
                fail(m.group(1), null, TransferFailure.badRequest("malformed request: " + e.getMessage()));
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
            case "batch-header":
            case "batch-footer":
                if (batches == null) {
                    Log.error("ignoring " + name + ": the session is not in batch mode");
                } else if (name.equals("batch-header")) {
                    batches.header(msg);
                } else {
                    batches.footer(msg);
                }
                return Step.CONTINUE;
            case "terminate":
                Log.trace("terminate received, exiting");
                return Step.EXIT_OK;
            default:
                reject(msg, "unknown event \"" + abbreviate(name) + "\"");
                return Step.CONTINUE;
        }
    }

    // ------------------------------------------------------------------ init

    private Step init(Map<String, Object> msg) {
        if (operation != null) {
            Log.error("ignoring a second init message");
            writer.send(Map.of("error", Messages.error(400, "init received twice", null)));
            return Step.CONTINUE;
        }
        Object op = msg.get("operation");
        if (!isOperation(op)) {
            return initError("init has no valid \"operation\" (upload or download): " + abbreviate(String.valueOf(op)));
        }
        Object offered = msg.get("protocol");
        if (offered == null) {
            return startVersion1((String) op, msg.get("remote"), false);
        }
        if (!(offered instanceof Long version) || version < 1) {
            return initError("init has an invalid \"protocol\": " + abbreviate(String.valueOf(offered)));
        }
        Object modeValue = msg.get("concurrencyMode");
        String mode;
        if (version == 1) {
            mode = "basic";
        } else if (modeValue == null || "basic".equals(modeValue)) {
            mode = "basic";
        } else if ("batch".equals(modeValue) || "any".equals(modeValue)) {
            mode = "batch";
        } else {
            return initError("init has an unknown \"concurrencyMode\": " + abbreviate(String.valueOf(modeValue))
                    + " (basic, batch or any)");
        }
        operation = (String) op;
        protocol = version == 1 ? 1 : 2; // a higher version offered: answer the highest we speak
        Map<String, Object> reply = new LinkedHashMap<>();
        reply.put("protocol", (long) protocol);
        if (protocol == 2) {
            reply.put("concurrencyMode", mode);
        }
        if (mode.equals("batch")) {
            batches = new Batches(operation, transfers, writer, concurrency(msg.get("concurrenttransfers")));
        }
        writer.send(reply);
        Log.trace("initialised for " + operation + " (protocol " + protocol + ", " + mode + "), remote " + forTrace(msg.get("remote")));
        return Step.CONTINUE;
    }

    private Step initError(String problem) {
        Log.error(problem);
        writer.send(Map.of("error", Messages.error(32, problem, null)));
        return Step.EXIT_FAILED;
    }

    private static int concurrency(Object requested) {
        if (requested instanceof Long n && n >= 1) {
            return (int) Math.min(n, MAX_CONCURRENCY);
        }
        return 8; // git-lfs's default lfs.concurrenttransfers
    }

    // ------------------------------------------------------------- transfers

    private void transfer(String event, Map<String, Object> msg) {
        Object oidValue = msg.get("oid");
        if (!(oidValue instanceof String oid)) {
            reject(msg, event + " request without an \"oid\"");
            return;
        }
        if (batches != null) {
            batches.item(event, oid, msg);
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
            if (event.equals("download")) {
                Path file = transfers.download(oid, size, progress);
                writer.send(Messages.complete(oid, null, file.toAbsolutePath().toString()));
            } else {
                Object path = msg.get("path");
                transfers.upload(oid, size, path instanceof String p ? p : null, progress);
                writer.send(Messages.complete(oid, null, null));
            }
        } catch (TransferFailure f) {
            fail(oid, null, f);
        } catch (Throwable t) {
            // a bug, a backend's RuntimeException, an Error: this object's failure, not the agent's
            fail(oid, null, TransferFailure.unexpected(t));
        }
    }

    /** The request's {@code size}: a whole, non-negative number of bytes. */
    static long size(Map<String, Object> msg) throws TransferFailure {
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

    private void fail(String oid, String bid, TransferFailure f) {
        Log.error(Oids.shortForm(oid) + ": " + f.getMessage(), f.getCause());
        writer.send(Messages.failed(oid, bid, f, protocol >= 2));
    }

    /** A message that cannot be served: answered if it names an oid, else only reported. */
    private void reject(Map<String, Object> msg, String problem) {
        Object oid = msg.get("oid");
        if (oid instanceof String s) {
            fail(s, msg.get("bid") instanceof String b ? b : null, TransferFailure.badRequest(problem));
        } else {
            Log.error("ignoring " + problem);
        }
    }

    /**
     * The remote git-lfs names, as the trace may show it: without the credentials a URL can
     * carry ({@code https://user:token@host/…} shows as {@code https://<redacted>@host/…}).
     */
    static String forTrace(Object remote) {
        String s = String.valueOf(remote);
        int start = s.indexOf("://") + 3;
        if (start >= 3) {
            int end = start;
            while (end < s.length() && "/?#".indexOf(s.charAt(end)) < 0) {
                end++;
            }
            int at = s.lastIndexOf('@', end - 1);
            if (at >= start) {
                s = s.substring(0, start) + "<redacted>" + s.substring(at);
            }
        }
        return abbreviate(s);
    }

    static String abbreviate(String s) {
        String clean = s.replaceAll("[^\\x20-\\x7e]", "?");
        return clean.length() > 120 ? clean.substring(0, 120) + "…" : clean;
    }
}
