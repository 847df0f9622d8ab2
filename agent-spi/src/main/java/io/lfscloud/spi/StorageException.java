package io.lfscloud.spi;

import java.io.IOException;
import java.util.Objects;

/**
 * A storage failure, classified so that callers can act without knowing SDK types.
 * The message is one line meant for users: it names the object or bucket and, where
 * it helps, what to do. It never contains credentials.
 */
public class StorageException extends IOException {

    /** The small closed set of things that can go wrong with a store. */
    public enum Kind {
        /** The object does not exist. */
        NOT_FOUND(false),
        /** Credentials are missing, wrong or lack a permission. */
        ACCESS_DENIED(false),
        /** Worth trying again: timeouts, dropped connections, throttling, 5xx. */
        TRANSIENT(true),
        /** The store itself cannot work as configured: no such bucket, bad endpoint, unwritable folder. */
        MISCONFIGURED(false),
        /** The object exists but is not what was recorded (other ETag, version or size). */
        CHANGED(false),
        /** The bytes read do not match the object's identity. */
        CORRUPT(false);

        private final boolean retriable;

        Kind(boolean retriable) {
            this.retriable = retriable;
        }

        /** Whether trying the same operation again may succeed. */
        public boolean retriable() {
            return retriable;
        }
    }

    private final Kind kind;

    public StorageException(Kind kind, String message) {
        this(kind, message, null);
    }

    public StorageException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    public Kind kind() {
        return kind;
    }
}
