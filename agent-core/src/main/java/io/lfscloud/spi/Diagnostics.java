package io.lfscloud.spi;

import io.lfscloud.core.Log;

/**
 * Backends' detailed diagnostics (retries, fallbacks): written to stderr, prefixed like the
 * agent's own, only when tracing is on ({@code --verbose}, {@code LFS_CLOUD_TRACE=1}).
 * Never for what users must see: that is a {@link StorageException}'s message.
 */
public final class Diagnostics {

    private Diagnostics() {
    }

    /** Whether tracing is on (to skip building costly messages). */
    public static boolean tracing() {
        return Log.verbose();
    }

    /** One trace line. */
    public static void trace(String message) {
        Log.trace(message);
    }
}
