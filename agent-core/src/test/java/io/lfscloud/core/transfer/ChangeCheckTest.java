package io.lfscloud.core.transfer;

import io.lfscloud.core.transfer.ChangeCheck.Verdict;
import io.lfscloud.spi.ObjectInfo;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.URI;
import java.time.Instant;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The rule table of the README ("What counts as changed"), row by row. */
class ChangeCheckTest {

    private static final URI URL = URI.create("https://example.org/a.bin");
    private static final Instant T1 = Instant.parse("2026-01-01T00:00:00Z");
    private static final Instant T2 = Instant.parse("2026-02-01T00:00:00Z");

    private static ObjectInfo info(long size, String etag, String version, Instant lastModified) {
        return new ObjectInfo(URL, size, etag, version, null, null, lastModified);
    }

    static Stream<Arguments> table() {
        return Stream.of(
                // name, tracked, now, verdict, detail contains
                Arguments.of("same ETag", info(10, "e1", null, T1), info(10, "e1", null, T2), Verdict.UNCHANGED, ""),
                Arguments.of("changed ETag, same size", info(10, "e1", null, T1), info(10, "e2", null, T1), Verdict.CHANGED,
                        "ETag was \"e1\", is \"e2\""),
                Arguments.of("changed size, same ETag", info(10, "e1", null, null), info(11, "e1", null, null), Verdict.CHANGED,
                        "size was 10, is 11"),
                Arguments.of("changed size and ETag", info(10, "e1", null, null), info(11, "e2", null, null), Verdict.CHANGED,
                        "size was 10, is 11; ETag was"),
                Arguments.of("ETag no longer reported, same Last-Modified", info(10, "e1", null, T1), info(10, null, null, T1),
                        Verdict.UNCHANGED, ""),
                Arguments.of("ETag no longer reported, other Last-Modified", info(10, "e1", null, T1), info(10, null, null, T2),
                        Verdict.CHANGED, "Last-Modified was"),
                Arguments.of("ETag no longer reported, nothing else", info(10, "e1", null, null), info(10, null, null, null),
                        Verdict.UNCHECKED, "no ETag, version or Last-Modified"),
                Arguments.of("ETag missing when tracked, now one", info(10, null, null, T1), info(10, "e1", null, T1),
                        Verdict.UNCHANGED, ""),
                Arguments.of("no ETag, same Last-Modified", info(10, null, null, T1), info(10, null, null, T1),
                        Verdict.UNCHANGED, ""),
                Arguments.of("no ETag, other Last-Modified", info(10, null, null, T1), info(10, null, null, T2),
                        Verdict.CHANGED, "Last-Modified was " + T1 + ", is " + T2),
                Arguments.of("nothing to compare", info(10, null, null, null), info(10, null, null, null),
                        Verdict.UNCHECKED, "size alone"),
                Arguments.of("nothing to compare, other size", info(10, null, null, null), info(12, null, null, null),
                        Verdict.CHANGED, "size was 10, is 12"),
                Arguments.of("pinned version, current object overwritten", info(10, "e1", "v1", T1), info(99, "e9", "v2", T2),
                        Verdict.UNCHANGED, "v1 is pinned"),
                Arguments.of("pinned version, store not asked", info(10, "e1", "v1", T1), null, Verdict.UNCHANGED, "pinned"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void oneRuleForDownloadVerifyAndResolve(String name, ObjectInfo tracked, ObjectInfo now, Verdict verdict, String detail) {
        ChangeCheck.Result r = ChangeCheck.compare(tracked, now);
        assertEquals(verdict, r.verdict(), name + ": " + r.detail());
        assertTrue(r.detail().contains(detail), r.detail());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void theStoreIsAskedUnlessAVersionIsPinned(String name, ObjectInfo tracked, ObjectInfo now, Verdict verdict, String detail) {
        assertEquals(tracked.versionId() == null, ChangeCheck.asksStore(tracked), name);
        if (now == null) {
            assertFalse(ChangeCheck.asksStore(tracked));
        }
    }
}
