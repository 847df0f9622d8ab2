package io.lfscloud.core.meta;

import io.lfscloud.core.json.Json;
import io.lfscloud.core.json.JsonException;
import io.lfscloud.core.store.Oids;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where the bytes of a remote-tracked object live: the committed
 * {@code .lfs-meta/sha256/<oid>.json}. Never holds credentials (URLs with them are
 * refused when tracking).
 *
 * @param sha256    the oid; {@code null} in a pending (deferred) entry
 * @param url       the object's URL
 * @param size      its length in bytes
 * @param etag      the store's ETag when tracked, or {@code null}
 * @param md5       lowercase hex MD5, or {@code null}
 * @param versionId the store's version (S3 VersionId, GCS generation, Azure versionId), or {@code null}
 * @param path      the working-tree path it was tracked at (checked with {@link RepoPath#trackedFileProblem})
 * @param trackedAt when it was tracked
 */
public record RemoteRecord(String sha256, URI url, long size, String etag, String md5, String versionId,
                           String path, Instant trackedAt) {

    /** Stable JSON: keys sorted, one per line, absent values left out, so diffs stay small. */
    public String toJson() {
        Map<String, Object> m = new TreeMap<>();
        put(m, "etag", etag);
        put(m, "md5", md5);
        put(m, "path", path);
        put(m, "sha256", sha256);
        m.put("size", size);
        put(m, "trackedAt", trackedAt == null ? null : trackedAt.toString());
        m.put("url", url.toString());
        put(m, "versionId", versionId);
        return pretty(m);
    }

    private static void put(Map<String, Object> m, String key, Object value) {
        if (value != null) {
            m.put(key, value);
        }
    }

    /** Flat objects only: each member on its own line, in the map's order. */
    static String pretty(Map<String, Object> m) {
        StringBuilder sb = new StringBuilder("{\n");
        int i = 0;
        for (Map.Entry<String, Object> e : m.entrySet()) {
            sb.append("  ");
            Json.quote(e.getKey(), sb);
            sb.append(": ");
            Json.write(e.getValue(), sb);
            sb.append(++i < m.size() ? ",\n" : "\n");
        }
        return sb.append("}\n").toString();
    }

    /**
     * Parses a record, checking every field.
     *
     * @param where the record's file, for messages
     */
    public static RemoteRecord parse(String json, String where) throws InvalidRecordException {
        Map<String, Object> m = parseObject(json, where);
        String sha = optionalString(m, "sha256", where);
        if (sha != null && !Oids.isValid(sha)) {
            throw new InvalidRecordException(where + ": \"sha256\" is not 64 lowercase hex digits");
        }
        String urlText = optionalString(m, "url", where);
        if (urlText == null) {
            throw new InvalidRecordException(where + " has no \"url\"");
        }
        URI url;
        try {
            url = new URI(urlText);
        } catch (URISyntaxException e) {
            throw new InvalidRecordException(where + ": \"url\" is not a URL (" + e.getReason() + " at index " + e.getIndex() + ")");
        }
        if (url.getScheme() == null) {
            throw new InvalidRecordException(where + ": \"url\" has no scheme");
        }
        if (!(m.get("size") instanceof Long size) || size < 0) {
            throw new InvalidRecordException(where + ": \"size\" must be a whole number of bytes");
        }
        String md5 = optionalString(m, "md5", where);
        if (md5 != null && !md5.matches("[0-9a-f]{32}")) {
            throw new InvalidRecordException(where + ": \"md5\" is not 32 lowercase hex digits");
        }
        Instant at = null;
        String atText = optionalString(m, "trackedAt", where);
        if (atText != null) {
            try {
                at = Instant.parse(atText);
            } catch (DateTimeParseException e) {
                throw new InvalidRecordException(where + ": \"trackedAt\" is not a time");
            }
        }
        String path = optionalString(m, "path", where);
        String pathProblem = path == null ? null : RepoPath.trackedFileProblem(path);
        if (pathProblem != null) {
            throw new InvalidRecordException(where + ": \"path\" " + pathProblem + "; it must be a path inside the"
                    + " working tree (relative, with no '..', not in .git or " + MetaLayout.DIR + ")");
        }
        String etag = token(m, "etag", where);
        String versionId = token(m, "versionId", where);
        return new RemoteRecord(sha, url, size, etag, md5, versionId, path, at);
    }

    /**
     * Parses the JSON object of a file under {@code .lfs-meta}. The message of a failure names
     * {@code where} and the column, never the text found there: the file may be anything a
     * repository's author linked or wrote in its place.
     */
    static Map<String, Object> parseObject(String json, String where) throws InvalidRecordException {
        try {
            return Json.parseObject(json);
        } catch (JsonException e) {
            String detail = String.valueOf(e.getMessage());
            if (detail.indexOf('\'') >= 0 || detail.indexOf('"') >= 0) { // it quotes the text: keep only the place
                Matcher at = COLUMN.matcher(detail);
                detail = "unexpected input" + (at.find() ? at.group() : "");
            }
            throw new InvalidRecordException(where + " is not valid JSON: " + detail);
        }
    }

    private static final Pattern COLUMN = Pattern.compile(" at column \\d+$");

    /**
     * An ETag or version id: it goes into request headers ({@code If-Match}) and messages, so
     * no control characters and at most 1,024 characters.
     */
    private static String token(Map<String, Object> m, String key, String where) throws InvalidRecordException {
        String v = optionalString(m, key, where);
        if (v != null && (v.length() > 1024 || v.chars().anyMatch(c -> c < 0x20 || c == 0x7f))) {
            throw new InvalidRecordException(where + ": \"" + key + "\" holds control characters or is too long");
        }
        return v;
    }

    private static String optionalString(Map<String, Object> m, String key, String where) throws InvalidRecordException {
        Object v = m.get(key);
        if (v == null) {
            return null;
        }
        if (!(v instanceof String s)) {
            throw new InvalidRecordException(where + ": \"" + key + "\" must be a string");
        }
        return s;
    }

    public RemoteRecord withSha256(String oid) {
        return new RemoteRecord(oid, url, size, etag, md5, versionId, path, trackedAt);
    }
}
