package io.lfscloud.spi;

import java.net.URI;
import java.util.Locale;
import java.util.Optional;

/**
 * The repository's lfs-cloud settings as a backend sees them: git config keys
 * {@code lfs-cloud.*}, falling back to the committed {@code .lfs-meta/config} for the keys a
 * repository may set (the core decides which; see the README's Security section). Never
 * holds credentials; those stay in each cloud's own credential chain.
 *
 * <p>Every numeric setting a backend reads goes through {@link #number} or {@link #bytes}
 * with a range, so that no value (committed or not) can hang a transfer or exhaust memory.
 */
@FunctionalInterface
public interface BackendConfig {

    BackendConfig EMPTY = key -> Optional.empty();

    /**
     * The value of a setting, by its full key (e.g. {@code "lfs-cloud.s3.region"}).
     * Keys are case-insensitive in their first and last parts, as in git.
     */
    Optional<String> get(String key);

    /**
     * These settings as the backend of one scope of provider {@code name} sees them (git's
     * subsection form): {@code lfs-cloud.NAME.KEY} reads {@code lfs-cloud.NAME.SCOPE.KEY} first and
     * falls back to {@code lfs-cloud.NAME.KEY}; other keys, and every key with an empty
     * {@code scope}, read as they are. So {@code lfs-cloud.s3.my-bucket.endpoint} overrides
     * {@code lfs-cloud.s3.endpoint} for {@code s3://my-bucket/…}.
     */
    default BackendConfig scoped(String name, String scope) {
        if (scope.isEmpty()) {
            return this;
        }
        String section = "lfs-cloud." + name + ".";
        BackendConfig all = this;
        return new BackendConfig() {
            @Override
            public Optional<String> get(String key) {
                if (key.regionMatches(true, 0, section, 0, section.length()) && key.indexOf('.', section.length()) < 0) {
                    Optional<String> own = all.get(section + scope + "." + key.substring(section.length()));
                    if (own.isPresent()) {
                        return own;
                    }
                }
                return all.get(key);
            }

            @Override
            public void checkRedirect(URI from, URI to) throws StorageException {
                all.checkRedirect(from, to);
            }
        };
    }

    /**
     * Checks a URL the backend is about to contact that it was not handed: every hop of a
     * redirect. The core applies its URL policy here (no {@code file:}, no metadata hosts,
     * no credentials in the URL) and refuses a hop that changes scheme; backends call it
     * before following any redirect, and never send credentials to another host than the
     * one they were configured with.
     *
     * @throws StorageException of kind {@link StorageException.Kind#ACCESS_DENIED} when refused
     */
    default void checkRedirect(URI from, URI to) throws StorageException {
        String a = from.getScheme() == null ? "" : from.getScheme().toLowerCase(Locale.ROOT);
        String b = to.getScheme() == null ? "" : to.getScheme().toLowerCase(Locale.ROOT);
        if (!a.equals(b) && !(a.equals("http") && b.equals("https"))) {
            throw new StorageException(StorageException.Kind.ACCESS_DENIED,
                    "refusing a redirect from " + from.getScheme() + "://" + from.getHost() + " to a " + to.getScheme()
                            + ": URL");
        }
    }

    /**
     * A whole-number setting (a count, or seconds) within {@code [min, max]}.
     *
     * @throws StorageException of kind {@link StorageException.Kind#MISCONFIGURED}, naming the key,
     *                          the value and the range, when it is not a whole number or out of range
     */
    default long number(String key, long fallback, long min, long max) throws StorageException {
        Optional<String> v = get(key);
        if (v.isEmpty()) {
            return fallback;
        }
        String s = v.get().strip();
        long n;
        try {
            n = Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new StorageException(StorageException.Kind.MISCONFIGURED,
                    key + " must be a whole number from " + min + " to " + max + ", not '" + Settings.printable(s) + "'");
        }
        if (n < min || n > max) {
            throw new StorageException(StorageException.Kind.MISCONFIGURED,
                    key + " must be from " + min + " to " + max + ", not " + n);
        }
        return n;
    }

    /**
     * A size setting within {@code [min, max]} bytes: a whole number with an optional
     * {@code k}, {@code m} or {@code g} suffix (binary units), as in git.
     *
     * @throws StorageException of kind {@link StorageException.Kind#MISCONFIGURED} when it is not
     *                          a size or out of range; the message names key, value and range
     */
    default long bytes(String key, long fallback, long min, long max) throws StorageException {
        Optional<String> v = get(key);
        if (v.isEmpty()) {
            return fallback;
        }
        long n = Settings.parseSize(v.get());
        if (n < 0) {
            throw new StorageException(StorageException.Kind.MISCONFIGURED, key + " must be a size such as 8m (from "
                    + Settings.size(min) + " to " + Settings.size(max) + "), not '" + Settings.printable(v.get()) + "'");
        }
        if (n < min || n > max) {
            throw new StorageException(StorageException.Kind.MISCONFIGURED, key + " must be from " + Settings.size(min)
                    + " to " + Settings.size(max) + ", not " + v.get().strip());
        }
        return n;
    }

    /** A yes/no setting: {@code true/yes/on/1} or {@code false/no/off/0}, as in git; anything else is the fallback. */
    default boolean flag(String key, boolean fallback) {
        return get(key).map(v -> switch (v.strip().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on", "1" -> true;
            case "false", "no", "off", "0", "" -> false;
            default -> fallback;
        }).orElse(fallback);
    }

    /** Helpers of the default methods. */
    final class Settings {

        private Settings() {
        }

        /** Bytes of {@code 12}, {@code 8k}, {@code 16m}, {@code 1g}; -1 when it is none of those or overflows. */
        static long parseSize(String text) {
            String s = text.strip().toLowerCase(Locale.ROOT);
            long unit = 1;
            if (s.endsWith("k")) {
                unit = 1L << 10;
            } else if (s.endsWith("m")) {
                unit = 1L << 20;
            } else if (s.endsWith("g")) {
                unit = 1L << 30;
            }
            String digits = unit == 1 ? s : s.substring(0, s.length() - 1);
            if (digits.isEmpty() || digits.length() > 15 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
                return -1;
            }
            try {
                return Math.multiplyExact(Long.parseLong(digits), unit);
            } catch (ArithmeticException e) {
                return -1;
            }
        }

        static String size(long bytes) {
            if (bytes >= 1L << 30 && bytes % (1L << 30) == 0) {
                return (bytes >> 30) + "g";
            }
            if (bytes >= 1L << 20 && bytes % (1L << 20) == 0) {
                return (bytes >> 20) + "m";
            }
            if (bytes >= 1L << 10 && bytes % (1L << 10) == 0) {
                return (bytes >> 10) + "k";
            }
            return Long.toString(bytes);
        }

        /** A value for a message: at most 40 characters, control characters escaped. */
        static String printable(String s) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < s.length() && sb.length() < 40; i++) {
                char c = s.charAt(i);
                if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
                    sb.append(String.format("\\x%02x", (int) c));
                } else {
                    sb.append(c);
                }
            }
            return s.length() > 40 ? sb + "…" : sb.toString();
        }
    }
}
