package io.lfscloud.core.lfs;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LfsPointerTest {

    static final Oid OID = Oid.parse("4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393");

    /** What git-lfs 3.3.0's clean filter writes for a 12,345-byte file with this oid, byte for byte. */
    static final String CANONICAL = "version https://git-lfs.github.com/spec/v1\n"
            + "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
            + "size 12345\n";

    @Test
    void encodesTheCanonicalForm() {
        LfsPointer p = new LfsPointer(OID, 12345);
        assertEquals(CANONICAL, p.encode());
        assertArrayEquals(CANONICAL.getBytes(StandardCharsets.US_ASCII), p.bytes());
        assertEquals("version https://git-lfs.github.com/spec/v1\noid sha256:" + OID + "\nsize 0\n",
                new LfsPointer(OID, 0).encode());
    }

    @Test
    void parsesWhatItEncodes() {
        for (long size : new long[] {0, 1, 12345, Long.MAX_VALUE}) {
            LfsPointer p = new LfsPointer(OID, size);
            assertEquals(Optional.of(p), LfsPointer.parse(p.bytes()));
            assertEquals(Optional.of(p), LfsPointer.parse(p.encode()));
        }
    }

    @Test
    void readsWhatGitLfsAlsoReads() {
        LfsPointer expected = new LfsPointer(OID, 12345);
        String hex = OID.hex();
        for (String text : new String[] {
                CANONICAL.replace("\n", "\r\n"),                                       // CRLF
                CANONICAL.stripTrailing(),                                             // no final line feed
                "\n" + CANONICAL.replace("\noid", "\n\noid") + "\n\n",                 // empty lines
                "version https://hawser.github.com/spec/v1\noid sha256:" + hex + "\nsize 12345\n", // pre-release URL
                "version http://git-media.io/v/2\noid sha256:" + hex + "\nsize 12345\n",
                "version https://git-lfs.github.com/spec/v1\next-0-foo sha256:" + "1".repeat(64)
                        + "\noid sha256:" + hex + "\nsize 12345\n",                    // an extension
        }) {
            assertEquals(Optional.of(expected), LfsPointer.parse(text), text);
        }
    }

    @Test
    void refusesWhatIsNoPointer() {
        String hex = OID.hex();
        for (String text : new String[] {
                "",
                "hello world\n",
                "version https://git-lfs.github.com/spec/v2\noid sha256:" + hex + "\nsize 1\n",
                "oid sha256:" + hex + "\nversion https://git-lfs.github.com/spec/v1\nsize 1\n",   // out of order
                "version https://git-lfs.github.com/spec/v1\noid sha256:" + hex + "\n",            // no size
                "version https://git-lfs.github.com/spec/v1\noid sha256:" + hex + "\nsize 1\nsize 2\n", // extra line
                "version https://git-lfs.github.com/spec/v1\noid sha256:" + hex.toUpperCase() + "\nsize 1\n",
                "version https://git-lfs.github.com/spec/v1\noid sha1:" + hex.substring(0, 40) + "\nsize 1\n",
                "version https://git-lfs.github.com/spec/v1\noid sha256:etag-abc\nsize 1\n",
                "version https://git-lfs.github.com/spec/v1\noid sha256:" + hex + "\nsize -1\n",
                "version https://git-lfs.github.com/spec/v1\noid sha256:" + hex + "\nsize 1.5\n",
                "version https://git-lfs.github.com/spec/v1\noid sha256:" + hex + "\nsize 99999999999999999999\n",
                "version https://git-lfs.github.com/spec/v1\noid  sha256:" + hex + "\nsize 1\n",  // two spaces
                "version https://git-lfs.github.com/spec/v1\noid sha256:" + hex + "\nsize\n",
        }) {
            assertEquals(Optional.empty(), LfsPointer.parse(text), text);
            assertEquals(Optional.empty(), LfsPointer.parse(text.getBytes(StandardCharsets.UTF_8)), text);
        }
    }

    @Test
    void aFileLargerThanAPointerCanBeIsContent() {
        String padded = CANONICAL + "\n".repeat(LfsPointer.MAX_SIZE - CANONICAL.length());
        assertEquals(LfsPointer.MAX_SIZE, padded.length());
        assertTrue(LfsPointer.parse(padded).isPresent(), "1024 bytes can be a pointer");
        assertEquals(Optional.empty(), LfsPointer.parse(padded + "\n"));
        assertEquals(Optional.empty(), LfsPointer.parse((padded + "\n").getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void bytesThatAreNotUtf8AreNoPointer() {
        byte[] bytes = (CANONICAL + "\n").getBytes(StandardCharsets.US_ASCII);
        bytes[bytes.length - 1] = (byte) 0xff;
        assertEquals(Optional.empty(), LfsPointer.parse(bytes));
    }

    @Test
    void aPointerNeedsAnOidAndASize() {
        assertThrows(NullPointerException.class, () -> new LfsPointer(null, 1));
        assertThrows(IllegalArgumentException.class, () -> new LfsPointer(OID, -1));
    }
}
