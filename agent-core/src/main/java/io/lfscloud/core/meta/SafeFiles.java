package io.lfscloud.core.meta;

import io.lfscloud.core.Printable;
import io.lfscloud.core.git.CommittedFiles;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;

/**
 * Reads and writes files of a working tree at paths that come from a repository, where
 * whoever wrote the repository may have committed symbolic links, FIFOs or huge files:
 * <ul>
 *   <li>the path must pass {@link RepoPath#problem}, and every folder on the way must be a
 *       real folder, not a symbolic link (as git itself refuses to write "beyond a symbolic
 *       link");</li>
 *   <li>a record is read only when it is a regular file of at most {@link #MAX_RECORD_BYTES},
 *       checked without following links before it is opened (also without following);</li>
 *   <li>a write goes to a new temp file in the target's real folder and is renamed over the
 *       target, which replaces a symbolic link there instead of writing through it.</li>
 * </ul>
 */
public final class SafeFiles {

    /** The largest record read; real ones are a few hundred bytes, an ETag file a few KiB per URL. */
    public static final int MAX_RECORD_BYTES = 64 * 1024;

    private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};
    /** In a holder: built on the first write only, never by an agent that only reads records. */
    private static final class Random {
        static final SecureRandom SOURCE = new SecureRandom();
    }

    private SafeFiles() {
    }

    /** A path refused because a folder on the way is a symbolic link or not a folder; the message says which. */
    public static final class Refused extends IOException {
        Refused(String message) {
            super(message);
        }
    }

    // ---------------------------------------------------------------- reading

    /**
     * The text of the record at {@code rel} under {@code root}, or empty when there is none.
     *
     * @throws InvalidRecordException when something is there that is not a record: a symbolic
     *         link, a FIFO, a device or a folder, a file larger than {@link #MAX_RECORD_BYTES},
     *         text that is not UTF-8, or a file reached only through a symbolically linked
     *         folder. The message names {@code rel}, never the content.
     */
    public static Optional<String> readRecord(Path root, String rel) throws IOException, InvalidRecordException {
        String where = Printable.escape(rel);
        Path file;
        try {
            file = folders(root, rel, false);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (Refused e) {
            if (Files.exists(root.resolve(rel), NOFOLLOW)) {
                throw new InvalidRecordException(where + " is not read: " + e.getMessage());
            }
            return Optional.empty(); // nothing there, even through the link
        }
        byte[] bytes;
        try {
            bytes = CommittedFiles.read(file, MAX_RECORD_BYTES);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (CommittedFiles.Unreadable e) {
            throw notARecord(where, e.problem());
        }
        return Optional.of(utf8(bytes, where));
    }

    /** Why what is at {@code where} (in the working tree or a commit) is not read as a record. */
    static InvalidRecordException notARecord(String where, CommittedFiles.Problem problem) {
        return new InvalidRecordException(where + switch (problem) {
            case SYMBOLIC_LINK -> " is a symbolic link, not a record";
            case NOT_REGULAR -> " is not a regular file";
            case TOO_LARGE -> " is larger than " + (MAX_RECORD_BYTES >> 10) + " KiB, too large for a record";
        });
    }

    /** Strict UTF-8: a record with bytes that are not text is refused, not read with replacement characters. */
    static String utf8(byte[] bytes, String where) throws InvalidRecordException {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new InvalidRecordException(where + " is not UTF-8 text");
        }
    }

    /** At most {@code max} bytes of {@code file}, opened without following a symbolic link. */
    public static byte[] readAtMost(Path file, int max) throws IOException {
        try (SeekableByteChannel ch = Files.newByteChannel(file, Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS));
             InputStream in = Channels.newInputStream(ch)) {
            return in.readNBytes(max);
        }
    }

    /** The attributes of {@code file} itself (a link is not followed), or {@code null} when nothing is there. */
    public static BasicFileAttributes attributes(Path file) throws IOException {
        try {
            return Files.readAttributes(file, BasicFileAttributes.class, NOFOLLOW);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /**
     * Checks that every folder of {@code rel} under {@code root} that exists is a real folder;
     * for a check before any work, so that a refused path costs nothing.
     */
    public static void checkFolders(Path root, String rel) throws IOException {
        try {
            folders(root, rel, false);
        } catch (NoSuchFileException e) {
            // the rest is created when written
        }
    }

    /**
     * Whether {@code folder} (relative to {@code root}) exists, as a real folder below real folders.
     *
     * @throws Refused when one of them is a symbolic link or not a folder
     */
    public static boolean isRealFolder(Path root, String folder) throws IOException {
        try {
            folders(root, folder + "/-", false);
            return true;
        } catch (NoSuchFileException e) {
            return false;
        }
    }

    // ---------------------------------------------------------------- writing

    /** Replaces (or creates) {@code rel} under {@code root} with {@code content}, atomically. */
    public static void write(Path root, String rel, byte[] content) throws IOException {
        replace(root, rel, tmp -> {
            try (SeekableByteChannel ch = Files.newByteChannel(tmp, CREATE)) {
                ByteBuffer b = ByteBuffer.wrap(content);
                while (b.hasRemaining()) {
                    ch.write(b);
                }
            }
        });
    }

    /** Replaces (or creates) {@code rel} under {@code root} with a copy of {@code source}, atomically. */
    public static void copy(Path root, String rel, Path source) throws IOException {
        replace(root, rel, tmp -> {
            try (SeekableByteChannel ch = Files.newByteChannel(tmp, CREATE)) {
                Files.copy(source, Channels.newOutputStream(ch));
            }
        });
    }

    /**
     * Removes {@code rel} under {@code root} if it exists: the entry itself (a link is removed,
     * never followed), and only under real folders.
     */
    public static void delete(Path root, String rel) throws IOException {
        try {
            Files.deleteIfExists(folders(root, rel, false));
        } catch (NoSuchFileException e) {
            // a folder on the way is missing: nothing to remove
        }
    }

    /** A new file only, never through a link: the temp file's name is ours and random. */
    private static final Set<OpenOption> CREATE = Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
            LinkOption.NOFOLLOW_LINKS);

    private interface Filler {
        void fill(Path tmp) throws IOException;
    }

    private static void replace(Path root, String rel, Filler filler) throws IOException {
        Path target = folders(root, rel, true);
        Path tmp = target.resolveSibling(".lfs-cloud-" + HexFormat.of().formatHex(randomBytes()) + ".tmp");
        try {
            filler.fill(tmp);
            // rename(2): a link at the target is replaced, not followed; the temp file is in the same real folder
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            tmp = null;
        } finally {
            if (tmp != null) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    private static byte[] randomBytes() {
        byte[] b = new byte[8];
        Random.SOURCE.nextBytes(b);
        return b;
    }

    // ---------------------------------------------------------------- folders

    /**
     * Walks the folders of {@code rel} under {@code root} without following links, creating
     * missing ones when {@code create}; returns the path of {@code rel} itself.
     *
     * @throws NoSuchFileException when a folder is missing and not to be created
     * @throws Refused when a folder on the way is a symbolic link or not a folder
     */
    private static Path folders(Path root, String rel, boolean create) throws IOException {
        String bad = RepoPath.problem(rel);
        if (bad != null) {
            throw new Refused("the path " + Printable.escape(rel) + " " + bad);
        }
        String[] names = rel.split("/");
        Path dir = root;
        for (int i = 0; i < names.length - 1; i++) {
            dir = dir.resolve(names[i]);
            String shown = Printable.escape(String.join("/", Arrays.asList(names).subList(0, i + 1)));
            BasicFileAttributes a = attributes(dir);
            if (a == null) {
                if (!create) {
                    throw new NoSuchFileException(dir.toString());
                }
                try {
                    Files.createDirectory(dir);
                    continue;
                } catch (FileAlreadyExistsException race) {
                    a = attributes(dir); // another command made it meanwhile: check what it is
                    if (a == null) {
                        throw new IOException(shown + " appeared and vanished while it was being made");
                    }
                }
            }
            if (a.isSymbolicLink()) {
                throw new Refused(shown + " is a symbolic link; refusing to follow it (it may lead out of the working tree)");
            }
            if (!a.isDirectory()) {
                throw new Refused(shown + " is not a folder");
            }
        }
        return dir.resolve(names[names.length - 1]);
    }
}
