package io.lfscloud.core.agent;

import io.lfscloud.core.Log;
import io.lfscloud.core.git.Git;
import io.lfscloud.core.git.GitCredentials;
import io.lfscloud.core.git.LfsEndpoint;
import io.lfscloud.core.git.Repository;
import io.lfscloud.core.lfs.LfsPointer;
import io.lfscloud.core.lfs.Oid;
import io.lfscloud.core.lfs.Operation;
import io.lfscloud.core.meta.InvalidRecordException;
import io.lfscloud.core.meta.MetaLayout;
import io.lfscloud.core.meta.RecordStore;
import io.lfscloud.core.meta.RemoteRecord;
import io.lfscloud.core.policy.UrlPolicy;
import io.lfscloud.core.policy.UrlRefusedException;
import io.lfscloud.core.plugin.BackendRegistry;
import io.lfscloud.core.store.StoreLayout;
import io.lfscloud.core.store.Stores;
import io.lfscloud.core.temp.TempFiles;
import io.lfscloud.core.transfer.ChangeCheck;
import io.lfscloud.core.transfer.VerifyingSink;
import io.lfscloud.spi.ObjectInfo;
import io.lfscloud.spi.RetryPolicy;
import io.lfscloud.spi.StorageBackend;
import io.lfscloud.spi.StorageException;
import io.lfscloud.spi.TransferListener;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Map;
import java.util.HashMap;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * Moves one object at a time between git-lfs's folders and the store that holds it.
 *
 * <p>Nothing is set up before the first request: the repository, its settings and the
 * storage backends are looked up then, so that the agent's init reply stays fast.
 * Transient storage failures are retried here (git-lfs 3.3.0 retries nothing), and a
 * download resumes where the failed attempt stopped.
 */
public final class Transfers implements AutoCloseable {

    /**
     * Downloads in git-lfs's temp folder, {@code lfs-cloud-<oid[0:16]>-<pid>-…@<host>.part}:
     * named after their owner, deleted if the agent exits before handing them over, swept
     * once stale (see {@link TempFiles}; git-lfs also deletes files there untouched for an hour).
     */
    private static final class TempNames {
        static final String PREFIX = "lfs-cloud-";
        static final String SUFFIX = ".part";

        static VerifyingSink create(Path dir, Oid oid, long size) throws IOException {
            TempFiles.sweep(dir, PREFIX, SUFFIX);
            return VerifyingSink.create(dir, PREFIX + oid.hex().substring(0, 16), SUFFIX, size, oid.hex());
        }
    }

    private final Path workingDir;
    private final Function<Repository, BackendRegistry> registrySupplier;
    private RetryPolicy retry; // from the repository's settings on the first request, unless given

    private Repository repository;
    private BackendRegistry registry;
    private Operation operation; // and the remote: what git-lfs's init named (for the repository's Git LFS server)
    private String remote;
    private final Map<Boolean, Optional<LfsEndpoint>> endpoints = new HashMap<>(); // by "for upload"
    private final Map<URI, StorageBackend> lfsServers = new HashMap<>();
    private RecordStore records;
    private Map<String, String> indexBlobs;
    private volatile boolean cancelled;
    private final Set<Thread> running = ConcurrentHashMap.newKeySet();

    public Transfers(Path workingDir) {
        this(workingDir, repo -> BackendRegistry.load(repo.setting("lfs-cloud.pluginPath"), true), null);
    }

    /**
     * @param registrySupplier finds the storage backends, given the repository (for its settings)
     * @param retry            how transient failures are retried; {@code null}: as the repository's
     *                         settings say ({@link RetryPolicy#from}), read on the first request
     */
    public Transfers(Path workingDir, Function<Repository, BackendRegistry> registrySupplier, RetryPolicy retry) {
        this.workingDir = workingDir;
        this.registrySupplier = registrySupplier;
        this.retry = retry;
    }

    // ----------------------------------------------------------------- set-up

    /** What git-lfs's init said: the operation and the remote (a name or a URL) it works with. */
    public synchronized void session(Operation operation, String remote) {
        this.operation = operation;
        this.remote = remote;
    }

    private synchronized Repository repository() throws TransferFailure {
        if (repository == null) {
            try {
                repository = Repository.open(workingDir);
            } catch (IOException e) {
                throw new TransferFailure(ErrorCode.INTERNAL, e.getMessage(), false, e);
            }
        }
        return repository;
    }

    private synchronized BackendRegistry registry() throws TransferFailure {
        if (registry == null) {
            Repository repo = repository();
            long start = System.nanoTime();
            registry = registrySupplier.apply(repo);
            Log.trace("storage backends found in " + (System.nanoTime() - start) / 1_000_000 + " ms: "
                    + registry.providers().size() + " providers, " + registry.broken().size() + " broken");
            for (BackendRegistry.Broken b : registry.broken()) {
                Log.error("storage backend skipped, it failed to load: " + b.origin() + ": " + b.problem());
            }
        }
        return registry;
    }

    private synchronized RetryPolicy retry() throws TransferFailure {
        if (retry == null) {
            try {
                retry = RetryPolicy.from(repository().backendConfig());
            } catch (StorageException e) {
                throw TransferFailure.of(e);
            }
        }
        return retry;
    }

    private synchronized RecordStore records() throws TransferFailure {
        if (records == null) {
            records = new RecordStore(repository().workTree());
        }
        return records;
    }

    /**
     * The record of {@code oid} in the checked-out working tree: the checkout's own word
     * that the object is tracked in place. A record that cannot be used is not a reason to
     * fail other work: it is returned as a problem, and the store is tried instead.
     */
    private WorkTreeRecord workTreeRecord(Oid oid, long size) throws TransferFailure {
        RemoteRecord r;
        try {
            r = records().findInWorkTree(oid).orElse(null);
        } catch (InvalidRecordException e) {
            return new WorkTreeRecord(null, null, e.getMessage());
        } catch (IOException e) {
            return new WorkTreeRecord(null, null, "cannot read the record of " + oid.shortForm() + ": " + describe(e));
        }
        if (r == null) {
            return new WorkTreeRecord(null, null, null);
        }
        if (!checkoutHasPointer(r, oid, size)) {
            // a record whose path holds no pointer to the object in this checkout is only a fallback
            Log.trace(oid.shortForm() + ": no path of its record holds its pointer in this checkout;"
                    + " the record is a fallback after the store");
            return new WorkTreeRecord(null, r, null);
        }
        return new WorkTreeRecord(r, null, null);
    }

    /**
     * What the checkout says of an object: tracked in place at {@code record}; or a record of it
     * that the checkout does not back ({@code fallback}, tried after the store); or a record that
     * is unusable ({@code problem}).
     */
    private record WorkTreeRecord(RemoteRecord record, RemoteRecord fallback, String problem) {
    }

    /**
     * Whether git's index holds, at one of the record's paths, the LFS pointer of {@code oid}:
     * a record counts as the checkout's own word only where the checkout tracks that file.
     * Compared by blob id (the canonical pointer's), so nothing is read but the index entries.
     */
    private boolean checkoutHasPointer(RemoteRecord r, Oid oid, long size) throws TransferFailure {
        Map<String, String> index = indexBlobs();
        byte[] pointer = new LfsPointer(oid, size).bytes();
        for (RemoteRecord.Place p : r.places()) {
            String blob = p.path() == null ? null : index.get(p.path());
            if (blob != null && blob.equals(blobId(pointer, blob.length() == 64 ? "SHA-256" : "SHA-1"))) {
                return true;
            }
        }
        return false;
    }

    /**
     * Path to blob id of every entry of git's index: one {@code git ls-files} per agent, and
     * only when a record is met (git-lfs asks one command's worth of objects of an agent).
     */
    private synchronized Map<String, String> indexBlobs() throws TransferFailure {
        if (indexBlobs == null) {
            Map<String, String> map = new HashMap<>();
            try {
                Git.Result ls = Git.run(repository().workTree(), List.of("ls-files", "-s", "-z"));
                if (ls.ok()) {
                    for (String entry : ls.out().split("\0")) {
                        String[] f = entry.split("[ \t]", 4); // mode SP object SP stage TAB path
                        if (f.length == 4 && f[2].equals("0")) {
                            map.put(f[3], f[1]);
                        }
                    }
                }
            } catch (IOException e) {
                Log.trace("cannot read git's index: " + describe(e));
            }
            indexBlobs = map;
        }
        return indexBlobs;
    }

    /** git's id of a blob holding {@code content}. */
    static String blobId(byte[] content, String algorithm) {
        try {
            MessageDigest md = MessageDigest.getInstance(algorithm);
            md.update(("blob " + content.length + "\0").getBytes(StandardCharsets.US_ASCII));
            return HexFormat.of().formatHex(md.digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A record of {@code oid} found only in history (another branch, a commit not checked
     * out): whoever could push any ref wrote it, so it is tried only after the store.
     */
    private Optional<RemoteRecord> historyRecord(Oid oid) {
        try {
            return records().findInHistory(oid);
        } catch (InvalidRecordException | IOException | TransferFailure e) {
            Log.trace("record of " + oid.shortForm() + " in history not usable: " + e.getMessage());
            return Optional.empty();
        }
    }

    /** The tracked-in-place object's own URL, held to the URL policy. */
    private Location remote(RemoteRecord r) throws TransferFailure {
        Repository repo = repository();
        try {
            UrlPolicy.checkFollow(r.url(), repo.backendConfig());
            return new Location(r.url(), registry().backendFor(r.url(), repo.backendConfig()), r, null);
        } catch (UrlRefusedException e) {
            throw new TransferFailure(ErrorCode.FORBIDDEN, e.getMessage(), false, e);
        } catch (StorageException e) {
            throw TransferFailure.of(e);
        }
    }

    /** Whether a store is configured at all (the repository's Git LFS server counts, when git-lfs finds one). */
    private boolean hasStore() throws TransferFailure {
        return !stores().isEmpty();
    }

    /**
     * The repository's stores, in read order (see {@link Stores}); read again on every call, which
     * is cheap. With none configured, the repository's own Git LFS server when git-lfs finds one.
     */
    public Stores stores() throws TransferFailure {
        Stores configured;
        try {
            configured = repository().stores();
        } catch (StorageException e) {
            throw TransferFailure.of(e);
        }
        return configured.isEmpty() && lfsEndpoint().isPresent()
                ? Stores.only(new Stores.Store(Stores.DEFAULT, LFS_STORE, true, 0)) : configured;
    }

    /**
     * {@code f}, and when the committed {@code .lfs-meta/config} sets keys that are withheld (or
     * cannot be read) and the store failed in a way such a key could explain (unreachable,
     * misconfigured, access denied), a note that says so: the one warning line about it is
     * easily lost above a screen of per-object errors.
     */
    public TransferFailure explain(TransferFailure f) {
        if (!(f.getCause() instanceof StorageException e) || !java.util.Set.of(StorageException.Kind.MISCONFIGURED,
                StorageException.Kind.ACCESS_DENIED, StorageException.Kind.TRANSIENT).contains(e.kind())) {
            return f;
        }
        String note;
        try {
            note = repository().committed().warning();
        } catch (TransferFailure | RuntimeException notKnown) {
            return f;
        }
        return note == null ? f : new TransferFailure(f.code(), f.getMessage() + " (note: " + note + ")", f.retriable(), e);
    }

    private TransferFailure noStore() {
        String name;
        synchronized (this) {
            name = remote;
        }
        return new TransferFailure(ErrorCode.of(StorageException.Kind.MISCONFIGURED),
                "no store configured, and remote " + (name == null ? "origin" : Agent.forTrace(name)) + " has no Git LFS"
                        + " server (http or https): run 'git lfs-cloud install --store <url>' (or 'git config"
                        + " lfs-cloud.store <url>'), or commit lfs-cloud.store in " + Repository.SHARED_CONFIG
                        + committedProblem(), false, null);
    }

    /** Why the committed settings could not be read at all (so a committed store was not seen), or "". */
    private String committedProblem() {
        try {
            String problem = repository().committed().problem();
            return problem == null ? "" : " (note: " + problem + ")";
        } catch (TransferFailure | RuntimeException notKnown) {
            return "";
        }
    }

    /** The object's content-addressed place in {@code store}. */
    private Location store(Stores.Store store, Oid oid) throws TransferFailure {
        Repository repo = repository();
        if (store.url().strip().equals(LFS_STORE)) {
            return lfsServerStore(store, oid);
        }
        try {
            StoreLayout layout = store.layout();
            URI uri = layout.objectUri(oid);
            UrlPolicy.checkStore(uri, repo.backendConfig());
            StorageBackend backend = uri.getScheme().toLowerCase(java.util.Locale.ROOT).startsWith("lfs+")
                    ? lfsServer(layout.root(), null) : registry().backendFor(uri, repo.backendConfig());
            return new Location(uri, backend, null, store);
        } catch (UrlRefusedException e) {
            throw new TransferFailure(ErrorCode.FORBIDDEN, e.getMessage(), false, e);
        } catch (StorageException e) {
            throw TransferFailure.of(e);
        }
    }

    /** The {@code lfs-cloud.store} value that names the repository's own Git LFS server. */
    public static final String LFS_STORE = "lfs";

    /** The object's place on the repository's Git LFS server ({@code store} says {@value #LFS_STORE}), found as git-lfs finds it. */
    private Location lfsServerStore(Stores.Store store, Oid oid) throws TransferFailure {
        Repository repo = repository();
        String name;
        synchronized (this) {
            name = remote;
        }
        Optional<LfsEndpoint> endpoint = lfsEndpoint();
        if (endpoint.isEmpty()) {
            String remoteName = name == null ? "origin" : Agent.forTrace(name);
            throw new TransferFailure(ErrorCode.of(StorageException.Kind.MISCONFIGURED),
                    (store.legacy() ? "lfs-cloud.store" : Stores.key(store.name(), "url")) + " is '" + LFS_STORE
                            + "', but remote " + remoteName + " has no Git LFS server (an http, https or ssh lfs.url,"
                            + " remote.NAME.lfsurl or remote URL)", false, null);
        }
        try {
            UrlPolicy.checkStore(endpoint.get().api(), repo.backendConfig());
            URI root = StoreLayout.parse("lfs+" + endpoint.get().api()).root();
            return new Location(root.resolve(oid.shardedPath()), lfsServer(root, endpoint.get()), null, store);
        } catch (UrlRefusedException e) {
            throw new TransferFailure(ErrorCode.FORBIDDEN, e.getMessage(), false, e);
        } catch (StorageException e) {
            throw TransferFailure.of(e);
        }
    }

    /** The repository's Git LFS server for this session's remote and operation, found once, as git-lfs finds it. */
    private synchronized Optional<LfsEndpoint> lfsEndpoint() throws TransferFailure {
        boolean upload = operation == Operation.UPLOAD;
        Optional<LfsEndpoint> endpoint = endpoints.get(upload);
        if (endpoint == null) {
            try {
                endpoint = LfsEndpoint.find(repository().workTree(), remote, upload);
            } catch (IOException e) {
                throw new TransferFailure(ErrorCode.INTERNAL, e.getMessage(), false, e);
            }
            endpoints.put(upload, endpoint);
        }
        return endpoint;
    }

    /**
     * The backend of one Git LFS server, opened for this agent alone: it is handed git's credentials
     * for this repository, so it is never shared with another (the transfer server's registry is).
     */
    private synchronized StorageBackend lfsServer(URI root, LfsEndpoint endpoint) throws TransferFailure, StorageException {
        StorageBackend open = lfsServers.get(root);
        if (open == null) {
            LfsEndpoint e = endpoint != null ? endpoint
                    : new LfsEndpoint(URI.create(root.toString().substring(4).replaceAll("/+$", "")), null, null);
            open = registry().openUnshared(root, repository().backendConfig(), new GitCredentials(repository().workTree(), e));
            lfsServers.put(root, open);
        }
        return open;
    }

    /** An object's place; {@code record} is set for objects tracked in place, {@code store} for objects in a store. */
    private record Location(URI uri, StorageBackend backend, RemoteRecord record, Stores.Store store) {
        String describe() {
            return record == null ? uri.toString() : uri + (record.path() == null ? "" : " (tracked at " + record.path() + ")");
        }
    }

    // --------------------------------------------------------------- download

    /**
     * Downloads {@code oid} into a new file under git-lfs's temp folder, checking size
     * and SHA-256 while the bytes stream in. The file is handed over to git-lfs; on
     * failure it is deleted.
     */
    public Path download(Oid oid, long size, TransferListener progress) throws TransferFailure {
        Thread me = enter();
        try {
            return downloadNow(oid, size, cancellable(progress));
        } catch (CancellationException e) {
            throw cancelledFailure();
        } finally {
            leave(me);
        }
    }

    private Path downloadNow(Oid oid, long size, TransferListener progress) throws TransferFailure {
        if (size < 0) {
            throw TransferFailure.badRequest("invalid size " + size);
        }
        WorkTreeRecord tracked = workTreeRecord(oid, size);
        Path tmpDir = repository().lfsTmpDir();
        VerifyingSink tmp;
        try {
            Files.createDirectories(tmpDir);
            tmp = TempNames.create(tmpDir, oid, size);
        } catch (IOException e) {
            throw new TransferFailure(ErrorCode.INTERNAL, "cannot create a temp file in " + tmpDir + ": " + describe(e), false, e);
        }
        try (VerifyingSink sink = tmp) { // deleted unless handed over
            if (tracked.record() != null) {
                fetchFrom(remote(tracked.record()), oid, size, sink, progress);
            } else {
                fetchFromStoreOrHistory(oid, size, sink, progress, tracked);
            }
            Path file = sink.handOver(); // git-lfs's now
            progress.transferred(0); // an empty object's only report
            return file;
        } catch (IOException e) { // verified already: only the file's close can fail here
            throw new TransferFailure(ErrorCode.INSUFFICIENT_STORAGE, "cannot write " + tmp.file() + ": " + describe(e), false, e);
        }
    }

    /**
     * An object the checkout does not track in place comes from the store; a record of it
     * found only in history is the fallback when the store cannot give it (no store, not
     * there, failing, corrupt), so a record on some other branch never overrides the store.
     *
     * @param tracked the checkout's record, which is not its own word here: unusable, or only a fallback
     */
    private void fetchFromStoreOrHistory(Oid oid, long size, VerifyingSink tmp, TransferListener progress,
                                         WorkTreeRecord tracked)
            throws TransferFailure {
        String recordProblem = tracked.problem();
        if (recordProblem != null) {
            Log.warn("unusable .lfs-meta record, trying the store: " + recordProblem);
        }
        try {
            if (!hasStore()) {
                Optional<RemoteRecord> r = recordProblem == null ? fallbackRecord(oid, tracked) : Optional.empty();
                if (r.isPresent()) {
                    fetchFrom(remote(r.get()), oid, size, tmp, progress);
                    return;
                }
            }
            fetchFromStores(stores().readOrder(), oid, size, tmp, progress);
        } catch (TransferFailure fromStore) {
            if (recordProblem != null) {
                throw new TransferFailure(ErrorCode.INTERNAL, "unusable .lfs-meta record: " + recordProblem, false, fromStore);
            }
            Optional<RemoteRecord> r = hasStore() ? fallbackRecord(oid, tracked) : Optional.empty();
            if (r.isEmpty()) {
                throw fromStore;
            }
            Log.trace(oid.shortForm() + " not from the store (" + fromStore.getMessage() + "); trying its record at "
                    + r.get().url());
            try {
                fetchFrom(remote(r.get()), oid, size, tmp, progress);
            } catch (TransferFailure fromRecord) {
                fromRecord.addSuppressed(fromStore);
                if (fromStore.code() == ErrorCode.of(StorageException.Kind.NOT_FOUND)) {
                    // the store never had it (an object tracked in place): the record's failure is the cause
                    throw new TransferFailure(fromRecord.code(), fromRecord.getMessage() + " (from its .lfs-meta record,"
                            + " found outside this checkout's files; no store has a copy)", fromRecord.retriable(), fromRecord);
                }
                throw new TransferFailure(fromStore.code(), fromStore.getMessage() + "; its record, found outside this"
                        + " checkout's files, did not help either: " + fromRecord.getMessage(),
                        fromStore.retriable() && fromRecord.retriable(), fromRecord);
            }
        }
    }

    /**
     * The object from the first of {@code stores} that gives it intact, in their order: a store
     * without it (traced), failing after the retries, refused or holding a corrupt copy (a
     * warning naming the store) leaves it to the next. With one store, its failure is the answer.
     */
    private void fetchFromStores(List<Stores.Store> stores, Oid oid, long size, VerifyingSink tmp,
                                 TransferListener progress) throws TransferFailure {
        if (stores.isEmpty()) {
            throw noStore();
        }
        List<String> failures = new ArrayList<>();
        TransferFailure worst = null;
        for (int i = 0; i < stores.size(); i++) {
            Stores.Store s = stores.get(i);
            try {
                fetchFrom(store(s, oid), oid, size, tmp, progress);
                return;
            } catch (TransferFailure f) {
                if (stores.size() == 1 || f.code() == ErrorCode.INSUFFICIENT_STORAGE) {
                    throw f; // the one store's own answer; or this clone's disk, which no other store mends
                }
                failures.add(s.label() + ": " + f.getMessage());
                if (worst == null || worst.code() == ErrorCode.NOT_FOUND) {
                    worst = f;
                }
                String line = oid.shortForm() + " not from " + s.label() + ": " + f.getMessage()
                        + (i + 1 < stores.size() ? "; trying " + stores.get(i + 1).label() : "");
                if (f.code() == ErrorCode.NOT_FOUND) {
                    Log.trace(line);
                } else {
                    Log.warn(line);
                }
            }
        }
        throw new TransferFailure(worst.code(), "no store gave " + oid + ": " + String.join("; ", failures),
                worst.retriable(), worst);
    }

    /** The record to try after the store: the checkout's unbacked one, else one from history. */
    private Optional<RemoteRecord> fallbackRecord(Oid oid, WorkTreeRecord tracked) {
        return tracked.fallback() != null ? Optional.of(tracked.fallback()) : historyRecord(oid);
    }

    private void fetchFrom(Location loc, Oid oid, long size, VerifyingSink tmp, TransferListener progress)
            throws TransferFailure {
        if (loc.record() != null) {
            checkUnchanged(oid, size, loc);
        }
        fetchVerified(oid, size, loc, tmp, progress);
    }

    private void fetchVerified(Oid oid, long size, Location loc, VerifyingSink sink, TransferListener progress)
            throws TransferFailure {
        RemoteRecord r = loc.record();
        ObjectInfo expected = r == null ? ObjectInfo.of(loc.uri(), size) : r.tracked();
        try {
            sink.restart(); // a fallback source writes over what a failed one left
            for (int attempt = 1; ; attempt++) {
                try (InputStream in = open(loc, sink.count(), expected)) {
                    sink.transferFrom(in, progress);
                    break;
                } catch (StorageException e) {
                    if (!retry().again(e, attempt)) {
                        throw TransferFailure.of(e);
                    }
                    retryPause(oid, attempt, e);
                } catch (VerifyingSink.Mismatch | VerifyingSink.WriteFailure e) {
                    throw e;
                } catch (IOException e) {
                    // a failed read from the store: a dropped connection or similar
                    if (attempt >= retry().attempts()) {
                        throw new TransferFailure(ErrorCode.UNAVAILABLE, "reading " + loc.uri() + " failed: " + describe(e), true, e);
                    }
                    retryPause(oid, attempt, e);
                }
            }
            sink.verify();
        } catch (VerifyingSink.Mismatch e) {
            throw corrupt(oid, loc, switch (e.what()) {
                case TOO_LARGE -> "it is larger than the " + size + " bytes its pointer says";
                case SIZE -> "it has " + e.actualSize() + " bytes, its pointer says " + size;
                case CONTENT -> "its content hashes to " + e.actualSha256();
            });
        } catch (IOException e) {
            Throwable cause = e instanceof VerifyingSink.WriteFailure && e.getCause() != null ? e.getCause() : e;
            throw new TransferFailure(ErrorCode.INSUFFICIENT_STORAGE, "cannot write " + sink.file() + ": " + describe(cause), false, e);
        }
    }

    /** The object from {@code offset} on (the sink reads large ones ahead while it hashes and writes). */
    private static InputStream open(Location loc, long offset, ObjectInfo expected) throws StorageException {
        return loc.backend().read(loc.uri(), offset, expected);
    }

    private static TransferFailure corrupt(Oid oid, Location loc, String what) {
        if (loc.record() != null) {
            return new TransferFailure(ErrorCode.CHANGED, "remote object " + loc.describe()
                    + " no longer has the content tracked as " + oid + ": " + what
                    + "; run 'git lfs-cloud verify' and track it again", false, null);
        }
        return new TransferFailure(ErrorCode.CORRUPT, "object " + oid + " in "
                + (loc.store() == null ? "the store" : loc.store().label()) + " is corrupt: " + what + " (" + loc.uri() + ")",
                false, null);
    }

    /**
     * A remote-tracked object must still be what was tracked, by the one rule of
     * {@link ChangeCheck} (a pinned version is read as it is; the store is not asked).
     */
    private void checkUnchanged(Oid oid, long size, Location loc) throws TransferFailure {
        RemoteRecord r = loc.record();
        if (r.size() != size) {
            throw new TransferFailure(ErrorCode.INTERNAL, "unusable .lfs-meta record " + MetaLayout.sha256Path(oid) + ": it says "
                    + r.size() + " bytes, the pointer says " + size, false, null);
        }
        if (!ChangeCheck.asksStore(r.tracked())) {
            return;
        }
        ObjectInfo now;
        try {
            now = statWithRetries(oid, loc);
        } catch (StorageException e) {
            if (e.kind() == StorageException.Kind.NOT_FOUND) {
                throw new TransferFailure(ErrorCode.NOT_FOUND, "remote object " + loc.describe() + " is gone: " + e.getMessage(), false, e);
            }
            throw TransferFailure.of(e);
        }
        ChangeCheck.Result check = ChangeCheck.compare(r.tracked(), now);
        switch (check.verdict()) {
            case CHANGED -> throw new TransferFailure(ErrorCode.CHANGED, "remote object "
                    + loc.describe() + " changed since it was tracked: " + check.detail()
                    + " (run 'git lfs-cloud verify'; track it again to accept the new content)", false, null);
            case UNCHECKED -> Log.trace(oid.shortForm() + ": " + check.detail() + "; its SHA-256 is checked as it arrives");
            case UNCHANGED -> { }
        }
    }

    private ObjectInfo statWithRetries(Oid oid, Location loc) throws StorageException, TransferFailure {
        for (int attempt = 1; ; attempt++) {
            try {
                return loc.backend().stat(loc.uri());
            } catch (StorageException e) {
                if (!retry().again(e, attempt)) {
                    throw e;
                }
                retryPause(oid, attempt, e);
            }
        }
    }

    // ----------------------------------------------------------------- upload

    /** Uploads the file at {@code path}, which git-lfs says holds object {@code oid}. */
    public void upload(Oid oid, long size, String path, TransferListener progress) throws TransferFailure {
        Thread me = enter();
        try {
            uploadNow(oid, size, path, cancellable(progress));
        } catch (CancellationException e) {
            throw cancelledFailure();
        } finally {
            leave(me);
        }
    }

    private void uploadNow(Oid oid, long size, String path, TransferListener progress) throws TransferFailure {
        if (path == null || path.isEmpty()) {
            throw TransferFailure.badRequest("upload of " + oid + " has no path");
        }
        if (size < 0) {
            throw TransferFailure.badRequest("invalid size " + size);
        }
        Path source = workingDir.resolve(path);
        long actual;
        try {
            actual = Files.size(source);
        } catch (NoSuchFileException e) {
            throw TransferFailure.badRequest("upload source " + source + " does not exist");
        } catch (IOException e) {
            throw TransferFailure.badRequest("cannot read upload source " + source + ": " + describe(e));
        }
        if (actual != size) {
            throw TransferFailure.badRequest("upload source " + source + " has " + actual + " bytes, git-lfs says " + size);
        }
        // Only the checkout's own records say an object lives elsewhere: a record on some other
        // branch must never make a push skip the store (the object would be lost).
        WorkTreeRecord tracked = workTreeRecord(oid, size);
        if (tracked.record() != null) {
            // tracked in place: its bytes already live at its URL, the store gets no copy
            Log.trace(oid.shortForm() + " is tracked in place at " + tracked.record().url() + ", not copied");
            progress.transferred(size);
            return;
        }
        if (tracked.problem() != null) {
            Log.warn("unusable .lfs-meta record, the object goes to the store: " + tracked.problem());
        }
        Stores stores = stores();
        if (stores.isEmpty()) {
            throw noStore();
        }
        int needed;
        try {
            needed = stores.copies();
        } catch (StorageException e) {
            throw TransferFailure.of(e);
        }
        List<Stores.Store> targets = stores.writable();
        CappedProgress capped = new CappedProgress(progress, size);
        List<String> failures = new ArrayList<>();
        TransferFailure first = null;
        int stored = 0;
        for (Stores.Store s : targets) {
            try {
                write(s, oid, size, source, capped);
                stored++;
            } catch (TransferFailure f) {
                if (targets.size() == 1) {
                    throw f; // the one store's own answer
                }
                failures.add(s.label() + ": " + f.getMessage());
                first = first == null ? f : first;
                Log.warn(oid.shortForm() + " not stored in " + s.label() + ": " + f.getMessage());
            }
        }
        if (stored < needed) {
            throw new TransferFailure(first.code(), oid + " is in " + stored + " of " + targets.size()
                    + " stores, " + needed + " needed" + (stores.copiesSetting().isPresent() ? " (lfs-cloud.copies)" : "")
                    + ": " + String.join("; ", failures), first.retriable(), first);
        }
        capped.transferred(size - capped.reported()); // what the backends did not report
    }

    /**
     * Stores the file {@code source} as object {@code oid} in {@code store}, retrying transient
     * failures (the store may verify the content; the folder store does).
     *
     * @return whether bytes were sent ({@code false}: the store held the object already)
     */
    public boolean write(Stores.Store store, Oid oid, long size, Path source, TransferListener progress)
            throws TransferFailure {
        Location loc = store(store, oid);
        for (int attempt = 1; ; attempt++) {
            try {
                boolean wrote = loc.backend().write(loc.uri(), source, size, oid.hex(), progress);
                if (!wrote) {
                    Log.trace(oid.shortForm() + " already in " + store.label() + ", not copied");
                }
                return wrote;
            } catch (StorageException e) {
                if (!retry().again(e, attempt)) {
                    throw TransferFailure.of(e);
                }
                retryPause(oid, attempt, e);
            }
        }
    }

    /** Tells of at most {@code size} bytes in all (several stores receive the same bytes; backends may report from several threads). */
    private static final class CappedProgress implements TransferListener {
        private final TransferListener to;
        private final long size;
        private final AtomicLong reported = new AtomicLong();

        CappedProgress(TransferListener to, long size) {
            this.to = to;
            this.size = size;
        }

        @Override
        public void transferred(long bytes) {
            long before = reported.getAndUpdate(r -> Math.min(size, r + Math.max(0, bytes)));
            to.transferred(Math.min(size, before + Math.max(0, bytes)) - before);
        }

        long reported() {
            return reported.get();
        }
    }

    // ---------------------------------------------------------- single stores

    /** Metadata of object {@code oid} in {@code store}, retrying transient failures. */
    public ObjectInfo stat(Stores.Store store, Oid oid) throws TransferFailure {
        Location loc = store(store, oid);
        try {
            return statWithRetries(oid, loc);
        } catch (StorageException e) {
            throw TransferFailure.of(e);
        }
    }

    /**
     * Reads object {@code oid} from {@code store} through a hasher, keeping nothing.
     *
     * @throws TransferFailure {@code CORRUPT} when it is not the object its oid names
     */
    public void checkContent(Stores.Store store, Oid oid, long size) throws TransferFailure {
        try (VerifyingSink sink = VerifyingSink.discarding(size, oid.hex())) {
            fetchVerified(oid, size, store(store, oid), sink, TransferListener.NONE);
        }
    }

    /**
     * Downloads {@code oid} from the first of {@code sources} that gives it intact (as a download
     * does), into a verified file under git-lfs's temp folder that is the caller's to delete.
     */
    public Path fetch(List<Stores.Store> sources, Oid oid, long size, TransferListener progress) throws TransferFailure {
        Path tmpDir = repository().lfsTmpDir();
        VerifyingSink tmp;
        try {
            Files.createDirectories(tmpDir);
            tmp = TempNames.create(tmpDir, oid, size);
        } catch (IOException e) {
            throw new TransferFailure(ErrorCode.INTERNAL, "cannot create a temp file in " + tmpDir + ": " + describe(e), false, e);
        }
        try (VerifyingSink sink = tmp) {
            fetchFromStores(sources, oid, size, sink, progress);
            return sink.handOver();
        } catch (IOException e) {
            throw new TransferFailure(ErrorCode.INSUFFICIENT_STORAGE, "cannot write " + tmp.file() + ": " + describe(e), false, e);
        }
    }

    // ------------------------------------------------------------------ misc

    private void retryPause(Oid oid, int attempt, Exception e) throws TransferFailure {
        if (cancelled) {
            throw cancelledFailure();
        }
        RetryPolicy policy = retry();
        Log.trace("retrying " + oid.shortForm() + " in " + policy.pauseMillis(attempt) + " ms after: " + describe(e));
        try {
            policy.pause(attempt);
        } catch (StorageException interrupted) {
            throw new TransferFailure(ErrorCode.INTERNAL, "interrupted", false, interrupted);
        }
    }

    static String describe(Throwable e) {
        String m = e.getMessage();
        if (e instanceof NoSuchFileException) {
            return "no such file: " + m;
        }
        return m == null ? e.getClass().getSimpleName() : m;
    }

    // ----------------------------------------------------------- cancellation

    /**
     * Ends the downloads and uploads in flight and refuses new ones, for a transfer server whose
     * relay is gone (git-lfs killed or interrupted): each stops at its next buffer or retry and
     * deletes its temp file, as an interrupted agent's exit would. {@link #interruptRunning}
     * also wakes the transfers blocked where no bytes move.
     */
    public void cancel() {
        cancelled = true;
    }

    /** Interrupts the threads inside a download or upload (after {@link #cancel}). */
    public void interruptRunning() {
        running.forEach(Thread::interrupt);
    }

    /** Whether a download or upload is in flight. */
    public boolean busy() {
        return !running.isEmpty();
    }

    private Thread enter() throws TransferFailure {
        Thread me = Thread.currentThread();
        running.add(me);
        if (cancelled) {
            running.remove(me);
            throw cancelledFailure();
        }
        return me;
    }

    private void leave(Thread me) {
        running.remove(me);
        if (cancelled) {
            Thread.interrupted(); // an interrupt meant for this transfer, not for what the thread does next
        }
    }

    private TransferListener cancellable(TransferListener to) {
        return bytes -> {
            if (cancelled) {
                throw new CancellationException();
            }
            to.transferred(bytes);
        };
    }

    private static TransferFailure cancelledFailure() {
        return new TransferFailure(ErrorCode.INTERNAL, "cancelled: git-lfs is gone", false, null);
    }

    @Override
    public synchronized void close() {
        lfsServers.values().forEach(StorageBackend::close);
        lfsServers.clear();
        if (registry != null) {
            registry.close();
        }
    }
}
