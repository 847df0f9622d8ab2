package io.lfscloud.core.cli;

import io.lfscloud.core.Printable;
import io.lfscloud.core.git.Repository;
import io.lfscloud.core.lfs.Oid;
import io.lfscloud.core.meta.MetaFiles;
import io.lfscloud.core.meta.RemoteCheck;
import io.lfscloud.core.meta.RemoteRecord;
import io.lfscloud.core.meta.TrackException;
import io.lfscloud.core.meta.Tracker;
import io.lfscloud.core.plugin.BackendRegistry;
import io.lfscloud.spi.TransferListener;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.BiFunction;

/** The remote-tracking commands: track-remote, resolve, verify, status. */
final class RemoteCommands {

    private RemoteCommands() {
    }

    static Repository repository() {
        try {
            return Repository.open(Path.of("").toAbsolutePath());
        } catch (IOException e) {
            throw new CliException(e.getMessage());
        }
    }

    static BackendRegistry registry(Repository repo) {
        return BackendRegistry.load(repo.setting("lfs-cloud.pluginPath"));
    }

    /** Hashing progress on stderr, only when it is a terminal: a line per object, redrawn every 8 MB. */
    static BiFunction<String, Long, TransferListener> terminalProgress() {
        if (System.console() == null) {
            return (path, total) -> TransferListener.NONE;
        }
        return (path, total) -> new TransferListener() {
            private long done;
            private long lastShown;

            @Override
            public synchronized void transferred(long bytes) {
                done += bytes;
                if (done - lastShown < (8 << 20) && done < total) {
                    return;
                }
                lastShown = done;
                int pct = total == 0 ? 100 : (int) (done * 100 / total);
                System.err.printf("\rhashing %s: %d%% (%d of %d MB)%s", Printable.escape(path), pct, done >> 20,
                        total >> 20, done >= total ? "\n" : "");
                System.err.flush();
            }
        };
    }

    @Command(name = "track-remote", mixinStandardHelpOptions = true,
            description = {"Track a file that already lives in a store, in place: write a real LFS pointer at PATH and"
                    + " its .lfs-meta records; nothing is uploaded.",
                    "The SHA-256 comes the cheapest way available: --sha256; an earlier ETag or MD5 mapping; the store;"
                            + " or streaming the object once through a hasher (no copy kept unless --fetch)."})
    static final class Track implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "PATH", description = "Where the file appears in the working tree.")
        String path;

        @Option(names = "--url", required = true, paramLabel = "URL",
                description = "The object: https://…, s3://bucket/key, file:///… (file needs lfs-cloud.allowFileUrls), or a URL"
                        + " of any scheme an installed plugin serves ('git lfs-cloud backends' lists them).")
        String url;

        @Option(names = "--etag", description = "Expected ETag; refused if the store reports another.")
        String etag;

        @Option(names = "--md5", description = "Expected MD5 (hex); refused if the content has another.")
        String md5;

        @Option(names = "--size", description = "Expected size in bytes; refused if the store reports another.")
        Long size;

        @Option(names = "--sha256", description = "The content's SHA-256, if known: then nothing is read.")
        String sha256;

        @Option(names = "--defer", description = "Only record a pending, ETag-keyed entry now; 'resolve' finishes it.")
        boolean defer;

        @Option(names = "--fetch", description = "Keep the bytes: in .git/lfs/objects and the working tree (read once).")
        boolean fetch;

        @Option(names = "--force", description = "Replace a file already at PATH (a pointer already there is replaced"
                + " without it). Tracking a path again takes it out of the old content's record.")
        boolean force;

        @Option(names = {"-r", "--recursive"},
                description = "PATH is a folder and --url a prefix: track every object under the prefix (backends that can list).")
        boolean recursive;

        @Option(names = "--jobs", paramLabel = "N", defaultValue = "4",
                description = "With --recursive: objects hashed at once (default ${DEFAULT-VALUE}).")
        int jobs;

        @Mixin
        Cli.Verbosity verbosity;

        private int recursive(Repository repo, URI prefix) {
            try (BackendRegistry registry = registry(repo)) {
                List<String> problems = new ArrayList<>();
                List<Tracker.Tracked> done = new Tracker(repo, registry, (p, t) -> TransferListener.NONE)
                        .trackRecursive(path, prefix, fetch, force, jobs, problems);
                if (done.isEmpty() && problems.isEmpty()) {
                    throw new CliException("no objects under " + prefix);
                }
                return printAll(done, problems);
            } catch (TrackException e) {
                throw new CliException(e.getMessage());
            }
        }

        @Override
        public Integer call() {
            if (defer && (fetch || sha256 != null)) {
                throw new CliException("--defer cannot be combined with --fetch or --sha256", Cli.USAGE, null);
            }
            if (recursive && (defer || sha256 != null || etag != null || md5 != null || size != null)) {
                throw new CliException("--recursive takes no --defer, --sha256, --etag, --md5 or --size", Cli.USAGE, null);
            }
            URI uri;
            try {
                // a local file or folder may be given as a plain absolute path, as --store takes one
                uri = url.strip().startsWith("/") ? java.nio.file.Path.of(url.strip()).toUri() : new URI(url.strip());
                if (uri.getScheme() == null) {
                    throw new URISyntaxException(url, "no scheme (https://, s3://, file://…)");
                }
            } catch (URISyntaxException e) {
                throw new CliException("--url is not a URL: " + e.getMessage()
                        + (url.chars().anyMatch(Character::isWhitespace) ? " (write a space as %20)" : ""), Cli.USAGE, e);
            }
            Repository repo = repository();
            if (recursive) {
                return recursive(repo, uri);
            }
            try (BackendRegistry registry = registry(repo)) {
                Tracker.Tracked t = new Tracker(repo, registry, terminalProgress())
                        .track(path, uri, new Tracker.Claims(size, etag, md5, givenSha256()), new Tracker.Options(defer, fetch, force));
                if (t.how().equals("pending")) {
                    out("pending  " + t.path() + "  " + t.record().url() + "  (ETag \"" + t.record().etag()
                            + "\"; run 'git lfs-cloud resolve' to finish)");
                } else {
                    out("tracked  " + t.path() + "  " + t.record().url() + "  sha256:" + t.record().sha256()
                            + "  " + t.record().size() + " bytes  (" + t.how() + ")");
                    if (!t.local()) {
                        System.err.println(MISSING_NOTE.formatted("the object stays at its URL")
                                + " (lfs.allowincompletepush is set so that git-lfs lets such commits be pushed)");
                    }
                    warnIfUncheckable(t);
                }
                err("commit " + t.path() + ", .gitattributes and .lfs-meta/ to share it");
                return 0;
            } catch (TrackException e) {
                throw new CliException(e.getMessage());
            }
        }

        /** {@code --sha256}, parsed (any case), or {@code null} when not given. */
        private Oid givenSha256() {
            if (sha256 == null) {
                return null;
            }
            String lower = sha256.toLowerCase(Locale.ROOT);
            if (!Oid.isValid(lower)) {
                throw new CliException("--sha256 must be 64 hex digits: " + Printable.escape(sha256));
            }
            return Oid.parse(lower);
        }
    }

    /**
     * One line on stdout. Paths, URLs, ETags and messages come from records and servers: every
     * line is escaped ({@link Printable}) so that none can steer the terminal.
     */
    static void out(String line) {
        System.out.println(Printable.escape(line));
    }

    /** One line on stderr, escaped as {@link #out} does. */
    static void err(String line) {
        System.err.println(Printable.escape(line));
    }

    /**
     * Warns when the store gave nothing that shows a change of content at the same size (no ETag,
     * version or Last-Modified): {@code verify} can then only re-hash it.
     */
    static void warnIfUncheckable(Tracker.Tracked t) {
        RemoteRecord r = t.record();
        if (r.etag() == null && r.versionId() == null && r.lastModified() == null) {
            err("warning: " + r.url() + " gives no ETag, version or Last-Modified: 'git lfs-cloud verify' cannot see"
                    + " if its content changes at the same size ('git lfs-cloud verify --deep' re-hashes it)");
        }
    }

    private static int printAll(List<Tracker.Tracked> done, List<String> problems) {
        int remoteOnly = 0;
        for (Tracker.Tracked t : done) {
            out("tracked  " + t.path() + "  " + t.record().url() + "  sha256:" + t.record().sha256()
                    + "  (" + t.how() + ")");
            warnIfUncheckable(t);
            remoteOnly += t.local() ? 0 : 1;
        }
        if (remoteOnly > 0) {
            System.err.println(MISSING_NOTE.formatted(remoteOnly + " object(s) stay at their URL"));
        }
        for (String p : problems) {
            err("git-lfs-cloud: error: " + p);
        }
        System.err.println(done.size() + " tracked, " + problems.size() + " failed");
        return problems.isEmpty() ? 0 : Cli.FAILURE;
    }

    @Command(name = "resolve", mixinStandardHelpOptions = true,
            description = "Finish pending entries made with 'track-remote --defer': hash each object once, write its pointer and records.")
    static final class Resolve implements Callable<Integer> {
        @Parameters(arity = "0..*", paramLabel = "PATH", description = "Only these paths (default: every pending entry).")
        List<String> paths = new ArrayList<>();

        @Mixin
        Cli.Verbosity verbosity;

        @Override
        public Integer call() {
            Repository repo = repository();
            try (BackendRegistry registry = registry(repo)) {
                List<String> problems = new ArrayList<>();
                List<Tracker.Tracked> done = new Tracker(repo, registry, terminalProgress()).resolve(paths, problems);
                for (Tracker.Tracked t : done) {
                    out("resolved " + t.path() + "  sha256:" + t.record().sha256());
                }
                for (String p : problems) {
                    err("git-lfs-cloud: error: " + p);
                }
                if (done.isEmpty() && problems.isEmpty()) {
                    System.out.println("nothing pending");
                }
                return problems.isEmpty() ? 0 : Cli.FAILURE;
            } catch (TrackException e) {
                throw new CliException(e.getMessage());
            }
        }
    }

    /** Records and pending entries of the working tree, checked: with metadata requests, or reading each object when deep. */
    static List<RemoteCheck.Result> checkAll(Repository repo, BackendRegistry registry, List<String> problems,
                                             boolean deep) {
        MetaFiles files = new MetaFiles(repo.workTree());
        List<RemoteRecord> all = new ArrayList<>();
        try {
            all.addAll(files.records(problems));
            all.addAll(files.pending(problems));
        } catch (IOException e) {
            throw new CliException("cannot read .lfs-meta: " + e.getMessage());
        }
        List<RemoteCheck.Result> results = new ArrayList<>(RemoteCheck.check(all, registry, repo.backendConfig(), deep));
        // in path order, as git lists files (records are read in oid order)
        results.sort(java.util.Comparator.comparing((RemoteCheck.Result r) -> r.record().path(),
                        java.util.Comparator.nullsLast(java.util.Comparator.<String>naturalOrder()))
                .thenComparing(r -> r.record().url().toString()));
        return results;
    }

    /** Whether git-lfs has {@code oid} in this clone. */
    static boolean isLocal(Repository repo, Oid oid) {
        return oid != null && Files.isRegularFile(repo.lfsDir().resolve("objects").resolve(oid.shardedPath()));
    }

    /** A word or path as one shell word: single-quoted when it holds anything but safe characters. */
    static String shellWord(String s) {
        return s.matches("[A-Za-z0-9_./:@%+=,-]+") ? s : "'" + s.replace("'", "'\\''") + "'";
    }

    /** The command that fixes a place in {@code state}, or {@code null} when nothing needs fixing. */
    static String hint(RemoteCheck.State state, RemoteRecord r) {
        String path = r.path() == null ? "PATH" : shellWord(r.path());
        return switch (state) {
            case OK, PENDING -> null;
            case CHANGED -> "if the new content is right, track it again: git lfs-cloud track-remote --force " + path
                    + " --url " + shellWord(r.url().toString()) + " (else restore the old object at its URL)";
            case MISSING -> "track it where it lives now: git lfs-cloud track-remote --force " + path
                    + " --url NEW-URL (or restore it at its URL, or git rm " + path + ")";
            case UNREACHABLE -> "check the store, network and credentials: git lfs-cloud doctor";
            case REFUSED -> "track it at a URL the policy allows: git lfs-cloud track-remote --force " + path
                    + " --url NEW-URL (or allow it in your own git config: see Safety in the README)";
            case UNCHECKED -> "re-hash it: git lfs-cloud verify --deep";
        };
    }

    /** The fix for a record that cannot be read. */
    static final String CORRUPT_HINT = "restore it: git checkout HEAD -- .lfs-meta (if HEAD has it intact),"
            + " or remove it and track the file again: git lfs-cloud track-remote --force PATH --url URL";

    static JsonOutput.Place jsonPlace(Repository repo, RemoteCheck.Result r) {
        RemoteRecord rec = r.record();
        return new JsonOutput.Place(rec.path(), rec.url().toString(), rec.sha256() == null ? null : rec.sha256().hex(), rec.size(),
                r.state().name().toLowerCase(Locale.ROOT), isLocal(repo, rec.sha256()), r.detail(), hint(r.state(), rec));
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = {"Check every place of every remote-tracked object: with metadata requests only (no download),"
                    + " or with --deep by reading each object once through a hasher (no copy kept).",
                    "Lists changed, missing, unreachable, refused and corrupt ones with path, URL, what differs and the"
                            + " command that fixes it; exits 1 if any. Places whose store gives nothing to compare (no"
                            + " ETag, version or Last-Modified) are listed as unchecked, with the reason."})
    static final class Verify implements Callable<Integer> {
        @Option(names = "--deep", description = "Re-hash every object (streams each once, keeps no copy).")
        boolean deep;

        @Option(names = "--json", description = "Print one JSON document (see 'Output for scripts' in the README).")
        boolean json;

        @Mixin
        Cli.Verbosity verbosity;

        @Override
        public Integer call() {
            Repository repo = repository();
            try (BackendRegistry registry = registry(repo)) {
                List<String> problems = new ArrayList<>();
                List<RemoteCheck.Result> results = checkAll(repo, registry, problems, deep);
                int ok = 0;
                int pending = 0;
                int bad = 0;
                int unchecked = 0;
                List<JsonOutput.Place> places = new ArrayList<>();
                for (RemoteCheck.Result r : results) {
                    places.add(jsonPlace(repo, r));
                    switch (r.state()) {
                        case OK -> ok++;
                        case PENDING -> pending++;
                        case UNCHECKED -> unchecked++;
                        default -> bad++;
                    }
                    if (!json && r.state() != RemoteCheck.State.OK && r.state() != RemoteCheck.State.PENDING) {
                        out(r.state().name().toLowerCase(Locale.ROOT) + "  " + r.record().path() + "  "
                                + r.record().url() + "  " + r.detail());
                        out("  fix: " + hint(r.state(), r.record()));
                    }
                }
                List<JsonOutput.Corrupt> corrupt = new ArrayList<>();
                for (String p : problems) {
                    bad++;
                    corrupt.add(new JsonOutput.Corrupt(p, CORRUPT_HINT));
                    if (!json) {
                        out("corrupt  " + p);
                        out("  fix: " + CORRUPT_HINT);
                    }
                }
                if (json) {
                    JsonOutput.print(new JsonOutput.Verify(deep, places, corrupt,
                            new JsonOutput.Summary(results.size(), ok, pending, bad, unchecked)));
                } else {
                    System.err.println(summary(results.size(), ok, pending, bad, unchecked, deep));
                }
                return bad == 0 ? 0 : Cli.FAILURE;
            }
        }

        /** The last line: what was checked and how; never "no problems" about places that could not be checked. */
        static String summary(int places, int ok, int pending, int bad, int unchecked, boolean deep) {
            StringBuilder sb = new StringBuilder().append(places).append(" tracked place(s)")
                    .append(deep ? " re-hashed: " : " checked with metadata requests: ").append(ok).append(" ok");
            if (pending > 0) {
                sb.append(", ").append(pending).append(" pending");
            }
            sb.append(", ").append(bad).append(" problem(s)");
            if (unchecked > 0) {
                sb.append(", ").append(unchecked).append(" unchecked (their store gives nothing to compare:"
                        + " 'git lfs-cloud verify --deep' re-hashes them)");
            }
            return sb.toString();
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = {"List every place of every remote-tracked file and its state: resolved, pending, changed,"
                    + " missing, unreachable, refused, unchecked; corrupt records too.",
                    "'not local' marks objects that are not in this clone (they stay at their URL): 'git push' lists"
                            + " those as \"(missing)\", which is expected."})
    static final class Status implements Callable<Integer> {
        @Option(names = "--json", description = "Print one JSON document (see 'Output for scripts' in the README).")
        boolean json;

        @Mixin
        Cli.Verbosity verbosity;

        @Override
        public Integer call() {
            Repository repo = repository();
            try (BackendRegistry registry = registry(repo)) {
                List<String> problems = new ArrayList<>();
                List<RemoteCheck.Result> results = checkAll(repo, registry, problems, false);
                if (json) {
                    JsonOutput.print(new JsonOutput.Status(results.stream().map(r -> jsonPlace(repo, r)).toList(),
                            problems.stream().map(p -> new JsonOutput.Corrupt(p, CORRUPT_HINT)).toList()));
                    return 0;
                }
                int remoteOnly = 0;
                for (RemoteCheck.Result r : results) {
                    String state = r.state() == RemoteCheck.State.OK ? "resolved" : r.state().name().toLowerCase(Locale.ROOT);
                    boolean local = r.record().sha256() == null || isLocal(repo, r.record().sha256());
                    remoteOnly += local ? 0 : 1;
                    out(String.format("%-11s %s  %s%s%s", state, r.record().path(), r.record().url(),
                            local ? "" : "  [not local]", r.detail().isEmpty() ? "" : "  (" + r.detail() + ")"));
                }
                for (String p : problems) {
                    out(String.format("%-11s %s", "corrupt", p));
                }
                if (results.isEmpty() && problems.isEmpty()) {
                    System.out.println("no remote-tracked files");
                }
                if (remoteOnly > 0) {
                    System.err.println(MISSING_NOTE.formatted(remoteOnly + " object(s) marked 'not local' stay at their URL"));
                }
                return 0;
            }
        }
    }

    /** Why git-lfs calls in-place objects missing when pushing (issue #12): said where users meet it. */
    static final String MISSING_NOTE = "note: %s, not in this clone: 'git push' lists such objects as"
            + " \"(missing) PATH (OID)\"; that is expected, and clones download them from their URL";
}
