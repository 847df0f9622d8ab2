package io.lfscloud.spi;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The SPI's bounded readers: no value can be out of range, and every refusal names key, value and range. */
class BackendConfigTest {

    private static BackendConfig of(Map<String, String> m) {
        return key -> Optional.ofNullable(m.get(key));
    }

    @Test
    void numbersAreWholeAndWithinTheirRange() throws StorageException {
        BackendConfig c = of(Map.of("t", " 45 ", "zero", "0", "huge", "99999999999", "text", "abc\u001b[2J"));
        assertEquals(45, c.number("t", 30, 1, 3600));
        assertEquals(30, c.number("absent", 30, 1, 3600));
        StorageException zero = assertThrows(StorageException.class, () -> c.number("zero", 30, 1, 3600));
        assertEquals("zero must be from 1 to 3600, not 0", zero.getMessage());
        assertEquals(StorageException.Kind.MISCONFIGURED, zero.kind());
        assertThrows(StorageException.class, () -> c.number("huge", 30, 1, 3600));
        StorageException text = assertThrows(StorageException.class, () -> c.number("text", 30, 1, 3600));
        assertEquals("text must be a whole number from 1 to 3600, not 'abc\\x1b[2J'", text.getMessage());
    }

    @Test
    void sizesTakeGitsSuffixesAndStayWithinTheirRange() throws StorageException {
        BackendConfig c = of(Map.of("a", "8m", "b", "1G", "c", "512k", "d", "64m", "e", "9999999999999g", "f", "m"));
        assertEquals(8L << 20, c.bytes("a", 0, 1 << 20, 32L << 20));
        assertEquals(1L << 30, c.bytes("b", 0, 1, 1L << 40));
        assertEquals(512L << 10, c.bytes("c", 0, 1, 1L << 40));
        StorageException big = assertThrows(StorageException.class, () -> c.bytes("d", 0, 1 << 20, 32L << 20));
        assertEquals("d must be from 1m to 32m, not 64m", big.getMessage());
        assertThrows(StorageException.class, () -> c.bytes("e", 0, 1, Long.MAX_VALUE));
        assertThrows(StorageException.class, () -> c.bytes("f", 0, 1, Long.MAX_VALUE));
    }

    @Test
    void flagsFollowGit() {
        BackendConfig c = of(Map.of("y", "Yes", "n", "off", "odd", "maybe"));
        assertTrue(c.flag("y", false));
        assertFalse(c.flag("n", true));
        assertTrue(c.flag("odd", true));
        assertFalse(c.flag("absent", false));
    }

    @Test
    void theDefaultRedirectCheckRefusesSchemeChangesButHttpToHttps() throws StorageException {
        BackendConfig.EMPTY.checkRedirect(java.net.URI.create("http://a/x"), java.net.URI.create("https://b/y"));
        assertThrows(StorageException.class,
                () -> BackendConfig.EMPTY.checkRedirect(java.net.URI.create("https://a/x"), java.net.URI.create("http://b/y")));
        assertThrows(StorageException.class,
                () -> BackendConfig.EMPTY.checkRedirect(java.net.URI.create("http://a/x"), java.net.URI.create("file:///etc/passwd")));
    }

    @Test
    void aScopeReadsItsOwnSubsectionFirstAndOnlyForItsProvidersKeys() {
        BackendConfig c = of(Map.of("lfs-cloud.s3.endpoint", "http://all", "lfs-cloud.s3.b.one.endpoint", "http://b1",
                "lfs-cloud.s3.region", "eu-west-1", "lfs-cloud.retry.attempts", "5", "lfs-cloud.s3.b.one.retry.attempts", "9"));
        BackendConfig one = c.scoped("s3", "b.one");
        assertEquals(Optional.of("http://b1"), one.get("lfs-cloud.s3.endpoint"));
        assertEquals(Optional.of("eu-west-1"), one.get("lfs-cloud.s3.region"));
        assertEquals(Optional.of("5"), one.get("lfs-cloud.retry.attempts"));
        assertEquals(Optional.of("http://all"), c.scoped("s3", "other").get("lfs-cloud.s3.endpoint"));
        assertEquals(Optional.of("http://all"), c.scoped("s3", "").get("lfs-cloud.s3.endpoint"));
        assertEquals(Optional.empty(), c.scoped("http", "b.one").get("lfs-cloud.http.endpoint"));
    }
}
