package io.lfscloud.backend.azure;

import io.lfscloud.spi.Diagnostics;
import io.lfscloud.spi.ObjectInfo;
import io.lfscloud.spi.RetryPolicy;
import io.lfscloud.spi.StorageException;
import io.lfscloud.spi.StorageException.Kind;
import io.lfscloud.testkit.Azurite;

import com.azure.core.http.HttpClient;
import com.azure.core.http.HttpHeaderName;
import com.azure.core.http.HttpHeaders;
import com.azure.core.http.HttpMethod;
import com.azure.core.http.HttpRequest;
import com.azure.core.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Blob versions, which Azurite does not implement: the backend's requests go to the SDK's
 * {@link HttpClient} (the narrowest layer below the SDK's own request building and signing),
 * here one that answers as Azure's blob service answers an account with versioning on (the
 * headers of Get Blob and Get Blob Properties on a versioned blob: {@code x-ms-version-id},
 * {@code Content-Range}, {@code ETag}, {@code Content-MD5}), and records what was asked.
 */
class AzureVersionTest {

    static final String VERSION = "2026-11-02T09:41:17.3476891Z";
    static final String VERSION_QUERY = "versionid=2026-11-02T09%3A41%3A17.3476891Z";
    static final String ETAG = "\"0x8DDFA7C1E2B4D51\"";

    @TempDir
    Path home;

    final List<HttpRequest> asked = Collections.synchronizedList(new ArrayList<>());

    /** Azure's answer headers for a versioned blob, as its service sends them. */
    static HttpHeaders azureHeaders(long length) {
        HttpHeaders h = new HttpHeaders();
        String[][] recorded = {
                {"Content-Length", Long.toString(length)},
                {"Content-Type", "application/octet-stream"},
                {"Last-Modified", "Mon, 02 Nov 2026 09:41:17 GMT"},
                {"Accept-Ranges", "bytes"},
                {"ETag", ETAG},
                {"Server", "Windows-Azure-Blob/1.0 Microsoft-HTTPAPI/2.0"},
                {"x-ms-request-id", "4f1c2e0a-b01e-0042-3a7d-2d5f3e000000"},
                {"x-ms-version", "2025-11-05"},
                {"x-ms-version-id", VERSION},
                {"x-ms-creation-time", "Mon, 02 Nov 2026 09:41:17 GMT"},
                {"x-ms-lease-status", "unlocked"},
                {"x-ms-lease-state", "available"},
                {"x-ms-blob-type", "BlockBlob"},
                {"x-ms-server-encrypted", "true"},
                {"Date", "Sun, 29 Nov 2026 11:30:00 GMT"},
        };
        for (String[] kv : recorded) {
            h.set(HttpHeaderName.fromString(kv[0]), kv[1]);
        }
        return h;
    }

    /** A backend whose SDK client sends every request to {@code server}. */
    private AzureBackend backend(Function<HttpRequest, HttpResponse> server) throws StorageException {
        HttpClient http = request -> {
            asked.add(request);
            return Mono.fromCallable(() -> server.apply(request));
        };
        AzureSettings settings = AzureSettings.from(key -> Optional.ofNullable(Map.of("lfs-cloud.azure.downloadPartSize", "1m")
                .get(key)));
        return new AzureBackend(settings, new RetryPolicy(1, 0), Diagnostics.NONE, Map.of("AZURE_STORAGE_CONNECTION_STRING",
                "DefaultEndpointsProtocol=https;AccountName=" + Azurite.ACCOUNT + ";AccountKey=" + Azurite.KEY
                        + ";BlobEndpoint=https://" + Azurite.ACCOUNT + ".blob.core.windows.net;"), home, http);
    }

    private static URI blob() {
        return URI.create("az://" + Azurite.ACCOUNT + "/data/genomes/sample.bam");
    }

    /** The versioned blob's bytes for its versioned URL; BlobNotFound for anything else (the current blob was deleted). */
    private static Function<HttpRequest, HttpResponse> versionedBlob(byte[] content) {
        return r -> {
            if (r.getUrl().getQuery() == null || !r.getUrl().getQuery().contains(VERSION_QUERY)) {
                return answer(r, 404, errorHeaders("BlobNotFound"), new byte[0]);
            }
            if (r.getHttpMethod() == HttpMethod.HEAD) {
                HttpHeaders h = azureHeaders(content.length);
                h.set(HttpHeaderName.fromString("Content-MD5"), java.util.Base64.getEncoder().encodeToString(md5(content)));
                return answer(r, 200, h, new byte[0]);
            }
            String range = r.getHeaders().getValue(HttpHeaderName.fromString("x-ms-range"));
            String[] fromTo = range.substring("bytes=".length()).split("-");
            int from = Integer.parseInt(fromTo[0]);
            int to = Math.min(Integer.parseInt(fromTo[1]), content.length - 1);
            HttpHeaders h = azureHeaders(to - from + 1);
            h.set(HttpHeaderName.CONTENT_RANGE, "bytes " + from + "-" + to + "/" + content.length);
            return answer(r, 206, h, Arrays.copyOfRange(content, from, to + 1));
        };
    }

    private static HttpHeaders errorHeaders(String code) {
        HttpHeaders h = new HttpHeaders();
        h.set(HttpHeaderName.fromString("x-ms-error-code"), code);
        h.set(HttpHeaderName.fromString("x-ms-request-id"), "4f1c2e0a-b01e-0042-3a7d-2d5f3e000001");
        h.set(HttpHeaderName.CONTENT_LENGTH, "0");
        return h;
    }

    private static byte[] md5(byte[] b) {
        try {
            return java.security.MessageDigest.getInstance("MD5").digest(b);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aReadPinnedToAVersionAsksForThatVersionInEveryRangeAndNoETag() throws Exception {
        byte[] content = new byte[(3 << 20) + 5];
        new Random(7).nextBytes(content);
        ObjectInfo pinned = new ObjectInfo(blob(), content.length, "0x8DDFA7C1E2B4D51", VERSION, null, null, null);
        try (AzureBackend b = backend(versionedBlob(content)); InputStream in = b.read(blob(), 0, pinned)) {
            assertArrayEquals(content, in.readAllBytes());
        }
        assertEquals(4, asked.size(), "four 1 MB ranges, no HEAD: " + asked.stream().map(r -> r.getHttpMethod() + " "
                + r.getUrl()).toList());
        for (HttpRequest r : asked) {
            assertEquals(HttpMethod.GET, r.getHttpMethod());
            assertTrue(r.getUrl().toString().startsWith("https://" + Azurite.ACCOUNT + ".blob.core.windows.net/data/genomes"
                    + "%2Fsample.bam?"), r.getUrl().toString());
            assertTrue(r.getUrl().getQuery().contains(VERSION_QUERY), r.getUrl().toString());
            assertNull(r.getHeaders().getValue(HttpHeaderName.IF_MATCH), "a version needs no ETag: " + r.getUrl());
        }
        // resumed from an offset, the read still asks for the version
        asked.clear();
        try (AzureBackend b = backend(versionedBlob(content)); InputStream in = b.read(blob(), 3 << 20, pinned)) {
            assertArrayEquals(Arrays.copyOfRange(content, 3 << 20, content.length), in.readAllBytes());
        }
        assertEquals(1, asked.size());
        assertTrue(asked.getFirst().getUrl().getQuery().contains(VERSION_QUERY));
    }

    @Test
    void aVersionOfAnotherSizeIsChangedAndAVersionThatIsGoneIsNotFound() throws Exception {
        byte[] content = new byte[3 << 20];
        new Random(8).nextBytes(content);
        ObjectInfo bigger = new ObjectInfo(blob(), content.length + 1, null, VERSION, null, null, null);
        try (AzureBackend b = backend(versionedBlob(content))) {
            InputStream in = b.read(blob(), 0, bigger);
            StorageException e = assertThrows(StorageException.class, in::readAllBytes);
            assertEquals(Kind.CHANGED, e.kind(), e.getMessage());
            in.close();
        }
        ObjectInfo gone = new ObjectInfo(blob(), content.length, null, "2026-01-01T00:00:00.0000000Z", null, null, null);
        try (AzureBackend b = backend(versionedBlob(content))) {
            InputStream in = b.read(blob(), 0, gone);
            StorageException e = assertThrows(StorageException.class, in::readAllBytes);
            assertEquals(Kind.NOT_FOUND, e.kind(), e.getMessage());
            in.close();
        }
    }

    @Test
    void metadataNamesTheVersionAzureReports() throws Exception {
        byte[] content = "versioned".getBytes(StandardCharsets.UTF_8);
        // Get Blob Properties of the current blob names its version: here the server answers only the versioned URL,
        // so ask for the current blob through a server that answers it like the versioned one
        Function<HttpRequest, HttpResponse> current = r -> {
            HttpHeaders h = azureHeaders(content.length);
            h.set(HttpHeaderName.fromString("Content-MD5"), java.util.Base64.getEncoder().encodeToString(md5(content)));
            h.set(HttpHeaderName.fromString("x-ms-is-current-version"), "true");
            return answer(r, 200, h, new byte[0]);
        };
        try (AzureBackend b = backend(current)) {
            ObjectInfo info = b.stat(blob());
            assertEquals(VERSION, info.versionId());
            assertEquals("0x8DDFA7C1E2B4D51", info.etag());
            assertEquals(content.length, info.size());
            assertEquals(java.util.HexFormat.of().formatHex(md5(content)), info.md5());
        }
        assertEquals(HttpMethod.HEAD, asked.getFirst().getHttpMethod());
    }

    private static HttpResponse answer(HttpRequest request, int status, HttpHeaders headers, byte[] body) {
        return new HttpResponse(request) {
            @Override
            public int getStatusCode() {
                return status;
            }

            @Override
            public String getHeaderValue(String name) {
                return headers.getValue(HttpHeaderName.fromString(name));
            }

            @Override
            public HttpHeaders getHeaders() {
                return headers;
            }

            @Override
            public Flux<ByteBuffer> getBody() {
                return body.length == 0 ? Flux.empty() : Flux.just(ByteBuffer.wrap(body));
            }

            @Override
            public Mono<byte[]> getBodyAsByteArray() {
                return Mono.just(body);
            }

            @Override
            public Mono<String> getBodyAsString() {
                return Mono.just(new String(body, StandardCharsets.UTF_8));
            }

            @Override
            public Mono<String> getBodyAsString(Charset charset) {
                return Mono.just(new String(body, charset));
            }
        };
    }
}
