package io.lfscloud.spi;

/** Told of bytes as a backend moves them; may be called from several threads. */
@FunctionalInterface
public interface TransferListener {

    TransferListener NONE = bytes -> { };

    /** {@code bytes} more bytes were transferred. */
    void transferred(long bytes);
}
