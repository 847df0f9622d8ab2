package io.lfscloud.core.git;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The committed {@code .lfs-meta/config}: settings that travel with the repository, written
 * by whoever can push to it. This is the one place that decides what a repository may set.
 *
 * <p>The <em>safe keys</em> ({@link #SAFE_KEYS}: the store's URL and tunables whose values
 * backends bound) are honoured as committed. Every other key (plugin folders, URL-policy
 * switches, endpoints, which decide where code comes from and where credentials go) is
 * honoured only once the user has trusted this file's exact content with
 * {@code git lfs-cloud trust}, which records its SHA-256 in the repository's git config
 * ({@value #TRUST_KEY}); a changed file needs trust again. Until then such keys read as
 * unset, and {@link #refused()} names them.
 *
 * <p>The file is read without following a symlink, at most {@value #MAX_BYTES} bytes, and
 * parsed by git with includes off: a committed file cannot make lfs-cloud read another file.
 */
public final class CommittedConfig {

    /** The folder of what lfs-cloud commits (this file, and the records of {@code core.meta}), relative to the working tree. */
    public static final String META_DIR = ".lfs-meta";

    /** Where the file lives, relative to the working tree. */
    public static final String PATH = META_DIR + "/config";

    /** The user's git config key that holds the SHA-256 of the committed file they trusted. */
    public static final String TRUST_KEY = "lfs-cloud.trustedConfig";

    /** Larger files are not read: a settings file is a few lines. */
    static final int MAX_BYTES = 64 * 1024;

    /** What a repository may set without the user's trust (canonical key names, see {@link ConfigValues#normalize}). */
    public static final Set<String> SAFE_KEYS = Set.of(
            "lfs-cloud.store",
            // named stores (core.store.Stores): URLs as lfs-cloud.store, their read order, and copies, bounded
            "lfs-cloud.store.url", "lfs-cloud.store.write", "lfs-cloud.store.priority", "lfs-cloud.copies",
            "lfs-cloud.http.timeoutseconds",
            "lfs-cloud.s3.region",
            "lfs-cloud.s3.pathstyle",
            "lfs-cloud.s3.multipartthreshold",
            "lfs-cloud.s3.partsize",
            "lfs-cloud.s3.uploadconcurrency",
            "lfs-cloud.s3.downloadpartsize",
            "lfs-cloud.s3.downloadconcurrency",
            "lfs-cloud.s3.timeoutseconds",
            "lfs-cloud.azure.timeoutseconds", "lfs-cloud.azure.blocksize", "lfs-cloud.azure.uploadconcurrency",
            "lfs-cloud.azure.downloadpartsize", "lfs-cloud.azure.downloadconcurrency",
            "lfs-cloud.gcs.timeoutseconds", "lfs-cloud.gcs.chunksize", "lfs-cloud.gcs.downloadpartsize",
            "lfs-cloud.gcs.downloadconcurrency");

    /** How known keys are spelled in messages (git reports section and variable names in lower case). */
    private static final List<String> KNOWN_KEYS = List.of(
            "lfs-cloud.store", "lfs-cloud.pluginPath", "lfs-cloud.allowFileUrls", "lfs-cloud.allowMetadataHosts",
            "lfs-cloud.trustedConfig", "lfs-cloud.http.timeoutSeconds", "lfs-cloud.s3.endpoint", "lfs-cloud.s3.region",
            "lfs-cloud.s3.pathStyle", "lfs-cloud.s3.multipartThreshold", "lfs-cloud.s3.partSize",
            "lfs-cloud.s3.uploadConcurrency", "lfs-cloud.s3.downloadPartSize", "lfs-cloud.s3.downloadConcurrency",
            "lfs-cloud.s3.timeoutSeconds", "lfs-cloud.azure.endpoint", "lfs-cloud.azure.timeoutSeconds",
            "lfs-cloud.azure.blockSize", "lfs-cloud.azure.uploadConcurrency", "lfs-cloud.azure.downloadPartSize",
            "lfs-cloud.azure.downloadConcurrency", "lfs-cloud.gcs.endpoint", "lfs-cloud.gcs.anonymous",
            "lfs-cloud.gcs.timeoutSeconds", "lfs-cloud.gcs.chunkSize", "lfs-cloud.gcs.downloadPartSize",
            "lfs-cloud.gcs.downloadConcurrency");

    /** {@code key} as the documentation spells it, when it is a known key or a known key of one location. */
    public static String displayName(String key) {
        String canonical = ConfigValues.normalize(key);
        String general = general(canonical);
        for (String k : KNOWN_KEYS) {
            if (ConfigValues.normalize(k).equals(canonical)) {
                return k;
            }
            if (general != null && ConfigValues.normalize(k).equals(general)) {
                return canonical.substring(0, canonical.lastIndexOf('.') + 1) + k.substring(k.lastIndexOf('.') + 1);
            }
        }
        return key;
    }

    /**
     * The setting a per-location key overrides ({@code lfs-cloud.s3.BUCKET.region} →
     * {@code lfs-cloud.s3.region}, see {@code BackendConfig.scoped}), or {@code null} when
     * {@code key} (canonical) is none.
     */
    private static String general(String key) {
        int first = key.indexOf('.');
        int second = first < 0 ? -1 : key.indexOf('.', first + 1);
        int last = key.lastIndexOf('.');
        return first > 0 && second > first && last > second ? key.substring(0, second) + key.substring(last) : null;
    }

    static final CommittedConfig NONE = new CommittedConfig(ConfigValues.EMPTY, null, false, null);

    private final ConfigValues values;
    private final String sha256;
    private final boolean trusted;
    private final String problem;

    private CommittedConfig(ConfigValues values, String sha256, boolean trusted, String problem) {
        this.values = values;
        this.sha256 = sha256;
        this.trusted = trusted;
        this.problem = problem;
    }

    /**
     * Reads the file from the working tree or, when it is not checked out there (git-lfs
     * smudges during a clone before later files exist), from HEAD.
     *
     * @param user the user's own git config, for {@value #TRUST_KEY}
     */
    static CommittedConfig read(Path workTree, ConfigValues user) throws IOException {
        byte[] content;
        try {
            content = readWorkTree(workTree.resolve(PATH));
        } catch (NoSuchFileException e) {
            content = readHead(workTree);
            if (content == null) {
                return NONE;
            }
        } catch (Unusable e) {
            return new CommittedConfig(ConfigValues.EMPTY, null, false, e.getMessage());
        }
        String sha = sha256(content);
        boolean trusted = user.get(TRUST_KEY).map(v -> v.strip().equalsIgnoreCase(sha)).orElse(false);
        Git.Result r = Git.run(workTree, List.of("config", "--no-includes", "--file", "-", "--list", "-z"), content);
        if (!r.ok()) {
            return new CommittedConfig(ConfigValues.EMPTY, sha, trusted, PATH + " is not a git config file ("
                    + r.firstErrorLine() + "); its settings are ignored");
        }
        return new CommittedConfig(ConfigValues.parseNulSeparated(r.out()), sha, trusted, null);
    }

    /** A file that exists but must not be read: not a regular file, or too large. */
    private static final class Unusable extends IOException {
        Unusable(String message) {
            super(message);
        }
    }

    private static byte[] readWorkTree(Path file) throws IOException {
        BasicFileAttributes folder = Files.readAttributes(file.getParent(), BasicFileAttributes.class,
                LinkOption.NOFOLLOW_LINKS);
        if (!folder.isDirectory()) {
            throw new Unusable(file.getParent().getFileName() + " is " + (folder.isSymbolicLink() ? "a symbolic link"
                    : "not a folder") + "; the settings of " + PATH + " are ignored");
        }
        try {
            return CommittedFiles.read(file, MAX_BYTES);
        } catch (CommittedFiles.Unreadable e) {
            throw new Unusable(PATH + " is " + switch (e.problem()) {
                case SYMBOLIC_LINK -> "a symbolic link";
                case NOT_REGULAR -> "not a regular file";
                case TOO_LARGE -> "larger than " + MAX_BYTES / 1024 + " KiB";
            } + "; its settings are ignored");
        }
    }

    /** The file as committed at HEAD, or {@code null} when there is none (or no HEAD yet). */
    private static byte[] readHead(Path workTree) throws IOException {
        // a symlink or a folder is no settings file
        Optional<CommittedFiles.TreeEntry> entry = CommittedFiles.treeEntry(workTree, "HEAD", PATH)
                .filter(e -> e.problem(MAX_BYTES) == null);
        return entry.isEmpty() ? null : Git.blob(workTree, entry.get().object());
    }

    static String sha256(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Whether a repository may set {@code key} without the user's trust. A per-location key
     * ({@code lfs-cloud.s3.BUCKET.region}) is as safe as the key it overrides: a bucket's
     * endpoint needs trust as every endpoint does.
     */
    public static boolean isSafe(String key) {
        String k = ConfigValues.normalize(key).toLowerCase(Locale.ROOT);
        String general = general(k);
        return SAFE_KEYS.contains(k) || (general != null && SAFE_KEYS.contains(general));
    }

    /** A setting as lfs-cloud may use it: safe keys always, the others only when trusted. */
    public Optional<String> get(String key) {
        return trusted || isSafe(key) ? values.get(key) : Optional.empty();
    }

    /** The keys {@link #get} gives a value for (canonical). */
    public Set<String> keys() {
        Set<String> keys = new java.util.LinkedHashSet<>();
        for (String k : values.keys()) {
            if (trusted || isSafe(k)) {
                keys.add(k);
            }
        }
        return keys;
    }

    /** Whether there is a committed file at all. */
    public boolean present() {
        return sha256 != null;
    }

    /** The SHA-256 of the file's bytes, which {@code git lfs-cloud trust} records; {@code null} without a file. */
    public String sha256() {
        return sha256;
    }

    /** Whether the user trusted exactly this content. */
    public boolean trusted() {
        return trusted;
    }

    /** Why the file could not be used at all, or {@code null}. */
    public String problem() {
        return problem;
    }

    /** The lfs-cloud keys the file sets that need trust, sorted (empty once trusted). */
    public List<String> untrustedKeys() {
        Set<String> keys = new TreeSet<>();
        for (String k : values.keys()) {
            if (k.startsWith("lfs-cloud.") && !isSafe(k)) {
                keys.add(displayName(k));
            }
        }
        return new ArrayList<>(keys);
    }

    /** What {@link #get} withholds: the untrusted keys, or none once trusted. */
    public List<String> refused() {
        return trusted ? List.of() : untrustedKeys();
    }

    /** Every lfs-cloud key and value the file sets, for {@code trust} to show. */
    public List<String[]> entries() {
        List<String[]> out = new ArrayList<>();
        for (String k : values.keys()) {
            if (k.startsWith("lfs-cloud.")) {
                out.add(new String[] {displayName(k), values.get(k).orElse("")});
            }
        }
        out.sort((a, b) -> a[0].compareTo(b[0]));
        return out;
    }

    /** The one warning line about withheld keys (or an unusable file), or {@code null} when there is nothing to say. */
    public String warning() {
        if (problem != null) {
            return problem;
        }
        List<String> refused = refused();
        if (refused.isEmpty()) {
            return null;
        }
        return "ignoring " + String.join(", ", refused) + " from the committed " + PATH
                + " (a repository may not set " + (refused.size() == 1 ? "it" : "them")
                + " until you trust it): review it and run 'git lfs-cloud trust'";
    }
}
