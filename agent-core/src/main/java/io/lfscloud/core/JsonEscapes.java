package io.lfscloud.core;

import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;

/**
 * The escapes of the JSON the project writes (protocol lines, {@code .lfs-meta} files), as
 * Jackson's {@link CharacterEscapes}: JSON's short escapes for quote, backslash, line feed,
 * carriage return and tab, {@code \}{@code u00xx} (lowercase hex) for every other control
 * character, and the line and paragraph separators (U+2028, U+2029) escaped too, so that no
 * string ever breaks a line; everything else is written as it is (UTF-8). These are the
 * escapes the files were written with before Jackson: existing files do not churn.
 */
public final class JsonEscapes extends CharacterEscapes {

    private final int[] ascii = standardAsciiEscapesForJSON();

    public JsonEscapes() {
        for (int c = 0; c < 0x20; c++) {
            if (c != '\n' && c != '\r' && c != '\t') {
                ascii[c] = ESCAPE_CUSTOM;
            }
        }
    }

    @Override
    public int[] getEscapeCodesForAscii() {
        return ascii;
    }

    @Override
    public SerializableString getEscapeSequence(int c) {
        if (c < 0x20 || c == '\u2028' || c == '\u2029') {
            return new SerializedString("\\u" + HEX[c >> 12 & 0xf] + HEX[c >> 8 & 0xf] + HEX[c >> 4 & 0xf] + HEX[c & 0xf]);
        }
        return null;
    }

    private static final char[] HEX = "0123456789abcdef".toCharArray();
}
