package io.lfscloud.core.store;

import io.lfscloud.core.lfs.Oid;

import io.lfscloud.spi.StorageException;
import org.junit.jupiter.api.Test;

import java.net.URI;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StoreLayoutTest {

    static final String OID = "22ab5f63670800cc7be06dbed816012b0dc411e774754c7579467d2536a9cf3e";

    @Test
    void objectsAreFannedOutByTheirFirstFourHexDigits() throws Exception {
        assertEquals(URI.create("s3://bucket/prefix/22/ab/" + OID), StoreLayout.parse("s3://bucket/prefix").objectUri(Oid.parse(OID)));
        assertEquals(URI.create("file:///srv/lfs/22/ab/" + OID), StoreLayout.parse("file:///srv/lfs/").objectUri(Oid.parse(OID)));
    }

    @Test
    void anAbsolutePathIsAFileUrl() throws Exception {
        assertEquals(URI.create("file:///srv/lfs/"), StoreLayout.parse("/srv/lfs").root());
    }

    @Test
    void refusesSettingsThatAreNotUrls() {
        for (String bad : new String[] {"relative/path", "::", "s3://bucket/x?signature=1", "http://h/p#frag", "file:rel2"}) {
            StorageException e = assertThrows(StorageException.class, () -> StoreLayout.parse(bad), bad);
            assertEquals(StorageException.Kind.MISCONFIGURED, e.kind());
            assertTrue(e.getMessage().startsWith("lfs-cloud.store"), e.getMessage());
        }
    }

    @Test
    void fileUrlsOfLocalhostAreLocalAndOfOtherHostsAreRefused() throws Exception {
        assertEquals(URI.create("file:///srv/lfs/"), StoreLayout.parse("file://localhost/srv/lfs").root());
        StorageException e = assertThrows(StorageException.class, () -> StoreLayout.parse("file://fileserver/srv/lfs"));
        assertTrue(e.getMessage().contains("not a host"), e.getMessage());
    }

    @Test
    void aSpaceInAUrlIsExplained() {
        StorageException e = assertThrows(StorageException.class, () -> StoreLayout.parse("file:///srv/shared store"));
        assertTrue(e.getMessage().contains("write a space as %20, or give a folder as a plain absolute path"), e.getMessage());
        assertFalse(assertThrows(StorageException.class, () -> StoreLayout.parse("file:///srv/[lfs]")).getMessage()
                .contains("%20"), "the hint is only for spaces");
    }

    @Test
    void onlyRealOidsMakeObjectUrls() throws Exception {
        StoreLayout layout = StoreLayout.parse("file:///srv/lfs");
        assertThrows(IllegalArgumentException.class, () -> layout.objectUri(Oid.parse("../../etc/passwd")));
        assertThrows(IllegalArgumentException.class, () -> layout.objectUri(Oid.parse(OID.toUpperCase())));
        assertThrows(IllegalArgumentException.class, () -> layout.objectUri(Oid.parse(OID.substring(1))));
        assertTrue(Oid.isValid(OID));
        assertFalse(Oid.isValid(OID + "0"));
        assertFalse(Oid.isValid(null));
    }
}
