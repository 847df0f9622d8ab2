package io.lfscloud.core.agent;

import io.lfscloud.core.lfs.Oid;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProgressReporterTest {

    static final Oid OID = Oid.parse("0".repeat(64));

    @Test
    void firstEventComesAtOnceAndTheLastEqualsTheSize() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ProgressReporter p = new ProgressReporter(new ProtocolWriter(out), OID, 1000);
        p.transferred(0); // nothing moved yet: no event (git-lfs wants bytesSoFar > 0)
        p.transferred(10); // first bytes: at once
        p.transferred(10); // too soon: throttled
        p.transferred(980); // the end: always
        p.transferred(0);  // nothing new
        List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals(2, lines.size(), lines.toString());
        Map<String, Object> first = WireJson.parseObject(lines.get(0));
        Map<String, Object> last = WireJson.parseObject(lines.get(1));
        assertEquals(Map.of("event", "progress", "oid", OID.hex(), "bytesSoFar", 10L, "bytesSinceLast", 10L), first);
        assertEquals(Map.of("event", "progress", "oid", OID.hex(), "bytesSoFar", 1000L, "bytesSinceLast", 990L), last);
    }

    @Test
    void sinceLastAddsUpToSoFar() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ProgressReporter p = new ProgressReporter(new ProtocolWriter(out), OID, 300);
        for (long i = 1; i <= 300; i++) {
            p.transferred(1);
            if (i % 100 == 0) {
                Thread.sleep(ProgressReporter.INTERVAL_NANOS / 1_000_000 + 5);
            }
        }
        long sum = 0;
        long soFar = 0;
        for (String line : out.toString(StandardCharsets.UTF_8).lines().toList()) {
            Map<String, Object> m = WireJson.parseObject(line);
            sum += (Long) m.get("bytesSinceLast");
            soFar = (Long) m.get("bytesSoFar");
            assertEquals(sum, soFar);
        }
        assertEquals(300, soFar);
        assertTrue(sum == 300);
    }

    @Test
    void bytesMovedAgainByARetryNeverGoPastTheSize() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ProgressReporter p = new ProgressReporter(new ProtocolWriter(out), OID, 100);
        p.transferred(60);
        p.transferred(60); // a failed source's bytes, then another's
        p.transferred(40);
        List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals(2, lines.size(), lines.toString());
        assertEquals(100L, WireJson.parseObject(lines.get(1)).get("bytesSoFar"));
    }
}
