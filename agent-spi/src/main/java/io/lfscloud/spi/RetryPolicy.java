package io.lfscloud.spi;

/**
 * How often, and after which pauses, a transient failure is tried again: one policy for the
 * whole product, so that attempts never multiply across layers.
 *
 * <ul>
 *   <li>The agent retries a whole transfer (a download resumes where the failed attempt stopped).</li>
 *   <li>A backend retries on its own only a unit that keeps work already done: a range of a
 *       parallel download, a part of a multipart upload. Everything else it reports as
 *       {@link StorageException.Kind#TRANSIENT} and leaves to the agent.</li>
 *   <li>SDKs retry nothing: a backend turns their retries off explicitly.</li>
 * </ul>
 *
 * <p>Settings (user git config only): {@value #ATTEMPTS_KEY} (1 to 10, default 3) and
 * {@value #PAUSE_KEY} (the first pause in milliseconds, 0 to 10000, default 250); each later
 * pause doubles, up to {@value #MAX_PAUSE_MILLIS} ms.
 *
 * @param attempts         how many times a unit is tried in all (1 = never again)
 * @param firstPauseMillis the pause before the second attempt
 */
public record RetryPolicy(int attempts, long firstPauseMillis) {

    public static final String ATTEMPTS_KEY = "lfs-cloud.retry.attempts";
    public static final String PAUSE_KEY = "lfs-cloud.retry.pauseMillis";
    public static final long MAX_PAUSE_MILLIS = 10_000;

    /** Three attempts, 250 ms then 500 ms apart. */
    public static final RetryPolicy DEFAULT = new RetryPolicy(3, 250);

    public RetryPolicy {
        if (attempts < 1 || firstPauseMillis < 0) {
            throw new IllegalArgumentException("attempts " + attempts + ", pause " + firstPauseMillis);
        }
    }

    /**
     * The policy the settings ask for.
     *
     * @throws StorageException of kind {@link StorageException.Kind#MISCONFIGURED} for a value out of range
     */
    public static RetryPolicy from(BackendConfig config) throws StorageException {
        return new RetryPolicy((int) config.number(ATTEMPTS_KEY, DEFAULT.attempts, 1, 10),
                config.number(PAUSE_KEY, DEFAULT.firstPauseMillis, 0, MAX_PAUSE_MILLIS));
    }

    /** Whether a unit that failed with {@code failure} on attempt {@code attempt} (from 1) is tried again. */
    public boolean again(StorageException failure, int attempt) {
        return failure.kind().retriable() && attempt < attempts;
    }

    /** The pause after failed attempt {@code attempt} (from 1). */
    public long pauseMillis(int attempt) {
        int shift = Math.min(Math.max(attempt - 1, 0), 20);
        return Math.min(firstPauseMillis << shift, Math.max(firstPauseMillis, MAX_PAUSE_MILLIS));
    }

    /**
     * Sleeps the pause after failed attempt {@code attempt}.
     *
     * @throws StorageException {@link StorageException.Kind#TRANSIENT} when interrupted (the interrupt is kept)
     */
    public void pause(int attempt) throws StorageException {
        try {
            Thread.sleep(pauseMillis(attempt));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StorageException(StorageException.Kind.TRANSIENT, "interrupted while waiting to retry", e);
        }
    }
}
