package io.lfscloud.core.lfs;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The Git LFS pointer file that git commits in place of an object's content:
 *
 * <pre>
 * version https://git-lfs.github.com/spec/v1
 * oid sha256:&lt;64 lowercase hex digits&gt;
 * size &lt;bytes&gt;
 * </pre>
 *
 * <p>{@link #encode()} writes the canonical form, byte for byte what git-lfs writes (so
 * that its blob id is the one git-lfs's clean filter gives). {@link #parse} reads what
 * git-lfs reads: at most {@value #MAX_SIZE} bytes of UTF-8; {@code version}, {@code oid},
 * {@code size} in that order, each {@code key value}; the two older version URLs git-lfs
 * still accepts; empty lines and a {@code \r} before a line's end ignored; extension lines
 * ({@code ext-0-name …}) between them accepted and not kept (lfs-cloud uses none).
 *
 * @param oid  the object's id
 * @param size its length in bytes, {@code >= 0}
 */
public record LfsPointer(Oid oid, long size) {

    /** The version line's value that git-lfs writes. */
    public static final String VERSION = "https://git-lfs.github.com/spec/v1";

    /** Largest file git-lfs reads as a pointer; anything longer is content. */
    public static final int MAX_SIZE = 1024;

    /** Version values git-lfs reads as version 1: the current one and two from before its launch. */
    private static final List<String> VERSIONS = List.of(VERSION, "https://hawser.github.com/spec/v1", "http://git-media.io/v/2");
    private static final List<String> KEYS = List.of("version", "oid", "size");
    private static final Pattern EXTENSION = Pattern.compile("ext-[0-9]-\\w+");

    public LfsPointer {
        Objects.requireNonNull(oid, "oid");
        if (size < 0) {
            throw new IllegalArgumentException("a pointer's size cannot be negative: " + size);
        }
    }

    /** The canonical pointer text, ending with a line feed. */
    public String encode() {
        return "version " + VERSION + "\noid sha256:" + oid.hex() + "\nsize " + size + "\n";
    }

    /** {@link #encode()} as the bytes of the file (ASCII). */
    public byte[] bytes() {
        return encode().getBytes(StandardCharsets.US_ASCII);
    }

    /** The pointer {@code content} holds, or empty if git-lfs would not read it as one. */
    public static Optional<LfsPointer> parse(byte[] content) {
        if (content.length > MAX_SIZE) {
            return Optional.empty();
        }
        try {
            String text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(content)).toString();
            return parse(text);
        } catch (CharacterCodingException e) {
            return Optional.empty();
        }
    }

    /** The pointer {@code text} holds, or empty if git-lfs would not read it as one. */
    public static Optional<LfsPointer> parse(String text) {
        if (text.length() > MAX_SIZE) {
            return Optional.empty();
        }
        String[] values = new String[KEYS.size()];
        int next = 0;
        for (String line : text.split("\n", -1)) {
            if (line.endsWith("\r")) {
                line = line.substring(0, line.length() - 1);
            }
            if (line.isEmpty()) {
                continue;
            }
            int space = line.indexOf(' ');
            if (space < 0) {
                return Optional.empty();
            }
            String key = line.substring(0, space);
            if (next < KEYS.size() && key.equals(KEYS.get(next))) {
                values[next++] = line.substring(space + 1);
            } else if (next >= KEYS.size() || !EXTENSION.matcher(key).matches()) {
                return Optional.empty(); // a line after size, or a key out of order
            }
        }
        if (next < KEYS.size() || !VERSIONS.contains(values[0]) || !values[1].startsWith("sha256:")) {
            return Optional.empty();
        }
        String hex = values[1].substring("sha256:".length());
        if (!Oid.isValid(hex) || !values[2].matches("[0-9]{1,19}")) {
            return Optional.empty();
        }
        try {
            return Optional.of(new LfsPointer(Oid.parse(hex), Long.parseLong(values[2])));
        } catch (NumberFormatException e) {
            return Optional.empty(); // beyond a long
        }
    }

    @Override
    public String toString() {
        return "LfsPointer[" + oid.shortForm() + ", " + size + " bytes]";
    }
}
