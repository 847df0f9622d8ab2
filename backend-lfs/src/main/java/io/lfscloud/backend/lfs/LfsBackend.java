package io.lfscloud.backend.lfs;

import io.lfscloud.spi.BackendConfig;
import io.lfscloud.spi.BackendContext;
import io.lfscloud.spi.Credentials;
import io.lfscloud.spi.Diagnostics;
import io.lfscloud.spi.ObjectInfo;
import io.lfscloud.spi.StorageBackend;
import io.lfscloud.spi.StorageException;
import io.lfscloud.spi.StorageException.Kind;
import io.lfscloud.spi.TransferListener;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A Git LFS server reached through its Batch API ({@code POST ENDPOINT/objects/batch}) and the
 * {@code basic} transfer: a batch call for the object (put together with the requests of other
 * transfers made at the same time, in this backend or another of the process: {@link BatchCoalescer}),
 * then the action it hands out ({@code download}: GET; {@code upload}: PUT, then {@code verify}: POST),
 * with the action's own headers, asked for again when it expired before it was used.
 *
 * <p>A server reached over SSH ({@link Credentials#authorization}) is called at the endpoint its
 * {@code git-lfs-authenticate} gave, with the headers it gave (asked once more after a 401). With
 * {@code lfs.URL.access basic} ({@link Credentials#sendFirst}) the first call carries credentials.
 *
 * <p>Credentials: the first Batch API call goes without; after a 401 the backend asks git's
 * credential helpers ({@link Credentials#fill}), and keeps what worked for later calls (and tells
 * git, {@code approve}); credentials refused with a 401 are rejected and asked for once more, then
 * the call fails as access denied. Credentials are sent only to the endpoint's own scheme, host and
 * port, never printed or traced. Redirects of object transfers are followed (at most five, each
 * held to the agent's URL policy), without the action's headers when the host changes.
 */
final class LfsBackend implements StorageBackend {

    static final String SCHEME_HTTP = "lfs+http";
    static final String SCHEME_HTTPS = "lfs+https";

    /** The Batch API's media type. */
    static final String MEDIA_TYPE = "application/vnd.git-lfs+json";

    private static final int MAX_REDIRECTS = 5;
    private static final int MAX_ERROR_BODY = 4096;
    private static final int BUFFER = 256 * 1024;
    /** An action that expires within this is asked for again before it is used (git-lfs's margin too). */
    private static final Duration EXPIRY_MARGIN = Duration.ofSeconds(5);

    private final Credentials credentials;
    private final BackendConfig config;
    private final Diagnostics diagnostics;
    private final int timeoutMillis;

    /** Credentials that worked (or are being tried), per endpoint authority; guarded by {@code this}. */
    private final Map<String, Credentials.Credential> known = new LinkedHashMap<>();
    /** What git gave last, per endpoint authority, not yet known to work; guarded by {@code this}. */
    private final Map<String, Credentials.Credential> asked = new LinkedHashMap<>();
    /** One {@code git credential fill} at a time: parallel transfers share what it gives (one prompt, not eight). */
    private final Object fillLock = new Object();

    LfsBackend(BackendContext context) throws StorageException {
        this.credentials = context.credentials();
        this.config = context.config();
        this.diagnostics = context.diagnostics();
        this.timeoutMillis = (int) config.number("lfs-cloud.lfs.timeoutSeconds", 60, 1, 3600) * 1000;
    }

    // ------------------------------------------------------------------ URLs

    /** The object's place: its server's endpoint ({@code http(s)://…/info/lfs}), oid and size. */
    record Place(URI endpoint, String oid) {
    }

    static Place place(URI object) throws StorageException {
        String scheme = object.getScheme() == null ? "" : object.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals(SCHEME_HTTP) && !scheme.equals(SCHEME_HTTPS)) {
            throw new StorageException(Kind.MISCONFIGURED, "not a Git LFS server URL: " + object);
        }
        String path = object.getRawPath() == null ? "" : object.getRawPath();
        String[] parts = path.split("/");
        int n = parts.length;
        if (n < 4 || !parts[n - 1].matches("[0-9a-f]{64}") || !parts[n - 2].equals(parts[n - 1].substring(2, 4))
                || !parts[n - 3].equals(parts[n - 1].substring(0, 2))) {
            throw new StorageException(Kind.MISCONFIGURED, "not an object of a Git LFS server (ENDPOINT/aa/bb/OID): "
                    + object);
        }
        String base = path.substring(0, path.length() - (parts[n - 1].length() + parts[n - 2].length()
                + parts[n - 3].length() + 3));
        try {
            URI endpoint = new URI(scheme.substring(4) + "://" + object.getRawAuthority() + base);
            return new Place(endpoint, parts[n - 1]);
        } catch (URISyntaxException e) {
            throw new StorageException(Kind.MISCONFIGURED, "not a Git LFS server URL: " + object, e);
        }
    }

    // ---------------------------------------------------------------- the SPI

    @Override
    public ObjectInfo stat(URI object) throws StorageException {
        Place p = served(place(object), "download");
        // the Batch API needs a size; a server that knows the object answers with its own
        Long size = batch(p, "download", 0).size();
        return ObjectInfo.of(object, size != null && size >= 0 ? size : 0);
    }

    @Override
    public InputStream read(URI object, long offset, ObjectInfo expected) throws StorageException {
        Place p = served(place(object), "download");
        long size = expected == null ? 0 : expected.size();
        Action download = action(p, batch(p, "download", size), "download");
        if (download == null) {
            throw new StorageException(Kind.MISCONFIGURED, "the Git LFS server at " + p.endpoint()
                    + " gave no download action for " + shortOid(p.oid()));
        }
        HttpURLConnection c = follow(download, "GET", offset, p);
        int status = status(c);
        if (status == 200 || status == 206) {
            try {
                InputStream in = c.getInputStream();
                if (offset > 0 && status == 200) {
                    in.skipNBytes(offset); // the server ignored the range
                }
                return new Closing(in, c);
            } catch (IOException e) {
                c.disconnect();
                throw new StorageException(Kind.TRANSIENT, "download of " + shortOid(p.oid()) + " from the Git LFS server at "
                        + p.endpoint().getHost() + " broke off: " + e.getMessage(), e);
            }
        }
        throw failed(c, status, "download of " + shortOid(p.oid()), p);
    }

    @Override
    public boolean write(URI object, Path source, long size, String sha256, TransferListener progress)
            throws StorageException {
        Place p = place(object);
        if (!p.oid().equals(sha256)) {
            throw new StorageException(Kind.CORRUPT, "object " + object + " cannot hold content claimed as " + sha256);
        }
        p = served(p, "upload");
        Reply o = batch(p, "upload", size);
        Action upload = action(p, o, "upload");
        if (upload == null) {
            trace("the Git LFS server has " + shortOid(p.oid()) + " already");
            return false;
        }
        Action verify = action(p, o, "verify");
        HttpURLConnection c = open(upload.href(), "PUT", upload.headers());
        c.setFixedLengthStreamingMode(size);
        c.setDoOutput(true);
        if (upload.headers().keySet().stream().noneMatch(h -> h.equalsIgnoreCase("Content-Type"))) {
            c.setRequestProperty("Content-Type", "application/octet-stream");
        }
        try (InputStream in = Files.newInputStream(source); OutputStream out = c.getOutputStream()) {
            byte[] buffer = new byte[BUFFER];
            for (int n; (n = in.read(buffer)) > 0; ) {
                out.write(buffer, 0, n);
                progress.transferred(n);
            }
        } catch (IOException e) {
            c.disconnect();
            throw new StorageException(Kind.TRANSIENT, "upload of " + shortOid(p.oid()) + " to the Git LFS server at "
                    + p.endpoint().getHost() + " broke off: " + e.getMessage(), e);
        }
        int status = status(c);
        if (status / 100 != 2) {
            throw failed(c, status, "upload of " + shortOid(p.oid()), p);
        }
        release(c);
        if (verify != null && verify.expiresWithin(EXPIRY_MARGIN)) {
            // a long upload can outlive its verify link: the server hands out a new one
            trace("the verify action for " + shortOid(p.oid()) + " expired during the upload; asking again");
            Reply again = batch(p, "upload", size);
            if (action(p, again, "upload") != null) {
                throw new StorageException(Kind.TRANSIENT, "the Git LFS server at " + p.endpoint() + " asks for "
                        + shortOid(p.oid()) + " again right after its upload");
            }
            verify = action(p, again, "verify");
        }
        if (verify != null) {
            verify(p, verify, size);
        }
        return true;
    }

    private void verify(Place p, Action verify, long size) throws StorageException {
        HttpURLConnection c = open(verify.href(), "POST", verify.headers());
        c.setRequestProperty("Accept", MEDIA_TYPE);
        c.setRequestProperty("Content-Type", MEDIA_TYPE);
        send(c, BatchApi.write(new BatchApi.ObjectSpec(p.oid(), size)), p);
        int status = status(c);
        if (status / 100 != 2) {
            StorageException e = failed(c, status, "verification of the upload of " + shortOid(p.oid()), p);
            throw e.kind() == Kind.NOT_FOUND ? new StorageException(Kind.CORRUPT, e.getMessage()) : e;
        }
        release(c);
    }

    // ------------------------------------------------------------- Batch API

    /**
     * The place where the Batch API really is: for a server reached over SSH, the endpoint its
     * {@code git-lfs-authenticate} gave (held to the URL policy as any link a server hands out);
     * else the place itself.
     */
    private Place served(Place p, String operation) throws StorageException {
        Optional<Credentials.Authorization> ssh = credentials.authorization(operation, false);
        if (ssh.isEmpty()) {
            return p;
        }
        URI href = URI.create(ssh.get().href().toString().replaceAll("/+$", ""));
        if (href.equals(p.endpoint())) {
            return p;
        }
        config.checkRedirect(href, href);
        return new Place(href, p.oid());
    }

    /** An action the server handed out: where to go, with which headers, until when ({@code null}: no limit). */
    record Action(URI href, Map<String, String> headers, Instant expiresAt) {
        boolean expiresWithin(Duration margin) {
            return expiresAt != null && !expiresAt.isAfter(Instant.now().plus(margin));
        }
    }

    /** The object's entry of a batch answer, and when the answer came (for {@code expires_in}). */
    record Reply(BatchApi.Entry entry, Instant received) {
        Long size() {
            return entry.size();
        }
    }

    /**
     * The object's entry of a Batch API call (shared with the requests of other transfers made at the
     * same time: {@link BatchCoalescer}). A per-object error becomes a {@link StorageException} of its kind.
     */
    Reply batch(Place p, String operation, long size) throws StorageException {
        URI url = URI.create(p.endpoint() + "/objects/batch");
        String authority = p.endpoint().getScheme() + "://" + p.endpoint().getRawAuthority();

        // an SSH server's headers authenticate by themselves, as with git-lfs (no credential helper then)
        Map<String, String> sshHeaders = credentials.authorization(operation, false).map(Credentials.Authorization::headers)
                .orElse(Map.of());
        boolean renewed = false;
        Credentials.Credential credential;
        synchronized (this) {
            credential = known.get(authority);
        }
        boolean askedAgain = false;
        if (credential == null && sshHeaders.isEmpty() && credentials.sendFirst(p.endpoint())) {
            credential = sharedOrFill(p, authority, null); // lfs.URL.access basic: credentials from the first request
        }
        while (true) {
            Map<String, String> headers = new java.util.TreeMap<>(sshHeaders);
            if (credential != null) {
                headers.put("Authorization", basic(credential));
            }
            BatchCoalescer.Reply reply = BatchCoalescer.shared().call(
                    new BatchCoalescer.Key(url, operation, Map.copyOf(headers), timeoutMillis),
                    new BatchApi.ObjectSpec(p.oid(), size), (key, objects) -> post(p, key, objects));
            if (reply.failure() != null) {
                StorageException f = reply.failure();
                throw new StorageException(f.kind(), f.getMessage(), f);
            }
            int status = reply.status();
            trace("Git LFS batch " + operation + " of " + shortOid(p.oid()) + ": " + status + " in "
                    + reply.millis() + " ms" + (reply.objects() > 1 ? " (one call for " + reply.objects() + " objects)" : "")
                    + (credential == null ? "" : " (with credentials)"));
            if (status == 401 && !sshHeaders.isEmpty()) {
                if (renewed) {
                    throw new StorageException(Kind.ACCESS_DENIED, "the Git LFS server at " + p.endpoint()
                            + " refused what git-lfs-authenticate gave over ssh (asked twice)");
                }
                renewed = true; // expired early, perhaps: ask ssh once more
                sshHeaders = credentials.authorization(operation, true).map(Credentials.Authorization::headers)
                        .orElse(Map.of());
                continue;
            }
            if (status == 401) {
                if (credential != null) {
                    credentials.reject(credential);
                    synchronized (this) {
                        known.remove(authority, credential);
                        asked.remove(authority, credential);
                    }
                    if (askedAgain) {
                        throw new StorageException(Kind.ACCESS_DENIED, "the Git LFS server at " + p.endpoint()
                                + " refused the credentials git gave for " + p.endpoint().getHost()
                                + " (asked twice); check them ('git credential fill') or your credential helper");
                    }
                    askedAgain = true;
                }
                Credentials.Credential refused = credential;
                try {
                    credential = sharedOrFill(p, authority, refused);
                } catch (StorageException none) {
                    if (refused == null) {
                        throw none;
                    }
                    throw new StorageException(Kind.ACCESS_DENIED, "the Git LFS server at " + p.endpoint()
                            + " refused the credentials git gave for " + p.endpoint().getHost() + ", and git has no others"
                            + " (they were rejected); check them ('git credential fill') or your credential helper");
                }
                continue;
            }
            if (status / 100 != 2) {
                throw failed(status, reply.body(), "the Git LFS batch request (" + operation + " " + shortOid(p.oid()) + ")", p);
            }
            if (credential != null) {
                boolean first;
                synchronized (this) {
                    first = known.put(authority, credential) != credential;
                }
                if (first) {
                    credentials.approve(credential);
                }
            }
            return new Reply(entry(p, reply, operation), reply.received());
        }
    }

    /** One Batch API call for {@code objects} (the coalescer's sender); its reply, failures included. */
    private BatchCoalescer.Reply post(Place p, BatchCoalescer.Key key, List<BatchApi.ObjectSpec> objects) {
        long start = System.nanoTime();
        try {
            String body = BatchApi.write(new BatchApi.Request(key.operation(), List.of("basic"), objects, "sha256"));
            HttpURLConnection c = open(key.url(), "POST", key.headers());
            c.setRequestProperty("Accept", MEDIA_TYPE);
            c.setRequestProperty("Content-Type", MEDIA_TYPE);
            send(c, body, p);
            int status = status(c);
            String answer;
            if (status / 100 == 2) {
                answer = readBody(c, p);
            } else {
                answer = errorBody(c);
            }
            Instant received = Instant.now();
            BatchApi.Response response = null;
            String invalid = null;
            if (status / 100 == 2) {
                try {
                    response = BatchApi.read(answer, BatchApi.Response.class);
                } catch (IOException e) {
                    invalid = e.getMessage() == null ? e.getClass().getSimpleName() : printable(e.getMessage());
                }
            }
            return new BatchCoalescer.Reply(status, answer, response, invalid, null, received, objects.size(),
                    (System.nanoTime() - start) / 1_000_000);
        } catch (StorageException e) {
            return new BatchCoalescer.Reply(0, "", null, null, e, Instant.now(), objects.size(),
                    (System.nanoTime() - start) / 1_000_000);
        }
    }

    /** What another transfer got from git meanwhile (unless it is {@code refused}), else git's answer now. */
    private Credentials.Credential sharedOrFill(Place p, String authority, Credentials.Credential refused)
            throws StorageException {
        synchronized (fillLock) {
            Credentials.Credential shared;
            synchronized (this) {
                shared = known.containsKey(authority) ? known.get(authority) : asked.get(authority);
            }
            if (shared != null && shared != refused) {
                return shared;
            }
            Credentials.Credential c = fill(p);
            synchronized (this) {
                asked.put(authority, c);
            }
            return c;
        }
    }

    private Credentials.Credential fill(Place p) throws StorageException {
        Optional<Credentials.Credential> c = credentials.fill(p.endpoint());
        if (c.isEmpty()) {
            throw new StorageException(Kind.ACCESS_DENIED, "the Git LFS server at " + p.endpoint()
                    + " needs credentials, and git has none for " + p.endpoint().getHost()
                    + " (set up a credential helper: 'git config credential.helper …')");
        }
        return c.get();
    }

    private static String basic(Credentials.Credential c) {
        String pair = c.username() + ":" + c.password();
        return "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8));
    }

    private static BatchApi.Entry entry(Place p, BatchCoalescer.Reply reply, String operation) throws StorageException {
        BatchApi.Response answer = reply.response();
        if (answer == null) {
            throw new StorageException(Kind.TRANSIENT, "the Git LFS server at " + p.endpoint()
                    + " answered the batch request with no valid JSON: " + reply.invalid());
        }
        String transfer = answer.transfer();
        if (transfer != null && !"basic".equals(transfer)) {
            throw new StorageException(Kind.MISCONFIGURED, "the Git LFS server at " + p.endpoint()
                    + " chose the transfer '" + printable(transfer) + "', lfs-cloud speaks 'basic' only");
        }
        for (BatchApi.Entry entry : answer.objects()) {
            if (entry != null && p.oid().equals(entry.oid())) {
                if (entry.error() != null) {
                    throw objectError(p, operation, entry.error());
                }
                return entry;
            }
        }
        throw new StorageException(Kind.TRANSIENT, "the Git LFS server at " + p.endpoint()
                + " did not answer for " + shortOid(p.oid()) + " in its batch response");
    }

    /** A per-object error of the Batch API, by its code (the API's own meanings). */
    private static StorageException objectError(Place p, String operation, BatchApi.ObjectError error) {
        long code = error.code() == null ? 0 : error.code();
        String message = error.message() == null ? "" : printable(error.message());
        String what = "the Git LFS server at " + p.endpoint() + " cannot " + operation + " " + shortOid(p.oid())
                + " (" + code + (message.isEmpty() ? "" : " " + message) + ")";
        Kind kind;
        if (code == 404 || code == 410) {
            kind = Kind.NOT_FOUND;
        } else if (code == 401 || code == 403) {
            kind = Kind.ACCESS_DENIED;
        } else if (code == 422) {
            kind = Kind.CORRUPT;
        } else if (code == 429 || code >= 500 && code != 501 && code != 505) {
            kind = Kind.TRANSIENT;
        } else {
            kind = Kind.MISCONFIGURED;
        }
        return new StorageException(kind, what);
    }

    /** The entry's action {@code name}, or {@code null} when it has none. */
    private Action action(Place p, Reply reply, String name) throws StorageException {
        BatchApi.ActionSpec a = reply.entry().actions().get(name);
        if (a == null) {
            return null;
        }
        String href = a.href();
        if (href == null) {
            throw new StorageException(Kind.TRANSIENT, "the Git LFS server at " + p.endpoint() + " gave a " + name
                    + " action without href for " + shortOid(p.oid()));
        }
        URI uri;
        try {
            uri = new URI(href);
        } catch (URISyntaxException e) {
            throw new StorageException(Kind.MISCONFIGURED, "the Git LFS server at " + p.endpoint() + " gave a " + name
                    + " action with an invalid href for " + shortOid(p.oid()));
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new StorageException(Kind.MISCONFIGURED, "the Git LFS server at " + p.endpoint() + " gave a " + name
                    + " action that is not an http(s) URL for " + shortOid(p.oid()));
        }
        // the server chose this URL: held to the URL policy as a redirect is (no metadata or link-local hosts,
        // no credentials in it, no https → http), before anything connects to it
        config.checkRedirect(p.endpoint(), uri);
        Map<String, String> headers = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : a.header().entrySet()) {
            if (e.getKey() != null && e.getValue() != null && safeHeader(e.getKey(), e.getValue())) {
                headers.put(e.getKey(), e.getValue());
            }
        }
        Instant expires = null;
        if (a.expiresIn() != null && a.expiresIn() != 0) {
            expires = reply.received().plusSeconds(a.expiresIn()); // from when the answer came, not from now
        } else if (a.expiresAt() != null) {
            try {
                expires = Instant.parse(a.expiresAt());
            } catch (DateTimeParseException e) {
                expires = null; // git-lfs ignores what it cannot read, too
            }
        }
        if (expires != null && !expires.isAfter(Instant.now())) {
            throw new StorageException(Kind.TRANSIENT, "the Git LFS server at " + p.endpoint() + " gave a " + name
                    + " action for " + shortOid(p.oid()) + " that expired already (at " + expires + ")");
        }
        return new Action(uri, headers, expires);
    }

    private static boolean safeHeader(String name, String value) {
        return !name.isEmpty() && name.chars().allMatch(c -> c > 0x20 && c < 0x7f && c != ':')
                && value.chars().noneMatch(c -> c == '\r' || c == '\n' || c == 0)
                && !name.equalsIgnoreCase("Host") && !name.equalsIgnoreCase("Content-Length");
    }

    // ------------------------------------------------------------------ HTTP

    private HttpURLConnection open(URI url, String method, Map<String, String> headers) throws StorageException {
        try {
            HttpURLConnection c = (HttpURLConnection) url.toURL().openConnection();
            c.setInstanceFollowRedirects(false);
            c.setUseCaches(false);
            c.setConnectTimeout(timeoutMillis);
            c.setReadTimeout(timeoutMillis);
            c.setRequestMethod(method);
            c.setRequestProperty("User-Agent", "lfs-cloud");
            headers.forEach(c::setRequestProperty);
            return c;
        } catch (IOException | IllegalArgumentException e) {
            throw new StorageException(Kind.MISCONFIGURED, "cannot reach " + url.getScheme() + "://" + url.getHost()
                    + ": " + e.getMessage(), e);
        }
    }

    /** GETs the action's href, following redirects; the connection has answered. */
    private HttpURLConnection follow(Action action, String method, long offset, Place p) throws StorageException {
        URI url = action.href();
        Map<String, String> headers = action.headers();
        for (int hop = 0; ; hop++) {
            HttpURLConnection c = open(url, method, headers);
            if (offset > 0) {
                c.setRequestProperty("Range", "bytes=" + offset + "-");
            }
            int status = status(c);
            if (status != 301 && status != 302 && status != 303 && status != 307 && status != 308) {
                return c;
            }
            String location = c.getHeaderField("Location");
            c.disconnect();
            if (location == null || hop >= MAX_REDIRECTS) {
                throw new StorageException(Kind.MISCONFIGURED, "download of " + shortOid(p.oid()) + " from the Git LFS server at "
                        + p.endpoint().getHost() + ": " + (location == null ? "a redirect without Location" : "too many redirects"));
            }
            URI next;
            try {
                next = url.resolve(new URI(location));
            } catch (URISyntaxException e) {
                throw new StorageException(Kind.MISCONFIGURED, "download of " + shortOid(p.oid()) + ": an invalid redirect", e);
            }
            config.checkRedirect(url, next);
            if (!sameOrigin(url, next)) {
                headers = Map.of(); // the action's headers (credentials, often) are for its own host
            }
            url = next;
        }
    }

    private static boolean sameOrigin(URI a, URI b) {
        return a.getScheme().equalsIgnoreCase(b.getScheme()) && String.valueOf(a.getHost()).equalsIgnoreCase(b.getHost())
                && a.getPort() == b.getPort();
    }

    private static void send(HttpURLConnection c, String body, Place p) throws StorageException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        c.setDoOutput(true);
        c.setFixedLengthStreamingMode(bytes.length);
        try (OutputStream out = c.getOutputStream()) {
            out.write(bytes);
        } catch (IOException e) {
            c.disconnect();
            throw unreachable(p, e);
        }
    }

    private static int status(HttpURLConnection c) throws StorageException {
        try {
            return c.getResponseCode();
        } catch (IOException e) {
            c.disconnect();
            throw new StorageException(Kind.TRANSIENT, "no answer from " + c.getURL().getProtocol() + "://"
                    + c.getURL().getAuthority() + ": " + describe(e), e);
        }
    }

    private static StorageException unreachable(Place p, IOException e) {
        return new StorageException(Kind.TRANSIENT, "cannot reach the Git LFS server at " + p.endpoint() + ": "
                + describe(e), e);
    }

    private static String describe(IOException e) {
        if (e instanceof SocketTimeoutException) {
            return "timed out";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    private static String readBody(HttpURLConnection c, Place p) throws StorageException {
        try (InputStream in = c.getInputStream()) {
            return new String(in.readNBytes(64 << 20), StandardCharsets.UTF_8);
        } catch (IOException e) {
            c.disconnect();
            throw unreachable(p, e);
        }
    }

    /** Reads what is left of an answer, so that its connection is kept for the next request. */
    private static void release(HttpURLConnection c) {
        try (InputStream in = c.getInputStream()) {
            in.skipNBytes(Math.max(0, c.getContentLengthLong()));
        } catch (IOException e) {
            c.disconnect();
        }
    }

    /** The start of a failed answer's body ({@code ""} when there is none); the connection is closed. */
    private static String errorBody(HttpURLConnection c) {
        try (InputStream err = c.getErrorStream()) {
            return err == null ? "" : new String(err.readNBytes(MAX_ERROR_BODY), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return ""; // the status says enough
        } finally {
            c.disconnect();
        }
    }

    /** A failed HTTP answer as a storage failure of its kind, with the server's message if it gave one. */
    private static StorageException failed(HttpURLConnection c, int status, String what, Place p) {
        return failed(status, errorBody(c), what, p);
    }

    /** A failed HTTP answer ({@code status}, {@code body}) as a storage failure of its kind, with the server's message. */
    private static StorageException failed(int status, String body, String what, Place p) {
        String message = "";
        if (!body.isEmpty()) {
            try {
                String s = BatchApi.read(body, BatchApi.Message.class).message();
                if (s != null) {
                    message = ": " + printable(s);
                }
            } catch (IOException notJson) {
                // a plain error page says nothing more than the status
            }
        }
        String text = what + " failed at the Git LFS server at " + p.endpoint().getHost() + " with HTTP " + status + message;
        Kind kind;
        if (status == 404 || status == 410) {
            kind = Kind.NOT_FOUND;
        } else if (status == 401 || status == 403) {
            kind = Kind.ACCESS_DENIED;
        } else if (status == 422) {
            kind = Kind.CORRUPT;
        } else if (status == 408 || status == 429 || status >= 500 && status != 501 && status != 505) {
            kind = Kind.TRANSIENT;
        } else {
            kind = Kind.MISCONFIGURED;
        }
        return new StorageException(kind, text);
    }

    private void trace(String line) {
        if (diagnostics.tracing()) {
            diagnostics.trace(line);
        }
    }

    static String shortOid(String oid) {
        return oid.length() > 12 ? oid.substring(0, 12) : oid;
    }

    /** Server text for a message: at most 200 characters, control characters escaped. */
    static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length() && sb.length() < 200; i++) {
            char ch = s.charAt(i);
            if (ch < 0x20 || ch == 0x7f || ch >= 0x80 && ch < 0xa0) {
                sb.append(String.format("\\x%02x", (int) ch));
            } else {
                sb.append(ch);
            }
        }
        return s.length() > 200 ? sb + "…" : sb.toString();
    }

    /**
     * A download's body that releases its connection when closed: one read to its end goes back to the
     * JDK's keep-alive cache for the next transfer to the same server (a new TCP connection per object
     * cost more than the object, for small ones); one closed early is drained or dropped by the JDK.
     */
    private static final class Closing extends FilterInputStream {
        private final HttpURLConnection connection;

        Closing(InputStream in, HttpURLConnection connection) {
            super(in);
            this.connection = connection;
        }

        private boolean failed;

        @Override
        public int read() throws IOException {
            try {
                return super.read();
            } catch (IOException e) {
                failed = true;
                throw e;
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return super.read(b, off, len);
            } catch (IOException e) {
                failed = true;
                throw e;
            }
        }

        @Override
        public void close() throws IOException {
            try {
                super.close();
            } finally {
                if (failed) {
                    connection.disconnect(); // never hand a broken connection back
                }
            }
        }
    }
}
