package io.lfscloud.core;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

class PrintableTest {

    @Test
    void plainTextIsUnchanged() {
        String s = "data/génome 1.bam https://h/x?a=b \"W/etag\" \\ 😀";
        assertSame(s, Printable.escape(s));
        assertEquals("null", Printable.escape(null));
    }

    @Test
    void everythingATerminalActsOnIsEscaped() {
        assertEquals("a\\x1b[31mred\\x1b]2;title\\x07", Printable.escape("a\u001b[31mred\u001b]2;title\u0007"));
        assertEquals("one\\ntwo\\r\\tthree", Printable.escape("one\ntwo\r\tthree"));
        assertEquals("\\x00\\x7f\\x85\\x9b", Printable.escape("\u0000\u007f\u0085\u009b"), "C0, DEL and C1 (8-bit CSI)");
        assertEquals("txt\\u202egnp.exe", Printable.escape("txt\u202egnp.exe"), "bidirectional override");
        assertEquals("a\\u2028b\\u2066c", Printable.escape("a\u2028b\u2066c"));
        assertEquals("x\\ud800y", Printable.escape("x\ud800y"), "an unpaired surrogate");
        assertEquals("\\udc00", Printable.escape("\udc00"));
    }
}
