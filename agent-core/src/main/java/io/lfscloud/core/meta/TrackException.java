package io.lfscloud.core.meta;

/** Tracking a file failed; the message is one line for the user. */
public final class TrackException extends Exception {

    public TrackException(String message) {
        super(message);
    }
}
