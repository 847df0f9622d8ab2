package io.lfscloud.backend.http;

import io.lfscloud.spi.BackendConfig;
import io.lfscloud.spi.ObjectInfo;
import io.lfscloud.spi.StorageBackend;
import io.lfscloud.spi.StorageException;
import io.lfscloud.spi.StorageException.Kind;
import io.lfscloud.spi.TransferListener;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Reads objects from web servers with the JDK's HTTP client: {@code HEAD} for metadata
 * (Content-Length, ETag, Last-Modified, Content-MD5), {@code GET} with {@code Range} to read
 * from an offset (resuming an interrupted download) and {@code If-Match} so that a changed
 * object is refused rather than mixed into the bytes already read.
 */
final class HttpBackend implements StorageBackend {

    private final HttpClient client;
    private final Duration timeout;

    HttpBackend(BackendConfig config) {
        long seconds = config.get("lfs-cloud.http.timeoutSeconds").map(Long::parseLong).orElse(30L);
        this.timeout = Duration.ofSeconds(seconds);
        this.client = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NORMAL)
                .connectTimeout(timeout)
                .build();
    }

    @Override
    public ObjectInfo stat(URI object) throws StorageException {
        HttpRequest request = HttpRequest.newBuilder(object).method("HEAD", HttpRequest.BodyPublishers.noBody())
                .timeout(timeout).build();
        HttpResponse<Void> response = send(object, request, HttpResponse.BodyHandlers.discarding());
        check(object, response.statusCode(), null);
        var headers = response.headers();
        long size = headers.firstValueAsLong("Content-Length").orElseThrow(() -> new StorageException(Kind.MISCONFIGURED,
                object + ": the server does not say how large the object is (no Content-Length)"));
        String etag = headers.firstValue("ETag").map(HttpBackend::unquote).orElse(null);
        String md5 = headers.firstValue("Content-MD5").flatMap(HttpBackend::md5Hex).orElse(null);
        Instant modified = headers.firstValue("Last-Modified").flatMap(HttpBackend::httpDate).orElse(null);
        return new ObjectInfo(object, size, etag, null, md5, null, modified);
    }

    @Override
    public InputStream read(URI object, long offset, ObjectInfo expected) throws StorageException {
        HttpRequest.Builder b = HttpRequest.newBuilder(object).GET().timeout(timeout);
        if (offset > 0) {
            b.header("Range", "bytes=" + offset + "-");
        }
        boolean pinned = expected != null && expected.etag() != null && !expected.etag().startsWith("W/");
        if (pinned) {
            b.header("If-Match", "\"" + expected.etag() + "\"");
        }
        HttpResponse<InputStream> response = send(object, b.build(), HttpResponse.BodyHandlers.ofInputStream());
        int status = response.statusCode();
        try {
            check(object, status, expected);
            if (offset > 0 && status != 206) {
                throw new StorageException(Kind.TRANSIENT, object + ": the server ignored the Range request (status "
                        + status + "), cannot resume at byte " + offset);
            }
            if (!pinned && expected != null && expected.etag() != null) {
                String now = response.headers().firstValue("ETag").map(HttpBackend::unquote).orElse(null);
                if (now != null && !now.equals(expected.etag())) {
                    throw changed(object, expected.etag(), now);
                }
            }
            return response.body();
        } catch (StorageException e) {
            closeQuietly(response.body());
            throw e;
        }
    }

    @Override
    public boolean write(URI object, Path source, long size, String sha256, TransferListener progress)
            throws StorageException {
        throw new StorageException(Kind.MISCONFIGURED, "the http backend is read-only: it serves files tracked in place"
                + " (git lfs-cloud track-remote), it cannot be a store: " + object);
    }

    // ------------------------------------------------------------------ helpers

    private <T> HttpResponse<T> send(URI object, HttpRequest request, HttpResponse.BodyHandler<T> handler)
            throws StorageException {
        try {
            return client.send(request, handler);
        } catch (HttpConnectTimeoutException | ConnectException e) {
            throw new StorageException(Kind.TRANSIENT, "cannot connect to " + object.getHost()
                    + (object.getPort() > 0 ? ":" + object.getPort() : "") + " for " + object + ": " + reason(e), e);
        } catch (HttpTimeoutException e) {
            throw new StorageException(Kind.TRANSIENT, object + ": no answer within " + timeout.toSeconds() + " s", e);
        } catch (IOException e) {
            throw new StorageException(Kind.TRANSIENT, object + ": " + reason(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StorageException(Kind.TRANSIENT, object + ": interrupted", e);
        } catch (IllegalArgumentException e) {
            throw new StorageException(Kind.MISCONFIGURED, "not a usable URL: " + object + " (" + e.getMessage() + ")", e);
        }
    }

    private static void check(URI object, int status, ObjectInfo expected) throws StorageException {
        if (status >= 200 && status < 300) {
            return;
        }
        switch (status) {
            case 404, 410 -> throw new StorageException(Kind.NOT_FOUND, "no such object: " + object + " (HTTP " + status + ")");
            case 401, 403 -> throw new StorageException(Kind.ACCESS_DENIED, "access denied to " + object + " (HTTP "
                    + status + "); lfs-cloud sends no credentials to plain web servers");
            case 412 -> throw changed(object, expected == null ? "?" : expected.etag(), "something else");
            case 416 -> throw new StorageException(Kind.CHANGED, object + " is shorter than recorded (HTTP 416)");
            case 408, 425, 429 -> throw new StorageException(Kind.TRANSIENT, object + ": HTTP " + status + ", try again later");
            default -> {
                if (status >= 500) {
                    throw new StorageException(Kind.TRANSIENT, object + ": server error HTTP " + status);
                }
                throw new StorageException(Kind.MISCONFIGURED, object + ": unexpected HTTP " + status);
            }
        }
    }

    private static StorageException changed(URI object, String was, String now) {
        return new StorageException(Kind.CHANGED, object + " changed on the server: ETag was \"" + was + "\", is "
                + (now.equals("something else") ? "something else" : "\"" + now + "\""));
    }

    static String unquote(String etag) {
        String e = etag.strip();
        boolean weak = e.startsWith("W/");
        if (weak) {
            e = e.substring(2);
        }
        if (e.length() >= 2 && e.startsWith("\"") && e.endsWith("\"")) {
            e = e.substring(1, e.length() - 1);
        }
        return weak ? "W/" + e : e;
    }

    private static Optional<String> md5Hex(String base64) {
        try {
            byte[] b = Base64.getDecoder().decode(base64.strip());
            return b.length == 16 ? Optional.of(HexFormat.of().formatHex(b)) : Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static Optional<Instant> httpDate(String value) {
        try {
            return Optional.of(ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    private static String reason(Throwable e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }
}
