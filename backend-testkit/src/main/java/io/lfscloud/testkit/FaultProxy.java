package io.lfscloud.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A relay between the agent and a real S3 server (s3proxy) or Azure Blob server (Azurite) that
 * can answer a request with an error instead of forwarding it, and slow down what it forwards:
 * the failures real S3 and Azure produce (503 SlowDown or ServerBusy, 500, a refused part, a
 * dropped connection, a slow link) on demand. One request per
 * connection (it asks both sides for {@code Connection: close}), so every request is seen.
 */
public final class FaultProxy implements AutoCloseable {

    /**
     * What to do with a request: {@code null} forwards it, otherwise the status and S3 error
     * code to answer; status 0 stalls (the request is neither read nor answered), -1 drops the
     * connection unanswered.
     */
    public interface Rule {
        /** The fault for request number {@code seq} (from 1), or {@code null} to forward it. */
        Fault decide(String method, String target, int seq);
    }

    /**
     * An answer instead of the server's: HTTP {@code status} with error {@code code}, in S3's and
     * Azure's form (status 0: stall; -1: drop the connection).
     */
    public record Fault(int status, String code) {
    }

    private final ServerSocket server;
    private final int upstreamPort;
    private final List<String> log = new ArrayList<>();
    private volatile Rule rule = (m, t, n) -> null;
    private volatile long bytesPerSecond;
    private int seq;

    /** Starts relaying from a port of its own on 127.0.0.1 to {@code upstreamPort} there. */
    public FaultProxy(int upstreamPort) throws IOException {
        this.upstreamPort = upstreamPort;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(this::accept);
    }

    /** {@code http://127.0.0.1:PORT}: the endpoint to give the client instead of the server's. */
    public String endpoint() {
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    /** From now on, {@code r} decides what happens to each request. */
    public void rule(Rule r) {
        rule = r;
    }

    /** Forwarded responses flow at most this fast (0: unlimited). */
    public void throttle(long bytesPerSecond) {
        this.bytesPerSecond = bytesPerSecond;
    }

    /** "METHOD target [range] -> forwarded" or "METHOD target -> STATUS CODE", in arrival order. */
    public List<String> log() {
        synchronized (log) {
            return List.copyOf(log);
        }
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Thread.ofVirtual().start(() -> serve(client));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket client) {
        try (client) {
            InputStream in = client.getInputStream();
            String head = readHead(in);
            if (head == null) {
                return;
            }
            String[] lines = head.split("\r\n");
            String[] requestLine = lines[0].split(" ");
            long length = 0;
            String range = "";
            StringBuilder rewritten = new StringBuilder(lines[0]).append("\r\n");
            for (int i = 1; i < lines.length; i++) {
                String lower = lines[i].toLowerCase(Locale.ROOT);
                if (lower.startsWith("range:")) {
                    range = " [" + lines[i].substring(6).strip() + "]";
                }
                if (lower.startsWith("content-length:")) {
                    length = Long.parseLong(lines[i].substring(15).strip());
                }
                if (!lower.startsWith("connection:")) {
                    rewritten.append(lines[i]).append("\r\n");
                }
            }
            rewritten.append("Connection: close\r\n\r\n");
            int n;
            Fault fault;
            synchronized (log) {
                n = ++seq;
            }
            fault = rule.decide(requestLine[0], requestLine[1], n);
            if (fault != null && fault.status() == 0) {
                // a server that stops answering: nothing read, nothing sent, until the client gives up
                record(requestLine[0] + " " + requestLine[1] + " -> stalled");
                for (int i = 0; i < 600 && !server.isClosed(); i++) {
                    Thread.sleep(100);
                }
                return;
            }
            if (fault != null && fault.status() < 0) {
                record(requestLine[0] + " " + requestLine[1] + " -> dropped");
                return;
            }
            if (fault != null) {
                in.skipNBytes(length); // read the body, so that the client reads our answer
                record(requestLine[0] + " " + requestLine[1] + " -> " + fault.status() + " " + fault.code());
                byte[] body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + fault.code()
                        + "</Code><Message>injected by the test</Message></Error>").getBytes(StandardCharsets.UTF_8);
                OutputStream out = client.getOutputStream();
                out.write(("HTTP/1.1 " + fault.status() + " Injected\r\nContent-Type: application/xml\r\nContent-Length: "
                        + body.length + "\r\nx-ms-error-code: " + fault.code() + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                out.write(body);
                out.flush();
                return;
            }
            record(requestLine[0] + " " + requestLine[1] + range + " -> forwarded");
            try (Socket upstream = new Socket(InetAddress.getLoopbackAddress(), upstreamPort)) {
                upstream.getOutputStream().write(rewritten.toString().getBytes(StandardCharsets.ISO_8859_1));
                Thread up = Thread.ofVirtual().start(() -> pipe(in, upstream, 0));
                pipe(upstream.getInputStream(), client, bytesPerSecond);
                up.join(5_000);
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            // a connection the test broke on purpose, or the client gave up
        }
    }

    private void record(String line) {
        synchronized (log) {
            log.add(line);
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                return null;
            }
            head.write(b);
            matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
            if (head.size() > 64 * 1024) {
                throw new IOException("request head too long");
            }
        }
        return head.toString(StandardCharsets.ISO_8859_1).strip();
    }

    private static void pipe(InputStream from, Socket to, long bytesPerSecond) {
        byte[] buf = new byte[64 * 1024];
        long start = System.nanoTime();
        long sent = 0;
        try {
            OutputStream out = to.getOutputStream();
            int n;
            while ((n = from.read(buf)) > 0) {
                out.write(buf, 0, n);
                sent += n;
                if (bytesPerSecond > 0) {
                    long due = start + sent * 1_000_000_000L / bytesPerSecond;
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    }
                }
            }
            to.shutdownOutput();
        } catch (IOException | InterruptedException e) {
            try {
                to.close();
            } catch (IOException ignored) {
                // already gone
            }
        }
    }

    /** Stops accepting connections (and ends stalls). */
    @Override
    public void close() throws IOException {
        server.close();
    }
}
