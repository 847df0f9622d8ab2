package io.lfscloud.core.agent;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.io.JsonEOFException;
import io.lfscloud.core.JsonEscapes;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The protocol's JSON lines through jackson-core's streaming parser and generator (no
 * databind on the agent's path: its set-up costs tens of milliseconds in each of the agents
 * git-lfs starts one after another).
 *
 * <p>A line is read into a {@link Map} (insertion ordered) of {@link List}, {@link String},
 * {@link Long} (integers that fit), {@link BigDecimal} (other numbers), {@link Boolean} and
 * {@code null}, strictly (RFC 8259): a member named twice, text after the object and nesting
 * deeper than {@value #MAX_DEPTH} are refused. Lines are written compact, with
 * {@link JsonEscapes}: a string never breaks the line.
 *
 * <p>Public within the module (the package is not exported) for the relay of the transfer
 * server ({@code core.server}), which reads and rewrites the same lines.
 */
public final class WireJson {

    static final int MAX_DEPTH = 64;

    private static final JsonFactory FACTORY = new JsonFactoryBuilder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
            .characterEscapes(new JsonEscapes())
            .build();

    private WireJson() {
    }

    /** Reads one line that must be a JSON object. */
    public static Map<String, Object> parseObject(String line) throws MalformedMessageException {
        try (JsonParser p = FACTORY.createParser(line)) {
            Object value;
            try {
                JsonToken first = p.nextToken();
                if (first == null) {
                    throw new MalformedMessageException("unexpected end of input at column " + (line.length() + 1));
                }
                value = value(p, first);
            } catch (JacksonException e) {
                throw malformed(e, p);
            }
            try {
                if (p.nextToken() != null) {
                    throw malformed("unexpected text after the JSON value", p.currentTokenLocation());
                }
            } catch (JacksonException e) {
                throw malformed("unexpected text after the JSON value", p.currentTokenLocation());
            }
            if (!(value instanceof Map)) {
                throw new MalformedMessageException("expected a JSON object, got " + describe(value));
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> object = (Map<String, Object>) value;
            return object;
        } catch (IOException e) { // a string is read: only from closing the parser
            throw new MalformedMessageException("unreadable line");
        }
    }

    private static Object value(JsonParser p, JsonToken t) throws IOException {
        switch (t) {
            case START_OBJECT -> {
                Map<String, Object> m = new LinkedHashMap<>();
                for (JsonToken n = p.nextToken(); n == JsonToken.FIELD_NAME; n = p.nextToken()) {
                    String name = p.currentName();
                    m.put(name, value(p, p.nextToken()));
                }
                return m;
            }
            case START_ARRAY -> {
                List<Object> list = new ArrayList<>();
                for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
                    list.add(value(p, e));
                }
                return list;
            }
            case VALUE_STRING -> {
                return p.getText();
            }
            case VALUE_NUMBER_INT -> {
                JsonParser.NumberType type = p.getNumberType();
                return type == JsonParser.NumberType.BIG_INTEGER ? new BigDecimal(p.getBigIntegerValue()) : (Object) p.getLongValue();
            }
            case VALUE_NUMBER_FLOAT -> {
                return p.getDecimalValue();
            }
            case VALUE_TRUE -> {
                return Boolean.TRUE;
            }
            case VALUE_FALSE -> {
                return Boolean.FALSE;
            }
            case VALUE_NULL -> {
                return null;
            }
            default -> throw new IllegalStateException("unexpected token " + t); // the parser checks the structure
        }
    }

    /** A short description of a value's type, for messages. */
    static String describe(Object value) {
        if (value == null) {
            return "null";
        } else if (value instanceof Map) {
            return "an object";
        } else if (value instanceof List) {
            return "an array";
        } else if (value instanceof String) {
            return "a string";
        } else if (value instanceof Boolean) {
            return "a boolean";
        }
        return "a number";
    }

    /** The problem in the project's words (Jackson's own text quotes the line and names its classes). */
    private static MalformedMessageException malformed(JacksonException e, JsonParser p) {
        if (e instanceof StreamConstraintsException) {
            return malformed("nesting deeper than " + MAX_DEPTH, p.currentTokenLocation());
        } else if (e instanceof JsonEOFException) {
            return malformed("unexpected end of input", e.getLocation());
        } else if (String.valueOf(e.getOriginalMessage()).startsWith("Duplicate field")) {
            return malformed("duplicate member", e.getLocation());
        }
        return malformed("unexpected input", p.currentTokenLocation());
    }

    private static MalformedMessageException malformed(String problem, JsonLocation at) {
        long offset = at == null ? -1 : at.getCharOffset();
        return new MalformedMessageException(problem + (offset >= 0 ? " at column " + (offset + 1) : ""));
    }

    /** {@code value} (maps, lists, strings, numbers, booleans, {@code null}) as compact JSON on one line. */
    public static String write(Object value) {
        StringWriter text = new StringWriter();
        try (JsonGenerator g = FACTORY.createGenerator(text)) {
            writeValue(g, value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return text.toString();
    }

    private static void writeValue(JsonGenerator g, Object value) throws IOException {
        if (value == null) {
            g.writeNull();
        } else if (value instanceof String s) {
            g.writeString(s);
        } else if (value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte) {
            g.writeNumber(((Number) value).longValue());
        } else if (value instanceof Boolean b) {
            g.writeBoolean(b);
        } else if (value instanceof BigDecimal d) {
            g.writeNumber(d);
        } else if (value instanceof BigInteger i) {
            g.writeNumber(i);
        } else if (value instanceof Double || value instanceof Float) {
            double d = ((Number) value).doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                throw new IllegalArgumentException("not representable in JSON: " + value);
            }
            g.writeNumber(d);
        } else if (value instanceof Map<?, ?> map) {
            g.writeStartObject();
            for (Map.Entry<?, ?> e : map.entrySet()) {
                g.writeFieldName(String.valueOf(e.getKey()));
                writeValue(g, e.getValue());
            }
            g.writeEndObject();
        } else if (value instanceof List<?> list) {
            g.writeStartArray();
            for (Object o : list) {
                writeValue(g, o);
            }
            g.writeEndArray();
        } else {
            throw new IllegalArgumentException("not a JSON value: " + value.getClass().getName());
        }
    }

    /** One JSON object on one line, written member by member; {@code null} values are left out. */
    static final class Line {
        private final StringWriter text = new StringWriter(160);
        private final JsonGenerator g;

        Line() {
            try {
                g = FACTORY.createGenerator(text);
                g.writeStartObject();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** Adds a member; nothing when {@code value} is {@code null}. */
        Line put(String key, Object value) {
            if (value != null) {
                try {
                    g.writeFieldName(key);
                    writeValue(g, value);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            return this;
        }

        /** Adds {@code "error": {"code": …, "message": …, "retry": …}}; nothing when {@code null}. */
        Line error(Reply.ErrorInfo e) {
            if (e != null) {
                try {
                    g.writeObjectFieldStart("error");
                    g.writeNumberField("code", e.code().number());
                    g.writeStringField("message", e.message());
                    if (e.retry() != null) {
                        g.writeBooleanField("retry", e.retry());
                    }
                    g.writeEndObject();
                } catch (IOException x) {
                    throw new UncheckedIOException(x);
                }
            }
            return this;
        }

        /** The line, without its line feed. */
        String end() {
            try {
                g.writeEndObject();
                g.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return text.toString();
        }
    }
}
