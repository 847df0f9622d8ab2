package io.lfscloud.backend.lfs;

import io.lfscloud.spi.BackendConfig;
import io.lfscloud.spi.BackendContext;
import io.lfscloud.spi.Credentials;
import io.lfscloud.spi.Diagnostics;
import io.lfscloud.spi.ObjectInfo;
import io.lfscloud.spi.RetryPolicy;
import io.lfscloud.spi.StorageBackend;
import io.lfscloud.spi.StorageException;
import io.lfscloud.spi.TransferListener;
import io.lfscloud.testkit.LfsServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Git LFS server store against JGit's real LFS server (behind basic authentication). */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LfsBackendTest {

    @TempDir
    Path tmp;

    LfsServer server;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        server = new LfsServer(dir.resolve("server"), "alice", "s3cret");
    }

    @AfterAll
    void stop() throws Exception {
        server.close();
    }

    /** git's credential helper as the test wants it: what it hands out, and what it was told. */
    static class Helper implements Credentials {
        final List<String> calls = new ArrayList<>();
        final List<String> passwords;

        Helper(String... passwords) {
            this.passwords = new ArrayList<>(List.of(passwords));
        }

        @Override
        public synchronized Optional<Credential> fill(URI url) {
            calls.add("fill " + url.getHost());
            return passwords.isEmpty() ? Optional.empty()
                    : Optional.of(new Credential(Map.of("username", "alice", "password", passwords.removeFirst())));
        }

        @Override
        public synchronized void approve(Credential c) {
            calls.add("approve " + c.password());
        }

        @Override
        public synchronized void reject(Credential c) {
            calls.add("reject " + c.password());
        }
    }

    StorageBackend backend(Credentials credentials) throws StorageException {
        URI root = URI.create("lfs+" + server.endpoint() + "/");
        return new LfsBackendProvider().open(new BackendContext(root, "", BackendConfig.EMPTY, Diagnostics.NONE,
                RetryPolicy.DEFAULT, credentials));
    }

    URI object(String oid) {
        return URI.create("lfs+" + server.endpoint() + "/" + oid.substring(0, 2) + "/" + oid.substring(2, 4) + "/" + oid);
    }

    record Content(Path file, String oid, byte[] bytes) {
    }

    Content content(int size, long seed) throws Exception {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        Path file = tmp.resolve("src-" + seed);
        Files.write(file, bytes);
        String oid = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        return new Content(file, oid, bytes);
    }

    @Test
    void uploadAsksGitForCredentialsOnceThenDownloadGivesTheSameBytes() throws Exception {
        Content c = content(300_000, 1);
        Helper helper = new Helper("s3cret");
        try (StorageBackend b = backend(helper)) {
            AtomicLong sent = new AtomicLong();
            assertTrue(b.write(object(c.oid()), c.file(), c.bytes().length, c.oid(), sent::addAndGet));
            assertEquals(c.bytes().length, sent.get(), "progress adds up to the size");
            assertTrue(server.has(c.oid()), "the object is on the LFS server");
            try (InputStream in = b.read(object(c.oid()), 0, ObjectInfo.of(object(c.oid()), c.bytes().length))) {
                assertArrayEquals(c.bytes(), in.readAllBytes());
            }
            try (InputStream in = b.read(object(c.oid()), 1000, ObjectInfo.of(object(c.oid()), c.bytes().length))) {
                assertArrayEquals(java.util.Arrays.copyOfRange(c.bytes(), 1000, c.bytes().length), in.readAllBytes(),
                        "a read from an offset resumes there");
            }
            assertFalse(b.write(object(c.oid()), c.file(), c.bytes().length, c.oid(), TransferListener.NONE),
                    "an object the server has is not sent again");
        }
        assertEquals(List.of("fill 127.0.0.1", "approve s3cret"), helper.calls,
                "asked once after the first 401, approved once, kept for later calls");
    }

    @Test
    void parallelTransfersAskGitOnceAndShareTheAnswer() throws Exception {
        List<Content> objects = new ArrayList<>();
        try (StorageBackend writer = backend(new Helper("s3cret"))) {
            for (int i = 0; i < 8; i++) {
                Content c = content(5000 + i, 100 + i);
                writer.write(object(c.oid()), c.file(), c.bytes().length, c.oid(), TransferListener.NONE);
                objects.add(c);
            }
        }
        Helper helper = new Helper("s3cret"); // a second fill would get nothing, and fail its transfer
        try (StorageBackend b = backend(helper); var pool = java.util.concurrent.Executors.newFixedThreadPool(8)) {
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            List<java.util.concurrent.Future<byte[]>> reads = new ArrayList<>();
            for (Content c : objects) {
                reads.add(pool.submit(() -> {
                    go.await();
                    try (InputStream in = b.read(object(c.oid()), 0, ObjectInfo.of(object(c.oid()), c.bytes().length))) {
                        return in.readAllBytes();
                    }
                }));
            }
            go.countDown();
            for (int i = 0; i < objects.size(); i++) {
                assertArrayEquals(objects.get(i).bytes(), reads.get(i).get());
            }
        }
        assertEquals(List.of("fill 127.0.0.1", "approve s3cret"), helper.calls, "one question to git for eight transfers");
    }

    @Test
    void wrongCredentialsAreRejectedAskedForOnceMoreThenRefused() throws Exception {
        Content c = content(1000, 2);
        Helper helper = new Helper("wrong", "wrong-again", "never-asked");
        try (StorageBackend b = backend(helper)) {
            StorageException e = assertThrows(StorageException.class,
                    () -> b.write(object(c.oid()), c.file(), 1000, c.oid(), TransferListener.NONE));
            assertEquals(StorageException.Kind.ACCESS_DENIED, e.kind());
            assertTrue(e.getMessage().contains("refused the credentials"), e.getMessage());
            assertFalse(e.getMessage().contains("wrong"), "no secret in the message");
        }
        assertEquals(List.of("fill 127.0.0.1", "reject wrong", "fill 127.0.0.1", "reject wrong-again"), helper.calls);
        assertFalse(server.has(c.oid()));
    }

    @Test
    void accessBasicSendsCredentialsWithTheFirstBatchCall() throws Exception {
        Content c = content(1000, 20);
        Helper helper = new Helper("s3cret") {
            @Override
            public boolean sendFirst(URI url) {
                calls.add("access? " + url);
                return true;
            }
        };
        int before = server.requests().size();
        try (StorageBackend b = backend(helper)) {
            assertTrue(b.write(object(c.oid()), c.file(), 1000, c.oid(), TransferListener.NONE));
        }
        List<LfsServer.Request> batch = server.requests().subList(before, server.requests().size()).stream()
                .filter(r -> r.path().endsWith("/objects/batch")).toList();
        assertEquals(1, batch.size(), "one batch call: " + batch);
        assertTrue(batch.getFirst().authorized(), "with credentials from the first call, no 401 first");
        assertEquals(List.of("access? " + server.endpoint(), "fill 127.0.0.1", "approve s3cret"), helper.calls);
    }

    /** A server reached over SSH: what git-lfs-authenticate gave, and how often it was asked. */
    static final class Ssh extends Helper {
        final List<String> asked = new ArrayList<>();
        final List<Map<String, String>> answers;

        @SafeVarargs
        Ssh(Map<String, String>... answers) {
            this.answers = new ArrayList<>(List.of(answers));
        }

        @Override
        public synchronized Optional<Authorization> authorization(String operation, boolean renew) {
            if (renew) {
                asked.add(operation + " renew");
                if (answers.size() > 1) {
                    answers.removeFirst();
                }
            } else if (asked.isEmpty()) {
                asked.add(operation);
            }
            return Optional.of(new Authorization(URI.create(server().endpoint() + "/"), answers.getFirst()));
        }
    }

    static LfsServer current;

    static LfsServer server() {
        return current;
    }

    @Test
    void anSshServersEndpointAndHeadersAreUsedWithoutGitsCredentialsAndAskedAgainOnceWhenRefused() throws Exception {
        current = server;
        Content c = content(2000, 21);
        Map<String, String> good = Map.of("Authorization", "Basic " + java.util.Base64.getEncoder().encodeToString(
                "alice:s3cret".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        // objects named on git-lfs's guess of the endpoint; the SSH server's answer says where the server is
        URI guessed = URI.create("lfs+https://guess.invalid/repo.git/info/lfs/" + c.oid().substring(0, 2) + "/"
                + c.oid().substring(2, 4) + "/" + c.oid());
        Ssh ssh = new Ssh(Map.of("Authorization", "Basic bm90OnRoaXM="), good);
        try (StorageBackend b = new LfsBackendProvider().open(new BackendContext(URI.create("lfs+https://guess.invalid/repo.git/info/lfs/"),
                "", BackendConfig.EMPTY, Diagnostics.NONE, RetryPolicy.DEFAULT, ssh))) {
            assertTrue(b.write(guessed, c.file(), 2000, c.oid(), TransferListener.NONE));
            try (InputStream in = b.read(guessed, 0, ObjectInfo.of(guessed, 2000))) {
                assertArrayEquals(c.bytes(), in.readAllBytes());
            }
        }
        assertTrue(server.has(c.oid()));
        assertEquals(List.of("upload", "upload renew"), ssh.asked, "refused headers: ssh asked once more");
        assertEquals(List.of(), ssh.calls, "git's credential helpers are not asked when ssh authenticates");

        Ssh refused = new Ssh(Map.of("Authorization", "Basic bm90OnRoaXM="));
        try (StorageBackend b = new LfsBackendProvider().open(new BackendContext(URI.create("lfs+https://guess.invalid/repo.git/info/lfs/"),
                "", BackendConfig.EMPTY, Diagnostics.NONE, RetryPolicy.DEFAULT, refused))) {
            StorageException e = assertThrows(StorageException.class, () -> b.read(guessed, 0, ObjectInfo.of(guessed, 2000)));
            assertEquals(StorageException.Kind.ACCESS_DENIED, e.kind());
            assertTrue(e.getMessage().contains("refused what git-lfs-authenticate gave"), e.getMessage());
            assertFalse(e.getMessage().contains("bm90"), "no header in the message");
        }
        assertEquals(List.of("download", "download renew"), refused.asked);
    }

    @Test
    void noCredentialsFromGitIsAccessDeniedSayingWhatToSetUp() throws Exception {
        Content c = content(1000, 3);
        try (StorageBackend b = backend(new Helper())) {
            StorageException e = assertThrows(StorageException.class,
                    () -> b.read(object(c.oid()), 0, ObjectInfo.of(object(c.oid()), 1000)));
            assertEquals(StorageException.Kind.ACCESS_DENIED, e.kind());
            assertTrue(e.getMessage().contains("credential helper"), e.getMessage());
        }
    }

    @Test
    void anObjectTheServerDoesNotHaveIsNotFound() throws Exception {
        Content c = content(1000, 4);
        try (StorageBackend b = backend(new Helper("s3cret"))) {
            StorageException e = assertThrows(StorageException.class,
                    () -> b.read(object(c.oid()), 0, ObjectInfo.of(object(c.oid()), 1000)));
            assertEquals(StorageException.Kind.NOT_FOUND, e.kind(), e.getMessage());
        }
    }

    @Test
    void serverErrorsAreClassified() throws Exception {
        Content c = content(1000, 5);
        try (StorageBackend b = backend(new Helper("s3cret", "s3cret"))) {
            assertTrue(b.write(object(c.oid()), c.file(), 1000, c.oid(), TransferListener.NONE));
            ObjectInfo expected = ObjectInfo.of(object(c.oid()), 1000);
            server.fail("/objects/batch", 500);
            try {
                StorageException e = assertThrows(StorageException.class, () -> b.read(object(c.oid()), 0, expected));
                assertEquals(StorageException.Kind.TRANSIENT, e.kind(), e.getMessage());
                assertTrue(e.getMessage().contains("HTTP 500"), e.getMessage());
            } finally {
                server.fail("/objects/batch", 0);
            }
            server.fail("/objects/" + c.oid(), 404); // the href, not the batch call
            try {
                StorageException e = assertThrows(StorageException.class, () -> b.read(object(c.oid()), 0, expected));
                assertEquals(StorageException.Kind.NOT_FOUND, e.kind(), e.getMessage());
            } finally {
                server.fail("/objects/" + c.oid(), 0);
            }
            server.fail("/objects/" + c.oid(), 403);
            try {
                StorageException e = assertThrows(StorageException.class, () -> b.read(object(c.oid()), 0, expected));
                assertEquals(StorageException.Kind.ACCESS_DENIED, e.kind(), e.getMessage());
            } finally {
                server.fail("/objects/" + c.oid(), 0);
            }
            try (InputStream in = b.read(object(c.oid()), 0, expected)) {
                assertArrayEquals(c.bytes(), in.readAllBytes(), "served again once the failures end");
            }
        }
    }

    @Test
    void perObjectErrorsAndOddAnswersOfTheBatchApiAreClassified() throws Exception {
        Content c = content(1000, 8);
        ObjectInfo expected = ObjectInfo.of(object(c.oid()), 1000);
        String entry = "{\"objects\":[{\"oid\":\"" + c.oid() + "\",\"size\":1000,";
        try (StorageBackend b = backend(new Helper("s3cret"))) {
            assertTrue(b.write(object(c.oid()), c.file(), 1000, c.oid(), TransferListener.NONE)); // credentials known now
            Map<Integer, StorageException.Kind> kinds = Map.of(404, StorageException.Kind.NOT_FOUND,
                    410, StorageException.Kind.NOT_FOUND, 422, StorageException.Kind.CORRUPT,
                    403, StorageException.Kind.ACCESS_DENIED, 500, StorageException.Kind.TRANSIENT,
                    409, StorageException.Kind.MISCONFIGURED);
            for (Map.Entry<Integer, StorageException.Kind> k : kinds.entrySet()) {
                server.answerNextBatch(entry + "\"error\":{\"code\":" + k.getKey() + ",\"message\":\"said the server\"}}]}");
                StorageException e = assertThrows(StorageException.class, () -> b.read(object(c.oid()), 0, expected));
                assertEquals(k.getValue(), e.kind(), k.getKey() + ": " + e.getMessage());
                assertTrue(e.getMessage().contains(k.getKey() + " said the server"), e.getMessage());
            }
            String href = server.endpoint() + "/objects/" + c.oid();
            server.answerNextBatch(entry + "\"actions\":{\"download\":{\"href\":\"" + href
                    + "\",\"expires_at\":\"2001-01-01T00:00:00Z\"}}}]}");
            StorageException expired = assertThrows(StorageException.class, () -> b.read(object(c.oid()), 0, expected));
            assertEquals(StorageException.Kind.TRANSIENT, expired.kind());
            assertTrue(expired.getMessage().contains("expired"), expired.getMessage());

            server.answerNextBatch("{\"transfer\":\"tus\"," + entry.substring(1) + "\"actions\":{}}]}");
            assertEquals(StorageException.Kind.MISCONFIGURED,
                    assertThrows(StorageException.class, () -> b.read(object(c.oid()), 0, expected)).kind());
            server.answerNextBatch("{\"objects\":[]}");
            assertEquals(StorageException.Kind.TRANSIENT,
                    assertThrows(StorageException.class, () -> b.read(object(c.oid()), 0, expected)).kind());
            server.answerNextBatch("<html>not json");
            assertEquals(StorageException.Kind.TRANSIENT,
                    assertThrows(StorageException.class, () -> b.read(object(c.oid()), 0, expected)).kind());

            String basic = "Basic " + java.util.Base64.getEncoder().encodeToString("alice:s3cret".getBytes());
            server.answerNextBatch(entry + "\"actions\":{\"download\":{\"href\":\"" + href
                    + "\",\"header\":{\"Authorization\":\"" + basic + "\"},\"expires_in\":3600}}}]}");
            try (InputStream in = b.read(object(c.oid()), 0, expected)) {
                assertArrayEquals(c.bytes(), in.readAllBytes(), "an action with its own header and time to live");
            }
            server.answerNextBatch(entry + "\"actions\":{\"download\":{\"href\":\"" + href + "\"}}}]}");
            assertEquals(StorageException.Kind.ACCESS_DENIED,
                    assertThrows(StorageException.class, () -> b.read(object(c.oid()), 0, expected)).kind(),
                    "the link's own 401: no credentials are added to an action's request");
        }
    }

    @Test
    void anActionLinkIsHeldToTheUrlPolicyBeforeAnythingConnectsToIt() throws Exception {
        Content c = content(1000, 9);
        List<String> checked = new java.util.concurrent.CopyOnWriteArrayList<>();
        BackendConfig policy = new BackendConfig() {
            public java.util.Optional<String> get(String key) {
                return java.util.Optional.empty();
            }

            public void checkRedirect(URI from, URI to) throws StorageException {
                checked.add(to.getHost());
                if ("169.254.169.254".equals(to.getHost())) {
                    throw new StorageException(StorageException.Kind.ACCESS_DENIED, "a metadata address");
                }
            }
        };
        URI root = URI.create("lfs+" + server.endpoint() + "/");
        try (StorageBackend b = new LfsBackendProvider().open(new BackendContext(root, "", policy, Diagnostics.NONE,
                RetryPolicy.DEFAULT, new Helper("s3cret")))) {
            assertTrue(b.write(object(c.oid()), c.file(), 1000, c.oid(), TransferListener.NONE));
            server.answerNextBatch("{\"objects\":[{\"oid\":\"" + c.oid() + "\",\"size\":1000,\"actions\":{\"download\":"
                    + "{\"href\":\"http://169.254.169.254/latest/meta-data/\"}}}]}");
            StorageException e = assertThrows(StorageException.class,
                    () -> b.read(object(c.oid()), 0, ObjectInfo.of(object(c.oid()), 1000)));
            assertEquals(StorageException.Kind.ACCESS_DENIED, e.kind(), e.getMessage());
            assertTrue(checked.contains("169.254.169.254"), "the server's link was checked: " + checked);
        }
    }

    @Test
    void aContentThatIsNotItsOidIsNeverSent() throws Exception {
        Content c = content(1000, 6);
        Content other = content(1000, 7);
        try (StorageBackend b = backend(new Helper("s3cret"))) {
            StorageException e = assertThrows(StorageException.class,
                    () -> b.write(object(c.oid()), c.file(), 1000, other.oid(), TransferListener.NONE));
            assertEquals(StorageException.Kind.CORRUPT, e.kind());
        }
        assertFalse(server.has(c.oid()));
    }

    /** {@code count} objects put on the server through a backend of their own. */
    List<Content> onServer(int count, long seed) throws Exception {
        List<Content> objects = new ArrayList<>();
        try (StorageBackend writer = backend(new Helper("s3cret"))) {
            for (int i = 0; i < count; i++) {
                Content c = content(4000 + i, seed + i);
                writer.write(object(c.oid()), c.file(), c.bytes().length, c.oid(), TransferListener.NONE);
                objects.add(c);
            }
        }
        return objects;
    }

    byte[] readAll(StorageBackend b, Content c) throws Exception {
        try (InputStream in = b.read(object(c.oid()), 0, ObjectInfo.of(object(c.oid()), c.bytes().length))) {
            return in.readAllBytes();
        }
    }

    static void await(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 20 s: " + what);
            }
            Thread.sleep(2);
        }
    }

    @Test
    void eightConnectionsReadingAtOnceShareBatchCalls() throws Exception {
        List<Content> objects = onServer(160, 1000);
        // as in the transfer server: each agent connection has a backend of its own (its repository's credentials)
        List<StorageBackend> connections = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            connections.add(backend(new Helper("s3cret")));
        }
        int before = server.batchSizes().size();
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(8)) {
            List<java.util.concurrent.Future<?>> agents = new ArrayList<>();
            for (int a = 0; a < 8; a++) {
                int agent = a;
                agents.add(pool.submit(() -> {
                    for (int i = agent; i < objects.size(); i += 8) { // one request at a time, as a protocol v1 agent
                        assertArrayEquals(objects.get(i).bytes(), readAll(connections.get(agent), objects.get(i)));
                    }
                    return null;
                }));
            }
            for (var f : agents) {
                f.get();
            }
        } finally {
            connections.forEach(StorageBackend::close);
        }
        List<Integer> sizes = server.batchSizes().subList(before, server.batchSizes().size());
        assertTrue(sizes.size() < objects.size() * 3 / 4, "fewer batch calls than objects: " + sizes);
        assertTrue(sizes.stream().anyMatch(n -> n > 1), "calls for several objects: " + sizes);
        assertTrue(sizes.stream().allMatch(n -> n <= BatchCoalescer.MAX_OBJECTS), "at most 100 a call: " + sizes);
    }

    @Test
    void requestsMadeWhileACallIsInFlightGoInTheNextCallEachWithItsOwnAnswer() throws Exception {
        List<Content> present = onServer(3, 2000);
        Content missing = content(1000, 2100);
        try (StorageBackend a = backend(new Helper("s3cret")); StorageBackend b = backend(new Helper("s3cret"));
             var pool = java.util.concurrent.Executors.newFixedThreadPool(4)) {
            a.stat(object(present.get(0).oid())); // both connections know their credentials already
            b.stat(object(present.get(0).oid()));
            int before = server.batchSizes().size();
            java.util.concurrent.Future<byte[]> first;
            java.util.concurrent.Future<byte[]> second;
            java.util.concurrent.Future<byte[]> third;
            java.util.concurrent.Future<byte[]> notThere;
            server.holdBatches();
            try {
                first = pool.submit(() -> readAll(a, present.get(0)));
                await(() -> server.heldBatches() == 1, "the first call reached the server");
                second = pool.submit(() -> readAll(b, present.get(1)));
                notThere = pool.submit(() -> readAll(a, missing));
                third = pool.submit(() -> readAll(b, present.get(2)));
                await(() -> BatchCoalescer.shared().waiting() == 3, "three requests wait for the call in flight");
                assertEquals(1, server.heldBatches(), "nothing sent while a call is in flight");
            } finally {
                server.releaseBatches();
            }
            assertArrayEquals(present.get(0).bytes(), first.get());
            assertArrayEquals(present.get(1).bytes(), second.get());
            assertArrayEquals(present.get(2).bytes(), third.get());
            var e = assertThrows(java.util.concurrent.ExecutionException.class, notThere::get);
            assertEquals(StorageException.Kind.NOT_FOUND, ((StorageException) e.getCause()).kind(), e.getMessage());
            assertTrue(e.getCause().getMessage().contains(LfsBackend.shortOid(missing.oid())), e.getCause().getMessage());
            assertEquals(List.of(1, 3), server.batchSizes().subList(before, server.batchSizes().size()),
                    "one call for the first request, one for the three that came while it was in flight");
        }
    }

    @Test
    void requestsWithOtherCredentialsNeverShareACall() throws Exception {
        Content c = onServer(1, 3000).getFirst();
        try (StorageBackend good = backend(new Helper("s3cret"));
             StorageBackend bad = backend(new Helper("wrong", "wrong-again"));
             var pool = java.util.concurrent.Executors.newFixedThreadPool(2)) {
            good.stat(object(c.oid())); // its credentials are known: its calls send them
            java.util.concurrent.Future<byte[]> withCredentials;
            java.util.concurrent.Future<byte[]> without;
            server.holdBatches();
            try {
                withCredentials = pool.submit(() -> readAll(good, c));
                await(() -> server.heldBatches() == 1, "the call with credentials reached the server");
                without = pool.submit(() -> readAll(bad, c)); // another repository's request, on the same server
                // its calls (without credentials, then with the wrong ones) are its own, answered (401) meanwhile
                java.util.concurrent.Future<byte[]> other = without;
                await(other::isDone, "the other repository's request was answered while the call with credentials is held");
                assertEquals(1, server.heldBatches());
            } finally {
                server.releaseBatches();
            }
            assertArrayEquals(c.bytes(), withCredentials.get());
            var e = assertThrows(java.util.concurrent.ExecutionException.class, without::get);
            assertEquals(StorageException.Kind.ACCESS_DENIED, ((StorageException) e.getCause()).kind(), e.getMessage());
        }
    }

    @Test
    void aVerifyLinkThatExpiresDuringTheUploadIsAskedForAgain() throws Exception {
        Content c = content(2000, 4000);
        String basic = "Basic " + java.util.Base64.getEncoder().encodeToString("alice:s3cret".getBytes());
        String expiring = server.endpoint() + "/objects/verify-expiring";
        server.answerNextBatch("{\"objects\":[{\"oid\":\"" + c.oid() + "\",\"size\":2000,\"actions\":{"
                + "\"upload\":{\"href\":\"" + server.endpoint() + "/objects/" + c.oid() + "\",\"header\":{\"Authorization\":\""
                + basic + "\"}},\"verify\":{\"href\":\"" + expiring + "\",\"header\":{\"Authorization\":\"" + basic
                + "\"},\"expires_in\":2}}}]}");
        server.fail("verify-expiring", 500);
        int before = server.batchSizes().size();
        try (StorageBackend b = backend(new Helper("s3cret"))) {
            assertTrue(b.write(object(c.oid()), c.file(), 2000, c.oid(), TransferListener.NONE));
        } finally {
            server.fail("verify-expiring", 0);
        }
        assertTrue(server.has(c.oid()));
        assertTrue(server.requests().stream().noneMatch(r -> r.path().contains("verify-expiring")),
                "the link that expired was not used");
        assertEquals(3, server.batchSizes().size() - before, "401, the upload's call, and the call for a new verify link");
    }

    @Test
    void urlsOfObjectsAreParsedStrictly() throws Exception {
        String oid = "a".repeat(64);
        assertEquals(URI.create("https://h/r.git/info/lfs"),
                LfsBackend.place(URI.create("lfs+https://h/r.git/info/lfs/aa/aa/" + oid)).endpoint());
        assertThrows(StorageException.class, () -> LfsBackend.place(URI.create("lfs+https://h/r/ab/aa/" + oid)));
        assertThrows(StorageException.class, () -> LfsBackend.place(URI.create("lfs+https://h/r/aa/aa/xyz")));
        assertThrows(StorageException.class, () -> LfsBackend.place(URI.create("https://h/r/aa/aa/" + oid)));
    }
}
