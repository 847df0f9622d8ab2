package io.lfscloud.core.meta;

import com.fasterxml.jackson.databind.JsonNode;
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
import java.util.Objects;
import java.util.Set;

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
     * out, places in {@link #ORDER}, so diffs stay small ({@link MetaJson}).
     */
    public String toJson() {
        List<MetaJson.PlaceFile> files = places.stream()
                .map(p -> new MetaJson.PlaceFile(p.etag(), text(p.lastModified()), p.path(), text(p.trackedAt()),
                        p.url().toString(), p.versionId()))
                .toList();
        return MetaJson.write(new MetaJson.RecordFile(null, null, md5, null, files, hex(), size, null, null, null));
    }

    /** The flat form of a one-place entry (ETag files): its first place's members beside the content's. */
    public String toFlatJson() {
        return MetaJson.write(flatFile());
    }

    /** The flat form as the file's record. */
    MetaJson.RecordFile flatFile() {
        Place p = first();
        return new MetaJson.RecordFile(p.etag(), text(p.lastModified()), md5, p.path(), null, hex(), size,
                text(p.trackedAt()), p.url().toString(), p.versionId());
    }

    private String hex() {
        return sha256 == null ? null : sha256.hex();
    }

    private static String text(Instant time) {
        return time == null ? null : time.toString();
    }

    /** The members of a place, in the order a misplaced one is reported. */
    private static final List<String> PLACE_KEYS = List.of("url", "path", "etag", "versionId", "lastModified", "trackedAt");

    /**
     * Parses a record, checking every field: the form with a {@code places} list, or the
     * flat form of one place (records written before places, ETag-file entries). A member this
     * version does not know is refused: it would be lost when the record is written back.
     *
     * @param where the record's file, for messages
     */
    public static RemoteRecord parse(String json, String where) throws InvalidRecordException {
        return parse(MetaJson.readObject(json, where), where);
    }

    /** Parses a record already read as a JSON object (an ETag-file entry). */
    static RemoteRecord parse(JsonNode json, String where) throws InvalidRecordException {
        MetaJson.RecordFile m = MetaJson.bind(json, MetaJson.RecordFile.class, where, RemoteRecord::mustBe);
        String sha = m.sha256();
        if (sha != null && !Oid.isValid(sha)) {
            throw new InvalidRecordException(where + ": \"sha256\" is not 64 lowercase hex digits");
        }
        if (m.size() == null || m.size() < 0) {
            throw new InvalidRecordException(where + ": \"size\" must be " + mustBe("size"));
        }
        String md5 = m.md5();
        if (md5 != null && !md5.matches("[0-9a-f]{32}")) {
            throw new InvalidRecordException(where + ": \"md5\" is not 32 lowercase hex digits");
        }
        List<Place> places = new ArrayList<>();
        if (json.has("places")) {
            for (String key : PLACE_KEYS) {
                if (json.has(key)) {
                    throw new InvalidRecordException(where + ": \"" + key + "\" belongs in \"places\" when the record has them");
                }
            }
            if (m.places() == null || m.places().isEmpty()) {
                throw new InvalidRecordException(where + ": \"places\" must be " + mustBe("places"));
            }
            Set<String> paths = new HashSet<>();
            for (int i = 0; i < m.places().size(); i++) {
                String at = where + " (place " + (i + 1) + ")";
                MetaJson.PlaceFile f = m.places().get(i);
                if (f == null) {
                    throw new InvalidRecordException(at + " is not a JSON object");
                }
                Place p = place(f.url(), f.path(), f.etag(), f.versionId(), f.lastModified(), f.trackedAt(), at);
                if (p.path() != null && !paths.add(p.path())) {
                    throw new InvalidRecordException(at + ": the path is listed twice");
                }
                places.add(p);
            }
        } else {
            places.add(place(m.url(), m.path(), m.etag(), m.versionId(), m.lastModified(), m.trackedAt(), where));
        }
        return new RemoteRecord(sha == null ? null : Oid.parse(sha), m.size(), md5, places);
    }

    /** What a member of a record must be, for messages. */
    private static String mustBe(String field) {
        return switch (field) {
            case "size" -> "a whole number of bytes";
            case "places" -> "a list of at least one place";
            default -> "a string";
        };
    }

    private static Place place(String urlText, String path, String etag, String versionId, String lastModified,
                               String trackedAt, String where) throws InvalidRecordException {
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
        String pathProblem = path == null ? null : RepoPath.trackedFileProblem(path);
        if (pathProblem != null) {
            throw new InvalidRecordException(where + ": \"path\" " + pathProblem + "; it must be a path inside the"
                    + " working tree (relative, with no '..', not in .git or " + MetaLayout.DIR + ")");
        }
        return new Place(path, url, token(etag, "etag", where), token(versionId, "versionId", where),
                time(lastModified, "lastModified", where), time(trackedAt, "trackedAt", where));
    }

    private static Instant time(String text, String key, String where) throws InvalidRecordException {
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
     * An ETag or version id: it goes into request headers ({@code If-Match}) and messages, so
     * no control characters and at most 1,024 characters.
     */
    private static String token(String v, String key, String where) throws InvalidRecordException {
        if (v != null && (v.length() > 1024 || v.chars().anyMatch(c -> c < 0x20 || c == 0x7f))) {
            throw new InvalidRecordException(where + ": \"" + key + "\" holds control characters or is too long");
        }
        return v;
    }

    public RemoteRecord withSha256(Oid oid) {
        return new RemoteRecord(oid, size, md5, places);
    }

    /** This record with another MD5 (the one found while hashing). */
    public RemoteRecord withMd5(String newMd5) {
        return new RemoteRecord(sha256, size, newMd5, places);
    }
}
