package io.lfscloud.core.meta;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.PrettyPrinter;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.io.JsonEOFException;
import com.fasterxml.jackson.core.util.Instantiatable;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import io.lfscloud.core.JsonEscapes;

import java.io.IOException;
import java.util.List;

/**
 * The JSON of the files under {@code .lfs-meta}, through jackson-databind: the files' forms as
 * records ({@link RecordFile}, {@link PlaceFile}, {@link EtagFile}, {@link Md5File}), members
 * sorted by name, one per line, indented by two spaces, absent values left out, so that diffs
 * stay small. The layout and escapes are exactly those of the files written before Jackson
 * (the project's own writer), so existing repositories do not churn.
 *
 * <p>Reading is strict: a member named twice, text after the value, nesting deeper than
 * {@value #MAX_DEPTH}, a value of the wrong type (no coercion: {@code "1"} is not a number,
 * {@code 1.0} is not a size) and, in records, a member this version does not know (it would be
 * lost when the record is written back) are refused. Messages name the file and say what is
 * wrong in one line; they never quote the file's text nor carry Jackson's own wording.
 *
 * <p>The mapper is built on first use: the agent's download path reads no record when there is
 * none, and pays nothing for Jackson then.
 */
final class MetaJson {

    static final int MAX_DEPTH = 64;

    private MetaJson() {
    }

    /**
     * A record file ({@code sha256/<oid>.json}) or an ETag-file entry; members sorted by name.
     * A record has {@code places}; the flat form (an entry, or a record written before places)
     * has the members of its one place beside the content's.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonPropertyOrder(alphabetic = true)
    record RecordFile(String etag, String lastModified, String md5, String path,
                      List<PlaceFile> places,
                      String sha256, Long size, String trackedAt, String url, String versionId) {
    }

    /** One place of a record; members sorted by name. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonPropertyOrder(alphabetic = true)
    record PlaceFile(String etag, String lastModified, String path, String trackedAt, String url, String versionId) {
    }

    /**
     * An ETag file ({@code etag/<key>.json}): its entries stay trees, so that an entry this
     * version cannot use is written back as it was.
     */
    @JsonPropertyOrder(alphabetic = true)
    record EtagFile(String etag, List<JsonNode> objects) {
    }

    /** An MD5 mapping ({@code md5/<md5>.json}): a cache; an unusable one is only a missed shortcut. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonPropertyOrder(alphabetic = true)
    record Md5File(String md5, String sha256, long size) {
    }

    private static final class Holder {
        static final JsonMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                        .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
                        .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                        .build())
                .enable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
                .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                // a number or boolean is not a string either
                .withCoercionConfig(LogicalType.Textual, text -> text
                        .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                        .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                        .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                // numbers of entries kept as they are come back as they were written: 1.50 stays 1.50
                .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
                .build();

        static {
            MAPPER.getFactory().setCharacterEscapes(new JsonEscapes());
        }

        static final ObjectWriter WRITER = MAPPER.writer(new Layout());
    }

    // ---------------------------------------------------------------- reading

    /**
     * Parses the text of a file under {@code .lfs-meta} as one JSON object. The message of a
     * failure names {@code where} and the column (counted from the file's start), never the
     * text found there: the file may be anything a repository's author wrote in its place.
     */
    static JsonNode readObject(String json, String where) throws InvalidRecordException {
        JsonNode node;
        try (JsonParser p = Holder.MAPPER.createParser(json)) {
            try {
                node = Holder.MAPPER.readTree(p);
            } catch (JacksonException e) {
                // where the offending token starts; a member named twice is known only once its name is
                // read, the end of input only at the end
                String problem = problem(e);
                throw notJson(where, problem, problem.equals(DUPLICATE) || problem.equals(EOF)
                        ? e.getLocation() : p.currentTokenLocation());
            }
            if (node != null && !atEnd(p)) {
                throw notJson(where, "unexpected text after the JSON value", p.currentTokenLocation());
            }
        } catch (IOException e) { // reading a string: only from closing it
            throw new InvalidRecordException(where + " is not valid JSON: unexpected input");
        }
        if (node == null || node.isMissingNode()) {
            throw new InvalidRecordException(where + " is not valid JSON: unexpected end of input at column "
                    + (json.length() + 1));
        }
        if (!node.isObject()) {
            throw new InvalidRecordException(where + " is not valid JSON: expected a JSON object, got " + describe(node));
        }
        return node;
    }

    private static boolean atEnd(JsonParser p) {
        try {
            return p.nextToken() == null;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * {@code node} bound to {@code type}.
     *
     * @param field what a member that is not of its type must be, by member name, for messages
     */
    static <T> T bind(JsonNode node, Class<T> type, String where, FieldRule field) throws InvalidRecordException {
        try {
            return Holder.MAPPER.treeToValue(node, type);
        } catch (JsonMappingException e) {
            throw new InvalidRecordException(bindingProblem(e, where, field));
        } catch (IOException | IllegalArgumentException e) {
            throw new InvalidRecordException(where + " cannot be read: a member has the wrong type");
        }
    }

    /** Says what a member must be: {@code "size"} → {@code a whole number of bytes}. */
    interface FieldRule {
        String mustBe(String field);
    }

    /** One line for a binding failure: the member (and the place) it concerns, in the project's words. */
    private static String bindingProblem(JsonMappingException e, String where, FieldRule rule) {
        String at = where;
        String field = null;
        boolean element = false;
        for (JsonMappingException.Reference step : e.getPath()) {
            if (step.getIndex() >= 0) {
                at = where + " (" + ("objects".equals(field) ? "entry " : "place ") + (step.getIndex() + 1) + ")";
                element = true;
            } else if (step.getFieldName() != null) {
                field = step.getFieldName();
                element = false;
            }
        }
        if (e instanceof UnrecognizedPropertyException) {
            return at + " has a member this version of lfs-cloud does not know (written by a newer version?)";
        } else if (element) {
            return at + " is not a JSON object";
        } else if (field == null) {
            return at + " cannot be read: a member has the wrong type";
        }
        return at + ": \"" + field + "\" must be " + rule.mustBe(field);
    }

    private static final String DUPLICATE = "duplicate member";
    private static final String EOF = "unexpected end of input";

    private static String problem(JacksonException e) {
        if (e instanceof StreamConstraintsException) {
            return "nesting deeper than " + MAX_DEPTH;
        } else if (e instanceof JsonEOFException) {
            return EOF;
        } else if (String.valueOf(e.getOriginalMessage()).startsWith("Duplicate field")) {
            return DUPLICATE;
        }
        return "unexpected input";
    }

    private static InvalidRecordException notJson(String where, String problem, JsonLocation at) {
        long offset = at == null ? -1 : at.getCharOffset();
        return new InvalidRecordException(where + " is not valid JSON: " + problem + (offset >= 0 ? " at column " + (offset + 1) : ""));
    }

    /** A short description of a value's type, for messages. */
    static String describe(JsonNode node) {
        if (node == null || node.isNull()) {
            return "null";
        } else if (node.isObject()) {
            return "an object";
        } else if (node.isArray()) {
            return "an array";
        } else if (node.isTextual()) {
            return "a string";
        } else if (node.isBoolean()) {
            return "a boolean";
        }
        return "a number";
    }

    // ---------------------------------------------------------------- writing

    /** {@code file} as its file's text (ending in a line feed). */
    static String write(Object file) {
        try {
            return Holder.WRITER.writeValueAsString(file) + "\n";
        } catch (IOException e) {
            throw new IllegalStateException("cannot write a .lfs-meta file", e);
        }
    }

    /** {@code file} as a tree (an ETag-file entry). */
    static JsonNode tree(Object file) {
        return Holder.MAPPER.valueToTree(file);
    }

    /**
     * The files' layout: every member and array element on its own line, two spaces per level,
     * {@code "key": value}, and an empty object or array on two lines, as the files have
     * always been written.
     */
    private static final class Layout implements PrettyPrinter, Instantiatable<Layout> {
        private int depth;

        @Override
        public Layout createInstance() {
            return new Layout();
        }

        private void newLine(JsonGenerator g) throws IOException {
            g.writeRaw('\n');
            for (int i = 0; i < depth; i++) {
                g.writeRaw("  ");
            }
        }

        @Override
        public void writeRootValueSeparator(JsonGenerator g) {
        }

        @Override
        public void writeStartObject(JsonGenerator g) throws IOException {
            g.writeRaw('{');
            depth++;
        }

        @Override
        public void beforeObjectEntries(JsonGenerator g) throws IOException {
            newLine(g);
        }

        @Override
        public void writeObjectFieldValueSeparator(JsonGenerator g) throws IOException {
            g.writeRaw(": ");
        }

        @Override
        public void writeObjectEntrySeparator(JsonGenerator g) throws IOException {
            g.writeRaw(',');
            newLine(g);
        }

        @Override
        public void writeEndObject(JsonGenerator g, int entries) throws IOException {
            depth--;
            newLine(g);
            g.writeRaw('}');
        }

        @Override
        public void writeStartArray(JsonGenerator g) throws IOException {
            g.writeRaw('[');
            depth++;
        }

        @Override
        public void beforeArrayValues(JsonGenerator g) throws IOException {
            newLine(g);
        }

        @Override
        public void writeArrayValueSeparator(JsonGenerator g) throws IOException {
            g.writeRaw(',');
            newLine(g);
        }

        @Override
        public void writeEndArray(JsonGenerator g, int values) throws IOException {
            depth--;
            newLine(g);
            g.writeRaw(']');
        }
    }
}
