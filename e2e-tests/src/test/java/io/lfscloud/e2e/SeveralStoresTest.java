package io.lfscloud.e2e;

import io.lfscloud.testkit.FaultProxy;
import io.lfscloud.testkit.S3Proxy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Several stores per repository (a folder store and s3proxy), driven by the real git-lfs:
 * pushes write every writable store, pulls fall through missing, failing and corrupt copies,
 * {@code whereis}, {@code fsck} and {@code copy}, and the README's migration recipe.
 */
class SeveralStoresTest {

    @TempDir
    Path tmp;

    final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closing.reversed()) {
            c.close();
        }
    }

    private S3Proxy s3() throws Exception {
        S3Proxy s3 = new S3Proxy(tmp.resolve("s3"));
        closing.add(s3);
        s3.createBucket("lfs");
        return s3;
    }

    private static String key(String prefix, String oid) {
        return prefix + oid.substring(0, 2) + "/" + oid.substring(2, 4) + "/" + oid;
    }

    private static void commitAndPush(Sandbox sb, Path work, String message) {
        sb.git(work, "add", "-A").ok();
        sb.git(work, "commit", "-q", "-m", message).ok();
        sb.git(work, "push", "-q", "origin", "HEAD").ok();
    }

    /** A clone with lfs-cloud installed and no object fetched yet. */
    private Path bareClone(Sandbox sb, Sandbox.Project p, String name) {
        Path clone = tmp.resolve(name);
        sb.run(tmp, Map.of("GIT_LFS_SKIP_SMUDGE", "1"), "git", "clone", "-q", p.origin().toString(), clone.toString()).ok();
        sb.run(clone, "git", "lfs-cloud", "install").ok();
        return clone;
    }

    private static Sandbox.Result lfsCloud(Sandbox sb, Path dir, String... args) {
        List<String> cmd = new ArrayList<>(List.of("git", "lfs-cloud"));
        cmd.addAll(List.of(args));
        return sb.run(dir, cmd.toArray(String[]::new));
    }

    @Test
    void storesAreManagedLikeRemotesAndInstallKeepsThem() throws Exception {
        Sandbox sb = new Sandbox(tmp.resolve("sb"));
        Sandbox.Project p = sb.project("cli");
        Path nas = Files.createDirectories(tmp.resolve("nas"));
        lfsCloud(sb, p.work(), "store", "add", "nas", nas.toUri().toString(), "--priority", "5").ok();
        lfsCloud(sb, p.work(), "store", "add", "web", "https://data.example.org/lfs", "--read-only", "--shared",
                "--no-check").ok();
        // checked as install checks a store: a missing folder, an https store that would be written, a bad name
        assertTrue(lfsCloud(sb, p.work(), "store", "add", "gone", tmp.resolve("nowhere").toUri().toString()).failed()
                .err().contains("does not exist"));
        assertTrue(lfsCloud(sb, p.work(), "store", "add", "w2", "https://data.example.org/x").failed().err()
                .contains("read-only"));
        assertEquals(2, lfsCloud(sb, p.work(), "store", "add", "default", nas.toUri().toString()).exitCode());
        assertTrue(lfsCloud(sb, p.work(), "store", "add", "nas", nas.toUri().toString()).failed().err().contains("exists already"));

        lfsCloud(sb, p.work(), "install").ok(); // install again: the stores stay
        String list = lfsCloud(sb, p.work(), "store", "list").ok().out();
        List<String> lines = list.lines().toList();
        assertEquals(3, lines.size(), list);
        assertTrue(lines.get(0).startsWith("nas ") && lines.get(0).contains("read-write") && lines.get(0).contains("priority 5")
                && lines.get(0).contains("(git config)"), list);
        assertTrue(lines.get(1).startsWith("default ") && lines.get(1).contains("(.lfs-meta/config)"), list);
        assertTrue(lines.get(2).startsWith("web ") && lines.get(2).contains("read-only"), list);
        String json = lfsCloud(sb, p.work(), "store", "list", "--json").ok().out();
        assertTrue(json.contains("\"command\": \"store list\"") && json.contains("\"name\": \"web\"")
                && json.contains("\"write\": false"), json);
        assertTrue(Files.readString(p.work().resolve(".lfs-meta/config")).contains("[lfs-cloud \"store.web\"]"));

        lfsCloud(sb, p.work(), "store", "remove", "nas").ok();
        assertTrue(lfsCloud(sb, p.work(), "store", "remove", "web").failed().err().contains("--shared"));
        lfsCloud(sb, p.work(), "store", "remove", "web", "--shared").ok();
        assertEquals(1, lfsCloud(sb, p.work(), "store", "list").ok().out().lines().count());
    }

    @Test
    void pushWritesBothStoresAPullSurvivesADeadS3AndCopiesOnePushesWithoutIt() throws Exception {
        S3Proxy s3 = s3();
        Sandbox sb = new Sandbox(tmp.resolve("sb"));
        sb.useS3(s3.endpoint());
        Sandbox.Project p = sb.project("two");
        lfsCloud(sb, p.work(), "store", "add", "cloud", "s3://lfs/two/", "--shared", "--priority", "10").ok();
        String oid = Sandbox.writeRandom(p.work().resolve("a.bin"), 300_000, 1);
        commitAndPush(sb, p.work(), "a");
        assertTrue(Files.exists(Sandbox.objectPath(p.store(), oid)), "in the folder store");
        assertArrayEquals(Files.readAllBytes(p.work().resolve("a.bin")), s3.get("lfs", key("two/", oid)), "in S3");

        s3.kill();
        Path clone = bareClone(sb, p, "clone-dead-s3");
        Sandbox.Result pull = sb.run(clone, Map.of("GIT_TRACE", "1"), "git", "lfs", "pull");
        pull.ok();
        assertEquals(oid, Sandbox.sha256(clone.resolve("a.bin")), "served by the folder store");
        assertTrue(pull.err().contains("not from store 'cloud'"), "the failing store is named: " + pull.err());

        // S3 still down: every writable store is needed by default, so the push fails naming it ...
        String b = Sandbox.writeRandom(p.work().resolve("b.bin"), 5_000, 2);
        sb.git(p.work(), "add", "-A").ok();
        sb.git(p.work(), "commit", "-q", "-m", "b").ok();
        Sandbox.Result refused = sb.git(p.work(), "push", "origin", "main").failed();
        assertTrue(refused.all().contains("is in 1 of 2 stores, 2 needed") && refused.all().contains("store 'cloud'"),
                refused.all());
        // ... and with lfs-cloud.copies 1 it goes through on the folder store alone
        sb.git(p.work(), "config", "lfs-cloud.copies", "1").ok();
        sb.git(p.work(), "push", "-q", "origin", "main").ok();
        assertTrue(Files.exists(Sandbox.objectPath(p.store(), b)));
    }

    /** Three stores: the object is gone from the first, corrupt in the second; returns the project and oid. */
    private record Damaged(Sandbox sb, S3Proxy s3, Sandbox.Project p, String oid, String other, Path nas) {
    }

    private Damaged damaged() throws Exception {
        S3Proxy s3 = s3();
        Sandbox sb = new Sandbox(tmp.resolve("sb"));
        sb.useS3(s3.endpoint());
        Sandbox.Project p = sb.project("three");
        Path nas = Files.createDirectories(tmp.resolve("nas"));
        lfsCloud(sb, p.work(), "store", "add", "cloud", "s3://lfs/three/", "--shared", "--priority", "10").ok();
        lfsCloud(sb, p.work(), "store", "add", "nas", nas.toUri().toString(), "--shared", "--priority", "5").ok();
        String oid = Sandbox.writeRandom(p.work().resolve("data/x.bin"), 200_000, 3);
        String other = Sandbox.writeRandom(p.work().resolve("data/y.bin"), 1_000, 4);
        commitAndPush(sb, p.work(), "x and y");
        assertEquals(204, s3.status("DELETE", "/lfs/" + key("three/", oid), null));
        Path inNas = Sandbox.objectPath(nas, oid);
        byte[] bytes = Files.readAllBytes(inNas);
        bytes[1000] ^= 1;
        inNas.toFile().setWritable(true);
        Files.write(inNas, bytes); // same size, other content
        return new Damaged(sb, s3, p, oid, other, nas);
    }

    @Test
    void anObjectGoneFromOneStoreAndCorruptInAnotherArrivesFromTheThird() throws Exception {
        Damaged d = damaged();
        Path clone = bareClone(d.sb(), d.p(), "clone-three");
        Sandbox.Result pull = d.sb().run(clone, Map.of("GIT_TRACE", "1", "LFS_CLOUD_TRACE", "1"), "git", "lfs", "pull");
        pull.ok();
        assertEquals(d.oid(), Sandbox.sha256(clone.resolve("data/x.bin")));
        String err = pull.err();
        assertTrue(err.contains("not from store 'cloud'") && err.contains("no such object"), err);
        assertTrue(err.contains("lfs-cloud: warning: ") && err.contains("not from store 'nas'") && err.contains("is corrupt"), err);
        assertFalse(err.contains("not from the store"), "the default store gave it: " + err);
    }

    @Test
    void whereisAndFsckSeeTheMissingAndTheCorruptCopy() throws Exception {
        Damaged d = damaged();
        Path work = d.p().work();
        Sandbox.Result where = lfsCloud(d.sb(), work, "whereis", "data").ok();
        List<String> lines = where.out().lines().toList();
        assertEquals(8, lines.size(), where.out());
        assertTrue(lines.get(0).startsWith("data/x.bin  sha256:" + d.oid()), where.out());
        assertTrue(lines.get(1).matches("  cloud +missing *"), where.out());
        assertTrue(lines.get(2).matches("  nas +present *"), "metadata cannot see same-size corruption: " + where.out());
        assertTrue(lines.get(3).matches("  default +present *"), where.out());
        assertTrue(lines.get(5).matches("  cloud +present *"), where.out());
        assertEquals(1, lfsCloud(d.sb(), work, "whereis", "no-such.bin").exitCode());

        Sandbox.Result fsck = lfsCloud(d.sb(), work, "fsck");
        assertEquals(1, fsck.exitCode(), fsck.all());
        assertEquals(List.of("missing     cloud        " + d.oid() + "  data/x.bin"), fsck.out().lines().toList());
        assertTrue(fsck.err().contains("2 objects in 3 stores: 5 ok, 1 missing, 0 corrupt, 0 unreachable"), fsck.err());

        Sandbox.Result deep = lfsCloud(d.sb(), work, "fsck", "--deep");
        assertEquals(1, deep.exitCode(), deep.all());
        List<String> problems = deep.out().lines().toList();
        assertEquals(2, problems.size(), deep.out());
        assertTrue(problems.get(0).startsWith("corrupt     nas          " + d.oid() + "  data/x.bin  (")
                && problems.get(0).contains("hashes to"), deep.out());
        assertTrue(problems.get(1).startsWith("missing     cloud"), deep.out());

        assertEquals(0, lfsCloud(d.sb(), work, "fsck", "--store", "default", "--deep").exitCode());
        // copy mends the missing copy (from the stores in read order, past the corrupt one)
        assertTrue(lfsCloud(d.sb(), work, "copy", "--to", "cloud").ok().err().contains("1 copied, 1 already there, 0 failed"));
        assertEquals(0, lfsCloud(d.sb(), work, "fsck", "--store", "cloud", "--deep").exitCode());
    }

    @Test
    void anInterruptedCopyResumesWithoutSendingAgainWhatArrived() throws Exception {
        S3Proxy s3 = s3();
        FaultProxy slow = new FaultProxy(s3.port);
        closing.add(slow);
        Sandbox sb = new Sandbox(tmp.resolve("sb"));
        sb.useS3(s3.endpoint());
        Sandbox.Project p = sb.project("copy");
        sb.git(p.work(), "config", "lfs-cloud.s3.endpoint", slow.endpoint()).ok();
        lfsCloud(sb, p.work(), "store", "remove", "default", "--shared").ok();
        lfsCloud(sb, p.work(), "store", "add", "cloud", "s3://lfs/copy/", "--shared").ok();
        int n = 30;
        for (int i = 0; i < n; i++) {
            Sandbox.writeRandom(p.work().resolve("f" + i + ".bin"), 50_000, 100 + i);
        }
        commitAndPush(sb, p.work(), "thirty");
        Path nas = Files.createDirectories(tmp.resolve("nas"));
        lfsCloud(sb, p.work(), "store", "add", "nas", nas.toUri().toString()).ok();

        slow.throttle(100_000); // every object takes half a second to read
        Process copy = sb.start(p.work(), Map.of(), "git", "lfs-cloud", "copy", "--to", "nas", "--jobs", "2");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (objects(nas) < 4 && System.nanoTime() < deadline && copy.isAlive()) {
            Thread.sleep(50);
        }
        copy.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
        copy.destroyForcibly();
        copy.waitFor(10, TimeUnit.SECONDS);
        long arrived = objects(nas);
        assertTrue(arrived >= 4 && arrived < n, "interrupted part of the way: " + arrived);

        slow.throttle(0);
        Sandbox.Result again = lfsCloud(sb, p.work(), "copy", "--to", "nas").ok();
        assertTrue(again.err().contains((n - arrived) + " copied, " + arrived + " already there, 0 failed"), again.err());
        assertEquals(n, objects(nas));
        assertEquals(0, lfsCloud(sb, p.work(), "fsck", "--store", "nas", "--deep").exitCode());
    }

    private static long objects(Path store) throws IOException {
        try (Stream<Path> s = Files.walk(store)) {
            return s.filter(f -> Files.isRegularFile(f) && f.getFileName().toString().matches("[0-9a-f]{64}")).count();
        }
    }

    @Test
    void theReadmeMigrationMovesAFolderStoreToS3AndAFreshCloneReadsOnlyFromS3() throws Exception {
        S3Proxy s3 = s3();
        Sandbox sb = new Sandbox(tmp.resolve("sb"));
        sb.useS3(s3.endpoint());
        Sandbox.Project p = sb.project("mig");
        String first = Sandbox.writeRandom(p.work().resolve("one.bin"), 120_000, 5);
        commitAndPush(sb, p.work(), "one");
        sb.git(p.work(), "checkout", "-q", "-b", "side").ok();
        String side = Sandbox.writeRandom(p.work().resolve("side.bin"), 7_000, 6);
        commitAndPush(sb, p.work(), "side");
        sb.git(p.work(), "checkout", "-q", "main").ok();

        // the recipe: add, copy, check, reorder, remove
        lfsCloud(sb, p.work(), "store", "add", "cloud", "s3://lfs/mig/", "--shared").ok();
        lfsCloud(sb, p.work(), "copy", "--to", "cloud", "--all").ok();
        lfsCloud(sb, p.work(), "fsck", "--store", "cloud", "--deep").ok();
        sb.git(p.work(), "config", "-f", ".lfs-meta/config", "lfs-cloud.store.cloud.priority", "10").ok();
        lfsCloud(sb, p.work(), "store", "remove", "default", "--shared").ok();
        sb.git(p.work(), "add", ".lfs-meta/config").ok();
        sb.git(p.work(), "commit", "-q", "-m", "objects now in S3").ok();
        sb.git(p.work(), "push", "-q", "origin", "main").ok();

        assertNotNull(s3.get("lfs", key("mig/", first)));
        assertNotNull(s3.get("lfs", key("mig/", side)));
        Files.move(p.store(), tmp.resolve("old-store-gone")); // nothing can come from the folder now
        Path clone = tmp.resolve("fresh");
        lfsCloud(sb, tmp, "clone", p.origin().toString(), clone.toString()).ok();
        assertEquals(first, Sandbox.sha256(clone.resolve("one.bin")));
        // every object of history comes from S3 (the side branch's own .lfs-meta/config still names the old store)
        sb.git(clone, "lfs", "fetch", "--all").ok();
        assertEquals(side, Sandbox.sha256(Sandbox.objectPath(clone.resolve(".git/lfs/objects"), side)));
        assertEquals(List.of("cloud"), lfsCloud(sb, clone, "store", "list").ok().out().lines()
                .map(l -> l.split(" ")[0]).toList());
    }
}
