package io.lfscloud.core.store;

import io.lfscloud.core.git.ConfigValues;
import io.lfscloud.spi.StorageException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The stores settings name: read order, writable ones, copies, and values refused. */
class StoresTest {

    /** Settings as {@code git config -z --list} prints them. */
    private static Stores stores(String... keyValues) throws StorageException {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < keyValues.length; i += 2) {
            out.append(keyValues[i]).append('\n').append(keyValues[i + 1]).append('\0');
        }
        ConfigValues values = ConfigValues.parseNulSeparated(out.toString());
        return Stores.from(values.keys(), values::get);
    }

    private static List<String> names(List<Stores.Store> stores) {
        return stores.stream().map(Stores.Store::name).toList();
    }

    @Test
    void readsGoByPriorityThenDefaultThenName() throws Exception {
        Stores s = stores("lfs-cloud.store", "file:///srv/lfs",
                "lfs-cloud.store.zeta.url", "s3://b/z",
                "lfs-cloud.store.Alpha.url", "s3://b/a",
                "lfs-cloud.store.near.url", "file:///mnt/near", "lfs-cloud.store.near.priority", "10",
                "lfs-cloud.store.web.url", "https://example.org/lfs", "lfs-cloud.store.web.write", "false",
                "lfs-cloud.store.web.priority", "-1");
        assertEquals(List.of("near", "default", "Alpha", "zeta", "web"), names(s.readOrder()));
        assertEquals(List.of("near", "default", "Alpha", "zeta"), names(s.writable()));
        assertEquals(4, s.copies(), "every writable store by default");
        assertTrue(s.named("default").orElseThrow().legacy());
        assertEquals("the store", s.named("default").orElseThrow().label());
        assertEquals("store 'web'", s.named("web").orElseThrow().label());
    }

    @Test
    void theStoreOfOldAloneIsOneStoreAndNothingIsNone() throws Exception {
        Stores one = stores("lfs-cloud.store", "s3://bucket/p");
        assertEquals(List.of("default"), names(one.readOrder()));
        assertEquals("s3://bucket/p/", one.readOrder().get(0).layout().root().toString());
        assertEquals(1, one.copies());
        Stores none = stores("lfs-cloud.other", "x");
        assertTrue(none.isEmpty());
        assertTrue(assertThrows(StorageException.class, none::copies).getMessage().contains("no store can be written"));
    }

    @Test
    void copiesAreBoundedByTheWritableStores() throws Exception {
        assertEquals(1, stores("lfs-cloud.store", "file:///a", "lfs-cloud.store.b.url", "file:///b",
                "lfs-cloud.copies", "1").copies());
        StorageException tooMany = assertThrows(StorageException.class, () -> stores("lfs-cloud.store", "file:///a",
                "lfs-cloud.store.b.url", "file:///b", "lfs-cloud.store.b.write", "false", "lfs-cloud.copies", "2").copies());
        assertEquals("lfs-cloud.copies is 2, but only 1 store can be written", tooMany.getMessage());
        assertTrue(assertThrows(StorageException.class, () -> stores("lfs-cloud.store.x.url", "https://e.org/x",
                "lfs-cloud.store.x.write", "false").copies()).getMessage().contains("every store is read-only"));
    }

    @Test
    void valuesOutOfRangeOrOfTheWrongKindAreOneClearError() {
        assertEquals("lfs-cloud.copies must be a whole number from 1 to 100, not '0'", assertThrows(StorageException.class,
                () -> stores("lfs-cloud.store", "file:///a", "lfs-cloud.copies", "0")).getMessage());
        assertEquals("lfs-cloud.store.a.priority must be a whole number from -1000 to 1000, not 'high'",
                assertThrows(StorageException.class, () -> stores("lfs-cloud.store.a.url", "file:///a",
                        "lfs-cloud.store.a.priority", "high")).getMessage());
        assertEquals("lfs-cloud.store.a.write must be true or false, not 'maybe'", assertThrows(StorageException.class,
                () -> stores("lfs-cloud.store.a.url", "file:///a", "lfs-cloud.store.a.write", "maybe")).getMessage());
    }

    @Test
    void namesThatCannotBeStoresAndEmptyUrlsAreLeftOut() throws Exception {
        Stores s = stores("lfs-cloud.store.default.url", "file:///x", "lfs-cloud.store.a.b.url", "file:///y",
                "lfs-cloud.store.hidden.url", "", "lfs-cloud.store.ok.url", "file:///z");
        assertEquals(List.of("ok"), names(s.readOrder()));
        assertFalse(Stores.validName("default"));
        assertFalse(Stores.validName("a.b"));
        assertFalse(Stores.validName("-x"));
        assertTrue(Stores.validName("nas-2_b"));
    }
}
