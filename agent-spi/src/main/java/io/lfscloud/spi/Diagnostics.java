package io.lfscloud.spi;

/**
 * Where a backend writes its detailed diagnostics (retries, fallbacks), handed to it in its
 * {@link BackendContext}: the agent prints them on stderr, prefixed like its own, only when
 * tracing is on ({@code --verbose}, {@code LFS_CLOUD_TRACE=1}). Never for what users must
 * see: that is a {@link StorageException}'s message.
 */
public interface Diagnostics {

    /** Says nothing (tests, tools). */
    Diagnostics NONE = new Diagnostics() {
        @Override
        public boolean tracing() {
            return false;
        }

        @Override
        public void trace(String message) {
        }
    };

    /** Whether tracing is on (to skip building costly messages). */
    boolean tracing();

    /** One trace line; dropped when tracing is off. */
    void trace(String message);
}
