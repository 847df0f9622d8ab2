package io.lfscloud.e2e;

import io.lfscloud.testkit.Nginx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Several {@code git lfs-cloud track-remote} at once in one repository, as a script running
 * them in the background would: every {@code .gitattributes} pattern, record and ETag entry
 * must be there afterwards (they read, change and write back the same files), and each
 * command either succeeds or says clearly that another one held the repository too long.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConcurrentTrackTest {

    static final int TRACKED = 4;
    static final int DEFERRED = 4;

    @TempDir
    static Path tmp;

    Nginx nginx;
    Sandbox sb;

    @BeforeAll
    void start() throws Exception {
        nginx = new Nginx(tmp);
        sb = new Sandbox(tmp);
    }

    @AfterAll
    void stop() throws InterruptedException {
        nginx.close();
    }

    @Test
    void concurrentTrackRemoteLosesNoPatternAndNoEntry() throws Exception {
        for (int round = 0; round < 2; round++) {
            oneRound(round);
        }
    }

    private void oneRound(int round) throws Exception {
        // every object has the same size and time, so nginx gives them one ETag: one shared ETag file
        FileTime when = FileTime.fromMillis(1_600_000_000_000L + round * 1000L);
        List<String> names = new ArrayList<>();
        for (int i = 0; i < TRACKED + DEFERRED; i++) {
            String name = "r" + round + "-f" + i + ".dat"; // not *.bin, which the project tracks already
            Sandbox.writeRandom(nginx.root.resolve(name), 8_000, round * 100 + i);
            Files.setLastModifiedTime(nginx.root.resolve(name), when);
            names.add(name);
        }
        Sandbox.Project p = sb.project("race" + round);
        List<Process> running = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            List<String> cmd = new ArrayList<>(List.of("git", "lfs-cloud", "track-remote", "dir" + i + "/" + name,
                    "--url", nginx.url(name)));
            if (i >= TRACKED) {
                cmd.add("--defer");
            }
            running.add(sb.start(p.work(), Map.of(), cmd.toArray(String[]::new)));
        }
        for (int i = 0; i < running.size(); i++) {
            Process proc = running.get(i);
            proc.getOutputStream().close();
            assertTrue(proc.waitFor(3, TimeUnit.MINUTES), "track-remote " + i + " finished");
            String err = new String(proc.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(proc.exitValue() == 0 || err.contains("another git lfs-cloud command is changing"),
                    "track-remote " + i + " exited " + proc.exitValue() + ": " + err);
            assertEquals(0, proc.exitValue(), "with a lock wait of a minute, none gives up here: " + err);
        }

        String attributes = Files.readString(p.work().resolve(".gitattributes"));
        for (int i = 0; i < TRACKED; i++) {
            assertTrue(attributes.contains("dir" + i + "/" + names.get(i) + " filter=lfs"), "pattern " + i + " kept:\n" + attributes);
        }
        try (Stream<Path> s = Files.list(p.work().resolve(".lfs-meta/sha256"))) {
            assertEquals(TRACKED, s.count(), "one record per tracked object");
        }
        List<Path> etagFiles;
        try (Stream<Path> s = Files.list(p.work().resolve(".lfs-meta/etag"))) {
            etagFiles = s.toList();
        }
        assertEquals(1, etagFiles.size(), "one shared ETag file: " + etagFiles);
        String entries = Files.readString(etagFiles.getFirst());
        for (String name : names) {
            assertTrue(entries.contains("\"url\": \"" + nginx.url(name) + "\""), name + " kept in the ETag file:\n" + entries);
        }
        String status = sb.run(p.work(), "git", "lfs-cloud", "status").ok().out();
        assertEquals(TRACKED, status.lines().filter(l -> l.startsWith("resolved")).count(), status);
        assertEquals(DEFERRED, status.lines().filter(l -> l.startsWith("pending")).count(), status);
        try (Stream<Path> s = Files.walk(p.work().resolve(".lfs-meta"))) {
            assertEquals(List.of(), s.filter(f -> f.getFileName().toString().contains("tmp")).toList(), "no temp files left");
        }
    }
}
