package io.lfscloud.core.server;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Where servers listen: one folder per user ({@code LFS_CLOUD_SERVER_DIR}, else
 * {@code $XDG_RUNTIME_DIR/lfs-cloud}, else {@code /tmp/lfs-cloud-<uid>}), used only when it is
 * a real folder (not a link) owned by this user with mode 0700; and in it, one socket per
 * compatibility key: the product build and the environment that credential chains read.
 */
final class ServerDir {

    /** Variables a server's credential chains, proxies and git read: a difference means another server. */
    private static final String[] KEY_PREFIXES = {"AWS_", "AZURE_", "GOOGLE_", "CLOUDSDK_", "XDG_", "LFS_CLOUD_"};
    private static final Set<String> KEY_NAMES = Set.of("HOME", "TMPDIR", "USER",
            "http_proxy", "https_proxy", "no_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY",
            "SSL_CERT_FILE", "SSL_CERT_DIR", "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS");
    /** Per connection instead (tracing) or about the relay only. */
    private static final Set<String> NOT_KEY = Set.of("LFS_CLOUD_TRACE", "LFS_CLOUD_SERVER", "LFS_CLOUD_INIT_IN_JAVA");

    final Path dir;

    private ServerDir(Path dir) {
        this.dir = dir;
    }

    /** A refused or unusable folder. */
    static final class Refused extends IOException {
        Refused(String message) {
            super(message);
        }
    }

    /** The folder for {@code env}, created (0700) when missing, checked either way. */
    static ServerDir open(Map<String, String> env) throws IOException {
        Path dir;
        String override = env.get("LFS_CLOUD_SERVER_DIR");
        String runtime = env.get("XDG_RUNTIME_DIR");
        if (override != null && !override.isEmpty()) {
            dir = Path.of(override);
        } else if (runtime != null && runtime.startsWith("/")) {
            dir = Path.of(runtime, "lfs-cloud");
        } else {
            dir = Path.of("/tmp", "lfs-cloud-" + uid());
        }
        if (!dir.isAbsolute()) {
            throw new Refused("the server folder " + dir + " is not an absolute path");
        }
        try {
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(EnumSet.of(
                    PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE)));
        } catch (FileAlreadyExistsException e) {
            // checked below
        }
        check(dir);
        return new ServerDir(dir);
    }

    /** Owned by this user, mode 0700, a folder and not a link to one. */
    static void check(Path dir) throws IOException {
        BasicFileAttributes a = Files.readAttributes(dir, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (a.isSymbolicLink() || !a.isDirectory()) {
            throw new Refused("refusing the server folder " + dir + ": it is " + (a.isSymbolicLink() ? "a symbolic link" : "not a folder"));
        }
        int owner = (Integer) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        if (owner != uid()) {
            throw new Refused("refusing the server folder " + dir + ": it belongs to uid " + owner + ", not to you");
        }
        int mode = (Integer) Files.getAttribute(dir, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
        if (mode != 0700) {
            throw new Refused("refusing the server folder " + dir + ": its mode is " + Integer.toOctalString(mode) + ", not 700");
        }
    }

    /** A socket this user owns (a socket of another user is never used). */
    static boolean ownSocket(Path socket) throws IOException {
        BasicFileAttributes a = Files.readAttributes(socket, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        return a.isOther() && (Integer) Files.getAttribute(socket, "unix:uid", LinkOption.NOFOLLOW_LINKS) == uid();
    }

    static int uid() throws IOException {
        return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    }

    Path socket(String key) {
        return dir.resolve(key + ".sock");
    }

    Path lock(String key) {
        return dir.resolve(key + ".lock");
    }

    Path log(String key) {
        return dir.resolve(key + ".log");
    }

    /**
     * The compatibility key: this build (version, install folder, the runtime image's modules
     * file) and the credential-relevant environment. 16 hex digits: socket paths must stay short.
     */
    static String key(Map<String, String> env) {
        StringBuilder sb = new StringBuilder(build()).append('\n');
        for (Map.Entry<String, String> e : new TreeMap<>(env).entrySet()) {
            if (keyRelevant(e.getKey())) {
                sb.append(e.getKey()).append('=').append(e.getValue()).append('\0');
            }
        }
        return "s-" + sha256(sb.toString()).substring(0, 16);
    }

    static boolean keyRelevant(String name) {
        if (NOT_KEY.contains(name)) {
            return false;
        }
        if (KEY_NAMES.contains(name)) {
            return true;
        }
        for (String p : KEY_PREFIXES) {
            if (name.startsWith(p)) {
                return true;
            }
        }
        return false;
    }

    /** What identifies this build: a server of another build (an upgrade) is never used. */
    static String build() {
        StringBuilder sb = new StringBuilder(version());
        String home = System.getProperty("lfscloud.home");
        if (home != null) {
            sb.append(' ').append(home);
            try {
                Path modules = Path.of(home, "runtime", "lib", "modules");
                BasicFileAttributes a = Files.readAttributes(modules, BasicFileAttributes.class);
                sb.append(' ').append(a.size()).append(' ').append(a.lastModifiedTime().toMillis());
            } catch (IOException e) {
                // not a runtime image (tests): version and home only
            }
        }
        return sb.toString();
    }

    static String version() {
        try (InputStream in = ServerDir.class.getResourceAsStream("/io/lfscloud/core/version.properties")) {
            if (in != null) {
                java.util.Properties p = new java.util.Properties();
                p.load(in);
                return p.getProperty("version", "unknown");
            }
        } catch (IOException e) {
            // unknown
        }
        return "unknown";
    }

    static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
