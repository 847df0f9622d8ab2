package io.lfscloud.backend.file;

import io.lfscloud.core.temp.TempFiles;
import io.lfscloud.core.transfer.VerifyingSink;
import io.lfscloud.spi.Diagnostics;
import io.lfscloud.spi.ObjectInfo;
import io.lfscloud.spi.StorageBackend;
import io.lfscloud.spi.StorageException;
import io.lfscloud.spi.StorageException.Kind;
import io.lfscloud.spi.TransferListener;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A folder as an object store, objects at {@code <root>/<oid[0:2]>/<oid[2:4]>/<oid>}.
 *
 * <p><b>Writes</b> are atomic: a temp file in the object's folder, checked against the
 * claimed SHA-256, flushed to disk, then renamed, so readers never see a partial object.
 * Temp files are named after their owner ({@code .<oid>-<pid>-…@<host>.tmp}), deleted if
 * the agent exits before finishing them (SIGINT, SIGTERM), and swept by the next writer of
 * their folder once their owner is gone or they are a day old ({@link TempFiles}). An
 * object already present with the right size is compared with the file pushed and rewritten
 * when they differ (a folder store is read cheaply), so pushing again repairs a corrupt copy.
 *
 * <p>The store's root folder must exist: a write never creates it (a missing root is an
 * unmounted share or a typo, and objects written into a new folder are lost to every other
 * clone); {@code install --create} makes it.
 *
 * <p><b>Permissions</b> follow the umask, widened for a shared store by its root folder:
 * folders made below the root take the root's group and other permission bits and its
 * setgid bit (so they keep the root's group), and objects get read permission for the
 * group and others where the root grants it. A root made {@code 2775} by group
 * {@code team} gives every member of {@code team} a store they can read and add to,
 * whatever each one's umask (as git's {@code core.sharedRepository=group} does). Writes
 * outside that layout (none the agent makes) follow the umask alone.
 *
 * <p><b>Reads</b> open regular files only: a symbolic link, folder, FIFO or device at an
 * object's path is refused at once (its type is checked without following links before it
 * is opened, and it is opened without following links). The ETag is derived from
 * modification time and size, as web servers do for static files.
 *
 * <p><b>URLs</b> map to paths through {@link FileKeys} only.
 */
final class FileBackend implements StorageBackend {

    private static final int COMPARE_BUFFER_SIZE = 64 * 1024;
    private static final String TEMP_SUFFIX = ".tmp";
    private static final Pattern OID = Pattern.compile("[0-9a-f]{64}");
    private static final int SETGID = 02000;

    private final Diagnostics diagnostics;

    FileBackend(Diagnostics diagnostics) {
        this.diagnostics = diagnostics;
    }

    /** A folder store that traces nothing (tests). */
    FileBackend() {
        this(Diagnostics.NONE);
    }

    @Override
    public ObjectInfo stat(URI object) throws StorageException {
        Path p = FileKeys.path(object);
        BasicFileAttributes a = regularFile(p, object);
        return new ObjectInfo(object, a.size(), etag(a), null, null, null, a.lastModifiedTime().toInstant());
    }

    private static String etag(BasicFileAttributes a) {
        return Long.toHexString(a.lastModifiedTime().toMillis()) + "-" + Long.toHexString(a.size());
    }

    /**
     * The attributes of the regular file at {@code p}, read without following a link.
     *
     * @throws StorageException {@code NOT_FOUND} when nothing is there, {@code CORRUPT} (not
     *                          retried) when something else than a regular file is
     */
    private static BasicFileAttributes regularFile(Path p, URI object) throws StorageException {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            throw translate(e, object, "read");
        }
        if (!a.isRegularFile()) {
            throw new StorageException(Kind.CORRUPT, "refusing to read " + object + ": it is " + typeOf(p, a)
                    + ", not a regular file");
        }
        return a;
    }

    /** What a file that is not a regular file is, for messages. */
    private static String typeOf(Path p, BasicFileAttributes a) {
        if (a.isDirectory()) {
            return "a folder";
        }
        if (a.isSymbolicLink()) {
            return "a symbolic link";
        }
        try {
            int type = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 0170000;
            return switch (type) {
                case 0010000 -> "a FIFO (named pipe)";
                case 0020000 -> "a character device";
                case 0060000 -> "a block device";
                case 0140000 -> "a socket";
                default -> "a special file";
            };
        } catch (IOException | RuntimeException e) {
            return "a special file";
        }
    }

    @Override
    public void list(URI prefix, java.util.function.Consumer<ObjectInfo> each) throws StorageException {
        Path root = FileKeys.path(prefix);
        if (!Files.isDirectory(root)) {
            throw new StorageException(Kind.NOT_FOUND, "no such folder: " + prefix);
        }
        try (java.util.stream.Stream<Path> files = Files.walk(root)) {
            for (Path p : (Iterable<Path>) files.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS))
                    .filter(p -> !p.getFileName().toString().startsWith("."))::iterator) {
                each.accept(stat(FileKeys.uri(p)));
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new StorageException(Kind.MISCONFIGURED, "cannot list " + prefix + ": " + e.getMessage(), e);
        }
    }

    @Override
    public InputStream read(URI object, long offset, ObjectInfo expected) throws StorageException {
        Path p = FileKeys.path(object);
        BasicFileAttributes a = regularFile(p, object);
        if (expected != null && expected.etag() != null && !expected.etag().equals(etag(a))) {
            throw new StorageException(Kind.CHANGED, object + " changed: ETag was " + expected.etag()
                    + ", is " + etag(a));
        }
        try {
            FileChannel ch = FileChannel.open(p, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
            if (offset > 0) {
                ch.position(offset);
            }
            return Channels.newInputStream(ch);
        } catch (IOException e) {
            throw translate(e, object, "read");
        }
    }

    @Override
    public boolean write(URI object, Path source, long size, String sha256, TransferListener progress)
            throws StorageException {
        Path target = FileKeys.path(object);
        if (alreadyStored(object, target, source, size)) {
            return false;
        }
        Path dir = target.getParent();
        try {
            Path root = layoutRoot(target);
            if (root != null && !Files.isDirectory(root)) {
                // the store's own folder is never made here: a missing one is an unmounted share or a
                // typo, and objects written into a new folder would be lost to every other clone
                throw new StorageException(Kind.MISCONFIGURED, "the store folder " + root + " does not exist"
                        + " (an unmounted share, or a typo in the store URL?): create it, or run"
                        + " 'git lfs-cloud install --store <url> --create'");
            }
            List<Path> made = createFolders(dir);
            int share = root == null ? 0 : modeOf(root) & (SETGID | 077);
            for (Path folder : made) {
                if (root != null && folder.startsWith(root) && !folder.equals(root)) {
                    widen(folder, share);
                }
            }
            TempFiles.sweep(dir, ".", TEMP_SUFFIX);
            try (VerifyingSink sink = VerifyingSink.create(dir, "." + target.getFileName(), TEMP_SUFFIX, size, sha256);
                 InputStream in = Files.newInputStream(source)) {
                widen(sink.file(), share & 044);
                sink.transferFrom(in, progress);
                sink.commit(target, true);
            } catch (VerifyingSink.Mismatch e) {
                // the actual hash is never named: it would tell what a local file holds
                throw new StorageException(Kind.CORRUPT, "refusing to store " + object + ": " + (e.what()
                        == VerifyingSink.Mismatch.What.CONTENT ? "the content of " + source + " does not match its oid (SHA-256)"
                        : "the source " + source + " changed size while it was copied"));
            }
            return true;
        } catch (IOException e) {
            if (e instanceof StorageException se) {
                throw se;
            }
            throw translate(e, object, "write");
        }
    }

    /**
     * Whether {@code target} already holds the object: a regular file of the right size with
     * the same bytes as {@code source} (compared, not hashed: a third of the cost, see the
     * README). A copy that differs is to be rewritten from {@code source}, which is then
     * checked against its SHA-256 as it is copied (as is a link, FIFO or device in its place);
     * a folder in its place cannot be.
     */
    private boolean alreadyStored(URI object, Path target, Path source, long size) throws StorageException {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(target, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            return false; // nothing there, or cannot tell: write it
        }
        if (a.isDirectory()) {
            throw new StorageException(Kind.MISCONFIGURED, "cannot store " + object + ": a folder is in its place");
        }
        if (!a.isRegularFile() || a.size() != size) {
            return false;
        }
        try (InputStream stored = Files.newInputStream(target, LinkOption.NOFOLLOW_LINKS);
             InputStream pushed = Files.newInputStream(source)) {
            int length = (int) Math.clamp(size, 1, COMPARE_BUFFER_SIZE);
            byte[] a1 = new byte[length];
            byte[] b1 = new byte[length];
            while (true) {
                int n = stored.readNBytes(a1, 0, length);
                int m = pushed.readNBytes(b1, 0, length);
                if (n != m || Arrays.mismatch(a1, 0, n, b1, 0, m) >= 0) {
                    break;
                }
                if (n == 0) {
                    return true;
                }
            }
            diagnostics.trace("the stored copy of " + object + " differs from " + source + ": rewriting it");
        } catch (IOException e) {
            diagnostics.trace("cannot compare the stored copy of " + object + " (" + e.getMessage() + "): rewriting it");
        }
        return false;
    }

    /** The store's root folder when {@code target} is at its content address in it, else {@code null}. */
    private static Path layoutRoot(Path target) {
        String oid = target.getFileName().toString();
        Path inner = target.getParent();
        Path outer = inner == null ? null : inner.getParent();
        if (OID.matcher(oid).matches() && outer != null && outer.getParent() != null
                && inner.getFileName().toString().equals(oid.substring(2, 4))
                && outer.getFileName().toString().equals(oid.substring(0, 2))) {
            return outer.getParent();
        }
        return null;
    }

    /** Creates {@code dir} and its missing parents (umask modes); returns those it made, outermost first. */
    private static List<Path> createFolders(Path dir) throws IOException {
        List<Path> missing = new ArrayList<>();
        for (Path d = dir; d != null && !Files.isDirectory(d); d = d.getParent()) {
            missing.addFirst(d);
        }
        List<Path> made = new ArrayList<>();
        for (Path d : missing) {
            try {
                Files.createDirectory(d);
                made.add(d);
                TempFiles.markSwept(d);
            } catch (FileAlreadyExistsException e) {
                if (!Files.isDirectory(d)) {
                    throw e;
                }
                // another writer made it first
            }
        }
        return made;
    }

    private static int modeOf(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:mode");
    }

    /** Adds permission bits (and setgid) to what the umask gave {@code p}. */
    private static void widen(Path p, int bits) throws IOException {
        if (bits == 0) {
            return;
        }
        int mode = modeOf(p) & 07777;
        if ((mode | bits) != mode) {
            Files.setAttribute(p, "unix:mode", mode | bits);
        }
    }

    private static StorageException translate(IOException e, URI object, String verb) {
        if (e instanceof NoSuchFileException) {
            return new StorageException(Kind.NOT_FOUND, "no such object: " + object, e);
        }
        if (e instanceof AccessDeniedException) {
            return new StorageException(Kind.ACCESS_DENIED, "permission denied to " + verb + " "
                    + ((FileSystemException) e).getFile(), e);
        }
        if (e instanceof NotDirectoryException || e instanceof java.nio.file.FileAlreadyExistsException) {
            return new StorageException(Kind.MISCONFIGURED, "cannot " + verb + " " + object + ": "
                    + ((FileSystemException) e).getFile() + " is in the way", e);
        }
        String reason = e instanceof FileSystemException fse && fse.getReason() != null ? fse.getReason() : e.getMessage();
        return new StorageException(Kind.MISCONFIGURED, "cannot " + verb + " " + object + ": " + reason, e);
    }
}
