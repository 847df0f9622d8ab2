package io.lfscloud.testkit;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * A real nginx (Debian's) serving a folder on 127.0.0.1 with its ordinary static-file
 * behaviour: strong ETags, Last-Modified, byte ranges, If-Match. {@code /forbidden/} answers
 * 403 and {@code /broken/} 500, for error tests; {@code /no-etag/} serves files without an ETag
 * (Last-Modified only); {@code /slow/} sends at 64 bytes a second. With {@link TestCertificates}, it also serves the same over HTTPS
 * ({@link #httpsUrl}). Needs {@code nginx} on PATH; stopped by {@link #close()}.
 */
public final class Nginx implements AutoCloseable {

    /** The folder served: a file at {@code root/a/b} is {@link #url(String) url("a/b")}. */
    public final Path root;
    /** The port it listens on, on 127.0.0.1. */
    public final int port;
    /** The port it serves HTTPS on, or -1. */
    public final int tlsPort;
    private final Process process;
    private final Path prefix;

    /**
     * Starts nginx with its configuration, logs and served folder ({@code www}) under
     * {@code work}, and waits until it listens; fails the test when it does not start.
     */
    public Nginx(Path work) throws IOException, InterruptedException {
        this(work, null);
    }

    /** As {@link #Nginx(Path)}, and over HTTPS with {@code tls}'s server certificate when it is not null. */
    public Nginx(Path work, TestCertificates tls) throws IOException, InterruptedException {
        prefix = Files.createDirectories(work.resolve("nginx"));
        root = Files.createDirectories(work.resolve("www"));
        Files.createDirectories(prefix.resolve("logs"));
        port = freePort();
        tlsPort = tls == null ? -1 : freePort();
        String tlsListen = tls == null ? "" : "listen 127.0.0.1:%d ssl; ssl_certificate %s; ssl_certificate_key %s;"
                .formatted(tlsPort, tls.certificatePem, tls.keyPem);
        boolean root0 = "root".equals(System.getProperty("user.name"));
        String conf = (root0 ? "user root root;\n" : "") + """
                worker_processes 1;
                error_log %s/logs/error.log warn;
                pid %s/nginx.pid;
                events { worker_connections 64; }
                http {
                    access_log off;
                    default_type application/octet-stream;
                    client_body_temp_path %s/tmp;
                    proxy_temp_path %s/tmp;
                    fastcgi_temp_path %s/tmp;
                    uwsgi_temp_path %s/tmp;
                    scgi_temp_path %s/tmp;
                    server {
                        listen 127.0.0.1:%d;
                        %s
                        root %s;
                        location /forbidden/ { return 403; }
                        location /broken/ { return 500; }
                        location /slow/ { limit_rate 64; }
                        location /no-etag/ { etag off; }
                    }
                }
                """.formatted(prefix, prefix, prefix, prefix, prefix, prefix, prefix, port, tlsListen, root);
        Files.createDirectories(prefix.resolve("tmp"));
        Path confFile = Files.writeString(prefix.resolve("nginx.conf"), conf);
        process = new ProcessBuilder("nginx", "-p", prefix.toString(), "-c", confFile.toString(), "-g", "daemon off;")
                .redirectErrorStream(true).redirectOutput(prefix.resolve("logs/stdout.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                fail("nginx did not start:\n" + Files.readString(prefix.resolve("logs/stdout.log"))
                        + readIfExists(prefix.resolve("logs/error.log")));
            }
            try (Socket s = new Socket("127.0.0.1", port); Socket t = tls == null ? null : new Socket("127.0.0.1", tlsPort)) {
                return;
            } catch (IOException notYet) {
                Thread.sleep(50);
            }
        }
        fail("nginx did not listen on port " + port);
    }

    /** {@code http://127.0.0.1:PORT/path} */
    public String url(String path) {
        return "http://127.0.0.1:" + port + "/" + path;
    }

    /** {@code https://127.0.0.1:TLSPORT/path} */
    public String httpsUrl(String path) {
        return "https://127.0.0.1:" + tlsPort + "/" + path;
    }

    private static String readIfExists(Path p) throws IOException {
        return Files.exists(p) ? Files.readString(p) : "";
    }

    /** A port on which nothing listened a moment ago (for servers, and for connections that must be refused). */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Stops nginx. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
