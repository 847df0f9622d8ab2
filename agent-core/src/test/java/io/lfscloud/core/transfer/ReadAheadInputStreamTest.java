package io.lfscloud.core.transfer;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

class ReadAheadInputStreamTest {

    @Test
    void deliversEveryByteInOrderAcrossChunkBoundaries() throws IOException {
        byte[] data = new byte[1_000_003];
        new Random(1).nextBytes(data);
        try (InputStream in = new ReadAheadInputStream(new ByteArrayInputStream(data), 4096, 3)) {
            byte[] out = in.readAllBytes();
            assertArrayEquals(data, out);
            assertEquals(-1, in.read());
        }
    }

    @Test
    void aFailureArrivesAfterEveryByteBeforeIt() {
        byte[] data = new byte[10_000];
        new Random(2).nextBytes(data);
        InputStream failing = new InputStream() {
            int pos;

            public int read() throws IOException {
                if (pos == 7_000) {
                    throw new IOException("connection reset");
                }
                return data[pos++] & 0xff;
            }
        };
        byte[] got = new byte[10_000];
        int[] total = {0};
        IOException e = assertThrows(IOException.class, () -> {
            try (InputStream in = new ReadAheadInputStream(failing, 1000, 2)) {
                int n;
                while ((n = in.read(got, total[0], got.length - total[0])) > 0) {
                    total[0] += n;
                }
            }
        });
        assertEquals("connection reset", e.getMessage());
        assertEquals(7_000, total[0], "everything before the failure is delivered");
        assertArrayEquals(Arrays.copyOf(data, 7_000), Arrays.copyOf(got, 7_000));
    }

    @Test
    void closingEarlyStopsTheReader() {
        InputStream endless = new InputStream() {
            public int read() {
                return 1;
            }
        };
        assertTimeoutPreemptively(java.time.Duration.ofSeconds(10), () -> {
            InputStream in = new ReadAheadInputStream(endless, 64, 2);
            assertEquals(1, in.read());
            in.close();
        });
    }
}
