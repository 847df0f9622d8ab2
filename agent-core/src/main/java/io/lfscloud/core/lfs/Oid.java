package io.lfscloud.core.lfs;

import io.lfscloud.core.Printable;

import java.util.HexFormat;

/**
 * A Git LFS object id: the SHA-256 of the content, exactly 64 lowercase hex digits.
 * Parsed once where an oid comes in (a protocol request, a record, a pointer, a command
 * argument); everything after that holds an {@code Oid}, never an unchecked string.
 *
 * @param hex the 64 lowercase hex digits
 */
public record Oid(String hex) implements Comparable<Oid> {

    /** Length of an oid in hex digits. */
    public static final int LENGTH = 64;

    /** Length of {@link #shortForm()}, enough to tell objects apart in messages. */
    public static final int SHORT_LENGTH = 12;

    public Oid {
        if (!isValid(hex)) {
            throw new IllegalArgumentException(problem(hex));
        }
    }

    /** {@code text} as an oid; throws {@link IllegalArgumentException} (saying why, printably) if it is not one. */
    public static Oid parse(String text) {
        return new Oid(text);
    }

    /** The oid of content whose SHA-256 digest is {@code sha256} (32 bytes). */
    public static Oid of(byte[] sha256) {
        if (sha256.length != LENGTH / 2) {
            throw new IllegalArgumentException("a SHA-256 digest has 32 bytes, not " + sha256.length);
        }
        return new Oid(HexFormat.of().formatHex(sha256));
    }

    /** Whether {@code text} is an oid: 64 lowercase hex digits. */
    public static boolean isValid(String text) {
        if (text == null || text.length() != LENGTH) {
            return false;
        }
        for (int i = 0; i < LENGTH; i++) {
            char c = text.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return false;
            }
        }
        return true;
    }

    /** Why {@code text} is not an oid, in one printable line. */
    public static String problem(String text) {
        return "invalid oid '" + shortForm(text) + "': expected " + LENGTH + " lowercase hex digits";
    }

    /** The first {@value #SHORT_LENGTH} digits, for messages. */
    public String shortForm() {
        return hex.substring(0, SHORT_LENGTH);
    }

    /**
     * {@code text} shortened for messages: an oid's short form, or whatever was sent in its
     * place made harmless (printable ASCII, at most 80 characters).
     */
    public static String shortForm(String text) {
        if (isValid(text)) {
            return text.substring(0, SHORT_LENGTH);
        }
        return text == null ? "null" : Printable.ascii(text, 80);
    }

    /**
     * The sharded path {@code ab/cd/abcd…} of the object below a content-addressed folder:
     * git-lfs's {@code .git/lfs/objects} and a store's layout alike.
     */
    public String shardedPath() {
        return hex.substring(0, 2) + "/" + hex.substring(2, 4) + "/" + hex;
    }

    @Override
    public int compareTo(Oid other) {
        return hex.compareTo(other.hex);
    }

    /** The 64 hex digits, as the protocol, pointers and records write an oid. */
    @Override
    public String toString() {
        return hex;
    }
}
