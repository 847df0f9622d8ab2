package io.lfscloud.backend.http;

import io.lfscloud.spi.StorageException;
import org.junit.jupiter.api.Test;

import java.net.URI;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** URLs to request paths: escapes kept as text, unicode sent as UTF-8 escapes, dot segments refused. */
class HttpPathsTest {

    @Test
    void aPathIsItsEscapesDecodedAndARequestGoesOutInAscii() throws StorageException {
        URI typed = URI.create("http://127.0.0.1:8080/日本/a+b%20%23%3F%2541.bin");
        assertEquals("/日本/a+b #?%41.bin", HttpPaths.path(typed));
        assertEquals("/%E6%97%A5%E6%9C%AC/a+b%20%23%3F%2541.bin", HttpPaths.requestUrl(typed).getFile());
    }

    @Test
    void dotSegmentsTypedOrEscapedAreRefusedNotResolved() {
        for (String url : new String[] {"http://h/a/../b.bin", "https://h/a/%2e%2E/b.bin", "http://h/./b.bin", "http://h/a/.."}) {
            StorageException e = assertThrows(StorageException.class, () -> HttpPaths.requestUrl(URI.create(url)), url);
            assertTrue(e.getMessage().contains("'..' segment"), e.getMessage());
        }
    }
}
