package io.lfscloud.core.agent;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

class LineReaderTest {

    private static LineReader reader(String text, int max) {
        return new LineReader(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), max);
    }

    @Test
    void splitsLinesAndStripsCarriageReturns() throws Exception {
        LineReader r = reader("one\r\ntwo\n\nthree", 100);
        assertEquals("one", r.readLine());
        assertEquals("two", r.readLine());
        assertEquals("", r.readLine());
        assertEquals("three", r.readLine());
        assertNull(r.readLine());
    }

    @Test
    void skipsAnOversizedLineAndKeepsReading() throws Exception {
        LineReader r = reader("x".repeat(50_000) + "\nafter\n", 1000);
        assertSame(LineReader.TOO_LONG, r.readLine());
        assertEquals("after", r.readLine());
        assertNull(r.readLine());
    }

    @Test
    void decodesUtf8AcrossBufferBoundaries() throws Exception {
        String s = "é".repeat(10_000);
        assertEquals(s, reader(s + "\n", 1 << 20).readLine());
    }
}
