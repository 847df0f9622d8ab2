package io.lfscloud.backend.lfs;

import io.lfscloud.spi.StorageException;
import io.lfscloud.spi.StorageException.Kind;

import java.net.URI;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * Puts Batch API requests made at the same time into one call: a request finds no call in flight
 * for its {@link Key} and is sent at once, alone (no wait added); requests that come while a call
 * is in flight wait for it, and then go together, up to {@value #MAX_OBJECTS} objects a call (as
 * git-lfs sends them), each oid once a call. Every requester gets the whole answer and reads its
 * own entry (so a per-object error reaches its object only); a failed call is every requester's.
 *
 * <p>One coalescer serves the whole process ({@link #shared()}): the transfer server's agent
 * connections each open their own backend (it holds their repository's credentials), and their
 * requests meet here. Requests are put together only when the call would be the same HTTP request
 * for each of them: same URL, operation, headers (the credentials sent, byte for byte) and timeout;
 * so no repository's request is ever sent with another's credentials or to another's endpoint.
 */
final class BatchCoalescer {

    /** Objects per Batch API call at most (git-lfs's own batch size). */
    static final int MAX_OBJECTS = 100;

    private static final BatchCoalescer SHARED = new BatchCoalescer();

    static BatchCoalescer shared() {
        return SHARED;
    }

    /**
     * What makes requests one call: the batch URL, the operation, the request's headers (holding
     * credentials: never printed, see {@link #toString()}) and the timeout it is sent with.
     */
    record Key(URI url, String operation, Map<String, String> headers, int timeoutMillis) {
        Key {
            headers = Map.copyOf(headers);
        }

        @Override
        public String toString() {
            return operation + " " + url;
        }
    }

    /**
     * The answer to one call, as every requester of it sees it: the HTTP status and body (the
     * parsed answer when it is 2xx JSON, else why not), when it came and for how many objects;
     * or the failure to get one ({@code failure}, then the rest is empty).
     */
    record Reply(int status, String body, BatchApi.Response response, String invalid, StorageException failure,
                 Instant received, int objects, long millis) {
    }

    /** Sends one call for {@code objects}; the reply, never an exception. */
    interface Sender {
        Reply send(Key key, List<BatchApi.ObjectSpec> objects);
    }

    private record Pending(BatchApi.ObjectSpec object, Sender sender, CompletableFuture<Reply> reply) {
    }

    /** The requests waiting per key, and whether a call is in flight for it; guarded by {@code this}. */
    private static final class Line {
        boolean inFlight;
        final ArrayDeque<Pending> waiting = new ArrayDeque<>();
    }

    private final Map<Key, Line> lines = new HashMap<>();

    /** How many calls were sent, for tests and traces. */
    private long calls;

    /**
     * The reply to a call holding {@code object}: sent now by this thread when no call for
     * {@code key} is in flight, else with the requests that came meanwhile once it returns.
     */
    Reply call(Key key, BatchApi.ObjectSpec object, Sender sender) throws StorageException {
        Pending me = new Pending(object, sender, new CompletableFuture<>());
        boolean lead;
        synchronized (this) {
            Line line = lines.computeIfAbsent(key, k -> new Line());
            lead = !line.inFlight;
            if (lead) {
                line.inFlight = true;
            } else {
                line.waiting.add(me);
            }
        }
        if (lead) {
            send(key, List.of(me));
        }
        try {
            return me.reply().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StorageException(Kind.TRANSIENT, "interrupted while waiting for the Git LFS server's batch answer");
        } catch (ExecutionException e) {
            // a sender that broke its word (a bug): every requester of the call learns it
            throw new StorageException(Kind.TRANSIENT, "the Git LFS batch call failed: " + e.getCause(), e.getCause());
        }
    }

    /** Sends {@code group}'s call, hands the reply to each, then starts the next call for the key, if any waits. */
    private void send(Key key, List<Pending> group) {
        try {
            List<BatchApi.ObjectSpec> objects = group.stream().map(Pending::object).toList();
            Reply reply = group.getFirst().sender().send(key, objects);
            group.forEach(p -> p.reply().complete(reply));
        } catch (RuntimeException | Error e) {
            group.forEach(p -> p.reply().completeExceptionally(e));
        } finally {
            List<Pending> next = next(key);
            if (next != null) {
                Thread.ofVirtual().name("lfs-batch").start(() -> send(key, next));
            }
        }
    }

    /** The next call's requests (distinct oids, at most {@value #MAX_OBJECTS}), or null when none wait. */
    private synchronized List<Pending> next(Key key) {
        calls++;
        Line line = lines.get(key);
        if (line.waiting.isEmpty()) {
            lines.remove(key);
            return null;
        }
        List<Pending> group = new ArrayList<>();
        Set<String> oids = new HashSet<>();
        for (Iterator<Pending> i = line.waiting.iterator(); i.hasNext() && group.size() < MAX_OBJECTS; ) {
            Pending p = i.next();
            if (oids.add(p.object().oid())) { // the same oid twice goes in the next call
                group.add(p);
                i.remove();
            }
        }
        return group;
    }

    /** How many requests wait for a call in flight, over every key. */
    synchronized int waiting() {
        return lines.values().stream().mapToInt(l -> l.waiting.size()).sum();
    }

    /** How many calls this coalescer has sent. */
    synchronized long calls() {
        return calls;
    }
}
