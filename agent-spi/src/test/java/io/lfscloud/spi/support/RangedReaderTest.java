package io.lfscloud.spi.support;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RangedReaderTest {

    static byte[] data(int size) {
        byte[] b = new byte[size];
        new Random(size).nextBytes(b);
        return b;
    }

    static void sleep(int millis) throws IOException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            throw new IOException(e);
        }
    }

    static byte[] readAll(RangedReader r, int chunk) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[chunk];
        int n;
        while ((n = r.read(buf, 0, buf.length)) >= 0) {
            out.write(buf, 0, n);
        }
        return out.toByteArray();
    }

    @Test
    void rangesFetchedOutOfOrderComeOutInOrder() throws Exception {
        byte[] data = data(1_000_003);
        Random jitter = new Random(1);
        for (long start : new long[] {0, 1, 99_999, 999_000}) {
            for (int part : new int[] {1_000, 65_536, 400_000, 2_000_000}) {
                try (RangedReader r = new RangedReader((from, into, length) -> {
                    sleep(jitter.nextInt(3));
                    System.arraycopy(data, (int) from, into, 0, length);
                }, start, data.length, part, 4, () -> { })) {
                    byte[] expected = java.util.Arrays.copyOfRange(data, (int) start, data.length);
                    assertArrayEquals(expected, readAll(r, 7_777), "start " + start + ", part " + part);
                    assertEquals(-1, r.read());
                }
            }
        }
    }

    @Test
    void atMostConcurrencyRangesAreInFlightAndBuffersAreReused() throws Exception {
        byte[] data = data(64 * 1024);
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        Set<byte[]> buffers = ConcurrentHashMap.newKeySet();
        try (RangedReader r = new RangedReader((from, into, length) -> {
            most.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            buffers.add(into);
            sleep(2);
            System.arraycopy(data, (int) from, into, 0, length);
            inFlight.decrementAndGet();
        }, 0, data.length, 1024, 3, () -> { })) {
            assertArrayEquals(data, readAll(r, 100));
        }
        assertTrue(most.get() <= 3 && most.get() >= 1, "in flight at once: " + most.get());
        assertTrue(buffers.size() <= 4, "64 ranges through at most concurrency + 1 buffers, not " + buffers.size());
    }

    @Test
    void aFailedRangeFailsTheReadAfterTheBytesBeforeIt() throws Exception {
        byte[] data = data(10_000);
        AtomicInteger released = new AtomicInteger();
        RangedReader r = new RangedReader((from, into, length) -> {
            if (from == 5_000) {
                throw new IOException("range at 5000 failed");
            }
            System.arraycopy(data, (int) from, into, 0, length);
        }, 0, data.length, 1_000, 4, released::incrementAndGet);
        byte[] first = r.readNBytes(5_000);
        assertArrayEquals(java.util.Arrays.copyOf(data, 5_000), first);
        IOException e = assertThrows(IOException.class, () -> r.read(new byte[10], 0, 10));
        assertEquals("range at 5000 failed", e.getMessage());
        assertThrows(IOException.class, r::read, "closed after the failure");
        r.close();
        assertEquals(1, released.get(), "its buffers given back once, when the failure closed it");
    }

    @Test
    void closeStopsPendingFetches() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch interrupted = new CountDownLatch(1);
        AtomicInteger released = new AtomicInteger();
        RangedReader r = new RangedReader((from, into, length) -> {
            started.countDown();
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                interrupted.countDown();
                throw new IOException("interrupted");
            }
        }, 0, 10_000, 1_000, 2, released::incrementAndGet);
        assertTrue(started.await(10, TimeUnit.SECONDS));
        r.close();
        r.close();
        assertEquals(1, released.get(), "its buffers given back once");
        assertTrue(interrupted.await(10, TimeUnit.SECONDS), "the pending fetch was interrupted");
        assertThrows(IOException.class, r::read);
    }
}
