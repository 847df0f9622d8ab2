package io.lfscloud.core.meta;

import io.lfscloud.core.lfs.Oid;
import io.lfscloud.spi.TransferListener;
import io.lfscloud.core.git.Repository;
import io.lfscloud.core.plugin.BackendRegistry;
import io.lfscloud.spi.BackendConfig;
import io.lfscloud.spi.ObjectInfo;
import io.lfscloud.spi.StorageBackend;
import io.lfscloud.spi.StorageBackendProvider;
import io.lfscloud.spi.StorageException;
import io.lfscloud.spi.TransferListener;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A record holds every place its content lives at (first-day #3); tracking a path again moves
 * it out of the old content's record (#2); a store without change signals is "unchecked" and
 * {@code --deep} re-hashes (#4). Against an in-memory store whose objects can change.
 */
class PlacesTest {

    @TempDir
    Path tree;

    /** Objects of the "mem" store: content, and whether it reports ETags and modification times. */
    final Map<String, byte[]> objects = new ConcurrentHashMap<>();
    volatile boolean signals = true;
    Tracker tracker;
    BackendRegistry registry;
    Repository repo;

    @BeforeEach
    void setUp() throws Exception {
        assertEquals(0, new ProcessBuilder("git", "init", "-q").directory(tree.toFile()).inheritIO().start().waitFor());
        StorageBackend backend = new StorageBackend() {
            public ObjectInfo stat(URI object) throws StorageException {
                byte[] b = objects.get(object.toString());
                if (b == null) {
                    throw new StorageException(StorageException.Kind.NOT_FOUND, object + " does not exist");
                }
                return new ObjectInfo(object, b.length, signals ? sha(b).substring(0, 8) : null, null, null, null,
                        signals ? Instant.ofEpochSecond(b.length) : null);
            }

            public InputStream read(URI object, long offset, ObjectInfo expected) throws StorageException {
                stat(object);
                return new ByteArrayInputStream(objects.get(object.toString()));
            }

            public boolean write(URI o, Path s, long size, String sha, TransferListener p) {
                throw new AssertionError("never written");
            }
        };
        StorageBackendProvider provider = new StorageBackendProvider() {
            public String name() {
                return "mem";
            }

            public Set<String> schemes() {
                return Set.of("mem");
            }

            public StorageBackend open(io.lfscloud.spi.BackendContext context) {
                return backend;
            }
        };
        repo = Repository.open(tree);
        registry = new BackendRegistry(List.of(new BackendRegistry.Found(provider, "test")), List.of());
        tracker = new Tracker(repo, registry, (p, t) -> TransferListener.NONE);
    }

    static String sha(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private Tracker.Tracked track(String path, String url, boolean force) throws TrackException {
        return tracker.track(tree.resolve(path).toString(), URI.create(url), new Tracker.Claims(null, null, null, null),
                new Tracker.Options(false, false, force));
    }

    private List<RemoteRecord> records() throws Exception {
        List<String> problems = new ArrayList<>();
        List<RemoteRecord> all = new MetaFiles(tree).records(problems);
        assertEquals(List.of(), problems);
        return all;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void twoPathsWithTheSameContentShareOneRecordThatListsBoth() throws Exception {
        objects.put("mem://b/one", bytes("same content"));
        objects.put("mem://b/two", bytes("same content"));
        track("z/second.bin", "mem://b/two", false);
        track("a/first.bin", "mem://b/one", false);
        List<RemoteRecord> all = records();
        assertEquals(1, all.size(), "one content, one record");
        assertEquals(List.of("a/first.bin", "z/second.bin"), all.getFirst().places().stream().map(RemoteRecord.Place::path).toList(),
                "every place, sorted by path");
        assertEquals("mem://b/one", all.getFirst().url().toString(), "url() is the first place's");
        String json = Files.readString(tree.resolve(MetaLayout.sha256Path(Oid.parse(sha(bytes("same content"))))));
        assertTrue(json.indexOf("a/first.bin") < json.indexOf("z/second.bin"), json);
        List<RemoteCheck.Result> results = RemoteCheck.check(all, registry, repo.backendConfig(), false);
        assertEquals(2, results.size(), "status and verify see every place");
        assertTrue(results.stream().allMatch(r -> r.state() == RemoteCheck.State.OK), results.toString());
    }

    @Test
    void trackingAPathAgainMovesItOutOfTheOldContentsRecord() throws Exception {
        objects.put("mem://b/x", bytes("version 1"));
        objects.put("mem://b/y", bytes("version 1"));
        track("x.bin", "mem://b/x", false);
        track("y.bin", "mem://b/y", false);
        String old = sha(bytes("version 1"));
        objects.put("mem://b/x", bytes("version 2"));
        track("x.bin", "mem://b/x", false); // a pointer is there: replaced without --force
        RemoteRecord left = new MetaFiles(tree).record(Oid.parse(old)).orElseThrow();
        assertEquals(List.of("y.bin"), left.places().stream().map(RemoteRecord.Place::path).toList(),
                "the old content keeps only the place that still holds it");
        assertEquals(List.of("x.bin"), new MetaFiles(tree).record(Oid.parse(sha(bytes("version 2")))).orElseThrow().places().stream()
                .map(RemoteRecord.Place::path).toList());

        objects.put("mem://b/y", bytes("version 3"));
        track("y.bin", "mem://b/y", true);
        assertFalse(Files.exists(tree.resolve(MetaLayout.sha256Path(Oid.parse(old)))), "a record with no place left is removed");
        assertEquals(2, records().size());
        assertTrue(RemoteCheck.check(records(), registry, repo.backendConfig(), false).stream()
                .allMatch(r -> r.state() == RemoteCheck.State.OK), "no stale record fails verify");
    }

    @Test
    void withoutChangeSignalsAPlaceIsUncheckedUntilReHashed() throws Exception {
        signals = false;
        objects.put("mem://b/plain", bytes("AAAA"));
        track("plain.bin", "mem://b/plain", false);
        RemoteCheck.Result shallow = RemoteCheck.check(records(), registry, repo.backendConfig(), false).getFirst();
        assertEquals(RemoteCheck.State.UNCHECKED, shallow.state(), "a size alone proves nothing");
        assertTrue(shallow.detail().contains("no ETag"), shallow.detail());
        assertEquals(RemoteCheck.State.OK, RemoteCheck.check(records(), registry, repo.backendConfig(), true).getFirst().state());

        objects.put("mem://b/plain", bytes("BBBB")); // same size, other content
        assertEquals(RemoteCheck.State.UNCHECKED,
                RemoteCheck.check(records(), registry, repo.backendConfig(), false).getFirst().state());
        RemoteCheck.Result deep = RemoteCheck.check(records(), registry, repo.backendConfig(), true).getFirst();
        assertEquals(RemoteCheck.State.CHANGED, deep.state());
        assertTrue(deep.detail().contains(sha(bytes("BBBB"))), deep.detail());
    }

    @Test
    void lastModifiedAloneIsAChangeSignal() throws Exception {
        objects.put("mem://b/lm", bytes("12345"));
        RemoteRecord r = new RemoteRecord(Oid.parse(sha(bytes("12345"))), URI.create("mem://b/lm"), 5, null, null, null, "lm.bin",
                null, Instant.ofEpochSecond(4));
        RemoteCheck.Result result = RemoteCheck.check(List.of(r), registry, repo.backendConfig(), false).getFirst();
        assertEquals(RemoteCheck.State.CHANGED, result.state());
        assertTrue(result.detail().contains("Last-Modified"), result.detail());
    }

    @Test
    void recordsWithPlacesAreReadStrictly() {
        String oid = sha(bytes("x"));
        for (String bad : List.of(
                "{\"sha256\": \"" + oid + "\", \"size\": 1, \"places\": []}",
                "{\"sha256\": \"" + oid + "\", \"size\": 1, \"places\": [1]}",
                "{\"sha256\": \"" + oid + "\", \"size\": 1, \"url\": \"https://h/x\", \"places\": [{\"url\": \"https://h/x\"}]}",
                "{\"sha256\": \"" + oid + "\", \"size\": 1, \"places\": [{\"url\": \"https://h/x\", \"path\": \"a\"},"
                        + " {\"url\": \"https://h/y\", \"path\": \"a\"}]}",
                "{\"sha256\": \"" + oid + "\", \"size\": 1, \"places\": [{\"url\": \"https://h/x\", \"path\": \"../a\"}]}")) {
            InvalidRecordException e = assertThrows(InvalidRecordException.class, () -> RemoteRecord.parse(bad, "w.json"), bad);
            assertTrue(e.getMessage().startsWith("w.json"), e.getMessage());
        }
    }
}
