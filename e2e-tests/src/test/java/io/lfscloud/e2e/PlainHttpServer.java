package io.lfscloud.e2e;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A web server that gives no change signal at all: files of a folder with their
 * Content-Length and nothing else (no ETag, no Last-Modified), as some plain servers and
 * proxies do. nginx cannot be made to drop Last-Modified from static files, hence this one.
 */
final class PlainHttpServer implements AutoCloseable {

    final Path root;
    private final HttpServer server;

    PlainHttpServer(Path root) throws IOException {
        this.root = Files.createDirectories(root);
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.createContext("/", this::serve);
        server.start();
    }

    String url(String name) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/" + name;
    }

    private void serve(HttpExchange ex) throws IOException {
        try (ex) {
            Path file = root.resolve(ex.getRequestURI().getPath().substring(1)).normalize();
            if (!file.startsWith(root) || !Files.isRegularFile(file)) {
                ex.sendResponseHeaders(404, -1);
                return;
            }
            long size = Files.size(file);
            if (ex.getRequestMethod().equals("HEAD")) {
                ex.getResponseHeaders().set("Content-Length", Long.toString(size));
                ex.sendResponseHeaders(200, -1);
                return;
            }
            ex.sendResponseHeaders(200, size == 0 ? -1 : size);
            try (InputStream in = Files.newInputStream(file); OutputStream out = ex.getResponseBody()) {
                in.transferTo(out);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
