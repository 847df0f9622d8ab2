package io.lfscloud.core.agent;

import io.lfscloud.spi.StorageException;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class ErrorCodeTest {

    @Test
    void everyStorageKindHasTheCodeGitLfsIsToldAndStaysRetriableOrNot() {
        Map<StorageException.Kind, Integer> expected = new EnumMap<>(Map.of(
                StorageException.Kind.NOT_FOUND, 404,
                StorageException.Kind.ACCESS_DENIED, 403,
                StorageException.Kind.TRANSIENT, 503,
                StorageException.Kind.MISCONFIGURED, 500,
                StorageException.Kind.CHANGED, 409,
                StorageException.Kind.CORRUPT, 422));
        assertEquals(StorageException.Kind.values().length, expected.size(), "a new kind needs its code here");
        expected.forEach((kind, code) -> {
            TransferFailure f = TransferFailure.of(new StorageException(kind, "m"));
            assertEquals(code, f.code().number(), kind.name());
            assertEquals(ErrorCode.of(kind), f.code());
            assertEquals(kind.retriable(), f.retriable(), kind.name());
        });
    }

    @Test
    void numbersAreTheWireCodesAndUnique() {
        assertEquals(32, ErrorCode.INIT_FAILED.number());
        assertEquals(400, ErrorCode.BAD_REQUEST.number());
        assertEquals(507, ErrorCode.INSUFFICIENT_STORAGE.number());
        assertEquals(ErrorCode.values().length, Arrays.stream(ErrorCode.values()).mapToInt(ErrorCode::number).distinct().count());
        for (ErrorCode c : ErrorCode.values()) {
            assertEquals(c, ErrorCode.fromNumber(c.number()));
        }
        assertNull(ErrorCode.fromNumber(2));
    }

    @Test
    void failuresCarryTheirCode() {
        assertEquals(ErrorCode.BAD_REQUEST, TransferFailure.badRequest("x").code());
        assertEquals(ErrorCode.INTERNAL, TransferFailure.unexpected(new IllegalStateException("bug")).code());
    }

    @Test
    void anUnexpectedFailureIsOnePrintableLine() {
        TransferFailure f = TransferFailure.unexpected(new IllegalStateException("line one\nline two\u001b[2J"));
        assertEquals("internal error: java.lang.IllegalStateException: line one\\nline two\\x1b[2J", f.getMessage());
    }
}
