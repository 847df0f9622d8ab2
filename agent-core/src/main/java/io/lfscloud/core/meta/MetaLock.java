package io.lfscloud.core.meta;

import io.lfscloud.core.git.Git;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Serialises the commands that read, change and write back {@code .gitattributes} and the
 * files of {@code .lfs-meta} in one working tree ({@code track-remote}, {@code resolve}):
 * an exclusive lock on {@code lfs-cloud.lock} in the working tree's git folder between
 * processes, and a lock per file within one process (a file lock is held per process, not
 * per thread). A command that cannot have it within the wait says so and changes nothing.
 */
public final class MetaLock {

    /** How long a command waits for another one to finish its changes. */
    public static final Duration WAIT = Duration.ofSeconds(60);

    private static final Map<Path, ReentrantLock> IN_PROCESS = new ConcurrentHashMap<>();

    private final Path file;
    private final Duration wait;

    public MetaLock(Path file, Duration wait) {
        this.file = file.toAbsolutePath().normalize();
        this.wait = wait;
    }

    /** The lock of the working tree at {@code workTree}, in its own git folder (a linked worktree has its own). */
    public static MetaLock of(Path workTree) throws IOException {
        Git.Result r = Git.run(workTree, List.of("rev-parse", "--absolute-git-dir"));
        if (!r.ok()) {
            throw new IOException("cannot find the git folder of " + workTree + ": " + r.firstErrorLine());
        }
        return new MetaLock(Path.of(r.out().strip()).resolve("lfs-cloud.lock"), WAIT);
    }

    /** The lock held; closing it lets the next command in. */
    public static final class Held implements AutoCloseable {
        private final ReentrantLock local;
        private final FileChannel channel;

        private Held(ReentrantLock local, FileChannel channel) {
            this.local = local;
            this.channel = channel;
        }

        @Override
        public void close() throws IOException {
            try {
                channel.close(); // releases the file lock
            } finally {
                local.unlock();
            }
        }
    }

    /**
     * Waits for the lock, at most the configured time.
     *
     * @throws IOException with a message naming the lock when another command holds it too long
     */
    public Held acquire() throws IOException {
        ReentrantLock local = IN_PROCESS.computeIfAbsent(file, f -> new ReentrantLock());
        if (local.isHeldByCurrentThread()) {
            throw new IllegalStateException("the lock " + file + " is already held by this thread");
        }
        long deadline = System.nanoTime() + wait.toNanos();
        try {
            if (!local.tryLock(wait.toNanos(), TimeUnit.NANOSECONDS)) {
                throw busy();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for " + file);
        }
        FileChannel channel = null;
        boolean held = false;
        try {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
            long pause = 5;
            while (channel.tryLock() == null) {
                if (System.nanoTime() >= deadline) {
                    throw busy();
                }
                Thread.sleep(pause);
                pause = Math.min(pause * 2, 100);
            }
            held = true;
            return new Held(local, channel);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for " + file);
        } finally {
            if (!held) {
                try {
                    if (channel != null) {
                        channel.close();
                    }
                } finally {
                    local.unlock();
                }
            }
        }
    }

    private IOException busy() {
        return new IOException("another git lfs-cloud command is changing .gitattributes or .lfs-meta in this"
                + " repository: waited " + wait.toSeconds() + " s for " + file + "; try again when it has finished");
    }
}
