package io.lfscloud.spi;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The one retry policy: what is retried, how often, after which pauses, and from which settings. */
class RetryPolicyTest {

    private static final StorageException TRANSIENT = new StorageException(StorageException.Kind.TRANSIENT, "t");
    private static final StorageException DENIED = new StorageException(StorageException.Kind.ACCESS_DENIED, "d");

    @Test
    void onlyTransientFailuresAreRetriedAndOnlyUpToTheAttempts() {
        RetryPolicy p = RetryPolicy.DEFAULT;
        assertTrue(p.again(TRANSIENT, 1));
        assertTrue(p.again(TRANSIENT, 2));
        assertFalse(p.again(TRANSIENT, 3));
        assertFalse(p.again(DENIED, 1));
        assertFalse(new RetryPolicy(1, 0).again(TRANSIENT, 1));
    }

    @Test
    void pausesDoubleUpToTheCap() {
        RetryPolicy p = new RetryPolicy(10, 250);
        assertEquals(250, p.pauseMillis(1));
        assertEquals(500, p.pauseMillis(2));
        assertEquals(1000, p.pauseMillis(3));
        assertEquals(RetryPolicy.MAX_PAUSE_MILLIS, p.pauseMillis(9));
        assertEquals(RetryPolicy.MAX_PAUSE_MILLIS, p.pauseMillis(1000));
        assertEquals(0, new RetryPolicy(3, 0).pauseMillis(2));
    }

    @Test
    void settingsAreReadWithinTheirRanges() throws StorageException {
        assertEquals(RetryPolicy.DEFAULT, RetryPolicy.from(BackendConfig.EMPTY));
        Map<String, String> m = Map.of(RetryPolicy.ATTEMPTS_KEY, "5", RetryPolicy.PAUSE_KEY, "0");
        assertEquals(new RetryPolicy(5, 0), RetryPolicy.from(key -> Optional.ofNullable(m.get(key))));
        StorageException e = assertThrows(StorageException.class,
                () -> RetryPolicy.from(key -> key.equals(RetryPolicy.ATTEMPTS_KEY) ? Optional.of("0") : Optional.empty()));
        assertEquals("lfs-cloud.retry.attempts must be from 1 to 10, not 0", e.getMessage());
    }
}
