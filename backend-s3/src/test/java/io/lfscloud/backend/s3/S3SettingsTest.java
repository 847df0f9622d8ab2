package io.lfscloud.backend.s3;

import io.lfscloud.spi.BackendConfig;
import io.lfscloud.spi.StorageException;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every S3 number has a range; a value outside it is one clear error naming key, value and range. */
class S3SettingsTest {

    private static S3Settings of(String... keyValues) throws StorageException {
        Map<String, String> m = new java.util.HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put("lfs-cloud.s3." + keyValues[i], keyValues[i + 1]);
        }
        BackendConfig c = key -> Optional.ofNullable(m.get(key));
        return S3Settings.from(c);
    }

    private static String refused(String... keyValues) {
        StorageException e = assertThrows(StorageException.class, () -> of(keyValues));
        assertEquals(StorageException.Kind.MISCONFIGURED, e.kind());
        return e.getMessage();
    }

    @Test
    void defaultsAreWithinTheirRanges() throws Exception {
        S3Settings s = of();
        assertEquals(64 * S3Settings.MIB, s.multipartThreshold());
        assertEquals(16 * S3Settings.MIB, s.partSize());
        assertEquals(4, s.uploadConcurrency());
        assertEquals(8 * S3Settings.MIB, s.downloadPartSize());
        assertEquals(4, s.downloadConcurrency());
        assertEquals(30, s.timeout().toSeconds());
        assertFalse(s.pathStyle());
        assertTrue(of("endpoint", "http://127.0.0.1:9000").pathStyle(), "path-style by default with an endpoint");
        assertFalse(of("endpoint", "http://127.0.0.1:9000", "pathStyle", "false").pathStyle());
    }

    @Test
    void theLimitsThemselvesAreAccepted() throws Exception {
        S3Settings low = of("timeoutSeconds", "1", "partSize", "5m", "multipartThreshold", "5m", "uploadConcurrency", "1",
                "downloadPartSize", "1m", "downloadConcurrency", "1");
        assertEquals(1, low.timeout().toSeconds());
        S3Settings high = of("timeoutSeconds", "3600", "partSize", "5g", "multipartThreshold", "5g", "uploadConcurrency",
                "16", "downloadPartSize", "16m", "downloadConcurrency", "3");
        assertEquals(5L << 30, high.partSize());
        assertEquals(16, high.uploadConcurrency());
        assertEquals(64 * S3Settings.MIB, (high.downloadConcurrency() + 1) * high.downloadPartSize());
    }

    @Test
    void valuesOutOfRangeOrNotNumbersAreRefusedByName() {
        assertEquals("lfs-cloud.s3.downloadPartSize must be from 1m to 16m, not 64m", refused("downloadPartSize", "64m"));
        assertEquals("lfs-cloud.s3.timeoutSeconds must be from 1 to 3600, not 0", refused("timeoutSeconds", "0"));
        assertEquals("lfs-cloud.s3.timeoutSeconds must be from 1 to 3600, not 99999999999",
                refused("timeoutSeconds", "99999999999"));
        assertEquals("lfs-cloud.s3.timeoutSeconds must be a whole number from 1 to 3600, not 'abc'",
                refused("timeoutSeconds", "abc"));
        assertEquals("lfs-cloud.s3.partSize must be from 5m to 5g, not 1m", refused("partSize", "1m"));
        assertEquals("lfs-cloud.s3.uploadConcurrency must be from 1 to 16, not 0", refused("uploadConcurrency", "0"));
        assertTrue(refused("multipartThreshold", "lots").startsWith("lfs-cloud.s3.multipartThreshold must be a size"));
        assertTrue(refused("downloadConcurrency", "99999999999999999999").contains("lfs-cloud.s3.downloadConcurrency"));
    }

    @Test
    void rangeBuffersOfOneDownloadAreBoundedTogether() {
        assertEquals("lfs-cloud.s3.downloadConcurrency 4 with lfs-cloud.s3.downloadPartSize 16m would hold 80m in"
                + " memory per download ((concurrency + 1) × part size); at most 64m: lower one of them",
                refused("downloadPartSize", "16m"));
        assertTrue(refused("downloadConcurrency", "16", "downloadPartSize", "4m").contains("would hold 68m"));
    }

    @Test
    void aRegionMustBeARegionName() throws Exception {
        assertEquals(Optional.of("eu-west-1"), of("region", "eu-west-1").region());
        for (String bad : new String[] {"evil.com#", "EU-WEST-1", "eu west", "eu-\u001b[2J"}) {
            String message = refused("region", bad);
            assertTrue(message.startsWith("lfs-cloud.s3.region must be a region name"), message);
            assertFalse(message.contains("\u001b"), message);
        }
    }
}
