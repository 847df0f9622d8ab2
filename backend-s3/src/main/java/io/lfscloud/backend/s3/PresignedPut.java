package io.lfscloud.backend.s3;

import io.lfscloud.spi.TransferListener;
import software.amazon.awssdk.awscore.presigner.PresignedRequest;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The body of an upload (a whole object or one part), sent through a presigned request on
 * the JDK's {@link HttpURLConnection}: streamed from the file at a fixed length, so nothing
 * is buffered (the SDK's URL-connection client buffers whole bodies it sends), and with an
 * unsigned payload (over plain HTTP the SDK would sign every 64 KB chunk). Integrity still
 * rests on the checksum headers, which are signed: S3 rejects bytes that do not match them.
 * A redirect is never followed: a signed request goes to the configured endpoint or nowhere
 * (the redirect is answered to the caller as an error status).
 */
final class PresignedPut {

    private static final int BUFFER = 256 * 1024;
    private static final Pattern CODE = Pattern.compile("<Code>([^<]*)</Code>");

    /** What S3 answered: the ETag on success, else the status and S3's error code. */
    record Response(int status, String etag, String errorCode) {
        boolean ok() {
            return status / 100 == 2;
        }
    }

    private PresignedPut() {
    }

    /** Disconnects {@code connection} when {@link #alive()} was not called for {@code timeout}. */
    private static final class Watchdog implements AutoCloseable {
        private final Thread thread;
        private volatile long last = System.nanoTime();
        private volatile boolean fired;
        private volatile boolean closed;

        Watchdog(HttpURLConnection connection, java.time.Duration timeout) {
            long limit = timeout.toNanos();
            thread = Thread.ofVirtual().start(() -> {
                while (!closed) {
                    try {
                        Thread.sleep(Math.max(50, timeout.toMillis() / 4));
                    } catch (InterruptedException e) {
                        return;
                    }
                    if (!closed && System.nanoTime() - last > limit) {
                        fired = true;
                        connection.disconnect();
                        return;
                    }
                }
            });
        }

        void alive() {
            last = System.nanoTime();
        }

        boolean fired() {
            return fired;
        }

        @Override
        public void close() {
            closed = true;
            thread.interrupt();
        }
    }

    /** PUTs {@code length} bytes of {@code source} from {@code start}; {@code timeout} bounds connecting and each wait. */
    static Response send(PresignedRequest request, FileChannel source, long start, long length, java.time.Duration timeout,
                         TransferListener progress) throws IOException {
        HttpURLConnection c = (HttpURLConnection) request.url().openConnection();
        try {
            c.setRequestMethod("PUT");
            c.setInstanceFollowRedirects(false);
            c.setDoOutput(true);
            c.setUseCaches(false);
            c.setFixedLengthStreamingMode(length);
            c.setConnectTimeout((int) timeout.toMillis());
            c.setReadTimeout((int) timeout.toMillis());
            request.signedHeaders().forEach((name, values) -> {
                // Host and Content-Length are the connection's own (the fixed length sends the latter)
                if (!name.equalsIgnoreCase("host") && !name.equalsIgnoreCase("content-length")) {
                    c.setRequestProperty(name, String.join(",", values));
                }
            });
            ByteBuffer buf = ByteBuffer.allocate((int) Math.max(1, Math.min(BUFFER, length)));
            // a socket write has no timeout: a server that stops reading would hold the
            // upload forever, so a watchdog drops the connection when the body stalls
            Watchdog watchdog = new Watchdog(c, timeout);
            try (watchdog; OutputStream out = c.getOutputStream()) {
                long pos = start;
                long end = start + length;
                while (pos < end) {
                    buf.clear().limit((int) Math.min(buf.capacity(), end - pos));
                    int n = source.read(buf, pos);
                    if (n < 0) {
                        throw new IOException("the file shrank while it was uploaded");
                    }
                    out.write(buf.array(), 0, n);
                    watchdog.alive();
                    pos += n;
                    progress.transferred(n);
                }
            } catch (IOException e) {
                if (watchdog.fired()) {
                    throw new java.net.SocketTimeoutException("S3 took no bytes for " + timeout.toSeconds() + " s");
                }
                throw e;
            }
            // (a body read to its end leaves the connection to be reused)
            int status = c.getResponseCode();
            if (status / 100 == 2) {
                try (InputStream in = c.getInputStream()) {
                    in.transferTo(OutputStream.nullOutputStream());
                }
                return new Response(status, c.getHeaderField("ETag"), null);
            }
            String body = "";
            try (InputStream err = c.getErrorStream()) {
                if (err != null) {
                    body = new String(err.readNBytes(64 * 1024), StandardCharsets.UTF_8);
                }
            }
            Matcher m = CODE.matcher(body);
            return new Response(status, null, m.find() ? m.group(1) : null);
        } catch (IOException | RuntimeException e) {
            c.disconnect(); // a connection in an unknown state is not reused
            throw e;
        }
    }
}
