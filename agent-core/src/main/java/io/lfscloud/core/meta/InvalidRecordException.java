package io.lfscloud.core.meta;

/** A {@code .lfs-meta} record that cannot be used; the message names the file and the problem. */
public final class InvalidRecordException extends Exception {

    public InvalidRecordException(String message) {
        super(message);
    }
}
