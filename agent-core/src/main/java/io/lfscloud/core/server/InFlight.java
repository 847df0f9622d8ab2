package io.lfscloud.core.server;

import io.lfscloud.core.Log;
import io.lfscloud.core.agent.Agent;
import io.lfscloud.core.agent.WireJson;
import io.lfscloud.core.agent.MalformedMessageException;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * What a relay has seen of one conversation, so that the requests its server leaves
 * unanswered can be served in-process: the init line and who answered it, the requests
 * forwarded without a final answer (in order), what was answered of each batch, the files the
 * server handed over, and the progress git-lfs was told. Not thread-safe: the relay holds its
 * lock around every call.
 */
final class InFlight {

    private String initLine;
    private boolean initAnsweredByLauncher;
    private boolean initReplied;
    private boolean sawTerminate;
    private long seq;
    /** Requests forwarded without a final answer, in order: key ("O:oid" or "B:bid") and line. */
    private final LinkedHashMap<Long, String[]> pending = new LinkedHashMap<>();
    /** Per batch in flight, its items already answered (oid to the path answered, or ""). */
    private final Map<String, Map<String, String>> answered = new HashMap<>();
    /** Batches already answered whole. */
    private final Set<String> batchesAnswered = new HashSet<>();
    /** The files the server handed over to git-lfs lately, which git-lfs may not have moved yet. */
    private final Set<String> handedOver = java.util.Collections.newSetFromMap(new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > 4096;
        }
    });
    /** The last {@code bytesSoFar} git-lfs was told, per object ("O:oid") or batch ("B:bid") in flight. */
    private final Map<String, Long> progressSent = new HashMap<>();
    private final ByteArrayOutputStream partialIn = new ByteArrayOutputStream();
    private boolean partialInTooLong;

    /** The first line, which the launcher read (and may have answered) before the relay began. */
    void first(Agent.FirstLine firstLine) {
        if (firstLine != null && firstLine.line() != null) {
            trackIn(firstLine.line());
            initAnsweredByLauncher = firstLine.answered() && initLine != null;
        }
    }

    /** Notes the requests among {@code n} bytes of git-lfs's input (lines may span calls). */
    void trackIn(byte[] buf, int n) {
        int start = 0;
        for (int i = 0; i < n; i++) {
            if (buf[i] == '\n') {
                appendPartial(buf, start, i - start);
                if (!partialInTooLong) {
                    trackIn(partialIn.toString(StandardCharsets.UTF_8));
                }
                partialIn.reset();
                partialInTooLong = false;
                start = i + 1;
            }
        }
        appendPartial(buf, start, n - start);
    }

    private void appendPartial(byte[] buf, int off, int len) {
        if (partialInTooLong) {
            return;
        }
        if (partialIn.size() + len > Agent.MAX_LINE) {
            partialInTooLong = true;
            partialIn.reset();
            return;
        }
        partialIn.write(buf, off, len);
    }

    /** Notes a request line (or init, terminate, a batch's lines) forwarded to the server. */
    private void trackIn(String line) {
        if (!line.contains("\"event\"")) {
            return;
        }
        Map<String, Object> msg;
        try {
            msg = WireJson.parseObject(line.endsWith("\r") ? line.substring(0, line.length() - 1) : line);
        } catch (MalformedMessageException e) {
            return;
        }
        Object event = msg.get("event");
        Object oid = msg.get("oid");
        Object bid = msg.get("bid");
        if ("init".equals(event)) {
            if (initLine == null) {
                initLine = line;
            }
        } else if ("terminate".equals(event)) {
            sawTerminate = true;
        } else if (bid instanceof String b && ("batch-header".equals(event) || "batch-footer".equals(event)
                || "upload".equals(event) || "download".equals(event))) {
            pending.put(seq++, new String[] {"B:" + b, line});
        } else if (oid instanceof String o && ("upload".equals(event) || "download".equals(event))) {
            pending.put(seq++, new String[] {"O:" + o, line});
        }
    }

    /** Notes a complete line the server sent to git-lfs. */
    void fromServer(String line) {
        initReplied = true;
        trackOut(line, false);
    }

    /**
     * Notes an answer. For the in-process agent that took over ({@code replayed}) it returns
     * the line to pass on to git-lfs, or {@code null} when git-lfs must not see it: a
     * {@code complete} or {@code batch-complete} the server already gave (a file downloaded
     * again for it is deleted), a {@code progress} at or below what git-lfs was already told
     * (one above is passed on with {@code bytesSinceLast} counted from there), so that git-lfs
     * sees one answer per request and progress that never goes back.
     */
    String trackOut(String line, boolean replayed) {
        boolean progress = line.contains("\"progress\"");
        if (!progress && !line.contains("complete\"")) {
            return line;
        }
        Map<String, Object> msg;
        try {
            msg = WireJson.parseObject(line);
        } catch (MalformedMessageException e) {
            return line;
        }
        Object event = msg.get("event");
        Object oid = msg.get("oid");
        Object bid = msg.get("bid");
        if ("progress".equals(event) && msg.get("bytesSoFar") instanceof Number n) {
            String key = bid instanceof String b ? "B:" + b : oid instanceof String o ? "O:" + o : null;
            if (key == null) {
                return line;
            }
            Long before = progressSent.get(key);
            long soFar = n.longValue();
            if (before != null && soFar <= before) {
                return replayed ? null : line;
            }
            progressSent.put(key, soFar);
            if (!replayed || before == null) {
                return line;
            }
            Map<String, Object> rewritten = new LinkedHashMap<>();
            rewritten.put("event", "progress");
            rewritten.put(key.substring(0, 1).equals("B") ? "bid" : "oid", key.substring(2));
            rewritten.put("bytesSoFar", soFar);
            rewritten.put("bytesSinceLast", soFar - before);
            return WireJson.write(rewritten);
        } else if ("complete".equals(event) && oid instanceof String o) {
            String path = msg.get("path") instanceof String p ? p : "";
            if (!replayed && !path.isEmpty()) {
                handedOver.add(path);
            }
            if (bid instanceof String b) {
                String given = answered.computeIfAbsent(b, x -> new HashMap<>()).putIfAbsent(o, path);
                if (given != null && replayed) {
                    if (!path.isEmpty() && !path.equals(given)) {
                        deleteQuietly(path); // the server's answer named another copy
                    }
                    return null;
                }
                return line;
            }
            removeFirst("O:" + o);
            progressSent.remove("O:" + o);
        } else if ("batch-complete".equals(event) && bid instanceof String b) {
            boolean repeat = !batchesAnswered.add(b);
            answered.remove(b); // its items are answered: none comes again
            pending.values().removeIf(p -> p[0].equals("B:" + b));
            progressSent.remove("B:" + b);
            return repeat && replayed ? null : line;
        }
        return line;
    }

    private static void deleteQuietly(String path) {
        try {
            Files.deleteIfExists(Path.of(path));
        } catch (IOException | RuntimeException e) {
            Log.trace("cannot delete " + path + ": " + e.getMessage());
        }
    }

    private void removeFirst(String key) {
        Iterator<String[]> it = pending.values().iterator();
        while (it.hasNext()) {
            if (it.next()[0].equals(key)) {
                it.remove();
                return;
            }
        }
    }

    // ------------------------------------------------------------------ taking over

    /** How many requests are forwarded without a final answer. */
    int unanswered() {
        return pending.size();
    }

    /** The lines for the in-process agent: the unanswered requests, then terminate if git-lfs sent it. */
    byte[] replay() {
        StringBuilder replay = new StringBuilder();
        for (String[] p : pending.values()) {
            replay.append(p[1]).append('\n');
        }
        if (sawTerminate) {
            replay.append("{\"event\":\"terminate\"}\n");
        }
        return replay.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The start of a line git-lfs has not finished sending (nothing if it is too long to pass on). */
    byte[] partialInput() {
        return !partialInTooLong && partialIn.size() > 0 ? partialIn.toByteArray() : new byte[0];
    }

    /** The first line for the in-process agent: the init line, answered already when the launcher did. */
    Agent.FirstLine replayFirst() {
        if (initLine == null) {
            return null;
        }
        return new Agent.FirstLine(initLine, initAnsweredByLauncher);
    }

    /** Whether the in-process agent's first reply (to init) is to be dropped: the server gave it. */
    boolean dropFirstReply() {
        return initLine != null && !initAnsweredByLauncher && initReplied;
    }

    /** The server's finished files are git-lfs's now: not its leftovers to sweep. */
    void spareHandedOver() {
        handedOver.forEach(p -> io.lfscloud.core.temp.TempFiles.spare(Path.of(p)));
    }
}
