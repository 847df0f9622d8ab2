package io.lfscloud.core.agent;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads line-delimited messages as UTF-8, one line at a time, with a bound on a line's
 * length: an oversized line is skipped to its end and reported, so a bad sender can
 * neither exhaust memory nor desynchronise the stream.
 */
final class LineReader {

    /** What {@link #readLine()} returns for a line that was too long (compared by identity). */
    static final String TOO_LONG = new String("<line too long>");

    private final InputStream in;
    private final int maxLength;
    private final byte[] buf = new byte[8192];
    private int pos;
    private int limit;
    private byte[] line = new byte[1024];

    LineReader(InputStream in, int maxLength) {
        this.in = in;
        this.maxLength = maxLength;
    }

    /** The next line without its terminator ({@code \n} or {@code \r\n}); {@code null} at end of input. */
    String readLine() throws IOException {
        int len = 0;
        boolean overflow = false;
        boolean any = false;
        while (true) {
            if (pos == limit) {
                limit = in.read(buf);
                pos = 0;
                if (limit <= 0) {
                    limit = 0;
                    if (!any) {
                        return null;
                    }
                    break; // last line without a terminator
                }
            }
            any = true;
            byte b = buf[pos++];
            if (b == '\n') {
                break;
            }
            if (overflow) {
                continue;
            }
            if (len == maxLength) {
                overflow = true;
                continue;
            }
            if (len == line.length) {
                line = Arrays.copyOf(line, Math.min(maxLength, line.length * 2));
            }
            line[len++] = b;
        }
        if (overflow) {
            return TOO_LONG;
        }
        if (len > 0 && line[len - 1] == '\r') {
            len--;
        }
        return new String(line, 0, len, StandardCharsets.UTF_8);
    }
}
