package io.lfscloud.core.agent;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The only writer of the protocol stream (stdout, or the descriptor the launcher moved it
 * to, see {@code Main}): one JSON message per line, flushed, under a lock so that messages
 * from several threads never interleave. When the stream breaks (git-lfs is gone) later
 * messages are dropped and {@link #broken()} says so.
 */
final class ProtocolWriter {

    private final OutputStream out;
    private volatile IOException failure;

    ProtocolWriter(OutputStream out) {
        this.out = out;
    }

    /** Sends one message. */
    void send(Reply message) {
        sendLine(MessageCodec.encode(message));
    }

    private synchronized void sendLine(String json) {
        if (failure != null) {
            return;
        }
        try {
            out.write((json + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            failure = e;
        }
    }

    /** Why stdout stopped working, or {@code null}. */
    IOException broken() {
        return failure;
    }
}
