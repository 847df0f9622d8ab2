package io.lfscloud.core.json;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JsonTest {

    @Test
    void parsesAGitLfsDownloadRequest() throws Exception {
        Map<String, Object> m = Json.parseObject("{\"event\":\"download\",\"oid\":\"ab\",\"size\":21245,"
                + "\"action\":{\"href\":\"nfs://server/path\",\"header\":{\"key\":\"value\"}}}");
        assertEquals("download", m.get("event"));
        assertEquals(21245L, m.get("size"));
        @SuppressWarnings("unchecked")
        Map<String, Object> action = (Map<String, Object>) m.get("action");
        assertEquals(Map.of("key", "value"), action.get("header"));
    }

    @Test
    void parsesEveryValueType() throws Exception {
        Object v = Json.parse(" [1, -2, 3.5, 1e3, true, false, null, \"x\", {}, []] ");
        assertEquals(List.of(1L, -2L, new BigDecimal("3.5"), new BigDecimal("1e3"), true, false),
                ((List<?>) v).subList(0, 6));
        assertNull(((List<?>) v).get(6));
        assertEquals("x", ((List<?>) v).get(7));
    }

    @Test
    void decodesEscapes() throws Exception {
        assertEquals("a\"b\\c/d\b\f\n\r\té", Json.parse("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\""));
    }

    @Test
    void integersBeyondLongStayExact() throws Exception {
        assertEquals(new BigDecimal("123456789012345678901234567890"), Json.parse("123456789012345678901234567890"));
        assertEquals(Long.MAX_VALUE, Json.parse(Long.toString(Long.MAX_VALUE)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "{", "}", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "[1,]", "{'a':1}", "{\"a\":01}",
            "{\"a\":1} x", "\"unterminated", "\"bad \\x escape\"", "tru", "nul", "-", "1.", "1e", "{\"a\":1 \"b\":2}",
            "\"control \u0001 char\"", "{\"a\":1,\"a\":2}", "\"\\u12\""})
    void refusesMalformedInput(String text) {
        JsonException e = assertThrows(JsonException.class, () -> Json.parse(text));
        assertFalse(e.getMessage().isBlank());
    }

    @Test
    void refusesDeepNestingWithoutOverflowingTheStack() {
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        JsonException e = assertThrows(JsonException.class, () -> Json.parse(deep));
        assertTrue(e.getMessage().contains("nesting"), e.getMessage());
    }

    @Test
    void parseObjectRefusesOtherValues() {
        assertThrows(JsonException.class, () -> Json.parseObject("[1]"));
    }

    @Test
    void writesOneLineThatParsesBack() throws Exception {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("event", "complete");
        m.put("message", "line1\nline2\r\t\"quoted\" \\ \u0000 \u2028");
        m.put("n", 42L);
        m.put("list", List.of(true, "x"));
        String text = Json.write(m);
        assertFalse(text.contains("\n"));
        assertFalse(text.contains("\u2028"));
        assertEquals(m, Json.parse(text));
        assertEquals("{\"event\":\"complete\"", text.substring(0, 19));
    }
}
