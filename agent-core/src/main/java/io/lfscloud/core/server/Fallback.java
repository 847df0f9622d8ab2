package io.lfscloud.core.server;

import io.lfscloud.core.Log;
import io.lfscloud.core.agent.Agent;
import io.lfscloud.core.agent.Transfers;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A relay whose server went away before saying its last word serves on in its own process:
 * an {@link Agent} gets the requests the server left unanswered (and terminate, if git-lfs sent
 * it), then whatever git-lfs sends next; its answers reach git-lfs through {@link InFlight}, so
 * that git-lfs sees one answer per request and progress that never goes back. The only part of
 * the relay that loads the agent's classes.
 */
final class Fallback {

    private final InFlight inFlight;
    private final Object lock;
    private final OutputStream protocolOut;
    private final QueueInput input;
    private final Agent.FirstLine first;
    private final boolean dropReply;

    /** Takes over from the relay: called under {@code lock}, with {@code input} already receiving git-lfs's input. */
    Fallback(InFlight inFlight, Object lock, OutputStream protocolOut, QueueInput input) {
        this.inFlight = inFlight;
        this.lock = lock;
        this.protocolOut = protocolOut;
        this.input = input;
        Log.trace("the transfer server went away with " + inFlight.unanswered()
                + " requests unanswered: serving them and the rest in this process");
        input.add(inFlight.replay());
        input.add(inFlight.partialInput());
        first = inFlight.replayFirst();
        dropReply = inFlight.dropFirstReply();
        inFlight.spareHandedOver();
    }

    /** Its temp files are swept as those of a dead process only once it is gone: waits (at most 3 s) for that. */
    static void awaitGone(long serverPid) {
        long until = System.nanoTime() + 3_000_000_000L;
        while (serverPid > 0 && ProcessHandle.of(serverPid).isPresent()
                && System.nanoTime() < until) {
            ServerConnector.pause(10);
        }
    }

    /** Serves until git-lfs's end: the exit code. */
    int run() {
        OutputStream filtered = new OutputStream() {
            private final ByteArrayOutputStream line = new ByteArrayOutputStream();
            private boolean drop = dropReply;

            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                for (int i = off; i < off + len; i++) {
                    line.write(b[i]);
                    if (b[i] == '\n') {
                        String text = line.toString(StandardCharsets.UTF_8);
                        line.reset();
                        String pass;
                        synchronized (lock) {
                            pass = inFlight.trackOut(text.strip(), true);
                        }
                        if (drop) {
                            drop = false;
                        } else if (pass != null) {
                            protocolOut.write((pass + "\n").getBytes(StandardCharsets.UTF_8));
                        }
                    }
                }
                protocolOut.flush();
            }
        };
        Transfers transfers = new Transfers(Path.of("").toAbsolutePath());
        return new Agent(input, filtered, transfers).run(first);
    }

    /** The in-process agent's input: what was replayed, then what git-lfs sends next. */
    static final class QueueInput extends InputStream {
        private static final byte[] END = new byte[0];
        private final LinkedBlockingQueue<byte[]> queue = new LinkedBlockingQueue<>();
        private byte[] current = new byte[0];
        private int pos;
        private boolean ended;

        void add(byte[] b) {
            if (b.length > 0) {
                queue.add(b);
            }
        }

        void end() {
            queue.add(END);
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            while (pos >= current.length) {
                if (ended) {
                    return -1;
                }
                try {
                    current = queue.take();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted", e);
                }
                pos = 0;
                if (current == END) {
                    ended = true;
                }
            }
            int n = Math.min(len, current.length - pos);
            System.arraycopy(current, pos, b, off, n);
            pos += n;
            return n;
        }
    }
}
