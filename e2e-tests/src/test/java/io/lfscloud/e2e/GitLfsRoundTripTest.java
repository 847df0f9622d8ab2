package io.lfscloud.e2e;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real git-lfs client pushes to and fetches from a folder store through the built
 * lfs-cloud, in every way users do: clone, pull, fetch --all, push --all, checkout.
 * One repository with 20 small files and one of 32 MB is pushed once and cloned
 * by each test.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GitLfsRoundTripTest {

    @TempDir
    static Path tmp;

    Sandbox sb;
    Sandbox.Project project;
    final Map<String, String> oids = new HashMap<>();

    @BeforeAll
    void pushARepository() throws IOException {
        sb = new Sandbox(tmp);
        assertTrue(sb.run(tmp, "git", "lfs", "version").ok().out().startsWith("git-lfs/"), "git-lfs is installed");
        project = sb.project("repo");
        for (int i = 0; i < 20; i++) {
            String name = "small/file" + i + ".bin";
            oids.put(name, Sandbox.writeRandom(project.work().resolve(name), 1000 + i * 517, i));
        }
        oids.put("big.bin", Sandbox.writeRandom(project.work().resolve("big.bin"), 32L << 20, 99));
        sb.git(project.work(), "add", ".").ok();
        sb.git(project.work(), "commit", "-q", "-m", "objects").ok();
        sb.git(project.work(), "push", "-q", "origin", "main").ok();
    }

    private List<Path> storeFiles() throws IOException {
        try (Stream<Path> s = Files.walk(project.store())) {
            return s.filter(Files::isRegularFile).sorted().toList();
        }
    }

    @Test
    void pushStoresEveryObjectContentAddressedAndNothingElse() throws IOException {
        for (Path f : storeFiles()) {
            String name = f.getFileName().toString();
            assertEquals(Sandbox.objectPath(project.store(), name), f, "only objects at their content address");
            assertEquals(name, Sandbox.sha256(f), "no partial or temp files");
        }
        for (Map.Entry<String, String> e : oids.entrySet()) {
            Path stored = Sandbox.objectPath(project.store(), e.getValue());
            Sandbox.assertSameContent(project.work().resolve(e.getKey()), stored);
        }
    }

    @Test
    void lfsCloudCloneGivesByteIdenticalFiles() throws IOException {
        Path clone = tmp.resolve("clone-cmd");
        sb.run(tmp, "git", "lfs-cloud", "clone", project.origin().toString(), clone.toString()).ok();
        for (String name : oids.keySet()) {
            Sandbox.assertSameContent(project.work().resolve(name), clone.resolve(name));
        }
        // the clone is configured: a later pull needs nothing more
        assertEquals("lfs-cloud", sb.git(clone, "config", "lfs.standalonetransferagent").ok().out().strip());
    }

    @Test
    void plainCloneThenInstallThenPull() throws IOException {
        Path clone = tmp.resolve("clone-plain");
        sb.run(tmp, Map.of("GIT_LFS_SKIP_SMUDGE", "1"), "git", "clone", "-q", project.origin().toString(),
                clone.toString()).ok();
        assertTrue(Files.readString(clone.resolve("big.bin")).startsWith("version https://git-lfs"),
                "before the pull the file is a pointer");
        sb.run(clone, "git", "lfs-cloud", "install").ok();
        sb.git(clone, "lfs", "pull").ok();
        for (String name : oids.keySet()) {
            Sandbox.assertSameContent(project.work().resolve(name), clone.resolve(name));
        }
        assertTrue(sb.git(clone, "status", "--porcelain").ok().out().isBlank(), "the working tree is clean");
    }

    @Test
    void fetchAllGetsObjectsOfEveryCommit() throws IOException {
        // a second repository with history: v1 and v2 of one file
        Sandbox.Project p = sb.project("history");
        String v1 = Sandbox.writeRandom(p.work().resolve("data.bin"), 5000, 1);
        sb.git(p.work(), "add", ".").ok();
        sb.git(p.work(), "commit", "-q", "-m", "v1").ok();
        String v2 = Sandbox.writeRandom(p.work().resolve("data.bin"), 6000, 2);
        sb.git(p.work(), "commit", "-q", "-am", "v2").ok();
        sb.git(p.work(), "push", "-q", "origin", "main").ok();

        Path clone = tmp.resolve("clone-history");
        sb.run(tmp, "git", "lfs-cloud", "clone", p.origin().toString(), clone.toString()).ok();
        Path objects = clone.resolve(".git/lfs/objects");
        assertTrue(Files.exists(Sandbox.objectPath(objects, v2)));
        assertFalse(Files.exists(Sandbox.objectPath(objects, v1)), "a plain pull fetches only what HEAD needs");

        sb.git(clone, "lfs", "fetch", "--all", "origin").ok();
        assertEquals(v1, Sandbox.sha256(Sandbox.objectPath(objects, v1)));
    }

    @Test
    void pushAllAgainCopiesNothing() throws IOException {
        Map<Path, Object> before = new HashMap<>();
        for (Path f : storeFiles()) {
            before.put(f, List.of(Files.getAttribute(f, "unix:ino"), Files.getLastModifiedTime(f)));
        }
        FileTime marker = FileTime.fromMillis(System.currentTimeMillis());
        sb.git(project.work(), "lfs", "push", "--all", "origin").ok();
        Map<Path, Object> after = new HashMap<>();
        for (Path f : storeFiles()) {
            after.put(f, List.of(Files.getAttribute(f, "unix:ino"), Files.getLastModifiedTime(f)));
            assertTrue(Files.getLastModifiedTime(f).compareTo(marker) < 0, f + " was rewritten");
        }
        assertEquals(before, after);
    }

    @Test
    void checkingOutABranchThatAddsObjectsDownloadsThem() throws IOException {
        Path clone = tmp.resolve("clone-branch");
        sb.run(tmp, "git", "lfs-cloud", "clone", project.origin().toString(), clone.toString()).ok();

        // someone else adds objects on a branch
        Path other = tmp.resolve("other-writer");
        sb.run(tmp, "git", "lfs-cloud", "clone", project.origin().toString(), other.toString()).ok();
        sb.git(other, "checkout", "-q", "-b", "feature").ok();
        String added = Sandbox.writeRandom(other.resolve("feature/new.bin"), 300_000, 7);
        sb.git(other, "add", ".").ok();
        sb.git(other, "commit", "-q", "-m", "feature objects").ok();
        sb.git(other, "push", "-q", "origin", "feature").ok();

        sb.git(clone, "fetch", "-q", "origin").ok();
        sb.git(clone, "checkout", "-q", "feature").ok();
        assertEquals(added, Sandbox.sha256(clone.resolve("feature/new.bin")));
    }
}
