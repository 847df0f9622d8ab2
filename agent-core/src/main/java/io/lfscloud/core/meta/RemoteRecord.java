package io.lfscloud.core.meta;

import io.lfscloud.core.json.Json;
import io.lfscloud.core.json.JsonException;
import io.lfscloud.core.lfs.Oid;
import io.lfscloud.spi.ObjectInfo;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where the bytes of a remote-tracked object live: the committed
 * {@code .lfs-meta/sha256/<oid>.json}. One object may be known at several places (two
 * paths with the same content, or one content at two URLs): the record holds them all,
 * sorted by path and URL so that diffs stay small. Never holds credentials (URLs with them
 * are refused when tracking).
 *
 * <p>{@link #url()}, {@link #path()}, {@link #etag()}, {@link #versionId()},
 * {@link #trackedAt()} and {@link #lastModified()} describe the <em>first</em> place: the
 * one the agent downloads from. A pending (deferred) entry and an ETag-mapping entry have
 * exactly one place and are written flat ({@link #toFlatJson}); a record is written with
 * its {@code places} list ({@link #toJson}). Both forms are read.
 *
 * @param sha256 the oid; {@code null} in a pending (deferred) entry
 * @param size   its length in bytes
 * @param md5    lowercase hex MD5, or {@code null}
 * @param places where it lives; never empty, sorted ({@link #ORDER}), one place per path
 */
public record RemoteRecord(Oid sha256, long size, String md5, List<Place> places) {

    /**
     * One place an object lives at.
     *
     * @param path         the working-tree path it was tracked at (checked with {@link RepoPath#trackedFileProblem}),
     *                     or {@code null} in records older than paths
     * @param url          the object's URL
     * @param etag         the store's ETag when tracked, or {@code null}
     * @param versionId    the store's version (S3 VersionId, GCS generation, Azure versionId), or {@code null}
     * @param lastModified the store's modification time when tracked, or {@code null}
     * @param trackedAt    when it was tracked, or {@code null}
     */
    public record Place(String path, URI url, String etag, String versionId, Instant lastModified, Instant trackedAt) {
        public Place {
            Objects.requireNonNull(url, "url");
        }
    }

    /** The order of places: by path (records without one first), then by URL. */
    public static final Comparator<Place> ORDER = Comparator
            .comparing(Place::path, Comparator.nullsFirst(Comparator.<String>naturalOrder()))
            .thenComparing(p -> p.url().toString());

    public RemoteRecord {
        if (places == null || places.isEmpty()) {
            throw new IllegalArgumentException("a record needs at least one place");
        }
        places = places.stream().sorted(ORDER).toList();
    }

    /** A record of one place. */
    public RemoteRecord(Oid sha256, URI url, long size, String etag, String md5, String versionId,
                        String path, Instant trackedAt) {
        this(sha256, url, size, etag, md5, versionId, path, trackedAt, null);
    }

    /** A record of one place, with the store's modification time. */
    public RemoteRecord(Oid sha256, URI url, long size, String etag, String md5, String versionId,
                        String path, Instant trackedAt, Instant lastModified) {
        this(sha256, size, md5, List.of(new Place(path, url, etag, versionId, lastModified, trackedAt)));
    }

    private Place first() {
        return places.getFirst();
    }

    /** The first place's URL: where the agent downloads from. */
    public URI url() {
        return first().url();
    }

    /** The first place's path. */
    public String path() {
        return first().path();
    }

    /** The first place's ETag. */
    public String etag() {
        return first().etag();
    }

    /** The first place as the store described it when tracked (what a read expects, what a change check compares). */
    public ObjectInfo tracked() {
        return new ObjectInfo(url(), size, etag(), versionId(), md5, sha256 == null ? null : sha256.hex(), lastModified());
    }

    /** The first place's version. */
    public String versionId() {
        return first().versionId();
    }

    /** When the first place was tracked. */
    public Instant trackedAt() {
        return first().trackedAt();
    }

    /** The store's modification time of the first place, when tracked. */
    public Instant lastModified() {
        return first().lastModified();
    }

    /** Every place as a record of its own (same content), in order. */
    public List<RemoteRecord> each() {
        return places.stream().map(p -> new RemoteRecord(sha256, size, md5, List.of(p))).toList();
    }

    /**
     * This record with {@code other}'s places added; a place of this record at the same path
     * (or, without a path, the same URL) is replaced. The MD5 is kept, or taken from {@code other}.
     */
    public RemoteRecord with(RemoteRecord other) {
        List<Place> merged = new ArrayList<>(places);
        for (Place p : other.places) {
            merged.removeIf(q -> samePlace(p, q));
            merged.add(p);
        }
        return new RemoteRecord(sha256, size, md5 != null ? md5 : other.md5, merged);
    }

    /** This record without its place at {@code path}; {@code null} when no place is left. */
    public RemoteRecord without(String path) {
        List<Place> left = places.stream().filter(p -> !Objects.equals(p.path(), path)).toList();
        return left.isEmpty() ? null : new RemoteRecord(sha256, size, md5, left);
    }

    private static boolean samePlace(Place a, Place b) {
        return a.path() != null || b.path() != null ? Objects.equals(a.path(), b.path()) : a.url().equals(b.url());
    }

    /**
     * The record's file: stable JSON with sorted keys, one member per line, absent values left
     * out, places in {@link #ORDER}, so diffs stay small.
     */
    public String toJson() {
        Map<String, Object> m = new TreeMap<>();
        put(m, "md5", md5);
        List<Object> list = new ArrayList<>();
        for (Place p : places) {
            list.add(placeMap(p));
        }
        m.put("places", list);
        put(m, "sha256", sha256 == null ? null : sha256.hex());
        m.put("size", size);
        return MetaFiles.pretty(m, "") + "\n";
    }

    /** The flat form of a one-place entry (ETag files): its first place's members beside the content's. */
    public String toFlatJson() {
        Map<String, Object> m = placeMap(first());
        put(m, "md5", md5);
        put(m, "sha256", sha256 == null ? null : sha256.hex());
        m.put("size", size);
        return pretty(m);
    }

    private static Map<String, Object> placeMap(Place p) {
        Map<String, Object> m = new TreeMap<>();
        put(m, "etag", p.etag());
        put(m, "lastModified", p.lastModified() == null ? null : p.lastModified().toString());
        put(m, "path", p.path());
        put(m, "trackedAt", p.trackedAt() == null ? null : p.trackedAt().toString());
        m.put("url", p.url().toString());
        put(m, "versionId", p.versionId());
        return m;
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

    private static final Set<String> PLACE_KEYS = Set.of("url", "path", "etag", "versionId", "lastModified", "trackedAt");

    /**
     * Parses a record, checking every field: the form with a {@code places} list, or the
     * flat form of one place (records written before places, ETag-file entries).
     *
     * @param where the record's file, for messages
     */
    public static RemoteRecord parse(String json, String where) throws InvalidRecordException {
        Map<String, Object> m = parseObject(json, where);
        String sha = optionalString(m, "sha256", where);
        if (sha != null && !Oid.isValid(sha)) {
            throw new InvalidRecordException(where + ": \"sha256\" is not 64 lowercase hex digits");
        }
        if (!(m.get("size") instanceof Long size) || size < 0) {
            throw new InvalidRecordException(where + ": \"size\" must be a whole number of bytes");
        }
        String md5 = optionalString(m, "md5", where);
        if (md5 != null && !md5.matches("[0-9a-f]{32}")) {
            throw new InvalidRecordException(where + ": \"md5\" is not 32 lowercase hex digits");
        }
        List<Place> places = new ArrayList<>();
        if (m.containsKey("places")) {
            for (String key : PLACE_KEYS) {
                if (m.containsKey(key)) {
                    throw new InvalidRecordException(where + ": \"" + key + "\" belongs in \"places\" when the record has them");
                }
            }
            if (!(m.get("places") instanceof List<?> list) || list.isEmpty()) {
                throw new InvalidRecordException(where + ": \"places\" must be a list of at least one place");
            }
            Set<String> paths = new HashSet<>();
            for (int i = 0; i < list.size(); i++) {
                String at = where + " (place " + (i + 1) + ")";
                if (!(list.get(i) instanceof Map<?, ?> pm)) {
                    throw new InvalidRecordException(at + " is not a JSON object");
                }
                @SuppressWarnings("unchecked")
                Place p = place((Map<String, Object>) pm, at);
                if (p.path() != null && !paths.add(p.path())) {
                    throw new InvalidRecordException(at + ": the path is listed twice");
                }
                places.add(p);
            }
        } else {
            places.add(place(m, where));
        }
        return new RemoteRecord(sha == null ? null : Oid.parse(sha), size, md5, places);
    }

    private static Place place(Map<String, Object> m, String where) throws InvalidRecordException {
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
        String path = optionalString(m, "path", where);
        String pathProblem = path == null ? null : RepoPath.trackedFileProblem(path);
        if (pathProblem != null) {
            throw new InvalidRecordException(where + ": \"path\" " + pathProblem + "; it must be a path inside the"
                    + " working tree (relative, with no '..', not in .git or " + MetaLayout.DIR + ")");
        }
        String etag = token(m, "etag", where);
        String versionId = token(m, "versionId", where);
        return new Place(path, url, etag, versionId, time(m, "lastModified", where), time(m, "trackedAt", where));
    }

    private static Instant time(Map<String, Object> m, String key, String where) throws InvalidRecordException {
        String text = optionalString(m, key, where);
        if (text == null) {
            return null;
        }
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            throw new InvalidRecordException(where + ": \"" + key + "\" is not a time");
        }
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

    public RemoteRecord withSha256(Oid oid) {
        return new RemoteRecord(oid, size, md5, places);
    }

    /** This record with another MD5 (the one found while hashing). */
    public RemoteRecord withMd5(String newMd5) {
        return new RemoteRecord(sha256, size, newMd5, places);
    }
}
