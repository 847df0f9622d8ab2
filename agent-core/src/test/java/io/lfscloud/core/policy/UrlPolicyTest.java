package io.lfscloud.core.policy;

import io.lfscloud.spi.BackendConfig;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UrlPolicyTest {

    static BackendConfig settings(Map<String, String> m) {
        return key -> Optional.ofNullable(m.get(key));
    }

    @Test
    void metadataAndLinkLocalHostsAreRefusedUnlessAllowed() {
        for (String url : new String[] {"http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/x",
                "http://metadata.google.internal/computeMetadata/v1/", "http://100.100.100.200/x", "http://[fe80::1]/x",
                "http://[::169.254.169.254]/x", "http://[64:ff9b::169.254.169.254]/x", "http://[::ffff:169.254.169.254]/x"}) {
            UrlRefusedException e = assertThrows(UrlRefusedException.class,
                    () -> UrlPolicy.checkFollow(URI.create(url), BackendConfig.EMPTY), url);
            assertTrue(e.getMessage().contains(UrlPolicy.ALLOW_PRIVATE), e.getMessage());
            assertDoesNotThrow(() -> UrlPolicy.checkFollow(URI.create(url), settings(Map.of(UrlPolicy.ALLOW_PRIVATE, "true"))));
        }
        assertDoesNotThrow(() -> UrlPolicy.checkFollow(URI.create("http://127.0.0.1:8080/x"), BackendConfig.EMPTY));
        assertDoesNotThrow(() -> UrlPolicy.checkFollow(URI.create("http://[64:ff9b::8.8.8.8]/x"), BackendConfig.EMPTY));
        assertDoesNotThrow(() -> UrlPolicy.checkFollow(URI.create("s3://bucket/key"), BackendConfig.EMPTY));
    }

    @Test
    void fileUrlsNeedTheSetting() {
        URI file = URI.create("file:///etc/passwd");
        assertThrows(UrlRefusedException.class, () -> UrlPolicy.checkFollow(file, BackendConfig.EMPTY));
        assertDoesNotThrow(() -> UrlPolicy.checkFollow(file, settings(Map.of(UrlPolicy.ALLOW_FILE, "true"))));
    }

    @Test
    void credentialsAndSignaturesAreNeverTracked() {
        for (String url : new String[] {"https://user:pw@host/x", "https://host/x?X-Amz-Signature=a",
                "https://acct.blob.core.windows.net/c/b?sv=2020&sig=abc", "https://storage.googleapis.com/b/o?X-Goog-Signature=1"}) {
            assertThrows(UrlRefusedException.class, () -> UrlPolicy.checkTrack(URI.create(url)), url);
        }
        assertDoesNotThrow(() -> UrlPolicy.checkTrack(URI.create("https://host/x?version=2")));
    }
}
