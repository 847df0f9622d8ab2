package io.lfscloud.core.meta;

import io.lfscloud.core.lfs.Oid;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Records in the working tree and in history, as a hostile repository may hold them. */
class RecordStoreTest {

    static final String GOOD = "1".repeat(64);
    static final String LINKED = "2".repeat(64);
    static final String HUGE = "3".repeat(64);
    static final String SECRET = "4".repeat(64);

    @TempDir
    Path repo;

    private void git(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("git", "-c", "user.name=t", "-c", "user.email=t@t.invalid",
                "-c", "commit.gpgsign=false"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(repo.toFile()).redirectErrorStream(true);
        pb.environment().put("GIT_CONFIG_NOSYSTEM", "1");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), String.join(" ", cmd) + ": " + out);
    }

    private static String record(String oid) {
        return "{\"sha256\": \"" + oid + "\", \"size\": 3, \"url\": \"https://h/" + oid.charAt(0) + "\"}";
    }

    @Test
    void historyHoldsOnlySmallRegularRecords() throws Exception {
        git("init", "-q");
        Path dir = Files.createDirectories(repo.resolve(".lfs-meta/sha256"));
        Files.writeString(dir.resolve(GOOD + ".json"), record(GOOD));
        Files.createSymbolicLink(dir.resolve(LINKED + ".json"), Path.of("/etc/passwd"));
        Files.writeString(dir.resolve(HUGE + ".json"), record(HUGE) + " ".repeat(SafeFiles.MAX_RECORD_BYTES));
        git("add", "-A");
        git("commit", "-q", "-m", "records");
        git("rm", "-q", "-r", ".lfs-meta");
        git("commit", "-q", "-m", "gone from the checkout");

        RecordStore store = new RecordStore(repo);
        assertEquals(Optional.empty(), store.findInWorkTree(Oid.parse(GOOD)));
        assertEquals("https://h/1", store.findInHistory(Oid.parse(GOOD)).orElseThrow().url().toString());
        assertEquals(store.findInHistory(Oid.parse(GOOD)), store.find(Oid.parse(GOOD)));
        String linked = assertThrows(InvalidRecordException.class, () -> store.find(Oid.parse(LINKED))).getMessage();
        assertTrue(linked.startsWith(".lfs-meta/sha256/" + LINKED + ".json (commit ")
                && linked.endsWith(") is a symbolic link, not a record"), linked);
        String huge = assertThrows(InvalidRecordException.class, () -> store.findInHistory(Oid.parse(HUGE))).getMessage();
        assertTrue(huge.endsWith("is larger than 64 KiB, too large for a record"), huge);
        assertEquals(Optional.empty(), store.find(Oid.parse("5".repeat(64))));
        assertThrows(IllegalArgumentException.class, () -> Oid.parse("../../x"), "not an oid: no record can be asked for");
    }

    @Test
    void aWorkingTreeRecordLinkedToASecretIsRefusedWithoutReadingIt() throws Exception {
        git("init", "-q");
        Path secret = Files.writeString(repo.resolve("secret.json"),
                "{\"url\": \"hunter2\", \"size\": 1, \"sha256\": \"" + SECRET + "\"}");
        Path dir = Files.createDirectories(repo.resolve(".lfs-meta/sha256"));
        Files.createSymbolicLink(dir.resolve(SECRET + ".json"), secret);
        RecordStore store = new RecordStore(repo);
        String m = assertThrows(InvalidRecordException.class, () -> store.findInWorkTree(Oid.parse(SECRET))).getMessage();
        assertEquals(".lfs-meta/sha256/" + SECRET + ".json is a symbolic link, not a record", m);
        List<String> problems = new ArrayList<>();
        assertEquals(List.of(), new MetaFiles(repo).records(problems));
        assertEquals(List.of(m), problems);
        assertFalse(problems.toString().contains("hunter2"));
    }
}
