package io.lfscloud.core.meta;

import io.lfscloud.core.lfs.Oid;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MetaTest {

    static final String OID = "22ab5f63670800cc7be06dbed816012b0dc411e774754c7579467d2536a9cf3e";

    @Test
    void etagsWithUnsafeCharactersBecomeSafeFileNames() {
        assertEquals("abc123", MetaLayout.etagKey("abc123"));
        assertEquals("%22a%2Fb%2Bc%22", MetaLayout.etagKey("\"a/b+c\""));
        assertEquals("W%2Fweak", MetaLayout.etagKey("W/weak"));
        assertEquals("%2E%2E", MetaLayout.etagKey(".."), "dots too: '..' must never be a path");
        assertEquals("d41d8cd98f00b204e9800998ecf8427e-12", MetaLayout.etagKey("d41d8cd98f00b204e9800998ecf8427e-12"));
        assertEquals("%C3%A9", MetaLayout.etagKey("é"));
        for (String e : List.of("a/../../b", "x\\y", "a b", "a:b", "\u0000")) {
            assertTrue(MetaLayout.etagKey(e).matches("[A-Za-z0-9_%-]+"), e);
        }
    }

    @Test
    void recordsRoundTripAsStableSortedJson() throws Exception {
        RemoteRecord r = new RemoteRecord(Oid.parse(OID), URI.create("https://h/x.bam"), 42, "a/b+\"c", null, "v1", "data/x.bam",
                Instant.parse("2026-11-22T00:00:00Z"));
        String json = r.toJson();
        assertEquals("""
                {
                  "places": [
                    {
                      "etag": "a/b+\\"c",
                      "path": "data/x.bam",
                      "trackedAt": "2026-11-22T00:00:00Z",
                      "url": "https://h/x.bam",
                      "versionId": "v1"
                    }
                  ],
                  "sha256": "%s",
                  "size": 42
                }
                """.formatted(OID), json);
        assertEquals(r, RemoteRecord.parse(json, "test"));
        assertEquals(r, RemoteRecord.parse(r.toFlatJson(), "test"), "the flat form of records before places is still read");
        assertEquals("""
                {
                  "etag": "a/b+\\"c",
                  "path": "data/x.bam",
                  "sha256": "%s",
                  "size": 42,
                  "trackedAt": "2026-11-22T00:00:00Z",
                  "url": "https://h/x.bam",
                  "versionId": "v1"
                }
                """.formatted(OID), r.toFlatJson(), "ETag-file entries keep the flat form, byte for byte");
    }

    @Test
    void invalidRecordsAreRefusedWithTheFileNamed() {
        for (String bad : List.of("{", "[]", "{\"size\": 1}", "{\"url\": \"h\", \"size\": 1}",
                "{\"url\": \"https://h/x\", \"size\": -1}", "{\"url\": \"https://h/x\", \"size\": 1, \"sha256\": \"zz\"}",
                "{\"url\": \"https://h/x\", \"size\": 1, \"md5\": 5}",
                "{\"url\": \"https://h/x\", \"size\": 1, \"etag\": \"a\\r\\nX-Injected: 1\"}",
                "{\"url\": \"https://h/x\", \"size\": 1, \"versionId\": \"\\u001b[2J\"}")) {
            InvalidRecordException e = assertThrows(InvalidRecordException.class, () -> RemoteRecord.parse(bad, "where.json"), bad);
            assertTrue(e.getMessage().startsWith("where.json"), e.getMessage());
        }
    }

    @Test
    void etagEntriesKeepOneObjectPerUrl(@TempDir Path tree) throws Exception {
        MetaFiles files = new MetaFiles(tree);
        RemoteRecord a = new RemoteRecord(null, URI.create("https://a/x"), 1, "\"tag/1\"", null, null, "x", null);
        RemoteRecord b = new RemoteRecord(Oid.parse(OID), URI.create("https://b/x"), 1, "\"tag/1\"", null, null, "y", null);
        files.putEtagEntry(a);
        files.putEtagEntry(b);
        files.putEtagEntry(a.withSha256(Oid.parse(OID)));
        List<RemoteRecord> entries = files.etagEntries("\"tag/1\"");
        assertEquals(List.of(a.withSha256(Oid.parse(OID)), b), entries);
        assertTrue(Files.exists(tree.resolve(".lfs-meta/etag/%22tag%2F1%22.json")));
        assertEquals(List.of(), files.pending(new ArrayList<>()));
        files.putEtagEntry(new RemoteRecord(null, URI.create("https://c/x"), 1, "\"tag/1\"", null, null, "z", null));
        assertEquals(1, files.pending(new ArrayList<>()).size());
        try (var s = Files.list(tree.resolve(".lfs-meta/etag"))) {
            assertFalse(s.anyMatch(p -> p.getFileName().toString().startsWith(".tmp")), "no temp files left");
        }
    }

    @Test
    void aRecordsPathMustStayInsideTheWorkingTreeAndIsNeverQuoted() {
        for (String path : List.of("/home/u/.bashrc", "../../x", "a/../b", ".git/hooks/pre-commit", ".lfs-meta/config",
                "a\\u001b[2Jb", "a\\\\b", "")) {
            String json = "{\"url\": \"https://h/x\", \"size\": 1, \"path\": \"" + path + "\"}";
            InvalidRecordException e = assertThrows(InvalidRecordException.class, () -> RemoteRecord.parse(json, "where.json"), path);
            assertTrue(e.getMessage().startsWith("where.json: \"path\" "), e.getMessage());
            assertFalse(!path.isEmpty() && e.getMessage().contains(path), e.getMessage());
            assertFalse(e.getMessage().contains("\u001b"), e.getMessage());
        }
    }

    @Test
    void whatAnInvalidRecordSaysNeverQuotesItsContent() {
        for (String secret : List.of("{\"url\": \"hunter2\", \"size\": 1}", "{\"url\": \"a b hunter2\", \"size\": 1}",
                "{\"url\": \"https://h/\", \"size\": 1, \"trackedAt\": \"hunter2\"}", "hunter2=yes",
                "{\"hunter2\": 1, \"hunter2\": 2}", "{\"a\": \"\\hunter2\"}")) {
            InvalidRecordException e = assertThrows(InvalidRecordException.class, () -> RemoteRecord.parse(secret, "w.json"), secret);
            assertFalse(e.getMessage().contains("hunter2") || e.getMessage().contains("'h'"), e.getMessage());
            assertTrue(e.getMessage().startsWith("w.json"), e.getMessage());
        }
        InvalidRecordException e = assertThrows(InvalidRecordException.class, () -> RemoteRecord.parse("hunter2", "w.json"));
        assertEquals("w.json is not valid JSON: unexpected input at column 1", e.getMessage());
    }

    @Test
    void oneBadPendingEntryLeavesItsSiblingsUsableAndIsKeptWhenTheFileIsUpdated(@TempDir Path tree) throws Exception {
        Path etag = Files.createDirectories(tree.resolve(".lfs-meta/etag")).resolve("t.json");
        Files.writeString(etag, """
                {"etag": "t", "objects": [
                  {"path": "/etc/passwd", "size": 1, "url": "https://a/x", "etag": "t"},
                  {"path": "ok.bin", "size": 1, "url": "https://b/x", "etag": "t"}
                ]}""");
        List<String> problems = new ArrayList<>();
        List<RemoteRecord> pending = new MetaFiles(tree).pending(problems);
        assertEquals(List.of("ok.bin"), pending.stream().map(RemoteRecord::path).toList());
        assertEquals(1, problems.size());
        assertTrue(problems.getFirst().startsWith(".lfs-meta/etag/t.json (entry 1): \"path\" is absolute"), problems.toString());

        new MetaFiles(tree).putEtagEntry(pending.getFirst().withSha256(Oid.parse(OID)));
        String after = Files.readString(etag);
        assertTrue(after.contains("\"path\": \"/etc/passwd\"") && after.contains("\"sha256\": \"" + OID + "\""), after);
    }

    @Test
    void filesWithOddNamesAreReportedEscaped(@TempDir Path tree) throws Exception {
        Path dir = Files.createDirectories(tree.resolve(".lfs-meta/sha256"));
        Files.writeString(dir.resolve("\u001b[2J.json"), "{}");
        Files.writeString(dir.resolve(".lfs-cloud-0123.tmp"), "{}");
        Files.writeString(dir.resolve(".hidden.json"), "{}");
        List<String> problems = new ArrayList<>();
        assertEquals(List.of(), new MetaFiles(tree).records(problems));
        assertEquals(List.of(".lfs-meta/sha256/\\x1b[2J.json is not named <sha256>.json (64 lowercase hex digits)"), problems);
    }
}
