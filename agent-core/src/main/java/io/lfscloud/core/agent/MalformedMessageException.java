package io.lfscloud.core.agent;

/** A protocol line that is not one JSON object; the message says where and why, in one line. */
public final class MalformedMessageException extends Exception {

    public MalformedMessageException(String message) {
        super(message);
    }
}
