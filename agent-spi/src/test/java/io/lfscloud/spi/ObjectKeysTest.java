package io.lfscloud.spi;

import org.junit.jupiter.api.Test;

import java.net.URI;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Keys in URL paths: encoded per RFC 3986, decoded without form rules, dot segments kept out of reach. */
class ObjectKeysTest {

    @Test
    void keysAreEscapedWhereUrlsWouldReadThemOtherwiseAndComeBackAsTheirText() {
        assertEquals("a+b%20%23%3F%25.bin", ObjectKeys.encode("a+b #?%.bin"));
        assertEquals("%E6%97%A5%E6%9C%AC/caf%C3%A9:@!$&'()*,;=-._~", ObjectKeys.encode("日本/café:@!$&'()*,;=-._~"));
        assertEquals("a/%2E%2E/%2E/b..c/.d", ObjectKeys.encode("a/../b..c/.d".replace("/b", "/./b")));
        for (String key : new String[] {"a+b #?%.bin", "%41%2F", "日本/語 +.bin", "x/../y", ""}) {
            String raw = ObjectKeys.encode(key);
            assertEquals(key, ObjectKeys.decode(raw), raw);
            URI uri = URI.create("s3://bucket/" + raw);
            assertEquals(raw, uri.normalize().getRawPath().substring(1), "no normalisation resolves a segment: " + uri);
        }
    }

    @Test
    void decodingIsPercentDecodingOnlyAndStrict() {
        assertEquals("a+b c", ObjectKeys.decode("a+b%20c"), "a plus is a plus");
        assertEquals("é", ObjectKeys.decode("%c3%a9"));
        assertThrows(IllegalArgumentException.class, () -> ObjectKeys.decode("100%"));
        assertThrows(IllegalArgumentException.class, () -> ObjectKeys.decode("%zz"));
        assertThrows(IllegalArgumentException.class, () -> ObjectKeys.decode("%C3"), "not UTF-8");
    }

    @Test
    void theKeyBelowAFolderIsTheKeysTextWhateverTheEscapingOfEither() {
        URI folder = URI.create("s3://bucket/dir%20one/");
        assertEquals("a+b/c d#.bin", ObjectKeys.keyBelow(folder, URI.create("s3://bucket/dir%20one/a+b/c%20d%23.bin")));
        assertEquals("a é.bin", ObjectKeys.keyBelow(URI.create("s3://bucket/日本/"),
                URI.create("s3://bucket/%E6%97%A5%E6%9C%AC/a%20%C3%A9.bin")), "a folder typed in unicode");
        assertNull(ObjectKeys.keyBelow(folder, URI.create("s3://other/dir%20one/a.bin")), "another bucket");
        assertNull(ObjectKeys.keyBelow(folder, URI.create("s3://bucket/dir%20one-sibling/a.bin")), "a sibling");
        assertNull(ObjectKeys.keyBelow(folder, URI.create("file:///dir%20one/a.bin")), "another scheme");
        assertNull(ObjectKeys.keyBelow(folder, folder), "the folder itself");
    }

    @Test
    void dotSegmentsAreFoundWhereverTheyAre() {
        assertTrue(ObjectKeys.hasDotSegment("a/../b"));
        assertTrue(ObjectKeys.hasDotSegment("./b"));
        assertTrue(ObjectKeys.hasDotSegment("/a/.."));
        assertFalse(ObjectKeys.hasDotSegment("a/..b/.c/d."));
    }

    @Test
    void etagsAreUnquotedOneWayKeepingWeakness() {
        assertEquals("abc", ObjectInfo.unquoteEtag(" \"abc\" "));
        assertEquals("abc", ObjectInfo.unquoteEtag("abc"));
        assertEquals("W/abc", ObjectInfo.unquoteEtag("W/\"abc\""));
        assertEquals("W/abc", ObjectInfo.unquoteEtag("w/\"abc\""));
        assertNull(ObjectInfo.unquoteEtag(null));
    }
}
