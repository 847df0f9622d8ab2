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

    /** Longest description of an unexpected failure sent to git-lfs (its trace has the rest). */
    private static final int MAX_DETAIL = 300;

    private final ErrorCode code;
    private final boolean retriable;

    public TransferFailure(ErrorCode code, String message, boolean retriable, Throwable cause) {
        super(Printable.escape(message), cause);
        this.code = java.util.Objects.requireNonNull(code, "code");
        this.retriable = retriable;
    }

    public static TransferFailure badRequest(String message) {
        return new TransferFailure(ErrorCode.BAD_REQUEST, message, false, null);
    }

    /**
     * What nobody planned for (a bug, a backend's RuntimeException, an Error such as
     * OutOfMemoryError or StackOverflowError), as the failure of the one object it hit;
     * the message names it, in one printable line.
     */
    public static TransferFailure unexpected(Throwable t) {
        String what = switch (t) {
            case OutOfMemoryError e -> "the agent ran out of memory (" + e + ")";
            case StackOverflowError e -> "stack overflow (" + e + ")";
            default -> String.valueOf(t);
        };
        if (what.length() > MAX_DETAIL) {
            what = what.substring(0, MAX_DETAIL) + "…"; // escaped with the rest by the constructor
        }
        return new TransferFailure(ErrorCode.INTERNAL, "internal error: " + what, false, t);
    }

    public static TransferFailure of(StorageException e) {
        return new TransferFailure(ErrorCode.of(e.kind()), e.getMessage(), e.kind().retriable(), e);
    }

    public ErrorCode code() {
        return code;
    }

    public boolean retriable() {
        return retriable;
    }
}
