package io.lfscloud.core.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.util.List;

/**
 * The {@code --json} output of the commands: one JSON document on stdout, written by Jackson
 * from the records below, with sorted keys, two-space indentation and every non-ASCII or
 * control character escaped (text from records and servers cannot steer a terminal).
 * {@link #SCHEMA_VERSION} changes only when a field is removed or changes meaning; new fields
 * may be added within a version. The README documents the schema.
 */
final class JsonOutput {

    /** The version of the schema, in every document as {@code schemaVersion}. */
    static final int SCHEMA_VERSION = 1;

    private static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
            .enable(JsonWriteFeature.ESCAPE_NON_ASCII)
            .build();

    static {
        MAPPER.getFactory().setCharacterEscapes(new Escapes());
    }

    /** Two spaces per level, every array element and member on its own line, {@code "key": value}. */
    private static final DefaultPrettyPrinter PRETTY = new DefaultPrettyPrinter(
            Separators.createDefaultInstance().withObjectFieldValueSpacing(Separators.Spacing.AFTER))
            .withArrayIndenter(DefaultIndenter.SYSTEM_LINEFEED_INSTANCE.withLinefeed("\n"))
            .withObjectIndenter(DefaultIndenter.SYSTEM_LINEFEED_INSTANCE.withLinefeed("\n"));

    private JsonOutput() {
    }

    /** Prints {@code document} on stdout. */
    static void print(Object document) {
        System.out.println(write(document));
    }

    /** {@code document} as the commands print it. */
    static String write(Object document) {
        try {
            return MAPPER.writer(PRETTY).writeValueAsString(document);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON output", e);
        }
    }

    /** JSON's own escapes, and DEL as well: {@link io.lfscloud.core.Printable} counts it as a control character. */
    private static final class Escapes extends CharacterEscapes {
        private final int[] ascii = CharacterEscapes.standardAsciiEscapesForJSON();

        Escapes() {
            ascii[0x7f] = CharacterEscapes.ESCAPE_STANDARD;
        }

        @Override
        public int[] getEscapeCodesForAscii() {
            return ascii;
        }

        @Override
        public SerializableString getEscapeSequence(int ch) {
            return null; // the standard six-character escape
        }
    }

    /** {@code git lfs-cloud version --json}. */
    record Version(int schemaVersion, String command, String version, String java) {
        Version(String version, String java) {
            this(SCHEMA_VERSION, "version", version, java);
        }
    }

    /** {@code git lfs-cloud backends --json}. */
    record Backends(int schemaVersion, String command, List<Backend> backends, List<Broken> broken) {
        Backends(List<Backend> backends, List<Broken> broken) {
            this(SCHEMA_VERSION, "backends", backends, broken);
        }
    }

    record Backend(String name, List<String> schemes, String origin, String loadedAs) {
    }

    record Broken(String origin, String problem) {
    }

    /**
     * One place of a tracked object, in {@code status} and {@code verify}.
     *
     * @param state  ok, pending, changed, missing, unreachable, refused or unchecked
     * @param local  whether git-lfs has the object in this clone (a push lists it as missing otherwise)
     * @param detail what differs or why it was not checked; empty when nothing is to be said
     * @param hint   the command that fixes it, or {@code null}
     */
    record Place(String path, String url, String sha256, Long size, String state, boolean local, String detail,
                 String hint) {
    }

    /** A record that could not be read: the problem, naming the file, and the fix. */
    record Corrupt(String problem, String hint) {
    }

    /** {@code git lfs-cloud status --json}. */
    record Status(int schemaVersion, String command, List<Place> places, List<Corrupt> corrupt) {
        Status(List<Place> places, List<Corrupt> corrupt) {
            this(SCHEMA_VERSION, "status", places, corrupt);
        }
    }

    /** Counts of {@code verify}: {@code problems} counts every place not ok, pending or unchecked, and every corrupt record. */
    record Summary(int places, int ok, int pending, int problems, int unchecked) {
    }

    /** {@code git lfs-cloud verify --json}. */
    record Verify(int schemaVersion, String command, boolean deep, List<Place> places, List<Corrupt> corrupt,
                  Summary summary) {
        Verify(boolean deep, List<Place> places, List<Corrupt> corrupt, Summary summary) {
            this(SCHEMA_VERSION, "verify", deep, places, corrupt, summary);
        }
    }

    /**
     * One check of {@code doctor}.
     *
     * @param status ok, warn or fail
     * @param hint   what to do about a warning or failure, or {@code null}
     */
    record Check(String name, String status, String detail, String hint) {
    }

    /** One store of {@code store list}: {@code origin} is "git config" or ".lfs-meta/config". */
    record StoreEntry(String name, String url, boolean write, int priority, String origin) {
    }

    /** {@code git lfs-cloud store list --json}: the stores in read order; {@code copies} as set, or {@code null} (every writable store). */
    record StoreList(int schemaVersion, String command, List<StoreEntry> stores, Integer copies) {
        StoreList(List<StoreEntry> stores, Integer copies) {
            this(SCHEMA_VERSION, "store list", stores, copies);
        }
    }

    /** {@code git lfs-cloud doctor --json}: {@code verdict} is ok, warn or fail. */
    record Doctor(int schemaVersion, String command, List<Check> checks, String verdict) {
        Doctor(List<Check> checks, String verdict) {
            this(SCHEMA_VERSION, "doctor", checks, verdict);
        }
    }
}
