package io.lfscloud.core.policy;

import io.lfscloud.spi.BackendConfig;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Set;

/**
 * What URLs a record may name. A committed record comes from whoever wrote the repository,
 * so by default the agent refuses {@code file:} URLs (anything on this machine) and hosts
 * that are link-local or cloud metadata services; settings lift each refusal. URLs that
 * carry credentials are refused when tracking, always.
 */
public final class UrlPolicy {

    public static final String ALLOW_FILE = "lfs-cloud.allowFileUrls";
    public static final String ALLOW_PRIVATE = "lfs-cloud.allowMetadataHosts";

    private static final Set<String> METADATA_HOSTS = Set.of("metadata.google.internal", "metadata",
            "instance-data", "instance-data.ec2.internal");

    private static final Set<String> SIGNED_QUERY = Set.of("x-amz-signature", "x-amz-credential",
            "x-amz-security-token", "x-goog-signature", "x-goog-credential", "signature", "sig", "se", "sv",
            "token", "access_token", "awsaccesskeyid", "googleaccessid");

    private UrlPolicy() {
    }

    /** Refuses a record's URL the agent must not follow; the message says how to allow it. */
    public static void checkFollow(URI url, BackendConfig settings) throws UrlRefusedException {
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        if (scheme.equals("file") && !isTrue(settings, ALLOW_FILE)) {
            throw new UrlRefusedException("refusing " + url + ": a file: URL in a committed record could read anything"
                    + " on this machine; if you trust this repository, allow it with 'git config " + ALLOW_FILE + " true'");
        }
        checkHost(url, settings, "refusing ", "lfs-cloud never stores or sends those");
    }

    /**
     * Refuses a store URL the agent must not contact: one carrying credentials, or on a
     * link-local or cloud metadata host. A {@code file:} store is fine (objects there are
     * content-addressed and hashed on the way in and out).
     */
    public static void checkStore(URI url, BackendConfig settings) throws UrlRefusedException {
        checkHost(url, settings, "refusing store ", "each store's own credential chain authenticates");
    }

    /**
     * No user info, and no link-local or metadata host. Only {@code http(s):} URLs name a host the
     * agent connects to as written; the authority of {@code s3:}-like URLs is a bucket or account
     * name (looking it up would cost every object a DNS query and tell DNS the bucket's name),
     * and where those requests go is the endpoint setting's, which a repository cannot set.
     */
    private static void checkHost(URI url, BackendConfig settings, String refusing, String credentials)
            throws UrlRefusedException {
        if (url.getRawUserInfo() != null) {
            throw new UrlRefusedException(refusing + url.getScheme() + "://" + url.getHost()
                    + "/…: the URL carries credentials (user info); " + credentials);
        }
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        String host = url.getHost();
        if ((scheme.equals("http") || scheme.equals("https")) && host != null && !isTrue(settings, ALLOW_PRIVATE)
                && isMetadataHost(host)) {
            throw new UrlRefusedException(refusing + url + ": " + host + " is a link-local or cloud metadata address;"
                    + " if this is intended, allow it with 'git config " + ALLOW_PRIVATE + " true'");
        }
    }

    /** Refuses URLs that must never be written into a record (credentials in them). */
    public static void checkTrack(URI url) throws UrlRefusedException {
        if (url.getRawUserInfo() != null) {
            throw new UrlRefusedException("the URL carries credentials (user info): records are committed, so give the"
                    + " plain URL and let the store's own credential chain authenticate");
        }
        String query = url.getRawQuery();
        if (query != null) {
            for (String part : query.split("&")) {
                String name = part.split("=", 2)[0].toLowerCase(Locale.ROOT);
                if (SIGNED_QUERY.contains(name)) {
                    throw new UrlRefusedException("the URL is signed (its query has '" + part.split("=", 2)[0]
                            + "'): a signature is a credential and expires; track the plain URL (s3://bucket/key,"
                            + " https://… without the query) instead");
                }
            }
        }
    }

    static boolean isMetadataHost(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        if (METADATA_HOSTS.contains(h)) {
            return true;
        }
        try {
            for (InetAddress a : InetAddress.getAllByName(h)) {
                String text = a.getHostAddress();
                if (a.isLinkLocalAddress() || text.startsWith("169.254.") || text.equals("100.100.100.200")
                        || text.startsWith("fd00:ec2:0:0:0:0:0:254") || embedsMetadataIpv4(a.getAddress())) {
                    return true;
                }
            }
        } catch (UnknownHostException e) {
            return false; // cannot resolve: the transfer itself will say so
        }
        return false;
    }

    /**
     * An IPv6 address that carries an IPv4 one in its last four bytes, as IPv4-compatible
     * ({@code ::a.b.c.d}) and NAT64 ({@code 64:ff9b::a.b.c.d}) addresses do, where that IPv4
     * address is link-local or a metadata service.
     */
    static boolean embedsMetadataIpv4(byte[] a) {
        if (a.length != 16) {
            return false;
        }
        boolean compatible = true;
        for (int i = 0; i < 12; i++) {
            compatible &= a[i] == 0;
        }
        boolean nat64 = a[0] == 0 && a[1] == 0x64 && (a[2] & 0xff) == 0xff && (a[3] & 0xff) == 0x9b;
        for (int i = 4; i < 12 && nat64; i++) {
            nat64 = a[i] == 0;
        }
        if (!compatible && !nat64) {
            return false;
        }
        int b0 = a[12] & 0xff, b1 = a[13] & 0xff, b2 = a[14] & 0xff, b3 = a[15] & 0xff;
        return (b0 == 169 && b1 == 254) || (b0 == 100 && b1 == 100 && b2 == 100 && b3 == 200);
    }

    private static boolean isTrue(BackendConfig settings, String key) {
        return settings.flag(key, false);
    }
}
