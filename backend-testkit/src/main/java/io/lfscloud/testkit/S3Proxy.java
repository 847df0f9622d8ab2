package io.lfscloud.testkit;

import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A real S3 server: s3proxy (from Maven Central) on 127.0.0.1, by default with the
 * in-memory "transient" store and no authorization, so plain HTTP requests can arrange
 * buckets and objects for the tests while lfs-cloud talks to it through the AWS SDK; or
 * with the filesystem store (to survive a restart) and AWS signatures required.
 *
 * <p>The s3proxy jar is found at the system property {@code lfscloud.s3proxy} (the build of a
 * module whose tests use this copies it there with maven-dependency-plugin, version
 * {@code s3proxy.version} of the parent pom), else at {@code target/s3proxy/s3proxy.jar}.
 * Stopped by {@link #close()}.
 */
public final class S3Proxy implements AutoCloseable {

    /** The port it listens on, on 127.0.0.1. */
    public final int port;
    private final Path props;
    private final Path log;
    private Process process;
    private final HttpClient http = HttpClient.newHttpClient();

    /** In memory, no authorization. */
    public S3Proxy(Path work) throws IOException, InterruptedException {
        this(work, null, null, null);
    }

    /**
     * With {@code basedir}: the filesystem store (survives a restart; buckets are folders);
     * with {@code identity}: AWS signatures required, for that key and {@code credential}.
     */
    public S3Proxy(Path work, Path basedir, String identity, String credential) throws IOException, InterruptedException {
        port = Nginx.freePort();
        String store = basedir == null ? "jclouds.provider=transient\n"
                : "jclouds.provider=filesystem\njclouds.filesystem.basedir=" + basedir + "\n";
        String auth = identity == null ? "s3proxy.authorization=none\n"
                : "s3proxy.authorization=aws-v2-or-v4\ns3proxy.identity=" + identity + "\ns3proxy.credential=" + credential + "\n";
        props = Files.writeString(Files.createDirectories(work).resolve("s3proxy-" + port + ".conf"),
                "s3proxy.endpoint=http://127.0.0.1:" + port + "\n" + auth + store
                        + "jclouds.identity=local-identity\njclouds.credential=local-credential\n");
        log = work.resolve("s3proxy-" + port + ".log");
        start();
    }

    /** Starts the server (again, after {@link #kill()}: same port, same store). */
    public void start() throws IOException, InterruptedException {
        Path jar = Path.of(System.getProperty("lfscloud.s3proxy", "target/s3proxy/s3proxy.jar"));
        if (!Files.exists(jar)) {
            fail("s3proxy is missing at " + jar + " (the build copies it there)");
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        process = new ProcessBuilder(java, "-jar", jar.toString(), "--properties", props.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                fail("s3proxy did not start:\n" + Files.readString(log));
            }
            try (Socket s = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException notYet) {
                Thread.sleep(100);
            }
        }
        fail("s3proxy did not listen on " + port + ":\n" + Files.readString(log));
    }

    /** Kills the server at once (SIGKILL), as a crash would. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** The multipart uploads still open in {@code bucket} (S3's ListMultipartUploads). */
    public String openUploads(String bucket) throws IOException, InterruptedException {
        return new String(request("GET", "/" + bucket + "?uploads", null).body());
    }

    /** {@code http://127.0.0.1:PORT}: the endpoint to give an S3 client. */
    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    /** A plain, unsigned request (for a server started without authorization); spaces in {@code path} are escaped. */
    public HttpResponse<byte[]> request(String method, String path, byte[] body) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(endpoint() + path.replace(" ", "%20")))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (body != null) {
            b.header("Content-Type", "application/octet-stream");
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** The HTTP status of a plain request (see {@link #request}). */
    public int status(String method, String path, byte[] body) throws IOException, InterruptedException {
        return request(method, path, body).statusCode();
    }

    /** Creates {@code bucket}; fails the test unless the server answers 200. */
    public void createBucket(String bucket) throws IOException, InterruptedException {
        int status = request("PUT", "/" + bucket, null).statusCode();
        assertTrue(status == 200, "create bucket " + bucket + ": HTTP " + status);
    }

    /** Stores {@code content} at {@code key} out of band; fails the test unless the server answers 200. */
    public void put(String bucket, String key, byte[] content) throws IOException, InterruptedException {
        int status = request("PUT", "/" + bucket + "/" + key, content).statusCode();
        assertTrue(status == 200, "put " + key + ": HTTP " + status);
    }

    /** The object's bytes, or {@code null} when it does not exist. */
    public byte[] get(String bucket, String key) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = request("GET", "/" + bucket + "/" + key, null);
        return r.statusCode() == 200 ? r.body() : null;
    }

    /** The bucket's listing as S3 answers it (ListObjectsV2 XML). */
    public String listing(String bucket) throws IOException, InterruptedException {
        return new String(request("GET", "/" + bucket + "?list-type=2", null).body());
    }

    /** Stops the server. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
