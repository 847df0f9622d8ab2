package io.lfscloud.core.temp;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Owner-named temp files and the sweep of stale ones, with real processes as owners. */
class TempFilesTest {

    @TempDir
    Path dir;

    private static final String HOST = TempFiles.hostName();

    /** The pid of a process that has exited. */
    private static long deadPid() throws Exception {
        Process p = new ProcessBuilder("true").start();
        assertEquals(0, p.waitFor());
        return p.pid();
    }

    private Path file(String name) throws IOException {
        return Files.writeString(dir.resolve(name), "partial");
    }

    private List<String> names() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void namesSayWhichProcessOnWhichHostOwnsThem() throws Exception {
        Path a = TempFiles.create(dir, "lfs-cloud-0123456789abcdef", ".part");
        Path b = TempFiles.create(dir, "lfs-cloud-0123456789abcdef", ".part");
        try {
            assertNotEquals(a, b);
            String name = a.getFileName().toString();
            assertTrue(name.startsWith("lfs-cloud-0123456789abcdef" + TempFiles.ownerTag()), name);
            assertTrue(name.endsWith("@" + HOST + ".part"), name);
            assertTrue(name.contains("-" + ProcessHandle.current().pid() + "-"), name);
            assertEquals(0, Files.size(a));
        } finally {
            TempFiles.delete(a);
            TempFiles.delete(b);
        }
        assertEquals(List.of(), names());
    }

    @Test
    void hostNamesAreFileNameSafe() {
        assertTrue(HOST.matches("[A-Za-z0-9._-]{1,64}"), HOST);
    }

    @Test
    void aSweepRemovesFilesOfGoneOwnersAndOldOnesAndKeepsTheRest() throws Exception {
        Instant now = Instant.now();
        FileTime twoDaysAgo = FileTime.from(now.minus(TempFiles.STALE_AGE).minusSeconds(86_400));
        long dead = deadPid();
        file(".oid-" + dead + "-k2j3-1@" + HOST + ".tmp");                      // owner gone: stale
        Path oldElsewhere = file(".oid-4242-k2j3-1@elsewhere.example.org.tmp");  // other host, old: stale
        Files.setLastModifiedTime(oldElsewhere, twoDaysAgo);
        Path oldLegacy = file(".oid-1092173383787570745.tmp");                   // an older version's name, old: stale
        Files.setLastModifiedTime(oldLegacy, twoDaysAgo);
        file(".oid2-4242-k2j3-1@elsewhere.example.org.tmp");                     // other host, fresh: kept
        file(".oid-1092173383787570745-fresh.tmp");                              // unknown owner, fresh: kept
        Path mine = TempFiles.create(dir, ".oid", ".tmp");                       // this process: kept
        Path old = file("oid-" + dead + "-k2j3-1@" + HOST + ".tmp");             // not a candidate (prefix): kept
        Files.setLastModifiedTime(old, twoDaysAgo);
        Files.createDirectory(dir.resolve(".a-folder.tmp"));                      // not a file: kept
        try {
            assertEquals(3, TempFiles.sweep(dir, ".", ".tmp"));
            assertEquals(List.of(".a-folder.tmp", ".oid-1092173383787570745-fresh.tmp", mine.getFileName().toString(),
                    ".oid2-4242-k2j3-1@elsewhere.example.org.tmp", old.getFileName().toString()), names());
        } finally {
            TempFiles.delete(mine);
        }
    }

    @Test
    void aLiveOwnersFileIsKeptEvenWhenOldAndAReusedPidDoesNotKeepOne() throws Exception {
        Path earlier = file("before-the-process");
        Thread.sleep(1100); // process start times are known to the second only
        Process sleeper = new ProcessBuilder("sleep", "60").start();
        try {
            // made before the process with that pid started: its owner was another process
            Path reused = Files.move(earlier, dir.resolve(".oid-" + sleeper.pid() + "-k2j3-1@" + HOST + ".tmp"));
            Path live = file(".oid-" + sleeper.pid() + "-k2j3-2@" + HOST + ".tmp");
            Files.setLastModifiedTime(live, FileTime.from(Instant.now().minus(TempFiles.STALE_AGE).minusSeconds(60)));
            assertStartedAfter(sleeper, Files.readAttributes(reused,
                    java.nio.file.attribute.BasicFileAttributes.class).creationTime().toInstant());
            assertEquals(1, TempFiles.sweep(dir, ".", ".tmp"));
            assertFalse(Files.exists(reused));
            assertTrue(Files.exists(live), "the owner still runs: its file stays, however old");
        } finally {
            sleeper.destroy();
            sleeper.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static void assertStartedAfter(Process p, Instant made) {
        Instant started = p.info().startInstant().orElseThrow();
        assertTrue(started.isAfter(made), "the process started (" + started + ") after the file was made (" + made
                + ")");
    }

    @Test
    void aFolderIsSweptOncePerProcess() throws Exception {
        long dead = deadPid();
        file(".oid-" + dead + "-k2j3-1@" + HOST + ".tmp");
        assertEquals(1, TempFiles.sweep(dir, ".", ".tmp"));
        file(".oid-" + dead + "-k2j3-2@" + HOST + ".tmp");
        assertEquals(0, TempFiles.sweep(dir, ".", ".tmp"), "already swept by this process");
        assertEquals(1, names().size());
    }
}
