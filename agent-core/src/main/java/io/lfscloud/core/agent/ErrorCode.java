package io.lfscloud.core.agent;

import io.lfscloud.spi.StorageException;

/**
 * The error codes the agent reports to git-lfs, in the {@code error} of a {@code complete},
 * a {@code batch-complete} or an init reply. git-lfs prints them with the message; they
 * follow HTTP status codes, as the custom transfer protocol's examples do, except
 * {@link #INIT_FAILED}, the protocol's own code for a refused {@code init}.
 */
public enum ErrorCode {
    /** The protocol's code for an {@code init} the agent cannot accept (version 2's negotiation). */
    INIT_FAILED(32),
    /** The request itself is wrong: a bad oid, a missing or invalid field, a batch that does not add up. */
    BAD_REQUEST(400),
    /** Refused by policy or by the store: a URL the settings do not allow, access denied. */
    FORBIDDEN(403),
    /** The object is not in the store, or a remote-tracked object is gone. */
    NOT_FOUND(404),
    /** A remote-tracked object changed since it was tracked (other ETag, version or size). */
    CHANGED(409),
    /** The bytes do not match the oid or the size: a corrupt stored object, or a refused special file. */
    CORRUPT(422),
    /** Anything else that failed for good: an unusable record, no store configured, a bug. */
    INTERNAL(500),
    /** Worth trying again later: the store timed out, dropped the connection, throttled. */
    UNAVAILABLE(503),
    /** The local disk could not take the download. */
    INSUFFICIENT_STORAGE(507);

    private final int number;

    ErrorCode(int number) {
        this.number = number;
    }

    /** The number sent on the wire. */
    public int number() {
        return number;
    }

    /** The code reported for a storage failure of {@code kind}: the one place the SPI's kinds meet git-lfs's codes. */
    public static ErrorCode of(StorageException.Kind kind) {
        return switch (kind) {
            case NOT_FOUND -> NOT_FOUND;
            case ACCESS_DENIED -> FORBIDDEN;
            case TRANSIENT -> UNAVAILABLE;
            case MISCONFIGURED -> INTERNAL;
            case CHANGED -> CHANGED;
            case CORRUPT -> CORRUPT;
        };
    }

    /** The code numbered {@code number} on the wire, or {@code null} when no code has that number. */
    public static ErrorCode fromNumber(long number) {
        for (ErrorCode c : values()) {
            if (c.number == number) {
                return c;
            }
        }
        return null;
    }
}
