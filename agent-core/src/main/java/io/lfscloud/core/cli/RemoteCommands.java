package io.lfscloud.core.cli;

import io.lfscloud.core.Printable;
import io.lfscloud.core.git.Repository;
import io.lfscloud.core.meta.MetaFiles;
import io.lfscloud.core.meta.RemoteCheck;
import io.lfscloud.core.meta.RemoteRecord;
import io.lfscloud.core.meta.TrackException;
import io.lfscloud.core.meta.Tracker;
import io.lfscloud.core.store.BackendRegistry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

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

    /** Hashing progress on stderr, only when it is a terminal. */
    static Tracker.Progress terminalProgress() {
        if (System.console() == null) {
            return (path, done, total) -> { };
        }
        return (path, done, total) -> {
            int pct = total == 0 ? 100 : (int) (done * 100 / total);
            System.err.printf("\rhashing %s: %d%% (%d of %d MB)%s", Printable.escape(path), pct, done >> 20, total >> 20,
                    done >= total ? "\n" : "");
            System.err.flush();
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
                description = "The object: https://…, s3://bucket/key, gs://…, file:///… (file needs lfs-cloud.allowFileUrls).")
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

        @Option(names = "--force", description = "Replace a file already at PATH.")
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
                List<Tracker.Tracked> done = new Tracker(repo, registry, (p, d, t) -> { })
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
                uri = new URI(url.strip());
                if (uri.getScheme() == null) {
                    throw new URISyntaxException(url, "no scheme (https://, s3://, gs://, file://…)");
                }
            } catch (URISyntaxException e) {
                throw new CliException("--url is not a URL: " + e.getMessage(), Cli.USAGE, e);
            }
            Repository repo = repository();
            if (recursive) {
                return recursive(repo, uri);
            }
            try (BackendRegistry registry = registry(repo)) {
                Tracker.Tracked t = new Tracker(repo, registry, terminalProgress())
                        .track(path, uri, new Tracker.Claims(size, etag, md5, sha256), defer, fetch, force);
                if (t.how().equals("pending")) {
                    out("pending  " + t.path() + "  " + t.record().url() + "  (ETag \"" + t.record().etag()
                            + "\"; run 'git lfs-cloud resolve' to finish)");
                } else {
                    out("tracked  " + t.path() + "  " + t.record().url() + "  sha256:" + t.record().sha256()
                            + "  " + t.record().size() + " bytes  (" + t.how() + ")");
                    if (!t.local()) {
                        System.err.println("note: the object stays at its URL, not in this clone; lfs.allowincompletepush"
                                + " is set so that git-lfs lets such commits be pushed");
                    }
                }
                err("commit " + t.path() + ", .gitattributes and .lfs-meta/ to share it");
                return 0;
            } catch (TrackException e) {
                throw new CliException(e.getMessage());
            }
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

    private static int printAll(List<Tracker.Tracked> done, List<String> problems) {
        for (Tracker.Tracked t : done) {
            out("tracked  " + t.path() + "  " + t.record().url() + "  sha256:" + t.record().sha256()
                    + "  (" + t.how() + ")");
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

    /** Records and pending entries of the working tree, checked with metadata requests. */
    static List<RemoteCheck.Result> checkAll(Repository repo, BackendRegistry registry, List<String> problems) {
        MetaFiles files = new MetaFiles(repo.workTree());
        List<RemoteRecord> all = new ArrayList<>();
        try {
            all.addAll(files.records(problems));
            all.addAll(files.pending(problems));
        } catch (IOException e) {
            throw new CliException("cannot read .lfs-meta: " + e.getMessage());
        }
        return RemoteCheck.check(all, registry, repo.backendConfig());
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = {"Check every remote-tracked object with metadata requests only (no download).",
                    "Lists changed, missing and unreachable ones with path, URL and what differs; exits 1 if any."})
    static final class Verify implements Callable<Integer> {
        @Mixin
        Cli.Verbosity verbosity;

        @Override
        public Integer call() {
            Repository repo = repository();
            try (BackendRegistry registry = registry(repo)) {
                List<String> problems = new ArrayList<>();
                int bad = 0;
                int checked = 0;
                for (RemoteCheck.Result r : checkAll(repo, registry, problems)) {
                    checked++;
                    if (r.state() == RemoteCheck.State.OK || r.state() == RemoteCheck.State.PENDING) {
                        continue;
                    }
                    bad++;
                    out(r.state().name().toLowerCase() + "  " + r.record().path() + "  " + r.record().url()
                            + "  " + r.detail());
                }
                for (String p : problems) {
                    bad++;
                    out("corrupt  " + p);
                }
                System.err.println(checked + " tracked object(s) checked, " + bad + " problem(s)");
                return bad == 0 ? 0 : Cli.FAILURE;
            }
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "List remote-tracked files and their state: ok, pending, changed, missing, unreachable, refused.")
    static final class Status implements Callable<Integer> {
        @Mixin
        Cli.Verbosity verbosity;

        @Override
        public Integer call() {
            Repository repo = repository();
            try (BackendRegistry registry = registry(repo)) {
                List<String> problems = new ArrayList<>();
                List<RemoteCheck.Result> results = checkAll(repo, registry, problems);
                for (RemoteCheck.Result r : results) {
                    String state = r.state() == RemoteCheck.State.OK ? "resolved" : r.state().name().toLowerCase();
                    out(String.format("%-11s %s  %s%s", state, r.record().path(), r.record().url(),
                            r.detail().isEmpty() ? "" : "  (" + r.detail() + ")"));
                }
                for (String p : problems) {
                    out(String.format("%-11s %s", "corrupt", p));
                }
                if (results.isEmpty() && problems.isEmpty()) {
                    System.out.println("no remote-tracked files");
                }
                return 0;
            }
        }
    }
}
