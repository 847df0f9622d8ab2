package io.lfscloud.e2e;

import io.lfscloud.testkit.S3Proxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code track-remote --recursive} over objects whose keys URLs treat specially ({@code + # ?
 * %}, spaces, unicode, escapes that must stay text), with the real git-lfs: every object is
 * tracked at the path that is its key's own text, and a clone holds exactly those files with
 * exactly their bytes. Over an S3 prefix (s3proxy) and over a folder.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AwkwardKeysTrackingTest {

    /** Each is a key below the tracked prefix and the path below the tracked folder in the working tree. */
    static final List<String> KEYS = List.of("a+b.bin", "a#b?.bin", "100%.bin", "%41%2F.bin", "with space.bin",
            "café é.bin", "日本/語 +.bin", "sub/x+y#z?w%20 é.bin");

    @TempDir
    static Path tmp;

    S3Proxy s3;
    Sandbox sb;

    @BeforeAll
    void start() throws Exception {
        s3 = new S3Proxy(tmp);
        sb = new Sandbox(tmp);
        sb.env("AWS_ACCESS_KEY_ID", "test-key");
        sb.env("AWS_SECRET_ACCESS_KEY", "test-secret");
        sb.env("AWS_REGION", "us-east-1");
        sb.env("AWS_EC2_METADATA_DISABLED", "true");
        sb.git(tmp, "config", "--global", "lfs-cloud.s3.endpoint", s3.endpoint()).ok();
        // this user allows file: records, for the folder
        sb.git(tmp, "config", "--global", "lfs-cloud.allowFileUrls", "true").ok();
        s3.createBucket("data");
    }

    @AfterAll
    void stop() throws InterruptedException {
        s3.close();
    }

    @Test
    void anS3PrefixIsTrackedAndClonedUnderItsKeys() throws Exception {
        Map<String, byte[]> contents = contents(1);
        for (var e : contents.entrySet()) {
            s3.put("data", "tree/" + escaped(e.getKey()), e.getValue());
        }
        trackAndClone("s3", "s3://data/tree/", contents);
    }

    @Test
    void aFolderIsTrackedAndClonedUnderItsFileNames() throws Exception {
        Map<String, byte[]> contents = contents(2);
        Path folder = tmp.resolve("objects-folder");
        for (var e : contents.entrySet()) {
            Files.createDirectories(folder.resolve(e.getKey()).getParent());
            Files.write(folder.resolve(e.getKey()), e.getValue());
        }
        trackAndClone("folder", folder.toUri().toString(), contents);
    }

    private void trackAndClone(String name, String url, Map<String, byte[]> contents) throws Exception {
        Sandbox.Project p = sb.project(name);
        Sandbox.Result r = sb.run(p.work(), "git", "lfs-cloud", "track-remote", "--recursive", "data", "--url", url).ok();
        assertTrue(r.err().contains(contents.size() + " tracked, 0 failed"), r.err());
        assertEquals(contents.keySet(), filesBelow(p.work().resolve("data")), "the paths are the keys");
        sb.git(p.work(), "add", "-A").ok();
        sb.git(p.work(), "commit", "-q", "-m", "tracked " + url).ok();
        sb.git(p.work(), "push", "-q", "origin", "main").ok();
        Path clone = tmp.resolve(name + "-clone");
        sb.run(tmp, "git", "lfs-cloud", "clone", p.origin().toString(), clone.toString()).ok();
        assertEquals(contents.keySet(), filesBelow(clone.resolve("data")), "the clone's paths are the keys");
        for (var e : contents.entrySet()) {
            assertArrayEquals(e.getValue(), Files.readAllBytes(clone.resolve("data").resolve(e.getKey())), e.getKey());
        }
    }

    private static Map<String, byte[]> contents(long seed) {
        Random random = new Random(seed);
        Map<String, byte[]> contents = new TreeMap<>();
        for (String key : KEYS) {
            byte[] b = new byte[20_000 + random.nextInt(10_000)];
            random.nextBytes(b);
            contents.put(key, b);
        }
        return contents;
    }

    private static Set<String> filesBelow(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).map(f -> dir.relativize(f).toString()).collect(Collectors.toSet());
        }
    }

    /** {@code key} percent-encoded for a request path: only unreserved characters and {@code /} as they are. */
    private static String escaped(String key) {
        StringBuilder sb = new StringBuilder();
        for (byte b : key.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c < 0x80 && (Character.isLetterOrDigit(c) || "-._~/".indexOf(c) >= 0)) {
                sb.append((char) c);
            } else {
                sb.append('%').append(HexFormat.of().withUpperCase().toHexDigits(b));
            }
        }
        return sb.toString();
    }
}
