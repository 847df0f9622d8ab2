package io.lfscloud.core.plugin;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PluginHostTest {

    @TempDir
    Path folder;

    private PluginHost.Declaration declare(String text) throws IOException {
        Files.writeString(folder.resolve(PluginHost.DECLARATION), text);
        return PluginHost.declaration(folder);
    }

    @Test
    void hostsLimitWhichHttpsUrlsLoadAPlugin() throws IOException {
        PluginHost.Declaration d = declare("schemes=az, HTTPS\nhosts=*.blob.core.windows.net,blob.example.org\n");
        assertEquals(Set.of("az", "https"), d.schemes());
        assertEquals(List.of("*.blob.core.windows.net", "blob.example.org"), d.hosts());
        assertTrue(d.wants(URI.create("https://acct.blob.core.windows.net/c/b")));
        assertTrue(d.wants(URI.create("https://ACCT.Blob.Core.Windows.Net/c/b")));
        assertTrue(d.wants(URI.create("https://blob.example.org/c/b")));
        assertTrue(d.wants(URI.create("az://acct/c/b")), "hosts limit http(s) URLs only");
        assertFalse(d.wants(URI.create("https://example.com/c/b")), "another host leaves the plugin unloaded");
        assertFalse(d.wants(URI.create("https://blob.core.windows.net/c/b")), "*. needs a subdomain");
        assertFalse(d.wants(URI.create("https://evilblob.core.windows.net/c/b")), "*. matches whole labels only");
        assertFalse(d.wants(URI.create("https://acct.blob.core.windows.net.evil.org/c/b")));
        assertFalse(d.wants(URI.create("s3://bucket/key")), "an undeclared scheme");
    }

    @Test
    void withoutHostsEveryUrlOfItsSchemesLoadsIt() throws IOException {
        PluginHost.Declaration d = declare("schemes=http,https\n");
        assertTrue(d.hosts().isEmpty());
        assertTrue(d.wants(URI.create("https://example.com/x")));
        assertFalse(d.wants(URI.create("file:///x")));
    }

    @Test
    void noSchemesOrNoFileDeclaresNothing() throws IOException {
        assertNull(PluginHost.declaration(folder), "no file");
        assertNull(declare("hosts=example.com\n"), "no schemes: the plugin is loaded to ask it");
    }
}
