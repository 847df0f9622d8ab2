package io.lfscloud.core.agent;

import java.util.LinkedHashMap;
import java.util.Map;

/** Builders for the messages the agent sends. */
final class Messages {

    private Messages() {
    }

    /** A successful {@code complete}; {@code bid} and {@code path} may be null. */
    static Map<String, Object> complete(String oid, String bid, String path) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("event", "complete");
        m.put("oid", oid);
        if (bid != null) {
            m.put("bid", bid);
        }
        if (path != null) {
            m.put("path", path);
        }
        return m;
    }

    /** A failed {@code complete}; the {@code retry} flag only exists in protocol version 2. */
    static Map<String, Object> failed(String oid, String bid, TransferFailure f, boolean withRetry) {
        Map<String, Object> m = complete(oid, bid, null);
        m.put("error", error(f.code(), f.getMessage(), withRetry ? f.retriable() : null));
        return m;
    }

    static Map<String, Object> error(int code, String message, Boolean retry) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("code", (long) code);
        e.put("message", message);
        if (retry != null) {
            e.put("retry", retry);
        }
        return e;
    }

    /** Progress of one object ({@code key} "oid") or of a batch ({@code key} "bid"). */
    static Map<String, Object> progress(String key, String id, long soFar, long sinceLast) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("event", "progress");
        m.put(key, id);
        m.put("bytesSoFar", soFar);
        m.put("bytesSinceLast", sinceLast);
        return m;
    }

    static Map<String, Object> batchComplete(String bid, TransferFailure f) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("event", "batch-complete");
        m.put("bid", bid);
        if (f != null) {
            m.put("error", error(f.code(), f.getMessage(), f.retriable()));
        }
        return m;
    }
}
