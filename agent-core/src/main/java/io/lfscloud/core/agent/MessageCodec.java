package io.lfscloud.core.agent;

import io.lfscloud.core.Printable;
import io.lfscloud.core.lfs.Operation;

import java.math.BigDecimal;
import java.util.Map;
import java.util.Optional;

/**
 * The one codec between the protocol's JSON lines and {@link Request} and {@link Reply}
 * records, on jackson-core's streaming parser and generator ({@link WireJson}: the agent path
 * loads no databind). Replies are written field by field in the order git-lfs's examples use,
 * absent fields left out, so that a bare success stays short.
 */
final class MessageCodec {

    /** Longest quote of a sent value in a message. */
    private static final int QUOTE = 120;

    private MessageCodec() {
    }

    // ---------------------------------------------------------------- requests

    /** Reads one message line from git-lfs; throws only when the line is not a JSON object. */
    static Request decode(String line) throws MalformedMessageException {
        return decode(WireJson.parseObject(line));
    }

    static Request decode(Map<String, Object> msg) {
        if (!(msg.get("event") instanceof String event)) {
            return invalid(msg, "message without an \"event\"");
        }
        return switch (event) {
            case "init" -> init(msg);
            case "upload" -> transfer(Operation.UPLOAD, msg);
            case "download" -> transfer(Operation.DOWNLOAD, msg);
            case "batch-header" -> new Request.BatchHeader(string(msg, "bid"), count(msg, "objectsCount"), total(msg));
            case "batch-footer" -> new Request.BatchFooter(string(msg, "bid"), count(msg, "objectsCount"), total(msg));
            case "terminate" -> new Request.Terminate();
            default -> invalid(msg, "unknown event \"" + quote(event) + "\"");
        };
    }

    private static Request init(Map<String, Object> msg) {
        Object opValue = msg.get("operation");
        Optional<Operation> op = Operation.fromWire(opValue);
        if (op.isEmpty()) {
            return new Request.InvalidInit("init has no valid \"operation\" (upload or download): "
                    + quote(String.valueOf(opValue)));
        }
        Long transfers = msg.get("concurrenttransfers") instanceof Long n ? n : null;
        String remote = string(msg, "remote");
        Object offered = msg.get("protocol");
        if (offered == null) {
            return new Request.Init(op.get(), null, null, transfers, remote);
        }
        if (!(offered instanceof Long version) || version < 1) {
            return new Request.InvalidInit("init has an invalid \"protocol\": " + quote(String.valueOf(offered)));
        }
        Object modeValue = msg.get("concurrencyMode");
        Request.ConcurrencyMode mode = Request.ConcurrencyMode.fromWire(modeValue);
        if (mode == null && modeValue != null && version != 1) {
            return new Request.InvalidInit("init has an unknown \"concurrencyMode\": " + quote(String.valueOf(modeValue))
                    + " (basic, batch or any)");
        }
        return new Request.Init(op.get(), version, mode, transfers, remote);
    }

    private static Request transfer(Operation op, Map<String, Object> msg) {
        if (!(msg.get("oid") instanceof String oid)) {
            return new Request.Invalid(op.wireName() + " request without an \"oid\"", null, null);
        }
        return new Request.Transfer(op, oid, string(msg, "bid"), size(msg.get("size")), string(msg, "path"));
    }

    private static Request.Size size(Object size) {
        if (size instanceof Long l && l >= 0) {
            return Request.Size.of(l);
        }
        String problem = size instanceof BigDecimal ? "\"size\" is not a whole number of bytes: " + size
                : size == null ? "request without a \"size\"" : "invalid \"size\": " + quote(String.valueOf(size));
        return new Request.Size(-1, problem);
    }

    private static Request invalid(Map<String, Object> msg, String problem) {
        return new Request.Invalid(problem, string(msg, "oid"), string(msg, "bid"));
    }

    private static String string(Map<String, Object> msg, String field) {
        return msg.get(field) instanceof String s ? s : null;
    }

    private static Long count(Map<String, Object> msg, String field) {
        return msg.get(field) instanceof Long l && l >= 0 ? l : null;
    }

    private static Long total(Map<String, Object> msg) {
        Long total = count(msg, "totalSize");
        return total != null ? total : count(msg, "size");
    }

    /** A sent value quoted in a message: printable ASCII, abbreviated. */
    static String quote(String s) {
        return Printable.ascii(s, QUOTE);
    }

    /** Writes a request as git-lfs would send it (for tests and drivers; the agent only reads them). */
    static String encode(Request request) {
        WireJson.Line l = new WireJson.Line();
        switch (request) {
            case Request.Init i -> {
                l.put("event", "init").put("operation", i.operation().wireName()).put("remote", i.remote());
                l.put("protocol", i.protocol());
                l.put("concurrencyMode", i.mode() == null ? null : i.mode().wireName());
                l.put("concurrenttransfers", i.concurrentTransfers());
            }
            case Request.InvalidInit i -> throw new IllegalArgumentException("an invalid init has no wire form: " + i);
            case Request.Transfer t -> {
                l.put("event", t.operation().wireName()).put("oid", t.oid()).put("bid", t.bid());
                l.put("size", t.size().problem() == null ? t.size().bytes() : null).put("path", t.path());
            }
            case Request.BatchHeader h -> l.put("event", "batch-header").put("bid", h.bid())
                    .put("objectsCount", h.objectsCount()).put("totalSize", h.totalSize());
            case Request.BatchFooter f -> l.put("event", "batch-footer").put("bid", f.bid())
                    .put("objectsCount", f.objectsCount()).put("totalSize", f.totalSize());
            case Request.Terminate t -> l.put("event", "terminate");
            case Request.Invalid i -> throw new IllegalArgumentException("an invalid message has no wire form: " + i);
        }
        return l.end();
    }

    // ----------------------------------------------------------------- replies

    /**
     * The line that carries {@code reply} (without its line feed).
     *
     * <p>An {@code instanceof} chain, not a {@code switch} over the sealed type: the first
     * pattern switch of a JVM bootstraps its call site (tens of milliseconds measured here),
     * and this runs before the init reply, which eight agents in a row wait for.
     */
    static String encode(Reply reply) {
        WireJson.Line l = new WireJson.Line();
        if (reply instanceof Reply.Complete c) {
            l.put("event", "complete").put("oid", c.oid()).put("bid", c.bid()).put("path", c.path());
            l.error(c.error());
        } else if (reply instanceof Reply.ObjectProgress p) {
            l.put("event", "progress").put("oid", p.oid())
                    .put("bytesSoFar", p.bytesSoFar()).put("bytesSinceLast", p.bytesSinceLast());
        } else if (reply instanceof Reply.BatchProgress p) {
            l.put("event", "progress").put("bid", p.bid())
                    .put("bytesSoFar", p.bytesSoFar()).put("bytesSinceLast", p.bytesSinceLast());
        } else if (reply instanceof Reply.BatchComplete b) {
            l.put("event", "batch-complete").put("bid", b.bid());
            l.error(b.error());
        } else if (reply instanceof Reply.InitReply i) {
            if (i.protocol() != null) {
                l.put("protocol", (long) i.protocol());
                l.put("concurrencyMode", i.mode() == null ? null : i.mode().wireName());
            }
        } else if (reply instanceof Reply.SessionError e) {
            l.error(e.error());
        } else {
            throw new IllegalArgumentException("no wire form for " + reply); // a new kind of reply needs one
        }
        return l.end();
    }

    /** Reads a reply line as the agent writes it (for tests and drivers that play git-lfs). */
    static Reply decodeReply(String line) throws MalformedMessageException {
        Map<String, Object> m = WireJson.parseObject(line);
        String event = string(m, "event");
        if (event == null) {
            if (m.containsKey("error")) {
                return new Reply.SessionError(errorInfo(m.get("error")));
            }
            Long protocol = count(m, "protocol");
            Request.ConcurrencyMode mode = Request.ConcurrencyMode.fromWire(m.get("concurrencyMode"));
            return new Reply.InitReply(protocol == null ? null : Math.toIntExact(protocol), mode);
        }
        return switch (event) {
            case "progress" -> m.containsKey("oid")
                    ? new Reply.ObjectProgress(string(m, "oid"), number(m, "bytesSoFar"), number(m, "bytesSinceLast"))
                    : new Reply.BatchProgress(string(m, "bid"), number(m, "bytesSoFar"), number(m, "bytesSinceLast"));
            case "complete" -> new Reply.Complete(string(m, "oid"), string(m, "bid"), string(m, "path"),
                    m.containsKey("error") ? errorInfo(m.get("error")) : null);
            case "batch-complete" -> new Reply.BatchComplete(string(m, "bid"),
                    m.containsKey("error") ? errorInfo(m.get("error")) : null);
            default -> throw new MalformedMessageException("not a reply of the agent: event " + quote(event));
        };
    }

    private static long number(Map<String, Object> m, String field) throws MalformedMessageException {
        if (m.get(field) instanceof Long l) {
            return l;
        }
        throw new MalformedMessageException("\"" + field + "\" is not a whole number");
    }

    private static Reply.ErrorInfo errorInfo(Object value) throws MalformedMessageException {
        if (!(value instanceof Map<?, ?> e) || !(e.get("code") instanceof Long n) || !(e.get("message") instanceof String text)) {
            throw new MalformedMessageException("\"error\" needs a \"code\" and a \"message\"");
        }
        ErrorCode code = ErrorCode.fromNumber(n);
        if (code == null) {
            throw new MalformedMessageException("unknown error code " + n);
        }
        return new Reply.ErrorInfo(code, text, e.get("retry") instanceof Boolean b ? b : null);
    }
}
