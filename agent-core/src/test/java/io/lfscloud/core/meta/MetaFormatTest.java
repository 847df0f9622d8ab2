package io.lfscloud.core.meta;

import io.lfscloud.core.lfs.Oid;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code .lfs-meta} files keep their format byte for byte across the move to Jackson: the
 * files under {@code written-before-jackson/} were written by the project's own JSON writer
 * (before Jackson), and what Jackson reads from them writes back identically, so existing
 * repositories and their diffs do not churn.
 */
class MetaFormatTest {

    static final String OID = "22ab5f63670800cc7be06dbed816012b0dc411e774754c7579467d2536a9cf3e";
    static final String MD5 = "0123456789abcdef0123456789abcdef";

    private static String before(String name) throws IOException {
        try (InputStream in = MetaFormatTest.class.getResourceAsStream("written-before-jackson/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void aRecordWrittenBeforeJacksonReadsBackAndRewritesIdentically(@TempDir Path tree) throws Exception {
        String old = before("record.json");
        RemoteRecord r = RemoteRecord.parse(old, "record.json");
        assertEquals(3, r.places().size());
        assertEquals("data/ä ö.bin", r.places().get(2).path());
        assertEquals(old, r.toJson());
        new MetaFiles(tree).writeRecord(r);
        assertEquals(old, Files.readString(tree.resolve(MetaLayout.sha256Path(Oid.parse(OID)))));
        assertEquals(r, new MetaFiles(tree).record(Oid.parse(OID)).orElseThrow());

        String flat = before("flat.json");
        assertEquals(flat, RemoteRecord.parse(flat, "flat.json").toFlatJson());
    }

    @Test
    void anMd5MappingWrittenBeforeJacksonIsReadAndWrittenTheSame(@TempDir Path tree) throws Exception {
        MetaFiles files = new MetaFiles(tree);
        files.putMd5(MD5, 42, Oid.parse(OID));
        Path file = tree.resolve(MetaLayout.md5Path(MD5));
        assertEquals(before("md5.json"), Files.readString(file));
        Files.writeString(file, before("md5.json"));
        assertEquals(Oid.parse(OID), files.sha256ForMd5(MD5, 42));
        assertEquals(null, files.sha256ForMd5(MD5, 43), "another size is another object");
        Files.writeString(file, "{\"md5\": \"" + MD5 + "\", \"sha256\": \"" + OID + "\", \"size\": 42.0}");
        assertEquals(null, files.sha256ForMd5(MD5, 42), "a size that is not a whole number is no mapping");
    }

    /**
     * An ETag file updated twice by the writer before Jackson, from a file holding entries this
     * version cannot use (not objects, unknown members, numbers in every form, escapes):
     * Jackson's updates give the same bytes, and writing an entry again changes nothing.
     */
    @Test
    void anEtagFileUpdatedByJacksonMatchesTheFileWrittenBeforeByteForByte(@TempDir Path tree) throws Exception {
        String etag = "\"tag/1\"";
        Path file = Files.createDirectories(tree.resolve(".lfs-meta/etag")).resolve(MetaLayout.etagKey(etag) + ".json");
        Files.writeString(file, before("etag-before.json"));
        MetaFiles files = new MetaFiles(tree);
        RemoteRecord pending = new RemoteRecord(null, URI.create("https://m/pending.bin"), 5, etag, null, null,
                "dir/pending.bin", Instant.parse("2026-11-22T00:00:02Z"));
        files.putEtagEntry(pending);
        files.putEtagEntry(new RemoteRecord(Oid.parse(OID), URI.create("https://b/known"), 42, etag, MD5, "v9", "k.bin",
                Instant.parse("2026-11-22T00:00:03Z"), Instant.parse("2026-11-21T00:00:00Z")));
        String after = before("etag-after.json");
        assertEquals(after, Files.readString(file));
        files.putEtagEntry(pending);
        assertEquals(after, Files.readString(file), "writing an entry again changes nothing");
        List<String> problems = new ArrayList<>();
        assertEquals(List.of(pending), files.pending(problems));
        assertEquals(3, problems.size(), "the entries this version cannot use are reported: " + problems);
    }

    @Test
    void membersThisVersionDoesNotKnowAreRefusedRatherThanLostOnRewrite() {
        for (String bad : List.of(
                "{\"url\": \"https://h/x\", \"size\": 1, \"hunter2\": \"x\"}",
                "{\"sha256\": \"" + OID + "\", \"size\": 1, \"places\": [{\"url\": \"https://h/x\", \"hunter2\": 1}]}")) {
            InvalidRecordException e = assertThrows(InvalidRecordException.class, () -> RemoteRecord.parse(bad, "w.json"), bad);
            assertTrue(e.getMessage().startsWith("w.json") && e.getMessage().contains("does not know"), e.getMessage());
            assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
        }
        InvalidRecordException e = assertThrows(InvalidRecordException.class, () -> RemoteRecord.parse(
                "{\"sha256\": \"" + OID + "\", \"size\": 1, \"places\": [{\"url\": \"https://h/x\"}, {\"url\": \"https://h/y\", \"x\": 1}]}",
                "w.json"));
        assertEquals("w.json (place 2) has a member this version of lfs-cloud does not know (written by a newer version?)",
                e.getMessage());
    }

    /** One line naming the file, in the project's words: never Jackson's own text, class names or the file's content. */
    @Test
    void messagesAboutBrokenFilesAreTheProjectsOwn() {
        String nested = "{\"a\": " + "[".repeat(70) + "]".repeat(70) + "}";
        List<List<String>> cases = List.of(
                List.of("{\"url\": \"https://h/x\", \"size\": 1, \"url\": \"https://h/y\"}", "w.json is not valid JSON: duplicate member at column 40"),
                List.of("{\"url\": \"https://h/x\", \"size\": 1} x", "w.json is not valid JSON: unexpected text after the JSON value at column 35"),
                List.of("{\"url\": \"https://h/x\", \"size\": 1", "w.json is not valid JSON: unexpected end of input at column 33"),
                List.of("", "w.json is not valid JSON: unexpected end of input at column 1"),
                List.of("[1]", "w.json is not valid JSON: expected a JSON object, got an array"),
                List.of(nested, "w.json is not valid JSON: nesting deeper than 64 at column 70"),
                List.of("{\"url\": \"https://h/x\", \"size\": \"1\"}", "w.json: \"size\" must be a whole number of bytes"),
                List.of("{\"url\": \"https://h/x\", \"size\": 1.0}", "w.json: \"size\" must be a whole number of bytes"),
                List.of("{\"url\": \"https://h/x\", \"size\": 99999999999999999999}", "w.json: \"size\" must be a whole number of bytes"),
                List.of("{\"url\": \"https://h/x\", \"size\": null}", "w.json: \"size\" must be a whole number of bytes"),
                List.of("{\"url\": 5, \"size\": 1}", "w.json: \"url\" must be a string"),
                List.of("{\"url\": \"https://h/x\", \"size\": 1, \"md5\": true}", "w.json: \"md5\" must be a string"),
                List.of("{\"size\": 1, \"places\": {}}", "w.json: \"places\" must be a list of at least one place"),
                List.of("{\"size\": 1, \"places\": null}", "w.json: \"places\" must be a list of at least one place"),
                List.of("{\"size\": 1, \"places\": [null]}", "w.json (place 1) is not a JSON object"),
                List.of("{\"size\": 1, \"places\": [{\"url\": \"https://h/x\"}, {\"url\": [1]}]}", "w.json (place 2): \"url\" must be a string"));
        for (List<String> c : cases) {
            InvalidRecordException e = assertThrows(InvalidRecordException.class, () -> RemoteRecord.parse(c.get(0), "w.json"), c.get(0));
            assertEquals(c.get(1), e.getMessage(), c.get(0));
        }
    }
}
