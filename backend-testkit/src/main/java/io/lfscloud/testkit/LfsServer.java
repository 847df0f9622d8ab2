package io.lfscloud.testkit;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jgit.lfs.lib.AnyLongObjectId;
import org.eclipse.jgit.lfs.server.LargeFileRepository;
import org.eclipse.jgit.lfs.server.LfsProtocolServlet;
import org.eclipse.jgit.lfs.server.Response;
import org.eclipse.jgit.lfs.server.fs.FileLfsRepository;
import org.eclipse.jgit.lfs.server.fs.FileLfsServlet;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A real Git LFS server: JGit's ({@code org.eclipse.jgit.lfs.server}: {@link LfsProtocolServlet}
 * for the Batch API, {@link FileLfsServlet} for the objects, {@link FileLfsRepository} keeping
 * them in a folder) in an embedded Jetty on 127.0.0.1, behind HTTP basic authentication for one
 * user. The Batch API is at {@link #endpoint()} ({@code http://127.0.0.1:PORT/repo.git/info/lfs},
 * the URL git-lfs derives from a remote {@code http://127.0.0.1:PORT/repo.git}).
 *
 * <p>As hosted servers do, the actions it hands out carry their own {@code Authorization}
 * header (a token made at start), so object transfers need no user credentials; requests
 * without either get 401. Every request is logged ({@link #requests()}); a test can make the
 * server answer some requests with an error ({@link #fail}), and hold Batch API calls so that
 * they overlap ({@link #holdBatches()}); {@link #batchSizes()} says how many objects each call
 * asked for. Stopped by {@link #close()}.
 */
public final class LfsServer implements AutoCloseable {

    /** The repository's path on the server. */
    public static final String REPO = "/repo.git";

    /** One request as the server saw it (before authentication), and who sent it ({@code User-Agent}). */
    public record Request(String method, String path, boolean authorized, String userAgent) {
    }

    private final Server server;
    private final int port;
    private final Path dir;
    private final String basic;
    private final String token = "Bearer " + UUID.randomUUID();
    // a queue, not a copy-on-write list: a benchmark's server logs tens of thousands of requests
    private final java.util.Queue<Request> requests = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final Map<String, Integer> failures = new ConcurrentHashMap<>();
    private final java.util.Queue<String> batchAnswers = new java.util.concurrent.ConcurrentLinkedQueue<>();
    /** How many objects each Batch API call asked for, in order. */
    private final java.util.Queue<Integer> batchSizes = new java.util.concurrent.ConcurrentLinkedQueue<>();
    /** While set, Batch API calls wait for it (after their answer is chosen); see {@link #holdBatches()}. */
    private volatile java.util.concurrent.CountDownLatch hold;
    private final java.util.concurrent.atomic.AtomicInteger held = new java.util.concurrent.atomic.AtomicInteger();

    /** A server keeping its objects under {@code dir}, for {@code user} with {@code password}. */
    public LfsServer(Path dir, String user, String password) throws Exception {
        this.dir = Files.createDirectories(dir);
        this.basic = "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        this.port = Nginx.freePort();
        String objects = "http://127.0.0.1:" + port + REPO + "/info/lfs/objects/";
        FileLfsRepository files = new FileLfsRepository(objects, dir);
        LargeFileRepository repository = new Tokens(files, token);

        server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(port);
        server.addConnector(connector);
        ServletContextHandler context = new ServletContextHandler("/");
        context.addFilter(new FilterHolder(new Guard()), "/*", EnumSet.of(DispatcherType.REQUEST));
        context.addServlet(new ServletHolder(new LfsProtocolServlet() {
            @Override
            protected LargeFileRepository getLargeFileRepository(LfsRequest request, String path, String auth) {
                return repository;
            }
        }), REPO + "/info/lfs/objects/batch");
        context.addServlet(new ServletHolder(new FileLfsServlet(files, 30_000)), REPO + "/info/lfs/objects/*");
        server.setHandler(context);
        server.start();
    }

    /** The Batch API endpoint, without credentials. */
    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + port + REPO + "/info/lfs");
    }

    public int port() {
        return port;
    }

    /** Where the server keeps object {@code oid} (whether it has it or not). */
    public Path objectFile(String oid) {
        return dir.resolve(oid.substring(0, 2)).resolve(oid.substring(2, 4)).resolve(oid);
    }

    /** Whether the server holds object {@code oid}. */
    public boolean has(String oid) {
        return Files.isRegularFile(objectFile(oid));
    }

    /** Every request so far, in order. */
    public List<Request> requests() {
        return new ArrayList<>(requests);
    }

    /** How many Batch API calls were made (with or without credentials). */
    public long batchCalls() {
        return requests.stream().filter(r -> r.path().endsWith("/objects/batch")).count();
    }

    /** How many Batch API calls a client whose {@code User-Agent} starts with {@code agent} made. */
    public long batchCalls(String agent) {
        return requests.stream().filter(r -> r.path().endsWith("/objects/batch") && r.userAgent().startsWith(agent)).count();
    }

    /** How many objects each Batch API call so far asked for, in order (authorized or not). */
    public List<Integer> batchSizes() {
        return new ArrayList<>(batchSizes);
    }

    /**
     * Makes every later Batch API call wait, once it is received (and its arranged answer, if any,
     * chosen), until {@link #releaseBatches()}: for tests that need calls to overlap.
     */
    public void holdBatches() {
        hold = new java.util.concurrent.CountDownLatch(1);
    }

    /** Lets the held Batch API calls (and every later one) go on. */
    public void releaseBatches() {
        java.util.concurrent.CountDownLatch h = hold;
        hold = null;
        if (h != null) {
            h.countDown();
        }
    }

    /** How many Batch API calls are waiting for {@link #releaseBatches()}. */
    public int heldBatches() {
        return held.get();
    }

    /**
     * Answers every later request whose path contains {@code pathPart} with {@code status} and a
     * Batch API error body, before authentication; {@code status} 0 ends it.
     */
    public void fail(String pathPart, int status) {
        if (status == 0) {
            failures.remove(pathPart);
        } else {
            failures.put(pathPart, status);
        }
    }

    /**
     * Answers the next authorized Batch API call with {@code json} (status 200) instead of JGit's
     * answer: per-object errors, expired actions, other transfers, as other servers send them.
     */
    public void answerNextBatch(String json) {
        batchAnswers.add(json);
    }

    @Override
    public void close() throws Exception {
        server.stop();
    }

    /** Basic authentication for the Batch API; the actions' token (or basic) for objects. */
    private final class Guard extends HttpFilter {
        @Override
        protected void doFilter(HttpServletRequest req, HttpServletResponse res, FilterChain chain)
                throws IOException, ServletException {
            String path = req.getRequestURI();
            if (path.endsWith("/objects/batch")) {
                byte[] body = req.getInputStream().readAllBytes();
                batchSizes.add(new String(body, StandardCharsets.UTF_8).split("\"oid\"", -1).length - 1);
                req = new Replayed(req, body);
            }
            String auth = req.getHeader("Authorization");
            boolean objectPath = path.startsWith(REPO + "/info/lfs/objects/") && !path.endsWith("/batch");
            boolean ok = basic.equals(auth) || objectPath && token.equals(auth);
            requests.add(new Request(req.getMethod(), path, ok, String.valueOf(req.getHeader("User-Agent"))));
            for (Map.Entry<String, Integer> f : failures.entrySet()) {
                if (path.contains(f.getKey())) {
                    error(res, f.getValue(), "failure arranged by the test");
                    return;
                }
            }
            if (!ok) {
                res.setHeader("LFS-Authenticate", "Basic realm=\"Git LFS\"");
                res.setHeader("WWW-Authenticate", "Basic realm=\"Git LFS\"");
                error(res, 401, "Credentials needed");
                return;
            }
            String answer = path.endsWith("/objects/batch") ? batchAnswers.poll() : null;
            java.util.concurrent.CountDownLatch h = hold;
            if (h != null && path.endsWith("/objects/batch")) {
                held.incrementAndGet();
                try {
                    h.await(60, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    held.decrementAndGet();
                }
            }
            if (answer != null) {
                res.setStatus(200);
                res.setContentType("application/vnd.git-lfs+json");
                res.getOutputStream().write(answer.getBytes(StandardCharsets.UTF_8));
                return;
            }
            chain.doFilter(req, res);
        }

        private static void error(HttpServletResponse res, int status, String message) throws IOException {
            res.setStatus(status);
            res.setContentType("application/vnd.git-lfs+json");
            res.getOutputStream().write(("{\"message\":\"" + message + "\"}").getBytes(StandardCharsets.UTF_8));
        }
    }

    /** A request whose body was read already, handed on with the same bytes. */
    private static final class Replayed extends jakarta.servlet.http.HttpServletRequestWrapper {
        private final byte[] body;

        Replayed(HttpServletRequest req, byte[] body) {
            super(req);
            this.body = body;
        }

        @Override
        public jakarta.servlet.ServletInputStream getInputStream() {
            java.io.ByteArrayInputStream in = new java.io.ByteArrayInputStream(body);
            return new jakarta.servlet.ServletInputStream() {
                @Override
                public int read() {
                    return in.read();
                }

                @Override
                public int read(byte[] b, int off, int len) {
                    return in.read(b, off, len);
                }

                @Override
                public boolean isFinished() {
                    return in.available() == 0;
                }

                @Override
                public boolean isReady() {
                    return true;
                }

                @Override
                public void setReadListener(jakarta.servlet.ReadListener listener) {
                    throw new UnsupportedOperationException();
                }
            };
        }

        @Override
        public java.io.BufferedReader getReader() {
            return new java.io.BufferedReader(new java.io.InputStreamReader(getInputStream(), StandardCharsets.UTF_8));
        }
    }

    /** The folder repository's actions, each with the token header, as hosted servers hand out. */
    private record Tokens(FileLfsRepository files, String token) implements LargeFileRepository {
        @Override
        public Response.Action getDownloadAction(AnyLongObjectId id) {
            return withToken(files.getDownloadAction(id));
        }

        @Override
        public Response.Action getUploadAction(AnyLongObjectId id, long size) {
            return withToken(files.getUploadAction(id, size));
        }

        @Override
        public Response.Action getVerifyAction(AnyLongObjectId id) {
            return withToken(files.getVerifyAction(id));
        }

        @Override
        public long getSize(AnyLongObjectId id) throws IOException {
            return files.getSize(id);
        }

        private Response.Action withToken(Response.Action a) {
            if (a != null) {
                Map<String, String> header = a.header == null ? new HashMap<>() : new HashMap<>(a.header);
                header.put("Authorization", token);
                a.header = header;
            }
            return a;
        }
    }
}
