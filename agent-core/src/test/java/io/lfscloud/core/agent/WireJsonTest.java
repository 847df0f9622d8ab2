package io.lfscloud.core.agent;

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

/** The protocol's JSON through jackson-core: as strict as RFC 8259, its messages in the project's words. */
class WireJsonTest {

    @Test
    void parsesAGitLfsDownloadRequest() throws Exception {
        Map<String, Object> m = WireJson.parseObject("{\"event\":\"download\",\"oid\":\"ab\",\"size\":21245,"
                + "\"action\":{\"href\":\"nfs://server/path\",\"header\":{\"key\":\"value\"}}}");
        assertEquals("download", m.get("event"));
        assertEquals(21245L, m.get("size"));
        @SuppressWarnings("unchecked")
        Map<String, Object> action = (Map<String, Object>) m.get("action");
        assertEquals(Map.of("key", "value"), action.get("header"));
    }

    @Test
    void readsEveryValueTypeAsTheCodecExpectsIt() throws Exception {
        List<?> v = (List<?>) WireJson.parseObject(" {\"v\": [1, -2, 3.5, 1e3, true, false, null, \"x\", {}, [],"
                + " 123456789012345678901234567890, " + Long.MAX_VALUE + "]} ").get("v");
        assertEquals(List.of(1L, -2L, new BigDecimal("3.5"), new BigDecimal("1e3"), true, false), v.subList(0, 6));
        assertNull(v.get(6));
        assertEquals(List.of("x", Map.of(), List.of(), new BigDecimal("123456789012345678901234567890"), Long.MAX_VALUE),
                v.subList(7, 12));
        assertEquals("a\"b\\c/d\b\f\n\r\té", WireJson.parseObject("{\"s\":\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\"}").get("s"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "{", "}", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{\"a\":[1,]}", "{'a':1}", "{\"a\":01}",
            "{\"a\":1} x", "{\"a\":\"unterminated", "{\"a\":\"bad \\x escape\"}", "{\"a\":tru}", "{\"a\":nul}", "{\"a\":-}",
            "{\"a\":1.}", "{\"a\":1e}", "{\"a\":1 \"b\":2}", "{\"a\":\"control \u0001 char\"}", "{\"a\":1,\"a\":2}",
            "{\"a\":\"\\u12\"}", "{\"a\":NaN}", "{\"a\":1} {}", "[]", "\"init\"", "{/*c*/\"a\":1}"})
    void refusesAnythingButOneStrictJsonObject(String text) {
        MalformedMessageException e = assertThrows(MalformedMessageException.class, () -> WireJson.parseObject(text));
        assertFalse(e.getMessage().isBlank());
        assertFalse(e.getMessage().contains("jackson") || e.getMessage().contains("Unexpected"), e.getMessage());
    }

    @Test
    void saysWhereALineGoesWrong() {
        for (String[] c : new String[][] {
                {"{\"a\":1,\"a\":2}", "duplicate member at column 11"},
                {"{\"a\":1} x", "unexpected text after the JSON value at column 9"},
                {"{\"a\":", "unexpected end of input at column 6"},
                {"{\"a\":hunter2}", "unexpected input at column 2"},
                {"[1]", "expected a JSON object, got an array"}}) {
            assertEquals(c[1], assertThrows(MalformedMessageException.class, () -> WireJson.parseObject(c[0])).getMessage(), c[0]);
        }
    }

    @Test
    void refusesDeepNestingWithoutOverflowingTheStack() {
        String deep = "{\"a\":" + "[".repeat(100_000) + "]".repeat(100_000) + "}";
        MalformedMessageException e = assertThrows(MalformedMessageException.class, () -> WireJson.parseObject(deep));
        assertTrue(e.getMessage().startsWith("nesting deeper than 64"), e.getMessage());
    }

    @Test
    void writesOneLineThatParsesBack() throws Exception {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("event", "complete");
        m.put("message", "line1\nline2\r\t\"quoted\" \\ \u0000 \u001b \u2028 \u2029 é");
        m.put("n", 42L);
        m.put("list", List.of(true, "x"));
        String text = WireJson.write(m);
        assertEquals("{\"event\":\"complete\",\"message\":\"line1\\nline2\\r\\t\\\"quoted\\\" \\\\ \\u0000 \\u001b \\u2028"
                + " \\u2029 é\",\"n\":42,\"list\":[true,\"x\"]}", text);
        assertEquals(m, WireJson.parseObject(text));
    }
}
