package io.lfscloud.backend.azure;

import io.lfscloud.spi.ObjectKeys;
import io.lfscloud.spi.StorageException;
import io.lfscloud.spi.StorageException.Kind;

import java.net.URI;
import java.util.List;
import java.util.Locale;

/**
 * Azure's key codec: the account, container and blob name a URL names, and the URL of a
 * blob, both ways ({@link ObjectKeys}' percent-encoding: the blob {@code a+b #?.bin} is
 * {@code az://acct/box/a+b%20%23%3F.bin}). Two spellings: {@code az://ACCOUNT/CONTAINER/BLOB}
 * and {@code https://ACCOUNT.blob.core.windows.net/CONTAINER/BLOB} (and the sovereign clouds'
 * blob hosts); a location keeps the spelling it came in, so a listing answers in it.
 *
 * <p>A blob name with a {@code .} or {@code ..} segment is refused, never resolved (servers on
 * the way may resolve it to another blob), as in the S3 backend.
 *
 * @param httpsHost the host of the {@code https://ACCOUNT.blob…} spelling, or {@code null} for {@code az://}
 */
record BlobLocation(String account, String container, String blob, String httpsHost) {

    /** Blob service host suffixes of Azure's public and sovereign clouds. */
    static final List<String> BLOB_HOST_SUFFIXES = List.of(".blob.core.windows.net", ".blob.core.chinacloudapi.cn",
            ".blob.core.usgovcloudapi.net");

    /** The account an {@code https:} URL's host names, or {@code null} when it is no Azure blob host. */
    static String accountOfHost(String host) {
        if (host == null) {
            return null;
        }
        String h = host.toLowerCase(Locale.ROOT);
        for (String suffix : BLOB_HOST_SUFFIXES) {
            if (h.endsWith(suffix) && h.length() > suffix.length()) {
                String account = h.substring(0, h.length() - suffix.length());
                return account.matches("[a-z0-9]{3,24}") ? account : null;
            }
        }
        return null;
    }

    /** The blob (or, with an empty blob name, the container or prefix) {@code uri} names. */
    static BlobLocation of(URI uri) throws StorageException {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        String account;
        String httpsHost = null;
        if (scheme.equals("az")) {
            account = uri.getHost() != null ? uri.getHost() : uri.getRawAuthority();
            if (account == null || !account.matches("[a-z0-9]{3,24}") || uri.getPort() != -1) {
                throw new StorageException(Kind.MISCONFIGURED, "an Azure URL names a storage account (3 to 24 lower-case"
                        + " letters and digits): az://ACCOUNT/CONTAINER/PREFIX, not " + uri);
            }
        } else if (scheme.equals("https") && accountOfHost(uri.getHost()) != null && uri.getPort() == -1
                && uri.getRawUserInfo() == null) {
            account = accountOfHost(uri.getHost());
            httpsHost = uri.getHost().toLowerCase(Locale.ROOT);
        } else {
            throw new StorageException(Kind.MISCONFIGURED, "not an Azure Blob Storage URL (az://ACCOUNT/CONTAINER/BLOB or"
                    + " https://ACCOUNT.blob.core.windows.net/CONTAINER/BLOB): " + uri);
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new StorageException(Kind.MISCONFIGURED, "an Azure URL has no query or fragment (a SAS token goes in"
                    + " AZURE_STORAGE_SAS_TOKEN; write '?' in a name as %3F and '#' as %23): " + uri.getScheme() + "://"
                    + uri.getRawAuthority() + uri.getRawPath());
        }
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        String rest = path.startsWith("/") ? path.substring(1) : path;
        int slash = rest.indexOf('/');
        String container = slash < 0 ? rest : rest.substring(0, slash);
        if (!container.matches("[a-z0-9](-?[a-z0-9]){2,62}") && !container.equals("$root")) {
            throw new StorageException(Kind.MISCONFIGURED, "an Azure URL names a container (3 to 63 lower-case letters,"
                    + " digits and single hyphens) after the account: " + uri);
        }
        String blob;
        try {
            blob = slash < 0 ? "" : ObjectKeys.decode(rest.substring(slash + 1));
        } catch (IllegalArgumentException e) {
            throw new StorageException(Kind.MISCONFIGURED, "invalid Azure URL " + uri + ": " + e.getMessage(), e);
        }
        if (ObjectKeys.hasDotSegment(blob)) {
            throw new StorageException(Kind.MISCONFIGURED, "refusing " + uri + ": its blob name has a '.' or '..' segment,"
                    + " which servers on the way may resolve to another blob");
        }
        return new BlobLocation(account, container, blob, httpsHost);
    }

    /** Another blob in the same container, in the same spelling. */
    BlobLocation withBlob(String other) {
        return new BlobLocation(account, container, other, httpsHost);
    }

    /** The blob's URL, in the spelling this location came in. */
    URI uri() {
        String root = httpsHost == null ? "az://" + account : "https://" + httpsHost;
        return URI.create(root + "/" + container + "/" + ObjectKeys.encode(blob));
    }
}
