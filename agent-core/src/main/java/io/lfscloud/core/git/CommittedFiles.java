package io.lfscloud.core.git;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The one way small files that a repository commits (its settings, its records) are read,
 * in the working tree or in a commit: only a regular file (never through a symbolic link,
 * never a FIFO, device or folder) of at most a given size. Callers word the refusal.
 */
public final class CommittedFiles {

    private CommittedFiles() {
    }

    /** Why a file that is there is not read. */
    public enum Problem { SYMBOLIC_LINK, NOT_REGULAR, TOO_LARGE }

    /** A file that is there but must not be read. */
    public static final class Unreadable extends IOException {
        private final Problem problem;

        Unreadable(Problem problem) {
            super(problem.name());
            this.problem = problem;
        }

        public Problem problem() {
            return problem;
        }
    }

    /**
     * The bytes of {@code file}, checked without following a link before it is opened (also
     * without following).
     *
     * @throws java.nio.file.NoSuchFileException when nothing is there
     * @throws Unreadable                        when something is there that must not be read
     */
    public static byte[] read(Path file, int max) throws IOException {
        BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        Problem p = problem(a.isSymbolicLink(), a.isRegularFile(), a.size(), max);
        if (p != null) {
            throw new Unreadable(p);
        }
        try (SeekableByteChannel ch = Files.newByteChannel(file, Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS));
             InputStream in = Channels.newInputStream(ch)) {
            byte[] b = in.readNBytes(max + 1);
            if (b.length > max) {
                throw new Unreadable(Problem.TOO_LARGE); // it grew since
            }
            return b;
        }
    }

    /**
     * A file's entry in a commit ({@code git ls-tree -l}).
     *
     * @param mode git's file mode: 100644 or 100755 for a regular file, 120000 for a symbolic link
     */
    public record TreeEntry(String mode, String type, String object, long size) {

        /** Why this entry must not be read as a file of at most {@code max} bytes, or {@code null}. */
        public Problem problem(int max) {
            return CommittedFiles.problem(mode.equals("120000"),
                    type.equals("blob") && (mode.equals("100644") || mode.equals("100755")), size, max);
        }
    }

    /**
     * The entry of {@code path} in {@code commit}; empty when git finds none (no such path, no
     * such commit, or output it cannot be read from).
     */
    public static Optional<TreeEntry> treeEntry(Path workTree, String commit, String path) throws IOException {
        Git.Result entry = Git.run(workTree, List.of("ls-tree", "-l", "-z", commit, "--", path));
        int tab = entry.out().indexOf('\t');
        if (!entry.ok() || tab < 0) {
            return Optional.empty();
        }
        String[] f = entry.out().substring(0, tab).strip().split(" +"); // mode type object size
        if (f.length != 4) {
            return Optional.empty();
        }
        try {
            return Optional.of(new TreeEntry(f[0], f[1], f[2], f[3].equals("-") ? -1 : Long.parseLong(f[3]))); // "-": no blob
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static Problem problem(boolean link, boolean regular, long size, int max) {
        if (link) {
            return Problem.SYMBOLIC_LINK;
        }
        if (!regular) {
            return Problem.NOT_REGULAR;
        }
        return size > max ? Problem.TOO_LARGE : null;
    }
}
