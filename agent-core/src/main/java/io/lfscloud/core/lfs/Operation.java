package io.lfscloud.core.lfs;

import java.util.Locale;
import java.util.Optional;

/** The direction of a transfer, as git-lfs names it in {@code init} and in each request's {@code event}. */
public enum Operation {
    /** From the working copy to the store ({@code git push}). */
    UPLOAD,
    /** From the store to the working copy ({@code git pull}, checkouts). */
    DOWNLOAD;

    /** The name on the wire: {@code upload} or {@code download}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The operation named {@code value} on the wire; empty for anything else (another word, not a string). */
    public static Optional<Operation> fromWire(Object value) {
        if ("upload".equals(value)) {
            return Optional.of(UPLOAD);
        }
        if ("download".equals(value)) {
            return Optional.of(DOWNLOAD);
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return wireName();
    }
}
