package io.lfscloud.core.agent;

import io.lfscloud.core.Printable;
import io.lfscloud.spi.StorageException;

/**
 * Why one object could not be transferred: reported to git-lfs as the {@code error}
 * of its {@code complete} message. Never ends the agent. The message is escaped
 * ({@link Printable#escape}): it may quote repository content (paths, URLs, ETags), and
 * git-lfs prints it as it is.
 */
public final class TransferFailure extends Exception {

    /** The request itself is wrong (bad oid, missing field). */
    public static final int BAD_REQUEST = 400;

    private final int code;
    private final boolean retriable;

    public TransferFailure(int code, String message, boolean retriable, Throwable cause) {
        super(Printable.escape(message), cause);
        this.code = code;
        this.retriable = retriable;
    }

    public static TransferFailure badRequest(String message) {
        return new TransferFailure(BAD_REQUEST, message, false, null);
    }

    public static TransferFailure of(StorageException e) {
        return new TransferFailure(e.kind().code(), e.getMessage(), e.kind().retriable(), e);
    }

    public int code() {
        return code;
    }

    public boolean retriable() {
        return retriable;
    }
}
