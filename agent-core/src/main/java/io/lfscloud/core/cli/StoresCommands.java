package io.lfscloud.core.cli;

import io.lfscloud.core.BoundedTasks;
import io.lfscloud.core.agent.ErrorCode;
import io.lfscloud.core.agent.TransferFailure;
import io.lfscloud.core.agent.Transfers;
import io.lfscloud.core.git.Repository;
import io.lfscloud.core.meta.RecordStore;
import io.lfscloud.core.store.Stores;
import io.lfscloud.spi.ObjectInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** The commands over several stores: whereis, fsck, copy. */
final class StoresCommands {

    private StoresCommands() {
    }

    /** What one store says of one object. */
    private enum State { PRESENT, MISSING, CORRUPT, UNREACHABLE }

    private record Finding(State state, String detail) {
    }

    /** Asks {@code store} for {@code o} by metadata; with {@code deep}, reads it once through a hasher. */
    private static Finding check(Transfers transfers, Stores.Store store, LfsObjects.LfsObject o, boolean deep) {
        try {
            ObjectInfo info = transfers.stat(store, o.oid());
            if (info.size() >= 0 && info.size() != o.size()) {
                return new Finding(State.CORRUPT, "it has " + info.size() + " bytes, its pointer says " + o.size());
            }
            if (deep) {
                transfers.checkContent(store, o.oid(), o.size());
            }
            return new Finding(State.PRESENT, "");
        } catch (TransferFailure f) {
            return switch (f.code()) {
                case NOT_FOUND -> new Finding(State.MISSING, "");
                case CORRUPT -> new Finding(State.CORRUPT, f.getMessage());
                default -> new Finding(State.UNREACHABLE, f.getMessage());
            };
        }
    }

    private static Transfers transfers(Repository repo) {
        return new Transfers(repo.workTree());
    }

    private static Stores.Store named(Stores stores, String name, String option) {
        return stores.named(name).orElseThrow(() -> new CliException("no store '" + name + "' (" + option
                + "; 'git lfs-cloud store list' shows the stores)", Cli.USAGE, null));
    }

    @Command(name = "whereis", mixinStandardHelpOptions = true,
            description = "List which stores hold the object of each LFS file given (metadata requests only).")
    static final class Whereis implements java.util.concurrent.Callable<Integer> {
        @Parameters(arity = "1..*", paramLabel = "PATH", description = "Files, or folders of files, tracked by git-lfs.")
        List<String> paths = new ArrayList<>();

        @Mixin
        Cli.Verbosity verbosity;

        @Override
        public Integer call() {
            Repository repo = RemoteCommands.repository();
            Stores stores = StoreCommand.stores(repo);
            if (stores.isEmpty()) {
                throw new CliException("no store configured ('git lfs-cloud store add NAME URL')");
            }
            Path top = repo.workTree();
            Path here = Path.of("").toAbsolutePath();
            try {
                here = here.toRealPath(); // git names the working tree by its real path
            } catch (IOException e) {
                // relative to the path as it is
            }
            List<LfsObjects.LfsObject> files = LfsObjects.checkout(top);
            int problems = 0;
            try (Transfers transfers = transfers(repo)) {
                for (String p : paths) {
                    String rel = top.relativize(here.resolve(p).normalize()).toString();
                    List<LfsObjects.LfsObject> matched = files.stream()
                            .filter(o -> rel.isEmpty() || o.path().equals(rel) || o.path().startsWith(rel + "/")).toList();
                    if (matched.isEmpty()) {
                        RemoteCommands.err("git-lfs-cloud: error: " + p + ": no file tracked by git-lfs there");
                        problems++;
                        continue;
                    }
                    for (LfsObjects.LfsObject o : matched) {
                        RemoteCommands.out(o.path() + "  sha256:" + o.oid().hex() + "  " + o.size() + " bytes");
                        int holders = 0;
                        for (Stores.Store s : stores.readOrder()) {
                            Finding f = check(transfers, s, o, false);
                            holders += f.state() == State.PRESENT ? 1 : 0;
                            RemoteCommands.out(String.format("  %-12s %-11s%s", s.name(), f.state().name().toLowerCase(),
                                    f.detail().isEmpty() ? "" : "  " + f.detail()));
                        }
                        if (holders == 0) {
                            problems++;
                        }
                    }
                }
            }
            return problems == 0 ? 0 : Cli.FAILURE;
        }
    }

    @Command(name = "fsck", mixinStandardHelpOptions = true,
            description = {"Check that every LFS object the history of any ref references is in every writable store"
                    + " (or in --store NAME): metadata requests, or with --deep a read through a hasher.",
                    "Objects tracked in place are left to 'verify'. Exit 1 on anything missing, corrupt or unreachable."})
    static final class Fsck implements java.util.concurrent.Callable<Integer> {
        @Option(names = "--store", paramLabel = "NAME", description = "Check only this store.")
        String store;

        @Option(names = "--deep", description = "Read every object and compare its SHA-256 (streamed, nothing kept).")
        boolean deep;

        @Option(names = "--jobs", paramLabel = "N", defaultValue = "8", description = "Objects checked at once (default ${DEFAULT-VALUE}).")
        int jobs;

        @Mixin
        Cli.Verbosity verbosity;

        @Override
        public Integer call() throws InterruptedException {
            Repository repo = RemoteCommands.repository();
            Stores stores = StoreCommand.stores(repo);
            List<Stores.Store> checked = store != null ? List.of(named(stores, store, "--store")) : stores.writable();
            if (checked.isEmpty()) {
                throw new CliException("no store to check ('git lfs-cloud store add NAME URL')");
            }
            RecordStore records = LfsObjects.records(repo);
            List<LfsObjects.LfsObject> objects = LfsObjects.all(repo.workTree()).stream()
                    .filter(o -> !LfsObjects.trackedInPlace(records, o.oid())).toList();
            List<String> lines = new ArrayList<>();
            int[] counts = new int[State.values().length];
            BoundedTasks tasks = new BoundedTasks(jobs);
            try (Transfers transfers = transfers(repo)) {
                for (Stores.Store s : checked) {
                    for (LfsObjects.LfsObject o : objects) {
                        tasks.submit(() -> {
                            Finding f = check(transfers, s, o, deep);
                            synchronized (lines) {
                                counts[f.state().ordinal()]++;
                                if (f.state() != State.PRESENT) {
                                    lines.add(String.format("%-11s %-12s %s  %s%s", f.state().name().toLowerCase(), s.name(),
                                            o.oid().hex(), o.path(), f.detail().isEmpty() ? "" : "  (" + f.detail() + ")"));
                                }
                            }
                        });
                    }
                }
                tasks.awaitAll();
            }
            lines.sort(null);
            lines.forEach(RemoteCommands::out);
            int problems = counts[State.MISSING.ordinal()] + counts[State.CORRUPT.ordinal()]
                    + counts[State.UNREACHABLE.ordinal()];
            System.err.println("fsck: " + objects.size() + " objects in " + checked.size() + " store"
                    + (checked.size() == 1 ? "" : "s") + (deep ? " (re-hashed)" : "") + ": "
                    + counts[State.PRESENT.ordinal()] + " ok, " + counts[State.MISSING.ordinal()] + " missing, "
                    + counts[State.CORRUPT.ordinal()] + " corrupt, " + counts[State.UNREACHABLE.ordinal()] + " unreachable");
            return problems == 0 ? 0 : Cli.FAILURE;
        }
    }

    @Command(name = "copy", mixinStandardHelpOptions = true,
            description = {"Copy LFS objects into store NAME: those the history of HEAD (or of REFS, or of every ref with"
                    + " --all) references, skipping objects it holds already, in parallel.",
                    "Each object is read from --from NAME (default: the other stores, in read order) and its SHA-256"
                            + " checked before it is written. Run it again after an interruption: it skips what arrived."})
    static final class Copy implements java.util.concurrent.Callable<Integer> {
        @Option(names = "--to", required = true, paramLabel = "NAME", description = "The store to copy into.")
        String to;

        @Option(names = "--from", paramLabel = "NAME", description = "The store to read from (default: every other store, in read order).")
        String from;

        @Option(names = "--all", description = "The objects of every ref's history (as 'git lfs push --all').")
        boolean all;

        @Parameters(arity = "0..*", paramLabel = "REF", description = "Refs whose history's objects to copy (default HEAD).")
        List<String> refs = new ArrayList<>();

        @Option(names = "--jobs", paramLabel = "N", defaultValue = "8", description = "Objects copied at once (default ${DEFAULT-VALUE}).")
        int jobs;

        @Mixin
        Cli.Verbosity verbosity;

        @Override
        public Integer call() throws InterruptedException {
            if (all && !refs.isEmpty()) {
                throw new CliException("--all takes no refs", Cli.USAGE, null);
            }
            if (jobs < 1 || jobs > 64) {
                throw new CliException("--jobs must be from 1 to 64", Cli.USAGE, null);
            }
            Repository repo = RemoteCommands.repository();
            Stores stores = StoreCommand.stores(repo);
            Stores.Store target = named(stores, to, "--to");
            List<Stores.Store> sources = from != null ? List.of(named(stores, from, "--from"))
                    : stores.readOrder().stream().filter(s -> !s.name().equals(to)).toList();
            if (sources.isEmpty() || (from != null && from.equals(to))) {
                throw new CliException("nothing to copy from: give --from NAME, another store than --to", Cli.USAGE, null);
            }
            RecordStore records = LfsObjects.records(repo);
            List<LfsObjects.LfsObject> objects = (all ? LfsObjects.all(repo.workTree())
                    : LfsObjects.ofRefs(repo.workTree(), refs.isEmpty() ? List.of("HEAD") : refs)).stream()
                    .filter(o -> !LfsObjects.trackedInPlace(records, o.oid())).toList();
            Progress progress = new Progress(objects.size(), target.name());
            BoundedTasks tasks = new BoundedTasks(jobs);
            try (Transfers transfers = transfers(repo)) {
                for (LfsObjects.LfsObject o : objects) {
                    tasks.submit(() -> copy(transfers, o, sources, target, progress));
                }
                tasks.awaitAll();
            }
            progress.end();
            return progress.failed.get() == 0 ? 0 : Cli.FAILURE;
        }

        private static void copy(Transfers transfers, LfsObjects.LfsObject o, List<Stores.Store> sources,
                                 Stores.Store target, Progress progress) {
            try {
                try {
                    ObjectInfo there = transfers.stat(target, o.oid());
                    if (there.size() == o.size()) {
                        progress.present();
                        return;
                    }
                } catch (TransferFailure f) {
                    if (f.code() != ErrorCode.NOT_FOUND) {
                        throw f;
                    }
                }
                Path tmp = transfers.fetch(sources, o.oid(), o.size(), io.lfscloud.spi.TransferListener.NONE);
                try {
                    transfers.write(target, o.oid(), o.size(), tmp, progress::bytes);
                } finally {
                    try {
                        Files.deleteIfExists(tmp);
                    } catch (IOException e) {
                        // git-lfs's temp folder: swept later
                    }
                }
                progress.copied();
            } catch (TransferFailure f) {
                progress.failed(o, f.getMessage());
            }
        }
    }

    /** {@code copy}'s progress on stderr: redrawn on a terminal, a line every 10 s otherwise; a summary at the end. */
    private static final class Progress {
        final int total;
        final String target;
        final AtomicInteger copied = new AtomicInteger();
        final AtomicInteger present = new AtomicInteger();
        final AtomicInteger failed = new AtomicInteger();
        final AtomicLong bytes = new AtomicLong();
        private final boolean terminal = System.console() != null;
        private long lastShown = System.nanoTime();

        Progress(int total, String target) {
            this.total = total;
            this.target = target;
        }

        void bytes(long n) {
            bytes.addAndGet(n);
        }

        void copied() {
            copied.incrementAndGet();
            show();
        }

        void present() {
            present.incrementAndGet();
            show();
        }

        void failed(LfsObjects.LfsObject o, String why) {
            failed.incrementAndGet();
            synchronized (this) {
                if (terminal) {
                    System.err.print("\r\033[K");
                }
                RemoteCommands.err("git-lfs-cloud: error: " + o.oid().hex() + " (" + o.path() + "): " + why);
            }
            show();
        }

        private String line() {
            int done = copied.get() + present.get() + failed.get();
            return "copy to '" + target + "': " + done + " of " + total + " objects (" + copied.get() + " copied, "
                    + present.get() + " already there, " + failed.get() + " failed), " + (bytes.get() >> 20) + " MB sent";
        }

        private synchronized void show() {
            long now = System.nanoTime();
            if (now - lastShown < (terminal ? 200_000_000L : 10_000_000_000L)) {
                return;
            }
            lastShown = now;
            System.err.print(terminal ? "\r" + line() : line() + "\n");
            System.err.flush();
        }

        synchronized void end() {
            System.err.println((terminal ? "\r\033[K" : "") + line());
        }
    }
}
