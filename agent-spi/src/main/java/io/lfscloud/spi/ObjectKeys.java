package io.lfscloud.spi;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * How an object's key (its own text: an S3 key, a file's path, a URL's path) is written in
 * the path of the URL the core sees, for every backend: percent-encoded as UTF-8 by the
 * path rules of RFC 3986. Unreserved characters, sub-delimiters, {@code :}, {@code @} and
 * {@code /} stand for themselves; everything else ({@code % # ? space}, non-ASCII …) is
 * escaped; a key segment {@code .} or {@code ..} is written {@code %2E} or {@code %2E%2E},
 * so that no URL normalisation can resolve it. Decoding is plain percent-decoding (never
 * form decoding: {@code +} is a plus), so the key below a folder's URL is the key's text.
 *
 * <p>Each backend maps its own keys with these (its key codec); the core uses
 * {@link #keyBelow} to name a listed object after its key.
 */
public final class ObjectKeys {

    private static final String UNESCAPED = "-._~!$&'()*+,;=:@/";

    private ObjectKeys() {
    }

    /** {@code key} as the (raw) path of a URL. */
    public static String encode(String key) {
        StringBuilder sb = new StringBuilder(key.length() + 16);
        int start = 0;
        while (start <= key.length()) {
            int end = key.indexOf('/', start);
            if (end < 0) {
                end = key.length();
            }
            String segment = key.substring(start, end);
            if (segment.equals(".") || segment.equals("..")) {
                sb.append(segment.replace(".", "%2E"));
            } else {
                for (byte b : segment.getBytes(StandardCharsets.UTF_8)) {
                    char c = (char) (b & 0xff);
                    if (c < 0x80 && (Character.isLetterOrDigit(c) || UNESCAPED.indexOf(c) >= 0)) {
                        sb.append(c);
                    } else {
                        sb.append('%').append(String.format(Locale.ROOT, "%02X", b & 0xff));
                    }
                }
            }
            if (end < key.length()) {
                sb.append('/');
            }
            start = end + 1;
        }
        return sb.toString();
    }

    /**
     * The text a URL's raw path stands for: percent-escapes decoded as UTF-8.
     *
     * @throws IllegalArgumentException for a malformed escape or bytes that are not UTF-8
     */
    public static String decode(String raw) {
        if (raw.indexOf('%') < 0) {
            return raw;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            int next = raw.indexOf('%', i);
            if (next != i) {
                int end = next < 0 ? raw.length() : next;
                bytes.writeBytes(raw.substring(i, end).getBytes(StandardCharsets.UTF_8));
                i = end - 1;
                continue;
            }
            if (i + 2 >= raw.length() || Character.digit(raw.charAt(i + 1), 16) < 0 || Character.digit(raw.charAt(i + 2), 16) < 0) {
                throw new IllegalArgumentException("malformed percent-escape in '" + raw + "'");
            }
            bytes.write(Character.digit(raw.charAt(i + 1), 16) * 16 + Character.digit(raw.charAt(i + 2), 16));
            i += 2;
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes.toByteArray())).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("'" + raw + "' escapes bytes that are not UTF-8 text", e);
        }
    }

    /**
     * The key of {@code object} below {@code folder} (a URL ending in {@code /}), as text:
     * {@code a+b/c d.bin} for {@code s3://bucket/dir/a+b/c%20d.bin} below {@code s3://bucket/dir/};
     * {@code null} when {@code object} is not below {@code folder} or its path is malformed.
     */
    public static String keyBelow(URI folder, URI object) {
        if (folder.getScheme() == null || !folder.getScheme().equalsIgnoreCase(object.getScheme())
                || !java.util.Objects.equals(folder.getRawAuthority(), object.getRawAuthority())
                || folder.getRawPath() == null || object.getRawPath() == null) {
            return null;
        }
        try {
            String base = decode(folder.getRawPath());
            String path = decode(object.getRawPath());
            return base.endsWith("/") && path.startsWith(base) && path.length() > base.length()
                    ? path.substring(base.length()) : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** Whether a {@code /}-separated segment of {@code key} is {@code .} or {@code ..}. */
    public static boolean hasDotSegment(String key) {
        for (String segment : key.split("/", -1)) {
            if (segment.equals(".") || segment.equals("..")) {
                return true;
            }
        }
        return false;
    }
}
