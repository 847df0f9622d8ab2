package io.lfscloud.core.agent;

import io.lfscloud.core.Log;
import io.lfscloud.core.lfs.Oid;
import io.lfscloud.core.lfs.Operation;
import io.lfscloud.spi.TransferListener;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Batch concurrency mode of protocol version 2: collects each batch's items between its
 * {@code batch-header} and {@code batch-footer}, then transfers them in parallel (virtual
 * threads, at most {@code concurrency} transfers at once across all batches), answering
 * one {@code complete} per item in completion order, {@code progress} per batch, and a
 * final {@code batch-complete}.
 *
 * <p>A batch whose definition does not add up (counts or sizes that disagree between
 * header, items and footer, a repeated bid) is not transferred at all: each item is
 * answered with a non-retriable error and the batch with one, which lets a client in
 * {@code any} mode fall back to basic mode. Every item that was received gets exactly one
 * {@code complete}, whatever else happens.
 */
final class Batches {

    /** One received item; {@code refusal} is set when it cannot be transferred. */
    private record Item(String oid, long size, String path, TransferFailure refusal) {
    }

    private static final class Batch {
        final String bid;
        final long declaredCount;
        final long declaredSize;
        final List<Item> items = new ArrayList<>();
        final Set<String> oids = new HashSet<>();
        long itemSize;
        String inconsistency;

        Batch(String bid, long declaredCount, long declaredSize) {
            this.bid = bid;
            this.declaredCount = declaredCount;
            this.declaredSize = declaredSize;
        }

        void inconsistent(String why) {
            if (inconsistency == null) {
                inconsistency = why;
            }
        }
    }

    private final Operation operation;
    private final Transfers transfers;
    private final ProtocolWriter writer;
    private final Semaphore permits;
    private final Map<String, Batch> open = new LinkedHashMap<>();
    private final List<Thread> running = new ArrayList<>();

    Batches(Operation operation, Transfers transfers, ProtocolWriter writer, int concurrency) {
        this.operation = operation;
        this.transfers = transfers;
        this.writer = writer;
        this.permits = new Semaphore(Math.max(1, concurrency));
    }

    // ------------------------------------------------------------- definition

    void header(Request.BatchHeader header) {
        String bid = header.bid();
        if (bid == null || bid.isEmpty()) {
            Log.error("ignoring a batch-header without a \"bid\"");
            return;
        }
        Long count = header.objectsCount();
        Long size = header.totalSize();
        Batch b = new Batch(bid, count == null ? -1 : count, size == null ? -1 : size);
        if (count == null || size == null) {
            b.inconsistent("batch-header needs \"objectsCount\" and \"totalSize\" as whole numbers");
        }
        Batch previous = open.put(bid, b);
        if (previous != null) {
            // the earlier definition's items still get their answers, as a refused batch
            previous.inconsistent("batch-header for \"" + bid + "\" repeated before its batch-footer");
            b.inconsistent("batch-header for \"" + bid + "\" repeated before its batch-footer");
            start(previous);
        }
    }

    /** An upload or download item; answered at once when it belongs to no open batch. */
    void item(Request.Transfer request) {
        Operation event = request.operation();
        String oid = request.oid();
        String bid = request.bid();
        Batch b = bid == null ? null : open.get(bid);
        if (b == null) {
            TransferFailure f = TransferFailure.badRequest(bid == null ? event + " item without a \"bid\" in batch mode"
                    : event + " item for unknown batch \"" + bid + "\" (no open batch-header)");
            Log.error(Oid.shortForm(oid) + ": " + f.getMessage());
            writer.send(Reply.Complete.failed(oid, bid, f, true));
            return;
        }
        TransferFailure refusal = null;
        long size = -1;
        String path = request.path();
        try {
            size = request.size().require();
            if (operation != event) {
                throw TransferFailure.badRequest(event + " item in a session started for " + operation);
            }
            if (!b.oids.add(oid)) {
                throw TransferFailure.badRequest("oid " + Oid.shortForm(oid) + " appears twice in batch \"" + bid + "\"");
            }
        } catch (TransferFailure f) {
            refusal = f;
        }
        b.items.add(new Item(oid, size, path, refusal));
        b.itemSize += Math.max(size, 0);
        if (b.declaredCount >= 0 && b.items.size() > b.declaredCount) {
            b.inconsistent("batch \"" + bid + "\" has more items than its header's objectsCount " + b.declaredCount);
        }
    }

    void footer(Request.BatchFooter footer) {
        Batch b = footer.bid() != null ? open.remove(footer.bid()) : null;
        if (b == null) {
            Log.error("ignoring a batch-footer for no open batch: " + footer.bid());
            return;
        }
        Long count = footer.objectsCount();
        Long size = footer.totalSize();
        if (count == null || count != b.declaredCount || size == null || size != b.declaredSize) {
            b.inconsistent("batch-footer of \"" + b.bid + "\" disagrees with its header ("
                    + count + " objects/" + size + " bytes vs " + b.declaredCount + "/" + b.declaredSize + ")");
        } else if (b.items.size() != b.declaredCount) {
            b.inconsistent("batch \"" + b.bid + "\" declares " + b.declaredCount + " objects but has " + b.items.size());
        } else if (b.itemSize != b.declaredSize) {
            b.inconsistent("batch \"" + b.bid + "\" declares " + b.declaredSize + " bytes but its items add up to " + b.itemSize);
        }
        start(b);
    }

    /**
     * Input ended ({@code terminate} or end of stdin): batches still open are answered as
     * refused, and every batch in flight is waited for, so that nothing accepted goes unanswered.
     */
    void finish() {
        for (Batch b : List.copyOf(open.values())) {
            b.inconsistent("batch \"" + b.bid + "\" ended without a batch-footer");
            start(b);
        }
        open.clear();
        for (Thread t : running) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    // ------------------------------------------------------------- processing

    private void start(Batch b) {
        running.removeIf(t -> !t.isAlive());
        running.add(Thread.ofVirtual().name("batch-" + b.bid).start(() -> process(b)));
    }

    private void process(Batch b) {
        BatchProgress progress = new BatchProgress(writer, b.bid, b.itemSize);
        progress.begin();
        if (b.inconsistency != null) {
            Log.error("refusing batch \"" + b.bid + "\": " + b.inconsistency);
            TransferFailure f = TransferFailure.badRequest("batch refused: " + b.inconsistency);
            for (Item item : b.items) {
                writer.send(Reply.Complete.failed(item.oid(), b.bid, f, true));
                progress.itemDone(Math.max(item.size(), 0), 0);
            }
            progress.end();
            writer.send(new Reply.BatchComplete(b.bid, Reply.ErrorInfo.of(f, true)));
            return;
        }
        CountDownLatch done = new CountDownLatch(b.items.size());
        for (Item item : b.items) {
            try {
                permits.acquire();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            try {
                Thread.ofVirtual().start(() -> {
                    try {
                        transfer(b.bid, item, progress);
                    } finally {
                        permits.release();
                        done.countDown();
                    }
                });
            } catch (Throwable t) {
                // no thread for it (out of memory): the item is answered here, the batch goes on
                permits.release();
                try {
                    failed(b.bid, item, TransferFailure.unexpected(t));
                    progress.itemDone(Math.max(item.size(), 0), 0);
                } finally {
                    done.countDown();
                }
            }
        }
        try {
            done.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        progress.end();
        writer.send(new Reply.BatchComplete(b.bid, null));
    }

    private void transfer(String bid, Item item, BatchProgress progress) {
        long[] reported = {0};
        TransferListener itemProgress = bytes -> {
            synchronized (reported) {
                long add = Math.min(bytes, Math.max(item.size(), 0) - reported[0]); // a retry may send bytes again
                if (add > 0) {
                    progress.add(add);
                    reported[0] += add;
                }
            }
        };
        try {
            if (item.refusal() != null) {
                throw item.refusal();
            }
            Oid oid = Agent.requireOid(item.oid());
            String path = null;
            if (operation == Operation.DOWNLOAD) {
                Path file = transfers.download(oid, item.size(), itemProgress);
                path = file.toAbsolutePath().toString();
            } else {
                transfers.upload(oid, item.size(), item.path(), itemProgress);
            }
            writer.send(Reply.Complete.done(item.oid(), bid, path));
        } catch (TransferFailure f) {
            failed(bid, item, transfers.explain(f));
        } catch (Throwable t) {
            // a bug, a backend's RuntimeException, an Error: this item's failure, not the agent's
            failed(bid, item, TransferFailure.unexpected(t));
        } finally {
            synchronized (reported) {
                // bytes of an item that failed count as done, so the batch's progress ends at its total
                progress.itemDone(Math.max(item.size(), 0), reported[0]);
                reported[0] = Math.max(item.size(), 0);
            }
        }
    }

    private void failed(String bid, Item item, TransferFailure f) {
        Log.error(Oid.shortForm(item.oid()) + ": " + f.getMessage(), f.getCause());
        writer.send(Reply.Complete.failed(item.oid(), bid, f, true));
    }

    /**
     * A batch's {@code progress} messages: one at the start (0 bytes), then at most one
     * every {@link ProgressReporter#INTERVAL_NANOS}, and a last one equal to the batch's
     * total before its {@code batch-complete}; {@code bytesSinceLast} always adds up.
     */
    private static final class BatchProgress {
        private final ProtocolWriter writer;
        private final String bid;
        private final long total;
        private final AtomicLong done = new AtomicLong();
        private long lastSent;
        private long lastTime;

        BatchProgress(ProtocolWriter writer, String bid, long total) {
            this.writer = writer;
            this.bid = bid;
            this.total = total;
        }

        synchronized void begin() {
            writer.send(new Reply.BatchProgress(bid, 0, 0));
            lastTime = System.nanoTime();
        }

        void add(long bytes) {
            long now = done.addAndGet(bytes);
            maybeSend(now, false);
        }

        /** An item finished: account for whatever of its size was not reported as moved. */
        void itemDone(long size, long reported) {
            if (size > reported) {
                add(size - reported);
            }
        }

        synchronized void end() {
            maybeSend(Math.max(done.get(), total), true);
        }

        private synchronized void maybeSend(long soFar, boolean force) {
            long now = System.nanoTime();
            if (soFar <= lastSent || (!force && now - lastTime < ProgressReporter.INTERVAL_NANOS)) {
                return;
            }
            writer.send(new Reply.BatchProgress(bid, soFar, soFar - lastSent));
            lastSent = soFar;
            lastTime = now;
        }
    }
}
