package io.lfscloud.core.meta;

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
        RemoteRecord r = new RemoteRecord(OID, URI.create("https://h/x.bam"), 42, "a/b+\"c", null, "v1", "data/x.bam",
                Instant.parse("2026-11-22T00:00:00Z"));
        String json = r.toJson();
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
                """.formatted(OID), json);
        assertEquals(r, RemoteRecord.parse(json, "test"));
    }

    @Test
    void invalidRecordsAreRefusedWithTheFileNamed() {
        for (String bad : List.of("{", "[]", "{\"size\": 1}", "{\"url\": \"h\", \"size\": 1}",
                "{\"url\": \"https://h/x\", \"size\": -1}", "{\"url\": \"https://h/x\", \"size\": 1, \"sha256\": \"zz\"}",
                "{\"url\": \"https://h/x\", \"size\": 1, \"md5\": 5}")) {
            InvalidRecordException e = assertThrows(InvalidRecordException.class, () -> RemoteRecord.parse(bad, "where.json"), bad);
            assertTrue(e.getMessage().startsWith("where.json"), e.getMessage());
        }
    }

    @Test
    void etagEntriesKeepOneObjectPerUrl(@TempDir Path tree) throws Exception {
        MetaFiles files = new MetaFiles(tree);
        RemoteRecord a = new RemoteRecord(null, URI.create("https://a/x"), 1, "\"tag/1\"", null, null, "x", null);
        RemoteRecord b = new RemoteRecord(OID, URI.create("https://b/x"), 1, "\"tag/1\"", null, null, "y", null);
        files.putEtagEntry(a);
        files.putEtagEntry(b);
        files.putEtagEntry(a.withSha256(OID));
        List<RemoteRecord> entries = files.etagEntries("\"tag/1\"");
        assertEquals(List.of(a.withSha256(OID), b), entries);
        assertTrue(Files.exists(tree.resolve(".lfs-meta/etag/%22tag%2F1%22.json")));
        assertEquals(List.of(), files.pending(new ArrayList<>()));
        files.putEtagEntry(new RemoteRecord(null, URI.create("https://c/x"), 1, "\"tag/1\"", null, null, "z", null));
        assertEquals(1, files.pending(new ArrayList<>()).size());
        try (var s = Files.list(tree.resolve(".lfs-meta/etag"))) {
            assertFalse(s.anyMatch(p -> p.getFileName().toString().startsWith(".tmp")), "no temp files left");
        }
    }
}
