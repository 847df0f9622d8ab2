package io.lfscloud.core;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;

/**
 * Runs tasks on virtual threads, at most {@code parallelism} at once; {@link #submit} waits
 * for a free slot, so a producer (a listing, say) never runs far ahead of the work.
 */
public final class BoundedTasks {

    private final Semaphore permits;
    private final List<Thread> threads = new ArrayList<>();

    public BoundedTasks(int parallelism) {
        this.permits = new Semaphore(Math.max(1, parallelism));
    }

    public void submit(Runnable task) {
        permits.acquireUninterruptibly();
        Thread t = Thread.ofVirtual().unstarted(() -> {
            try {
                task.run();
            } finally {
                permits.release();
            }
        });
        synchronized (threads) {
            threads.add(t);
        }
        t.start();
    }

    /** Waits for every task submitted so far. */
    public void awaitAll() throws InterruptedException {
        List<Thread> snapshot;
        synchronized (threads) {
            snapshot = List.copyOf(threads);
        }
        for (Thread t : snapshot) {
            t.join();
        }
    }
}
