package io.lfscloud.core.lfs;

import org.junit.jupiter.api.Test;

import java.security.MessageDigest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OidTest {

    static final String EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    @Test
    void parsesExactly64LowercaseHexDigits() {
        Oid oid = Oid.parse(EMPTY);
        assertEquals(EMPTY, oid.hex());
        assertEquals(EMPTY, oid.toString(), "written as the protocol and pointers write it");
        assertEquals(oid, Oid.parse(EMPTY));
        assertEquals(oid.hashCode(), Oid.parse(EMPTY).hashCode());
        assertTrue(Oid.isValid(EMPTY));
    }

    @Test
    void refusesEverythingElse() {
        for (String bad : new String[] {EMPTY.toUpperCase(), EMPTY.substring(1), EMPTY + "0", "", "../../etc/passwd",
                EMPTY.substring(0, 63) + "g", EMPTY.substring(0, 63) + " ", "sha256:" + EMPTY.substring(7)}) {
            assertFalse(Oid.isValid(bad), bad);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Oid.parse(bad), bad);
            assertTrue(e.getMessage().endsWith("expected 64 lowercase hex digits"), e.getMessage());
        }
        assertFalse(Oid.isValid(null));
        assertThrows(IllegalArgumentException.class, () -> Oid.parse(null));
    }

    @Test
    void whatIsSentInPlaceOfAnOidIsQuotedHarmlessly() {
        String hostile = "\u001b]0;owned\u0007\n" + "x".repeat(200);
        String problem = Oid.problem(hostile);
        assertTrue(problem.matches("[\\x20-\\x7e…]*"), problem);
        assertTrue(problem.startsWith("invalid oid '?]0;owned??xxx"), problem);
        assertTrue(problem.length() < 140, "abbreviated: " + problem);
        assertEquals("null", Oid.shortForm((String) null));
    }

    @Test
    void knowsItsShortFormAndShardedPath() {
        Oid oid = Oid.parse(EMPTY);
        assertEquals("e3b0c44298fc", oid.shortForm());
        assertEquals("e3b0c44298fc", Oid.shortForm(EMPTY));
        assertEquals("e3/b0/" + EMPTY, oid.shardedPath());
    }

    @Test
    void isTheHexOfASha256Digest() throws Exception {
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(new byte[0]);
        assertEquals(Oid.parse(EMPTY), Oid.of(digest));
        assertThrows(IllegalArgumentException.class, () -> Oid.of(new byte[20]), "a SHA-1 is no oid");
    }

    @Test
    void ordersByItsDigits() {
        Oid low = Oid.parse("0".repeat(64));
        Oid high = Oid.parse("f".repeat(64));
        assertTrue(low.compareTo(high) < 0);
        assertNotEquals(low, high);
    }
}
