package io.lfscloud.core.meta;

import io.lfscloud.core.lfs.Oid;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/**
 * The {@code .lfs-meta/} layout, relative to the working tree:
 * <ul>
 *   <li>{@code sha256/<oid>.json}: one {@link RemoteRecord} per resolved object;</li>
 *   <li>{@code etag/<key>.json}: pending entries (tracked with {@code --defer}) and the
 *       ETag → SHA-256 mapping, keyed by {@link #etagKey};</li>
 *   <li>{@code md5/<md5>.json}: the MD5 → SHA-256 mapping.</li>
 * </ul>
 */
public final class MetaLayout {

    public static final String DIR = io.lfscloud.core.git.CommittedConfig.META_DIR;

    private MetaLayout() {
    }

    public static String sha256Path(Oid oid) {
        return DIR + "/sha256/" + oid.hex() + ".json";
    }

    public static String etagPath(String etag) {
        return DIR + "/etag/" + etagKey(etag) + ".json";
    }

    public static String md5Path(String md5) {
        return DIR + "/md5/" + md5 + ".json";
    }

    /**
     * An ETag as a file name: its UTF-8 bytes with every byte outside {@code A-Z a-z 0-9 - _}
     * written as {@code %XX} (upper-case hex). Quotes, slashes, plus signs and dots can thus
     * never make a path ({@code "a/b+c"} becomes {@code %22a%2Fb%2Bc%22}). The ETag is taken
     * as the store reports it without its surrounding quotes ({@code W/} kept).
     */
    public static String etagKey(String etag) {
        StringBuilder sb = new StringBuilder();
        HexFormat hex = HexFormat.of().withUpperCase();
        for (byte b : etag.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_') {
                sb.append(c);
            } else {
                sb.append('%').append(hex.toHexDigits(b));
            }
        }
        return sb.toString();
    }
}
