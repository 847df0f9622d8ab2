package io.lfscloud.e2e;

import io.lfscloud.testkit.Nginx;
import io.lfscloud.testkit.S3Proxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's table "what counts as changed", case by case against real servers (nginx,
 * s3proxy, a server without change signals): a clone's download and {@code verify} give the
 * same verdict for every case, so that verify never calls changed what a pull downloads.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RemoteChangeVerdictTest {

    @TempDir
    static Path tmp;

    Nginx nginx;
    PlainHttpServer plain;
    S3Proxy s3;
    Sandbox sb;
    final AtomicInteger counter = new AtomicInteger();

    @BeforeAll
    void start() throws Exception {
        nginx = new Nginx(tmp);
        plain = new PlainHttpServer(tmp.resolve("plain"));
        s3 = new S3Proxy(tmp);
        sb = new Sandbox(tmp);
        sb.useS3(s3.endpoint());
        s3.createBucket("versioned");
        assertEquals(200, s3.request("PUT", "/versioned?versioning", """
                <VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Enabled</Status></VersioningConfiguration>"""
                .getBytes()).statusCode(), "enable versioning");
    }

    @AfterAll
    void stop() throws InterruptedException {
        nginx.close();
        plain.close();
        s3.close();
    }

    enum Verdict { UNCHANGED, CHANGED, UNCHECKED }

    /** One row of the table: where the object lives, what happens to it after tracking, the verdict. */
    enum Case {
        SAME_ETAG(Verdict.UNCHANGED),
        CHANGED_ETAG_SAME_SIZE(Verdict.CHANGED),
        CHANGED_SIZE(Verdict.CHANGED),
        ETAG_MISSING_SAME_LAST_MODIFIED(Verdict.UNCHANGED),
        ETAG_MISSING_OTHER_LAST_MODIFIED(Verdict.CHANGED),
        NO_CHANGE_SIGNAL_AT_ALL(Verdict.UNCHECKED),
        PINNED_VERSION_OVERWRITTEN(Verdict.UNCHANGED);

        final Verdict verdict;

        Case(Verdict verdict) {
            this.verdict = verdict;
        }
    }

    private static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Puts the first content where the case wants it and returns its URL. */
    private String place(Case c, String name, byte[] content) throws Exception {
        switch (c) {
            case ETAG_MISSING_SAME_LAST_MODIFIED, ETAG_MISSING_OTHER_LAST_MODIFIED -> {
                Files.createDirectories(nginx.root.resolve("no-etag"));
                Files.write(nginx.root.resolve("no-etag/" + name), content);
                return nginx.url("no-etag/" + name);
            }
            case NO_CHANGE_SIGNAL_AT_ALL -> {
                Files.write(plain.root.resolve(name), content);
                return plain.url(name);
            }
            case PINNED_VERSION_OVERWRITTEN -> {
                s3.put("versioned", name, content);
                return "s3://versioned/" + name;
            }
            default -> {
                Files.write(nginx.root.resolve(name), content);
                return nginx.url(name);
            }
        }
    }

    /** What happens to the object at its URL after it was tracked. */
    private void change(Case c, String name, byte[] content) throws Exception {
        if (c == Case.PINNED_VERSION_OVERWRITTEN) {
            s3.put("versioned", name, random(content.length + 5, 98)); // a new current version, another size
            return;
        }
        Path served = switch (c) {
            case ETAG_MISSING_SAME_LAST_MODIFIED, ETAG_MISSING_OTHER_LAST_MODIFIED -> nginx.root.resolve("no-etag/" + name);
            case NO_CHANGE_SIGNAL_AT_ALL -> plain.root.resolve(name);
            default -> nginx.root.resolve(name);
        };
        FileTime later = FileTime.fromMillis(Files.getLastModifiedTime(served).toMillis() + 10_000);
        switch (c) {
            case SAME_ETAG, ETAG_MISSING_SAME_LAST_MODIFIED, NO_CHANGE_SIGNAL_AT_ALL -> { } // left alone
            case CHANGED_ETAG_SAME_SIZE, ETAG_MISSING_OTHER_LAST_MODIFIED -> {
                Files.write(served, random(content.length, 99)); // other bytes, same size, a new time
                Files.setLastModifiedTime(served, later);
            }
            case CHANGED_SIZE -> {
                FileTime same = Files.getLastModifiedTime(served);
                Files.write(served, random(content.length + 1, 99));
                Files.setLastModifiedTime(served, same); // the size alone shows it (nginx's ETag has the size too)
            }
            default -> throw new IllegalArgumentException(c.name());
        }
    }

    private Verdict verifyVerdict(Path work) {
        Sandbox.Result v = sb.run(work, "git", "lfs-cloud", "verify");
        if (v.exitCode() == 1 && v.out().startsWith("changed  ")) {
            return Verdict.CHANGED;
        }
        assertEquals(0, v.exitCode(), v.all());
        return v.out().startsWith("unchecked  ") ? Verdict.UNCHECKED : Verdict.UNCHANGED;
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Case.class)
    void downloadAndVerifyGiveTheSameVerdict(Case c) throws Exception {
        int n = counter.incrementAndGet();
        String name = "obj-" + n + ".bin";
        byte[] content = random(50_000 + n, n);
        String url = place(c, name, content);
        Sandbox.Project p = sb.project("verdict-" + n);
        sb.run(p.work(), "git", "lfs-cloud", "track-remote", name, "--url", url).ok();
        sb.git(p.work(), "add", "-A").ok();
        sb.git(p.work(), "commit", "-q", "-m", "tracked").ok();
        sb.git(p.work(), "push", "-q", "origin", "HEAD").ok();
        if (c == Case.PINNED_VERSION_OVERWRITTEN) {
            assertTrue(Files.readString(p.work().resolve(".lfs-meta").resolve("sha256").toFile().listFiles()[0].toPath())
                    .contains("\"versionId\""), "the record pins a version");
        }

        change(c, name, content);

        Path clone = tmp.resolve("clone-" + n);
        Sandbox.Result download = sb.run(tmp, "git", "lfs-cloud", "clone", p.origin().toString(), clone.toString());
        Verdict byDownload;
        if (download.exitCode() == 0) {
            assertArrayEquals(content, Files.readAllBytes(clone.resolve(name)), "downloaded: the tracked content");
            byDownload = Verdict.UNCHANGED;
        } else {
            assertTrue(download.all().contains("changed since it was tracked"), download.all());
            byDownload = Verdict.CHANGED;
        }
        Verdict byVerify = verifyVerdict(p.work());

        assertEquals(c.verdict, byVerify, "verify's verdict");
        // a download cannot say "unchecked": it goes on and checks the SHA-256 of what arrives
        assertEquals(c.verdict == Verdict.CHANGED ? Verdict.CHANGED : Verdict.UNCHANGED, byDownload, download.all());
    }
}
