package io.lfscloud.core.agent;

import io.lfscloud.core.json.Json;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The only writer of the agent's stdout: one JSON message per line, flushed, under a
 * lock so that messages from several threads never interleave.
 */
final class ProtocolWriter {

    private final OutputStream out;

    ProtocolWriter(OutputStream out) {
        this.out = out;
    }

    /**
     * Sends one message.
     *
     * @throws UncheckedIOException when git-lfs is gone (stdout closed): nothing can be reported then
     */
    synchronized void send(Map<String, ?> message) {
        StringBuilder sb = new StringBuilder(160);
        Json.write(message, sb);
        sb.append('\n');
        try {
            out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write to git-lfs (stdout): " + e.getMessage(), e);
        }
    }

    /** Sends a raw line that is already valid JSON. */
    synchronized void sendRaw(String json) {
        try {
            out.write((json + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write to git-lfs (stdout): " + e.getMessage(), e);
        }
    }
}
