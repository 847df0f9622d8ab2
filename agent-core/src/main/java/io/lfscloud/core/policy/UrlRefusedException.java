package io.lfscloud.core.policy;

/** A URL that lfs-cloud will not use or record; the message says why and, if possible, how to allow it. */
public final class UrlRefusedException extends Exception {

    public UrlRefusedException(String message) {
        super(message);
    }
}
