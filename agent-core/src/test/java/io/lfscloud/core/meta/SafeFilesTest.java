package io.lfscloud.core.meta;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Records that are not small regular files, and writes that would go through a link. */
class SafeFilesTest {

    static final String REL = ".lfs-meta/sha256/x.json";

    @TempDir
    Path tmp;

    private Path tree() throws Exception {
        return Files.createDirectories(tmp.resolve("tree"));
    }

    private Path record(Path tree) throws Exception {
        return Files.createDirectories(tree.resolve(".lfs-meta/sha256")).resolve("x.json");
    }

    private static String refusal(Path tree, String rel) {
        return assertThrows(InvalidRecordException.class, () -> SafeFiles.readRecord(tree, rel)).getMessage();
    }

    @Test
    void aSmallRegularFileIsReadAndAMissingOneIsEmpty() throws Exception {
        Path tree = tree();
        assertEquals(Optional.empty(), SafeFiles.readRecord(tree, REL));
        Files.writeString(record(tree), "{\"a\": \"é\"}");
        assertEquals(Optional.of("{\"a\": \"é\"}"), SafeFiles.readRecord(tree, REL));
    }

    @Test
    @Timeout(20)
    void linksFifosDevicesAndFoldersAreNeverOpened() throws Exception {
        Path tree = tree();
        Path secret = Files.writeString(tmp.resolve("secret.json"), "{\"url\": \"hunter2\"}");
        Path fifo = tmp.resolve("fifo");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        for (Path target : List.of(secret, Path.of("/dev/zero"), Path.of("/dev/stdin"), fifo, tmp.resolve("dangling"))) {
            Files.deleteIfExists(record(tree));
            Files.createSymbolicLink(record(tree), target);
            String m = refusal(tree, REL);
            assertEquals(REL + " is a symbolic link, not a record", m, target.toString());
        }
        Files.delete(record(tree));
        Files.move(fifo, record(tree));
        assertEquals(REL + " is not a regular file", refusal(tree, REL), "a FIFO is never opened (that would hang)");
        Files.delete(record(tree));
        Files.createDirectory(record(tree));
        assertEquals(REL + " is not a regular file", refusal(tree, REL));
    }

    @Test
    void largeFilesAndBytesThatAreNotUtf8AreRefused() throws Exception {
        Path tree = tree();
        Files.write(record(tree), new byte[SafeFiles.MAX_RECORD_BYTES + 1]);
        assertTrue(refusal(tree, REL).endsWith("is larger than 64 KiB, too large for a record"));
        Files.write(record(tree), new byte[SafeFiles.MAX_RECORD_BYTES]);
        assertEquals(SafeFiles.MAX_RECORD_BYTES, SafeFiles.readRecord(tree, REL).orElseThrow().length(), "the limit itself is fine");
        Files.write(record(tree), new byte[] {'{', (byte) 0xff, '}'});
        assertEquals(REL + " is not UTF-8 text", refusal(tree, REL));
    }

    @Test
    void aRecordReachedThroughALinkedFolderIsRefusedAndNothingBehindItIsRead() throws Exception {
        Path tree = tree();
        Path outside = Files.createDirectories(tmp.resolve("outside/sha256"));
        Files.writeString(outside.resolve("x.json"), "{\"url\": \"hunter2\"}");
        Files.createDirectories(tree.resolve(".lfs-meta"));
        Files.createSymbolicLink(tree.resolve(".lfs-meta/sha256"), outside);
        String m = refusal(tree, REL);
        assertTrue(m.startsWith(REL + " is not read: .lfs-meta/sha256 is a symbolic link"), m);
        assertEquals(Optional.empty(), SafeFiles.readRecord(tree, ".lfs-meta/sha256/absent.json"), "nothing there: no record");
        assertThrows(SafeFiles.Refused.class, () -> SafeFiles.isRealFolder(tree, ".lfs-meta/sha256"));
        assertFalse(SafeFiles.isRealFolder(tree, ".lfs-meta/etag"));
    }

    @Test
    void writesNeverGoThroughALinkedFolder() throws Exception {
        Path tree = tree();
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        Files.createSymbolicLink(tree.resolve(".lfs-meta"), outside);
        Files.createSymbolicLink(tree.resolve("data"), outside);
        byte[] text = "x".getBytes(StandardCharsets.UTF_8);
        SafeFiles.Refused meta = assertThrows(SafeFiles.Refused.class, () -> SafeFiles.write(tree, REL, text));
        assertTrue(meta.getMessage().startsWith(".lfs-meta is a symbolic link; refusing to follow it"), meta.getMessage());
        SafeFiles.Refused data = assertThrows(SafeFiles.Refused.class, () -> SafeFiles.write(tree, "data/deeper/a.bin", text));
        assertTrue(data.getMessage().startsWith("data is a symbolic link"), data.getMessage());
        assertThrows(SafeFiles.Refused.class, () -> SafeFiles.write(tree, "../outside/a.bin", text));
        assertThrows(SafeFiles.Refused.class, () -> SafeFiles.write(tree, outside.resolve("a.bin").toString(), text));
        Files.writeString(tree.resolve("plain"), "a file");
        SafeFiles.Refused file = assertThrows(SafeFiles.Refused.class, () -> SafeFiles.write(tree, "plain/a.bin", text));
        assertEquals("plain is not a folder", file.getMessage());
        try (Stream<Path> s = Files.list(outside)) {
            assertEquals(List.of(), s.toList(), "nothing written outside");
        }
    }

    @Test
    void aLinkAtTheTargetIsReplacedNotWrittenThrough() throws Exception {
        Path tree = tree();
        Path victim = Files.writeString(tmp.resolve("victim"), "untouched");
        Files.createSymbolicLink(tree.resolve("a.bin"), victim);
        SafeFiles.write(tree, "a.bin", "pointer".getBytes(StandardCharsets.UTF_8));
        assertEquals("untouched", Files.readString(victim));
        assertTrue(Files.isRegularFile(tree.resolve("a.bin"), LinkOption.NOFOLLOW_LINKS));
        assertEquals("pointer", Files.readString(tree.resolve("a.bin")));

        Files.createSymbolicLink(record(tree), victim);
        Path source = Files.write(tmp.resolve("source"), new byte[] {1, 2, 3});
        SafeFiles.copy(tree, REL, source);
        assertEquals("untouched", Files.readString(victim));
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(tree.resolve(REL)));
        try (Stream<Path> s = Files.walk(tree)) {
            assertEquals(List.of(), s.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList(), "no temp file left");
        }
    }

    @Test
    void missingFoldersAreCreatedAsRealFolders() throws Exception {
        Path tree = tree();
        SafeFiles.write(tree, "a/b/c.bin", new byte[] {7});
        assertTrue(Files.isDirectory(tree.resolve("a/b"), LinkOption.NOFOLLOW_LINKS));
        assertTrue(SafeFiles.isRealFolder(tree, "a/b"));
        SafeFiles.checkFolders(tree, "a/b/new/deeper/d.bin");
    }
}
