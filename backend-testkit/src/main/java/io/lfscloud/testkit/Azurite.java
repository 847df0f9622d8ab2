package io.lfscloud.testkit;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A real Azure Blob Storage server: Azurite's blob service ({@code azurite-blob}, from npm) on
 * 127.0.0.1 and a free port, in memory by default, or keeping its blobs in a folder
 * ({@code --location}) so that they survive a restart. It checks Shared Key signatures and SAS
 * tokens of the well-known development account {@value #ACCOUNT}, so the tests can arrange
 * containers and blobs with plain signed requests ({@link #request}) while lfs-cloud talks to
 * it through the Azure SDK.
 *
 * <p>The {@code azurite-blob} program is found at the system property {@code lfscloud.azurite}
 * (the build of a module whose tests use it installs it there with npm when it is missing; see
 * {@code scripts/install-azurite.sh}). Stopped by {@link #close()}.
 */
public final class Azurite implements AutoCloseable {

    /** The development account every Azurite serves. */
    public static final String ACCOUNT = "devstoreaccount1";

    /** Its key, published in Azure's documentation of the storage emulator and Azurite. */
    public static final String KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    /** The REST API version the helper's own requests speak. */
    static final String VERSION = "2021-12-02";

    /** The port it listens on, on 127.0.0.1. */
    public final int port;
    private final Path work;
    private final Path location;
    private final Path log;
    private final List<String> options = new ArrayList<>();
    private Process process;
    private final HttpClient http = HttpClient.newHttpClient();

    /** In memory. */
    public Azurite(Path work) throws IOException, InterruptedException {
        this(work, null);
    }

    /** With {@code location}: blobs kept in that folder (they survive {@link #kill()} and {@link #start()}). */
    public Azurite(Path work, Path location) throws IOException, InterruptedException {
        this.port = Nginx.freePort();
        this.work = Files.createDirectories(work.resolve("azurite-" + port));
        this.location = location;
        this.log = this.work.resolve("azurite.log");
        start();
    }

    /** The {@code azurite-blob} program. */
    public static Path program() {
        Path p = Path.of(System.getProperty("lfscloud.azurite", "../.tools/azurite/node_modules/.bin/azurite-blob"));
        if (!Files.isExecutable(p)) {
            fail("Azurite is missing at " + p + " (the build installs it: scripts/install-azurite.sh)");
        }
        return p;
    }

    /** Starts the server (again, after {@link #kill()}: same port, same folder). */
    public void start() throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(program().toString(), "--blobHost", "127.0.0.1",
                "--blobPort", Integer.toString(port), "--skipApiVersionCheck", "--loose", "--disableTelemetry", "--silent"));
        command.addAll(options);
        if (location == null) {
            command.add("--inMemoryPersistence"); // the working folder is work (nothing is written there)
        } else {
            command.addAll(List.of("--location", Files.createDirectories(location).toString()));
        }
        ProcessBuilder pb = new ProcessBuilder(command).directory(work.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().remove("AZURITE_ACCOUNTS");
        // its telemetry library keeps files in the temp folder even with --disableTelemetry: ours, not /tmp
        pb.environment().put("TMPDIR", Files.createDirectories(work.resolve("tmp")).toString());
        process = pb.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                fail("Azurite did not start:\n" + Files.readString(log));
            }
            try (Socket s = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException notYet) {
                Thread.sleep(100);
            }
        }
        fail("Azurite did not listen on " + port + ":\n" + Files.readString(log));
    }

    /**
     * Options for the next {@link #start()} on: {@code --oauth basic --cert FILE.pfx --pwd PASSWORD}
     * serves HTTPS and takes bearer tokens (the helper's own requests then no longer reach it:
     * arrange containers and blobs before).
     */
    public void options(String... more) {
        options.clear();
        options.addAll(List.of(more));
    }

    /** Kills the server at once (SIGKILL), as a crash would. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** {@code http://127.0.0.1:PORT/devstoreaccount1} (https with a certificate): the blob service endpoint. */
    public String endpoint() {
        return (options.contains("--cert") ? "https" : "http") + "://127.0.0.1:" + port + "/" + ACCOUNT;
    }

    /** The connection string Azure's tools take for this server, with the development account's key. */
    public String connectionString() {
        return "DefaultEndpointsProtocol=http;AccountName=" + ACCOUNT + ";AccountKey=" + KEY + ";BlobEndpoint="
                + endpoint() + ";";
    }

    /**
     * A request signed with the account's Shared Key. {@code path} is the part after the account
     * ({@code /container/blob}, already percent-encoded where needed), with an optional query.
     */
    public HttpResponse<byte[]> request(String method, String path, byte[] body, Map<String, String> headers)
            throws IOException, InterruptedException {
        URI uri = URI.create(endpoint() + path);
        TreeMap<String, String> ms = new TreeMap<>();
        ms.put("x-ms-date", DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now(ZoneOffset.UTC)));
        ms.put("x-ms-version", VERSION);
        headers.forEach((k, v) -> {
            if (k.toLowerCase(Locale.ROOT).startsWith("x-ms-")) {
                ms.put(k.toLowerCase(Locale.ROOT), v);
            }
        });
        String length = body == null || body.length == 0 ? "" : Integer.toString(body.length);
        String type = body == null ? "" : "application/octet-stream";
        StringBuilder toSign = new StringBuilder().append(method).append('\n')
                .append('\n').append('\n') // Content-Encoding, Content-Language
                .append(length).append('\n')
                .append(headers.getOrDefault("Content-MD5", "")).append('\n')
                .append(type).append('\n')
                .append('\n') // Date (x-ms-date is used)
                .append('\n') // If-Modified-Since
                .append(headers.getOrDefault("If-Match", "")).append('\n')
                .append('\n').append('\n') // If-None-Match, If-Unmodified-Since
                .append(headers.getOrDefault("Range", "")).append('\n');
        ms.forEach((k, v) -> toSign.append(k).append(':').append(v).append('\n'));
        toSign.append('/').append(ACCOUNT).append(uri.getRawPath());
        TreeMap<String, String> query = new TreeMap<>();
        if (uri.getRawQuery() != null) {
            for (String p : uri.getRawQuery().split("&")) {
                int eq = p.indexOf('=');
                String k = URLDecoder.decode(eq < 0 ? p : p.substring(0, eq), StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
                String v = eq < 0 ? "" : URLDecoder.decode(p.substring(eq + 1), StandardCharsets.UTF_8);
                query.merge(k, v, (a, b) -> a + "," + b);
            }
        }
        query.forEach((k, v) -> toSign.append('\n').append(k).append(':').append(v));
        HttpRequest.Builder b = HttpRequest.newBuilder(uri)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body))
                .header("Authorization", "SharedKey " + ACCOUNT + ":" + hmac(toSign.toString()));
        ms.forEach(b::header);
        headers.forEach((k, v) -> {
            if (!k.toLowerCase(Locale.ROOT).startsWith("x-ms-")) {
                b.header(k, v);
            }
        });
        if (body != null) {
            b.header("Content-Type", type);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** Creates {@code container}; fails the test unless the server answers 201. */
    public void createContainer(String container) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = request("PUT", "/" + container + "?restype=container", null, Map.of());
        assertTrue(r.statusCode() == 201, "create container " + container + ": HTTP " + r.statusCode() + " "
                + new String(r.body(), StandardCharsets.UTF_8));
    }

    /** Stores {@code content} as a block blob at {@code /container/blob} (percent-encoded) out of band. */
    public void put(String path, byte[] content) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = request("PUT", path, content, Map.of("x-ms-blob-type", "BlockBlob"));
        assertTrue(r.statusCode() == 201, "put " + path + ": HTTP " + r.statusCode() + " "
                + new String(r.body(), StandardCharsets.UTF_8));
    }

    /** The blob's bytes, or {@code null} when it does not exist. */
    public byte[] get(String path) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = request("GET", path, null, Map.of());
        return r.statusCode() == 200 ? r.body() : null;
    }

    /** The container's listing as Azure answers it (List Blobs XML), uncommitted blobs included. */
    public String listing(String container) throws IOException, InterruptedException {
        return new String(request("GET", "/" + container + "?comp=list&include=uncommittedblobs&restype=container", null,
                Map.of()).body(), StandardCharsets.UTF_8);
    }

    /**
     * An account SAS token (without a leading {@code ?}) for the blob service, valid for an hour,
     * with {@code permissions} (such as {@code rwdlac}).
     */
    public String sasToken(String permissions) {
        DateTimeFormatter f = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss'Z'");
        String start = f.format(ZonedDateTime.now(ZoneOffset.UTC).minusMinutes(5).truncatedTo(ChronoUnit.SECONDS));
        String expiry = f.format(ZonedDateTime.now(ZoneOffset.UTC).plusHours(1).truncatedTo(ChronoUnit.SECONDS));
        String toSign = ACCOUNT + "\n" + permissions + "\nb\nsco\n" + start + "\n" + expiry + "\n\nhttp,https\n" + VERSION
                + "\n\n";
        return "sv=" + VERSION + "&ss=b&srt=sco&sp=" + permissions + "&st=" + enc(start) + "&se=" + enc(expiry)
                + "&spr=" + enc("http,https") + "&sig=" + enc(hmac(toSign));
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static String hmac(String text) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(Base64.getDecoder().decode(KEY), "HmacSHA256"));
            return Base64.getEncoder().encodeToString(mac.doFinal(text.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
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
