package io.lfscloud.core.meta;

import io.lfscloud.core.Printable;

import java.nio.charset.StandardCharsets;

/**
 * Checks paths that come from a repository (a record's or pending entry's {@code path}, the
 * files under {@code .lfs-meta}): relative to the working tree's root, with {@code /} between
 * names, already normalised (no empty, {@code .} or {@code ..} names, no leading or trailing
 * {@code /}), without backslashes or control characters, of a sane length, and never inside
 * {@code .git}. Such a path cannot leave the working tree by itself; symbolic links on the
 * way are {@link SafeFiles}' concern.
 *
 * <p>The problems are described without quoting the path: it may have been written to
 * mislead whoever reads the message.
 */
public final class RepoPath {

    /** The longest path accepted, in characters. */
    public static final int MAX_LENGTH = 4096;
    /** The longest name of one folder or file, in UTF-8 bytes (what Linux file systems allow). */
    public static final int MAX_NAME_BYTES = 255;

    /** Files git and git-lfs read as settings, in any folder: never a tracked file's place. */
    private static final java.util.Set<String> GIT_FILES = java.util.Set.of(".gitattributes", ".gitignore",
            ".gitmodules", ".lfsconfig", ".mailmap");

    private RepoPath() {
    }

    /** Why {@code path} is not a normalised path inside the working tree, or {@code null} when it is. */
    public static String problem(String path) {
        if (path == null || path.isEmpty()) {
            return "is empty";
        }
        if (path.length() > MAX_LENGTH) {
            return "is longer than " + MAX_LENGTH + " characters";
        }
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (Printable.isControl(c)) {
                return "has a control character";
            }
            if (Character.isHighSurrogate(c) && i + 1 < path.length() && Character.isLowSurrogate(path.charAt(i + 1))) {
                i++; // a pair: one character beyond the BMP
            } else if (Character.isSurrogate(c)) {
                return "is not valid Unicode";
            }
            if (c == '\\') {
                return "has a backslash";
            }
        }
        if (path.startsWith("/")) {
            return "is absolute";
        }
        for (String name : path.split("/", -1)) {
            if (name.isEmpty()) {
                return "has an empty name (a doubled or trailing '/')";
            }
            if (name.equals(".") || name.equals("..")) {
                return "has a '" + name + "' segment";
            }
            if (name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
                return "has a name longer than " + MAX_NAME_BYTES + " bytes";
            }
            if (name.equalsIgnoreCase(".git")) {
                return "is inside .git";
            }
        }
        return null;
    }

    /**
     * Why {@code path} cannot hold a tracked file, or {@code null} when it can: {@link #problem}
     * and, besides, not inside {@code .lfs-meta}.
     */
    public static String trackedFileProblem(String path) {
        String p = problem(path);
        if (p != null) {
            return p;
        }
        String first = path.contains("/") ? path.substring(0, path.indexOf('/')) : path;
        if (first.equalsIgnoreCase(MetaLayout.DIR)) {
            return "is inside " + MetaLayout.DIR;
        }
        String last = path.substring(path.lastIndexOf('/') + 1).toLowerCase(java.util.Locale.ROOT);
        return GIT_FILES.contains(last) ? "names a file git or git-lfs reads as settings" : null;
    }
}
