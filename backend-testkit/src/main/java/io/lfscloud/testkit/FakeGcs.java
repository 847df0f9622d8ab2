package io.lfscloud.testkit;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32C;

/**
 * A fake Google Cloud Storage server on 127.0.0.1, for tests: no GCS emulator installs from
 * the registries this project reaches. It speaks the subset of the Cloud Storage JSON API
 * that a client of objects needs, as Google documents it (not as any one client happens to
 * call it):
 *
 * <ul>
 *   <li>{@code GET /storage/v1/b/BUCKET}: the bucket resource;</li>
 *   <li>{@code GET /storage/v1/b/BUCKET/o/OBJECT}: the object resource, or with {@code alt=media}
 *       (also under {@code /download/storage/v1/…}) its bytes, honouring {@code Range} (206 with
 *       {@code Content-Range}; 416 past the end), {@code generation} and the generation
 *       preconditions ({@code ifGenerationMatch}, {@code ifGenerationNotMatch}: 412, or 304 on reads);</li>
 *   <li>{@code GET /storage/v1/b/BUCKET/o}: listing by {@code prefix}, {@code maxResults} (at most
 *       {@link #pageSize(int)}) and {@code pageToken}/{@code nextPageToken};</li>
 *   <li>{@code POST /upload/storage/v1/b/BUCKET/o} with {@code uploadType=media}, {@code multipart}
 *       ({@code multipart/related}: the JSON metadata, then the bytes) or {@code resumable}
 *       (a session URI in {@code Location}; then {@code PUT}s with {@code Content-Range:
 *       bytes A-B/TOTAL} or {@code A-B/*}, non-final chunks a multiple of 256 KiB, answered 308 with
 *       {@code Range: bytes=0-N} until the last; {@code bytes *}{@code /TOTAL} asks for the status);
 *       an {@code md5Hash} or {@code crc32c} in the metadata is checked against the bytes (400 on
 *       a mismatch) and no object appears; {@code ifGenerationMatch=0} makes a write create-only;</li>
 *   <li>{@code DELETE /storage/v1/b/BUCKET/o/OBJECT};</li>
 *   <li>{@code POST /token}: OAuth 2.0 for service accounts (a JWT bearer assertion signed RS256
 *       by a key {@linkplain #serviceAccount registered} here), answering an access token; a JWT
 *       signed by such a key is also accepted as a bearer token (self-signed JWT access).</li>
 * </ul>
 *
 * <p>Request bodies may be gzip-compressed ({@code Content-Encoding: gzip}), as GCS accepts.
 * Every request but the token endpoint's needs a bearer token this server issued, except
 * reads of a {@linkplain #createBucket public bucket}; errors are Google's JSON error document
 * ({@code {"error": {"code", "message", "errors": [{"domain", "reason", "message"}]}}}). A
 * versioned bucket keeps an overwritten object's older generations readable by generation;
 * an unversioned one drops them. Faults (429, 503, a dropped connection) are injected on the
 * Nth matching request ({@link #inject}).
 */
public final class FakeGcs implements AutoCloseable {

    /** A fault answered instead of a request. */
    public enum Fault {
        /** 429 Too Many Requests, with Google's rateLimitExceeded error. */
        TOO_MANY_REQUESTS,
        /** 503 Service Unavailable, with Google's backendError error. */
        UNAVAILABLE,
        /** The connection closes without an answer: for an upload after half its body is read, for a media download after half its bytes are sent. */
        DROP
    }

    private static final int QUANTUM = 256 * 1024;

    private record Obj(byte[] data, long generation, long metageneration, String contentType, Instant updated,
                       Map<String, String> metadata, String md5, String crc32c) {
    }

    private static final class Bucket {
        final boolean versioned;
        final boolean publicRead;
        final Map<String, TreeMap<Long, Obj>> objects = new TreeMap<>();
        final Map<String, Long> live = new TreeMap<>();

        Bucket(boolean versioned, boolean publicRead) {
            this.versioned = versioned;
            this.publicRead = publicRead;
        }
    }

    private static final class Session {
        final String bucket;
        final String name;
        final Map<String, Object> metadata;
        final Map<String, String> query;
        ByteArrayOutputStream received;
        Obj result;

        Session(String bucket, String name, Map<String, Object> metadata, Map<String, String> query, long expected) {
            this.received = new ByteArrayOutputStream(expected > 0 && expected < Integer.MAX_VALUE - 16 ? (int) expected : 32);
            this.bucket = bucket;
            this.name = name;
            this.metadata = metadata;
            this.query = query;
        }
    }

    private record Rule(String method, String pathPart, AtomicInteger skip, AtomicInteger times, Fault fault, Runnable action) {
    }

    /** Thrown by a handler to drop its connection without an answer. */
    private static final class Dropped extends RuntimeException {
        Dropped() {
            super("fault injected: connection dropped", null, false, false);
        }
    }

    private final HttpServer server;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final Map<String, Bucket> buckets = new HashMap<>();
    private final Map<String, Session> sessions = new ConcurrentHashMap<>();
    private final Map<String, PublicKey> accounts = new ConcurrentHashMap<>();
    private final Map<String, String> tokens = new ConcurrentHashMap<>();
    private final List<Rule> rules = new ArrayList<>();
    private final List<String> log = new ArrayList<>();
    private final AtomicLong generations = new AtomicLong(System.currentTimeMillis() * 1000);
    private final AtomicInteger ids = new AtomicInteger();
    private volatile int pageSize = 1000;

    /** Starts on a free port of 127.0.0.1. */
    public FakeGcs() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 100);
        server.setExecutor(threads);
        server.createContext("/", this::handle);
        server.start();
    }

    /** Where clients send requests: {@code http://127.0.0.1:PORT}. */
    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** Creates a bucket; a versioned one keeps older generations, a public one lets anyone read. */
    public synchronized void createBucket(String name, boolean versioned, boolean publicRead) {
        buckets.put(name, new Bucket(versioned, publicRead));
    }

    /** The most objects one listing page holds (the API's default is 1000). */
    public void pageSize(int size) {
        pageSize = size;
    }

    /**
     * Writes a service-account key file (JSON, as Google issues it) into {@code folder}: a new
     * RSA key, whose public half this server trusts when {@code registered}, and a
     * {@code token_uri} pointing at this server.
     */
    public Path serviceAccount(Path folder, String email, boolean registered) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        KeyPair pair = g.generateKeyPair();
        if (registered) {
            accounts.put(email, pair.getPublic());
        }
        String pem = "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(pair.getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n";
        Map<String, Object> key = new LinkedHashMap<>();
        key.put("type", "service_account");
        key.put("project_id", "fake-project");
        key.put("private_key_id", "key-" + ids.incrementAndGet());
        key.put("private_key", pem);
        key.put("client_email", email);
        key.put("client_id", "1000" + ids.incrementAndGet());
        key.put("auth_uri", endpoint() + "/auth");
        key.put("token_uri", endpoint() + "/token");
        Path file = folder.resolve(email.replaceAll("[^A-Za-z0-9.-]", "_") + ".json");
        Files.writeString(file, MiniJson.write(key));
        return file;
    }

    /**
     * A bearer token for {@code email}, as the token endpoint would issue it, for clients that
     * cannot sign a JWT ({@code curl} in benchmarks).
     */
    public String issueToken(String email) {
        String token = "ya29.fake-" + ids.incrementAndGet() + "-" + Long.toHexString(System.nanoTime());
        tokens.put(token, email);
        return token;
    }

    /**
     * The {@code times} requests after the first {@code skip} whose method is {@code method}
     * ({@code null}: any) and whose path contains {@code pathPart} are answered with {@code fault}.
     */
    public synchronized void inject(String method, String pathPart, int skip, int times, Fault fault) {
        rules.add(new Rule(method, pathPart, new AtomicInteger(skip), new AtomicInteger(times), fault, null));
    }

    /**
     * Runs {@code action} (another writer, say) just before the request after the first {@code skip}
     * whose method is {@code method} and whose path contains {@code pathPart} is handled; once.
     */
    public synchronized void before(String method, String pathPart, int skip, Runnable action) {
        rules.add(new Rule(method, pathPart, new AtomicInteger(skip), new AtomicInteger(1), null, action));
    }

    /** Forgets every injected fault. */
    public synchronized void clearFaults() {
        rules.clear();
    }

    /** Every request so far, as {@code METHOD PATH?QUERY}. */
    public synchronized List<String> requests() {
        return List.copyOf(log);
    }

    /** Stores an object as another writer would; returns its generation. */
    public synchronized long put(String bucket, String name, byte[] content) {
        Bucket b = buckets.get(bucket);
        if (b == null) {
            throw new IllegalArgumentException("no bucket " + bucket);
        }
        return store(b, name, content, "application/octet-stream", Map.of()).generation();
    }

    /** The live content of an object, or {@code null}. */
    public synchronized byte[] content(String bucket, String name) {
        Obj o = live(buckets.get(bucket), name);
        return o == null ? null : o.data().clone();
    }

    /** Removes an object's live generation (its older ones stay in a versioned bucket). */
    public synchronized void delete(String bucket, String name) {
        Bucket b = buckets.get(bucket);
        Long g = b.live.remove(name);
        if (g != null && !b.versioned) {
            b.objects.remove(name);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }

    // ------------------------------------------------------------------ model

    private Obj store(Bucket b, String name, byte[] content, String contentType, Map<String, String> metadata) {
        return store(b, name, content, contentType, metadata, md5(content), crc32c(content));
    }

    private Obj store(Bucket b, String name, byte[] content, String contentType, Map<String, String> metadata, String md5,
                      String crc32c) {
        Obj o = new Obj(content, generations.incrementAndGet(), 1, contentType == null ? "application/octet-stream" : contentType,
                Instant.now(), metadata, md5, crc32c);
        TreeMap<Long, Obj> versions = b.objects.computeIfAbsent(name, k -> new TreeMap<>());
        if (!b.versioned) {
            versions.clear();
        }
        versions.put(o.generation(), o);
        b.live.put(name, o.generation());
        return o;
    }

    private static Obj live(Bucket b, String name) {
        if (b == null) {
            return null;
        }
        Long g = b.live.get(name);
        return g == null ? null : b.objects.get(name).get(g);
    }

    private static String md5(byte[] data) {
        try {
            return Base64.getEncoder().encodeToString(MessageDigest.getInstance("MD5").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String crc32c(byte[] data) {
        CRC32C c = new CRC32C();
        c.update(data);
        long v = c.getValue();
        return Base64.getEncoder().encodeToString(new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v});
    }

    private static String etag(Obj o) {
        return Base64.getEncoder().withoutPadding().encodeToString(("g" + o.generation() + "m" + o.metageneration())
                .getBytes(StandardCharsets.US_ASCII));
    }

    private Map<String, Object> resource(String bucket, String name, Obj o) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kind", "storage#object");
        m.put("id", bucket + "/" + name + "/" + o.generation());
        m.put("selfLink", endpoint() + "/storage/v1/b/" + bucket + "/o/" + encode(name));
        m.put("mediaLink", endpoint() + "/download/storage/v1/b/" + bucket + "/o/" + encode(name) + "?generation="
                + o.generation() + "&alt=media");
        m.put("name", name);
        m.put("bucket", bucket);
        m.put("generation", Long.toString(o.generation()));
        m.put("metageneration", Long.toString(o.metageneration()));
        m.put("contentType", o.contentType());
        m.put("storageClass", "STANDARD");
        m.put("size", Long.toString(o.data().length));
        m.put("md5Hash", o.md5());
        m.put("crc32c", o.crc32c());
        m.put("etag", etag(o));
        m.put("timeCreated", o.updated().toString());
        m.put("updated", o.updated().toString());
        if (!o.metadata().isEmpty()) {
            m.put("metadata", new LinkedHashMap<>(o.metadata()));
        }
        return m;
    }

    private static String encode(String name) {
        return URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20");
    }

    // --------------------------------------------------------------- requests

    private record Answer(int status, Map<String, String> headers, byte[] body) {
        static Answer json(int status, Object body) {
            return new Answer(status, Map.of("Content-Type", "application/json; charset=UTF-8"),
                    MiniJson.write(body).getBytes(StandardCharsets.UTF_8));
        }

        static Answer error(int status, String reason, String message) {
            Map<String, Object> one = new LinkedHashMap<>();
            one.put("domain", "global");
            one.put("reason", reason);
            one.put("message", message);
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("code", status);
            e.put("message", message);
            e.put("errors", List.of(one));
            return json(status, Map.of("error", e));
        }
    }

    private void handle(HttpExchange x) throws IOException {
        String method = x.getRequestMethod();
        String rawPath = x.getRequestURI().getRawPath();
        String rawQuery = x.getRequestURI().getRawQuery();
        Fault fault;
        synchronized (this) {
            log.add(method + " " + rawPath + (rawQuery == null ? "" : "?" + rawQuery));
            fault = faultFor(method, rawPath);
        }
        for (Runnable action : actionsFor(method, rawPath)) {
            action.run();
        }
        if (fault == Fault.DROP && !isMediaRead(method, rawPath, rawQuery)) {
            byte[] some = new byte[8192];
            long half = x.getRequestHeaders().getFirst("Content-Length") == null ? 0
                    : Long.parseLong(x.getRequestHeaders().getFirst("Content-Length")) / 2;
            InputStream in = x.getRequestBody();
            for (long read = 0; read < half; ) {
                int n = in.read(some, 0, (int) Math.min(some.length, half - read));
                if (n < 0) {
                    break;
                }
                read += n;
            }
            throw new Dropped(); // the server closes the connection of a handler that throws
        }
        try (x) {
            String length = x.getRequestHeaders().getFirst("Content-Length");
            byte[] body = length != null && Long.parseLong(length) < Integer.MAX_VALUE - 16
                    ? x.getRequestBody().readNBytes(Integer.parseInt(length)) : x.getRequestBody().readAllBytes();
            if ("gzip".equalsIgnoreCase(x.getRequestHeaders().getFirst("Content-Encoding"))) {
                body = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(body)).readAllBytes();
            }
            Answer a;
            if (fault == Fault.TOO_MANY_REQUESTS) {
                a = Answer.error(429, "rateLimitExceeded", "The rate of change requests to the object is too high.");
            } else if (fault == Fault.UNAVAILABLE) {
                a = Answer.error(503, "backendError", "We encountered an internal error. Please try again.");
            } else {
                try {
                    a = answer(x, method, rawPath, query(rawQuery), body, fault == Fault.DROP);
                } catch (IllegalArgumentException e) {
                    a = Answer.error(400, "invalid", "Invalid request: " + e.getMessage());
                }
            }
            if (a == null) {
                return; // answered already (media)
            }
            a.headers().forEach((k, v) -> x.getResponseHeaders().set(k, v));
            if (a.body().length == 0) {
                x.sendResponseHeaders(a.status(), -1);
            } else {
                x.sendResponseHeaders(a.status(), a.body().length);
                x.getResponseBody().write(a.body());
            }
        }
    }

    private static boolean isMediaRead(String method, String rawPath, String rawQuery) {
        return method.equals("GET") && (rawPath.startsWith("/download/") || rawQuery != null && rawQuery.contains("alt=media"));
    }

    private synchronized List<Runnable> actionsFor(String method, String rawPath) {
        List<Runnable> due = new ArrayList<>();
        for (Rule r : rules) {
            if (r.action() != null && (r.method() == null || r.method().equals(method)) && rawPath.contains(r.pathPart())
                    && r.skip().getAndDecrement() <= 0 && r.times().getAndDecrement() > 0) {
                due.add(r.action());
            }
        }
        return due;
    }

    private Fault faultFor(String method, String rawPath) {
        for (Rule r : rules) {
            if (r.action() != null) {
                continue;
            }
            if ((r.method() == null || r.method().equals(method)) && rawPath.contains(r.pathPart())) {
                if (r.skip().getAndDecrement() > 0) {
                    continue;
                }
                if (r.times().getAndDecrement() > 0) {
                    return r.fault();
                }
            }
        }
        return null;
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> q = new LinkedHashMap<>();
        if (raw == null) {
            return q;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            q.put(k, v);
        }
        return q;
    }

    /** The path's segments after {@code prefix}, percent-decoded (never form-decoded: + stays +). */
    private static List<String> segments(String rawPath, String prefix) {
        List<String> out = new ArrayList<>();
        for (String s : rawPath.substring(prefix.length()).split("/", -1)) {
            out.add(URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8));
        }
        return out;
    }

    private Answer answer(HttpExchange x, String method, String rawPath, Map<String, String> q, byte[] body,
                          boolean dropMedia) throws IOException {
        if (rawPath.equals("/token") && method.equals("POST")) {
            return token(new String(body, StandardCharsets.UTF_8));
        }
        String caller = caller(x.getRequestHeaders().getFirst("Authorization"));
        if ("invalid".equals(caller)) {
            return Answer.error(401, "authError", "Invalid Credentials");
        }
        if (rawPath.startsWith("/upload/storage/v1/b/")) {
            List<String> seg = segments(rawPath, "/upload/storage/v1/b/");
            if (seg.size() != 2 || !seg.get(1).equals("o")) {
                return Answer.error(404, "notFound", "Not Found");
            }
            if (caller == null) {
                return Answer.error(401, "required", "Anonymous caller does not have storage.objects.create access to the Google Cloud Storage object.");
            }
            return upload(x, method, seg.get(0), q, body);
        }
        boolean download = rawPath.startsWith("/download/storage/v1/b/");
        if (!download && !rawPath.startsWith("/storage/v1/b/")) {
            return Answer.error(404, "notFound", "Not Found");
        }
        List<String> seg = segments(rawPath, download ? "/download/storage/v1/b/" : "/storage/v1/b/");
        String bucketName = seg.get(0);
        Obj media;
        synchronized (this) {
            Bucket b = buckets.get(bucketName);
            if (caller == null && !(b != null && b.publicRead && method.equals("GET"))) {
                return Answer.error(401, "required", "Anonymous caller does not have storage.objects.get access to the Google Cloud Storage object.");
            }
            if (b == null) {
                return Answer.error(404, "notFound", "The specified bucket does not exist.");
            }
            if (seg.size() == 1 && method.equals("GET")) {
                return Answer.json(200, Map.of("kind", "storage#bucket", "id", bucketName, "name", bucketName,
                        "versioning", Map.of("enabled", b.versioned)));
            }
            if (seg.size() == 2 && seg.get(1).equals("o") && method.equals("GET")) {
                return list(b, bucketName, q);
            }
            if (seg.size() != 3 || !seg.get(1).equals("o")) {
                return Answer.error(404, "notFound", "Not Found");
            }
            String name = seg.get(2);
            Obj o;
            if (q.containsKey("generation")) {
                TreeMap<Long, Obj> versions = b.objects.get(name);
                o = versions == null ? null : versions.get(Long.parseLong(q.get("generation")));
            } else {
                o = live(b, name);
            }
            if (method.equals("DELETE")) {
                if (o == null) {
                    return Answer.error(404, "notFound", "No such object: " + bucketName + "/" + name);
                }
                delete(bucketName, name);
                return new Answer(204, Map.of(), new byte[0]);
            }
            if (!method.equals("GET")) {
                return Answer.error(405, "methodNotAllowed", "Method not allowed");
            }
            if (o == null) {
                return Answer.error(404, "notFound", "No such object: " + bucketName + "/" + name);
            }
            Answer failed = preconditions(q, o, true);
            if (failed != null) {
                return failed;
            }
            if (!download && !"media".equals(q.get("alt"))) {
                return Answer.json(200, resource(bucketName, name, o));
            }
            media = o;
        }
        return media(x, media, dropMedia); // outside the lock: other requests go on while the bytes flow
    }

    private static Answer preconditions(Map<String, String> q, Obj o, boolean read) {
        long current = o == null ? 0 : o.generation();
        if (q.containsKey("ifGenerationMatch") && Long.parseLong(q.get("ifGenerationMatch")) != current) {
            return Answer.error(412, "conditionNotMet", "At least one of the pre-conditions you specified did not hold.");
        }
        if (q.containsKey("ifGenerationNotMatch") && Long.parseLong(q.get("ifGenerationNotMatch")) == current) {
            return read ? new Answer(304, Map.of(), new byte[0])
                    : Answer.error(412, "conditionNotMet", "At least one of the pre-conditions you specified did not hold.");
        }
        if (o != null && q.containsKey("ifMetagenerationMatch") && Long.parseLong(q.get("ifMetagenerationMatch")) != o.metageneration()) {
            return Answer.error(412, "conditionNotMet", "At least one of the pre-conditions you specified did not hold.");
        }
        return null;
    }

    private Answer media(HttpExchange x, Obj o, boolean drop) throws IOException {
        byte[] d = o.data();
        long from = 0;
        long to = d.length - 1L;
        int status = 200;
        String range = x.getRequestHeaders().getFirst("Range");
        if (range != null && range.startsWith("bytes=") && !range.contains(",")) {
            String spec = range.substring(6).strip();
            int dash = spec.indexOf('-');
            if (dash == 0) {
                from = Math.max(0, d.length - Long.parseLong(spec.substring(1)));
            } else {
                from = Long.parseLong(spec.substring(0, dash));
                if (dash < spec.length() - 1) {
                    to = Math.min(to, Long.parseLong(spec.substring(dash + 1)));
                }
            }
            if (from >= d.length) {
                Answer a = Answer.error(416, "requestedRangeNotSatisfiable", "The requested range cannot be satisfied.");
                return new Answer(416, Map.of("Content-Type", "application/json; charset=UTF-8",
                        "Content-Range", "bytes */" + d.length), a.body());
            }
            status = 206;
            x.getResponseHeaders().set("Content-Range", "bytes " + from + "-" + to + "/" + d.length);
        }
        x.getResponseHeaders().set("Content-Type", o.contentType());
        x.getResponseHeaders().set("ETag", "\"" + etag(o) + "\"");
        x.getResponseHeaders().set("x-goog-generation", Long.toString(o.generation()));
        x.getResponseHeaders().set("x-goog-metageneration", Long.toString(o.metageneration()));
        x.getResponseHeaders().set("x-goog-stored-content-length", Integer.toString(d.length));
        x.getResponseHeaders().add("x-goog-hash", "crc32c=" + o.crc32c());
        x.getResponseHeaders().add("x-goog-hash", "md5=" + o.md5());
        long length = to - from + 1;
        x.sendResponseHeaders(status, length == 0 ? -1 : length);
        OutputStream out = x.getResponseBody();
        if (drop) {
            out.write(d, (int) from, (int) (length / 2));
            out.flush();
            throw new Dropped();
        }
        for (long at = from; at <= to; at += 1 << 20) {
            out.write(d, (int) at, (int) Math.min(1 << 20, to + 1 - at));
        }
        return null;
    }

    private Answer list(Bucket b, String bucket, Map<String, String> q) {
        String prefix = q.getOrDefault("prefix", "");
        int max = pageSize;
        if (q.containsKey("maxResults")) {
            max = Math.min(max, Integer.parseInt(q.get("maxResults")));
        }
        String after = q.containsKey("pageToken")
                ? new String(Base64.getUrlDecoder().decode(q.get("pageToken")), StandardCharsets.UTF_8) : null;
        List<Object> items = new ArrayList<>();
        String last = null;
        boolean more = false;
        for (var e : b.live.entrySet()) {
            String name = e.getKey();
            if (!name.startsWith(prefix) || (after != null && name.compareTo(after) <= 0)) {
                continue;
            }
            if (items.size() == max) {
                more = true;
                break;
            }
            items.add(resource(bucket, name, b.objects.get(name).get(e.getValue())));
            last = name;
        }
        Map<String, Object> page = new LinkedHashMap<>();
        page.put("kind", "storage#objects");
        if (more) {
            page.put("nextPageToken", Base64.getUrlEncoder().withoutPadding().encodeToString(last.getBytes(StandardCharsets.UTF_8)));
        }
        page.put("items", items);
        return Answer.json(200, page);
    }

    // ---------------------------------------------------------------- uploads

    private Answer upload(HttpExchange x, String method, String bucket, Map<String, String> q, byte[] body) {
        String type = q.get("uploadType");
        if (method.equals("PUT") && q.containsKey("upload_id")) {
            return chunk(x, q.get("upload_id"), body);
        }
        if (!method.equals("POST")) {
            return Answer.error(405, "methodNotAllowed", "Method not allowed");
        }
        synchronized (this) {
            if (!buckets.containsKey(bucket)) {
                return Answer.error(404, "notFound", "The specified bucket does not exist.");
            }
        }
        String contentType = x.getRequestHeaders().getFirst("Content-Type");
        if ("media".equals(type)) {
            return finish(bucket, q.get("name"), Map.of(), q, body, contentType);
        }
        if ("multipart".equals(type)) {
            int at = contentType == null ? -1 : contentType.indexOf("boundary=");
            if (at < 0) {
                return Answer.error(400, "invalid", "Missing multipart boundary");
            }
            String boundary = contentType.substring(at + 9).replace("\"", "").split(";")[0].strip();
            List<byte[]> parts = multipart(body, boundary);
            if (parts.size() != 2) {
                return Answer.error(400, "invalid", "A multipart upload has two parts: metadata and media");
            }
            Map<String, Object> meta = MiniJson.object(new String(parts.get(0), StandardCharsets.UTF_8));
            String name = meta.containsKey("name") ? (String) meta.get("name") : q.get("name");
            return finish(bucket, name, meta, q, parts.get(1), (String) meta.get("contentType"));
        }
        if ("resumable".equals(type)) {
            Map<String, Object> meta = MiniJson.object(new String(body, StandardCharsets.UTF_8));
            String name = meta.containsKey("name") ? (String) meta.get("name") : q.get("name");
            if (name == null || name.isEmpty()) {
                return Answer.error(400, "required", "Required object name");
            }
            synchronized (this) {
                Answer failed = preconditions(q, live(buckets.get(bucket), name), false);
                if (failed != null) {
                    return failed;
                }
            }
            String id = "session-" + ids.incrementAndGet() + "-" + Long.toHexString(System.nanoTime());
            String expected = x.getRequestHeaders().getFirst("X-Upload-Content-Length");
            sessions.put(id, new Session(bucket, name, meta, q, expected == null ? -1 : Long.parseLong(expected.strip())));
            String location = endpoint() + "/upload/storage/v1/b/" + bucket + "/o?uploadType=resumable&name="
                    + encode(name) + "&upload_id=" + id;
            return new Answer(200, Map.of("Location", location, "Content-Length", "0"), new byte[0]);
        }
        return Answer.error(400, "invalid", "Unknown uploadType: " + type);
    }

    private Answer chunk(HttpExchange x, String id, byte[] body) {
        Session s = sessions.get(id);
        if (s == null) {
            return Answer.error(404, "notFound", "No such upload session");
        }
        synchronized (s) {
            if (s.result != null) {
                return Answer.json(200, resource(s.bucket, s.name, s.result));
            }
            String cr = x.getRequestHeaders().getFirst("Content-Range");
            if (cr == null || !cr.startsWith("bytes ")) {
                if (body.length == 0) {
                    return incomplete(s);
                }
                cr = "bytes 0-" + (body.length - 1) + "/" + body.length; // a whole upload in one PUT
            }
            String spec = cr.substring(6).strip();
            int slash = spec.indexOf('/');
            String range = spec.substring(0, slash);
            String total = spec.substring(slash + 1);
            long persisted = s.received.size();
            if (range.equals("*")) {
                if (!total.equals("*") && Long.parseLong(total) == persisted) {
                    return complete(s);
                }
                return incomplete(s);
            }
            long first = Long.parseLong(range.substring(0, range.indexOf('-')));
            long last = Long.parseLong(range.substring(range.indexOf('-') + 1));
            if (last - first + 1 != body.length) {
                return Answer.error(400, "invalid", "Content-Range does not match the body's length");
            }
            if (first > persisted) {
                return Answer.error(400, "invalid", "Invalid request: the upload must continue at byte " + persisted);
            }
            boolean isFinal = !total.equals("*") && last + 1 == Long.parseLong(total);
            if (!isFinal && body.length % QUANTUM != 0) {
                return Answer.error(400, "invalid", "Non-final chunks must be a multiple of 256 KiB");
            }
            int skip = (int) (persisted - first);
            if (skip < body.length) {
                s.received.write(body, skip, body.length - skip);
            }
            if (isFinal) {
                return complete(s);
            }
            return incomplete(s);
        }
    }

    private static Answer incomplete(Session s) {
        int n = s.received.size();
        return new Answer(308, n == 0 ? Map.of() : Map.of("Range", "bytes=0-" + (n - 1)), new byte[0]);
    }

    private Answer complete(Session s) {
        Map<String, Object> meta = s.metadata;
        Answer a = finish(s.bucket, s.name, meta, s.query, s.received.toByteArray(), (String) meta.get("contentType"));
        if (a.status() == 200) {
            synchronized (this) {
                s.result = live(buckets.get(s.bucket), s.name);
            }
            s.received = new ByteArrayOutputStream(); // the object holds the bytes now
        } else {
            sessions.remove(findId(s));
        }
        return a;
    }

    private String findId(Session s) {
        return sessions.entrySet().stream().filter(e -> e.getValue() == s).map(Map.Entry::getKey).findFirst().orElse("");
    }

    private synchronized Answer finish(String bucket, String name, Map<String, Object> meta, Map<String, String> q,
                                       byte[] data, String contentType) {
        if (name == null || name.isEmpty()) {
            return Answer.error(400, "required", "Required object name");
        }
        String md5 = md5(data);
        String crc = crc32c(data);
        if (meta.get("md5Hash") != null && !meta.get("md5Hash").equals(md5)) {
            return Answer.error(400, "invalid", "Provided MD5 hash \"" + meta.get("md5Hash") + "\" doesn't match calculated MD5 hash \""
                    + md5 + "\".");
        }
        if (meta.get("crc32c") != null && !meta.get("crc32c").equals(crc)) {
            return Answer.error(400, "invalid", "Provided CRC32C \"" + meta.get("crc32c") + "\" doesn't match calculated CRC32C \""
                    + crc + "\".");
        }
        Bucket b = buckets.get(bucket);
        if (b == null) {
            return Answer.error(404, "notFound", "The specified bucket does not exist.");
        }
        Answer failed = preconditions(q, live(b, name), false);
        if (failed != null) {
            return failed;
        }
        Map<String, String> custom = new TreeMap<>();
        if (meta.get("metadata") instanceof Map<?, ?> m) {
            m.forEach((k, v) -> custom.put(String.valueOf(k), String.valueOf(v)));
        }
        Obj o = store(b, name, data, contentType, custom, md5, crc);
        return Answer.json(200, resource(bucket, name, o));
    }

    private static List<byte[]> multipart(byte[] body, String boundary) {
        byte[] delimiter = ("--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
        List<Integer> at = new ArrayList<>();
        for (int i = 0; i + delimiter.length <= body.length; i++) {
            if (java.util.Arrays.equals(body, i, i + delimiter.length, delimiter, 0, delimiter.length)) {
                at.add(i);
                i += delimiter.length - 1;
            }
        }
        List<byte[]> parts = new ArrayList<>();
        for (int k = 0; k + 1 < at.size(); k++) {
            int start = at.get(k) + delimiter.length;
            int end = at.get(k + 1);
            // skip the line end after the delimiter, then the part's headers up to an empty line
            int headersEnd = indexOf(body, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), start);
            int skip = 4;
            if (headersEnd < 0 || headersEnd > end) {
                headersEnd = indexOf(body, "\n\n".getBytes(StandardCharsets.ISO_8859_1), start);
                skip = 2;
            }
            int contentStart = headersEnd + skip;
            int contentEnd = end;
            if (contentEnd >= 2 && body[contentEnd - 2] == '\r' && body[contentEnd - 1] == '\n') {
                contentEnd -= 2;
            } else if (contentEnd >= 1 && body[contentEnd - 1] == '\n') {
                contentEnd -= 1;
            }
            parts.add(java.util.Arrays.copyOfRange(body, contentStart, Math.max(contentStart, contentEnd)));
        }
        return parts;
    }

    private static int indexOf(byte[] b, byte[] what, int from) {
        for (int i = from; i + what.length <= b.length; i++) {
            if (java.util.Arrays.equals(b, i, i + what.length, what, 0, what.length)) {
                return i;
            }
        }
        return -1;
    }

    // ------------------------------------------------------------------ OAuth

    /** Who a request's Authorization header names: an account, {@code null} (anonymous) or {@code "invalid"}. */
    private String caller(String authorization) {
        if (authorization == null) {
            return null;
        }
        if (!authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return "invalid";
        }
        String token = authorization.substring(7).strip();
        String who = tokens.get(token);
        if (who != null) {
            return who;
        }
        String signedBy = verifiedJwt(token, false);
        return signedBy.startsWith("!") ? "invalid" : signedBy;
    }

    private Answer token(String form) {
        Map<String, String> f = query(form);
        if (!"urn:ietf:params:oauth:grant-type:jwt-bearer".equals(f.get("grant_type"))) {
            return Answer.json(400, Map.of("error", "unsupported_grant_type", "error_description", "Invalid grant_type"));
        }
        String who = verifiedJwt(f.getOrDefault("assertion", ""), true);
        if (who.startsWith("!")) {
            return Answer.json(400, Map.of("error", "invalid_grant", "error_description", who.substring(1)));
        }
        String token = "ya29.fake-" + ids.incrementAndGet() + "-" + Long.toHexString(System.nanoTime());
        tokens.put(token, who);
        return Answer.json(200, Map.of("access_token", token, "expires_in", 3600, "token_type", "Bearer"));
    }

    /** Why {@code jwt} is refused ({@code "!reason"}), or the account that signed it (RS256, in time; for the token endpoint, addressed to Google's token endpoint or this one). */
    private String verifiedJwt(String jwt, boolean forTokenEndpoint) {
        String[] parts = jwt.split("\\.");
        if (parts.length != 3) {
            return "!Invalid JWT: not a signed JWT.";
        }
        try {
            Map<String, Object> header = MiniJson.object(new String(Base64.getUrlDecoder().decode(parts[0]), StandardCharsets.UTF_8));
            Map<String, Object> claims = MiniJson.object(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8));
            if (!"RS256".equals(header.get("alg"))) {
                return "!Invalid JWT: unsupported algorithm.";
            }
            String iss = String.valueOf(claims.get("iss"));
            PublicKey key = accounts.get(iss);
            if (key == null) {
                return "!Invalid grant: account not found";
            }
            Signature sig = Signature.getInstance("SHA256withRSA");
            sig.initVerify(key);
            sig.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
            if (!sig.verify(Base64.getUrlDecoder().decode(parts[2]))) {
                return "!Invalid JWT Signature.";
            }
            long exp = Long.parseLong(String.valueOf(claims.get("exp")));
            if (exp < Instant.now().getEpochSecond()) {
                return "!Invalid JWT: Token must be a short-lived token and in a reasonable timeframe.";
            }
            Object aud = claims.get("aud");
            if (forTokenEndpoint && !(endpoint() + "/token").equals(aud) && !"https://oauth2.googleapis.com/token".equals(aud)) {
                return "!Invalid JWT: Failed audience check.";
            }
            return iss;
        } catch (Exception e) {
            return "!Invalid JWT: " + e;
        }
    }
}
