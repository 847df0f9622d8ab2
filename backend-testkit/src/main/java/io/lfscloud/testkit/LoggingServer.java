package io.lfscloud.testkit;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A small web server on 127.0.0.1 (the JDK's) that logs every request it receives, with its
 * headers, and answers as the test says: to serve files, redirect, or be a trap that must
 * never be reached. Closed by the test.
 */
public final class LoggingServer implements AutoCloseable {

    /** What the server was asked; header names in lower case. */
    public record Request(String method, String path, Map<String, String> headers) {
        /** The header's value (several joined with commas), or {@code null}. */
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /** Answers one request. */
    @FunctionalInterface
    public interface Handler {
        /** Answers {@code x} (its body is already read; the exchange is closed afterwards). */
        void handle(HttpExchange x) throws IOException;
    }

    private final HttpServer server;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final List<Request> requests = new ArrayList<>();

    /** Starts on a free port of 127.0.0.1, answering every request with {@code handler}. */
    public LoggingServer(Handler handler) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        server.setExecutor(threads);
        server.createContext("/", x -> {
            Map<String, String> headers = new TreeMap<>();
            x.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), String.join(",", v)));
            synchronized (requests) {
                requests.add(new Request(x.getRequestMethod(), x.getRequestURI().toString(), headers));
            }
            try (x) {
                x.getRequestBody().transferTo(OutputStream.nullOutputStream());
                handler.handle(x);
            }
        });
        server.start();
    }

    /** The port it listens on. */
    public int port() {
        return server.getAddress().getPort();
    }

    /** {@code http://127.0.0.1:PORT/path} */
    public String url(String path) {
        return "http://127.0.0.1:" + port() + "/" + path;
    }

    /** Every request so far, in arrival order. */
    public List<Request> requests() {
        synchronized (requests) {
            return List.copyOf(requests);
        }
    }

    /** Answers with a redirect to {@code location}. */
    public static void redirect(HttpExchange x, int status, String location) throws IOException {
        x.getResponseHeaders().set("Location", location);
        x.sendResponseHeaders(status, -1);
    }

    /**
     * Serves {@code content} as a static file server does: HEAD with Content-Length, a strong
     * ETag, {@code Range: bytes=N-} answered 206, a wrong {@code If-Match} answered 412.
     */
    public static void serve(HttpExchange x, byte[] content, String etag) throws IOException {
        String ifMatch = x.getRequestHeaders().getFirst("If-Match");
        if (ifMatch != null && !ifMatch.equals("\"" + etag + "\"")) {
            x.sendResponseHeaders(412, -1);
            return;
        }
        x.getResponseHeaders().set("ETag", "\"" + etag + "\"");
        String range = x.getRequestHeaders().getFirst("Range");
        int from = range != null && range.matches("bytes=\\d+-") ? Integer.parseInt(range.substring(6, range.length() - 1)) : 0;
        if (from > 0) {
            x.getResponseHeaders().set("Content-Range", "bytes " + from + "-" + (content.length - 1) + "/" + content.length);
        }
        int status = from > 0 ? 206 : 200;
        if (x.getRequestMethod().equals("HEAD")) {
            x.getResponseHeaders().set("Content-Length", Integer.toString(content.length - from));
            x.sendResponseHeaders(status, -1);
            return;
        }
        x.sendResponseHeaders(status, content.length - from);
        x.getResponseBody().write(content, from, content.length - from);
    }

    /** Answers {@code status} with no body. */
    public static void status(HttpExchange x, int status) throws IOException {
        x.sendResponseHeaders(status, -1);
    }

    /** Stops the server. */
    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
