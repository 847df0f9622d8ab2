package io.lfscloud.core.temp;

import io.lfscloud.core.Log;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Temp files that never outlive their writer for long: the agent's downloads under
 * {@code .git/lfs/tmp} and the folder store's objects in the making.
 *
 * <ul>
 * <li>Their names say who owns them: {@code <stem>-<pid>-<token>-<n>@<host><suffix>}, the
 *     writing process's id and host, a token that differs between processes that had the
 *     same id, and a counter.</li>
 * <li>A file being written is deleted when the JVM exits before it is finished or handed
 *     over: on SIGINT, SIGTERM, SIGHUP and normal exit (a shutdown hook); only kill -9 and
 *     a crash of the machine escape that.</li>
 * <li>What escaped is swept by a later writer of the same folder (once per process and
 *     folder): a file whose owner process is gone from this host (no process with that id,
 *     or one started after the file was made), and any candidate untouched for
 *     {@link #STALE_AGE} (owners on other hosts cannot be asked; names of older versions
 *     carry no host).</li>
 * </ul>
 *
 * <p>Writers in another PID namespace under the same host name would look gone: hosts that
 * share a folder store must have distinct host names.
 */
public final class TempFiles {

    /** Temp files untouched this long are stale whoever wrote them. */
    public static final Duration STALE_AGE = Duration.ofHours(24);

    private static final Set<Path> SWEPT = ConcurrentHashMap.newKeySet();
    private static final Set<Path> SPARED = ConcurrentHashMap.newKeySet();

    private TempFiles() {
    }

    /** Who this process is, looked up on the first temp file (not before every init reply). */
    private static final class Owner {
        static final long PID = ProcessHandle.current().pid();
        static final String TOKEN = Long.toString(System.nanoTime() & 0xffff_ffffL, 36);
        static final String HOST = hostName();
        static final AtomicLong COUNTER = new AtomicLong();

        static String next(String stem, String suffix) {
            return stem + "-" + PID + "-" + TOKEN + "-" + COUNTER.incrementAndGet() + "@" + HOST + suffix;
        }
    }

    /** The files being written, deleted by a shutdown hook if the JVM exits first. */
    private static final class Live {
        static final Set<Path> FILES = ConcurrentHashMap.newKeySet();
        static volatile boolean exiting;

        static {
            try {
                Runtime.getRuntime().addShutdownHook(new Thread(Live::deleteAll, "lfs-cloud temp files"));
            } catch (IllegalStateException e) {
                exiting = true;
            }
        }

        static void deleteAll() {
            exiting = true;
            for (Path p : FILES) {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // the JVM is exiting: nothing more can be done
                }
            }
        }
    }

    /** Parses owner names; compiled on the first sweep. */
    private static final class Names {
        static final Pattern OWNER = Pattern.compile("-(\\d{1,10})-[0-9a-z]{1,8}-\\d{1,19}@([A-Za-z0-9._-]{1,64})$");
    }

    /**
     * Creates a new empty file in {@code dir} named {@code <stem>-…<suffix>}, to be deleted by
     * {@link #delete} or given up with {@link #release} once renamed or handed over. Until
     * then it is deleted if the JVM exits.
     */
    public static Path create(Path dir, String stem, String suffix, FileAttribute<?>... attributes)
            throws IOException {
        for (int attempt = 0; ; attempt++) {
            Path tmp = dir.resolve(Owner.next(stem, suffix));
            // registered before it exists: a signal between the two must not leave it behind
            Live.FILES.add(tmp);
            if (Live.exiting) {
                Live.FILES.remove(tmp);
                throw new IOException("exiting: no new temp files");
            }
            try {
                FileChannel.open(tmp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), attributes)
                        .close();
                return tmp;
            } catch (FileAlreadyExistsException e) {
                // a leftover of an earlier process with our pid and token: take the next name
                Live.FILES.remove(tmp);
                if (attempt >= 100) {
                    throw e;
                }
            } catch (IOException | RuntimeException e) {
                Live.FILES.remove(tmp);
                throw e;
            }
        }
    }

    /** {@code tmp} was renamed or handed over: no longer ours to delete. */
    public static void release(Path tmp) {
        Live.FILES.remove(tmp);
    }

    /** Deletes {@code tmp} if it still exists, quietly (tracing why it could not). */
    public static void delete(Path tmp) {
        try {
            Files.deleteIfExists(tmp);
        } catch (IOException e) {
            Log.trace("could not delete " + tmp + ": " + e.getMessage());
        }
        release(tmp);
    }

    /**
     * Deletes the stale temp files in {@code dir} whose names start with {@code prefix} and
     * end with {@code suffix}, at most once per process for each folder (the later calls
     * return at once). Problems are traced, never thrown: sweeping is a courtesy.
     *
     * @return how many files were deleted
     */
    public static int sweep(Path dir, String prefix, String suffix) {
        if (!SWEPT.add(dir.toAbsolutePath().normalize())) {
            return 0;
        }
        int deleted = 0;
        Instant now = Instant.now();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir,
                p -> isCandidate(p.getFileName().toString(), prefix, suffix))) {
            for (Path p : entries) {
                String why = SPARED.contains(p.toAbsolutePath().normalize()) ? null : staleBecause(p, prefix, suffix, now);
                if (why != null && Files.deleteIfExists(p)) {
                    deleted++;
                    Log.trace("removed stale temp file " + p + " (" + why + ")");
                }
            }
        } catch (IOException | RuntimeException e) {
            Log.trace("could not sweep " + dir + " for stale temp files: " + e.getMessage());
        }
        return deleted;
    }

    /**
     * Spares {@code file} from sweeps: a finished file another process (a transfer server
     * since killed) handed over to git-lfs, which may not have moved it yet.
     */
    public static void spare(Path file) {
        SPARED.add(file.toAbsolutePath().normalize());
    }

    /** Marks {@code dir} as swept, for a folder this process just made (nothing stale can be in it). */
    public static void markSwept(Path dir) {
        SWEPT.add(dir.toAbsolutePath().normalize());
    }

    private static boolean isCandidate(String name, String prefix, String suffix) {
        return name.startsWith(prefix) && name.endsWith(suffix) && name.length() > prefix.length() + suffix.length();
    }

    /** Why {@code p} is stale, or {@code null} when it may still be written. */
    static String staleBecause(Path p, String prefix, String suffix, Instant now) throws IOException {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (java.nio.file.NoSuchFileException e) {
            return null;
        }
        if (!a.isRegularFile()) {
            return null;
        }
        String name = p.getFileName().toString();
        Matcher m = Names.OWNER.matcher(name.substring(0, name.length() - suffix.length()));
        if (m.find() && m.group(2).equals(Owner.HOST)) {
            long pid = Long.parseLong(m.group(1));
            Instant made = a.creationTime().toInstant();
            Optional<ProcessHandle> owner = ProcessHandle.of(pid);
            if (owner.isEmpty()) {
                return "process " + pid + " on this host is gone";
            }
            // a process started after the file was made only reuses the owner's pid
            Optional<Instant> started = owner.get().info().startInstant();
            if (started.isPresent() && started.get().isAfter(made)) {
                return "process " + pid + " on this host is gone, its pid reused";
            }
            return null;
        }
        Instant touched = a.lastModifiedTime().toInstant();
        if (touched.plus(STALE_AGE).isBefore(now)) {
            return "untouched since " + touched;
        }
        return null;
    }

    /** This host's name as the kernel knows it (no DNS), reduced to file-name-safe characters. */
    static String hostName() {
        String name = null;
        try {
            name = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        if (name == null || name.isEmpty()) {
            name = System.getenv("HOSTNAME");
        }
        if (name == null || name.isEmpty()) {
            name = "localhost";
        }
        name = name.replaceAll("[^A-Za-z0-9.-]", "_");
        return name.length() > 64 ? name.substring(0, 64) : name;
    }

    /** This process's owner tag, as it appears in its temp file names (tests). */
    static String ownerTag() {
        return "-" + Owner.PID + "-" + Owner.TOKEN + "-";
    }
}
