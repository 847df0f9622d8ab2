package io.lfscloud.core;

/**
 * Text that came from a repository, a record or a server, made safe to print on a terminal:
 * control characters (C0, DEL, C1), Unicode line and paragraph separators, bidirectional
 * controls and unpaired surrogates are written as escapes ({@code \n}, {@code \t},
 * {@code \x1b}, {@code \u202e}), so that no file name, URL or ETag can move the cursor,
 * retitle the terminal, hide text or start a fake line of output.
 */
public final class Printable {

    private Printable() {
    }

    /** {@code text} with every character a terminal would act on escaped; {@code null} as {@code "null"}. */
    public static String escape(Object text) {
        String s = String.valueOf(text);
        int i = 0;
        while (i < s.length() && !needsEscape(s, i)) {
            i++;
        }
        if (i == s.length()) {
            return s;
        }
        StringBuilder sb = new StringBuilder(s.length() + 16).append(s, 0, i);
        for (; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!needsEscape(s, i)) {
                sb.append(c);
            } else if (c == '\n') {
                sb.append("\\n");
            } else if (c == '\r') {
                sb.append("\\r");
            } else if (c == '\t') {
                sb.append("\\t");
            } else if (c <= 0xff) {
                sb.append(String.format("\\x%02x", (int) c));
            } else {
                sb.append(String.format("\\u%04x", (int) c));
            }
        }
        return sb.toString();
    }

    /**
     * {@code text} reduced to printable ASCII for a short log line: every other character
     * as {@code ?}, cut after {@code max} characters (marked with {@code …}); for text whose
     * exact characters do not matter (a request quoted in an error, something sent in place
     * of an oid).
     */
    public static String ascii(String text, int max) {
        String clean = text.replaceAll("[^\\x20-\\x7e]", "?");
        return clean.length() > max ? clean.substring(0, max) + "…" : clean;
    }

    /** Whether the character at {@code i} is one a terminal would act on, or half a surrogate pair. */
    private static boolean needsEscape(String s, int i) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c)) {
            return i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1));
        }
        if (Character.isLowSurrogate(c)) {
            return i == 0 || !Character.isHighSurrogate(s.charAt(i - 1));
        }
        return isControl(c);
    }

    /**
     * C0, DEL and C1 controls, line and paragraph separators, and the bidirectional
     * formatting characters that reorder what a terminal shows.
     */
    public static boolean isControl(char c) {
        return c < 0x20 || (c >= 0x7f && c <= 0x9f)
                || c == '\u061c' || c == '\u200e' || c == '\u200f'
                || (c >= '\u2028' && c <= '\u202e') || (c >= '\u2066' && c <= '\u2069');
    }
}
