package io.lfscloud.core.meta;

import com.fasterxml.jackson.databind.JsonNode;
import io.lfscloud.core.Printable;
import io.lfscloud.core.lfs.Oid;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Reads and writes the files of {@link MetaLayout} in a working tree. Every write is
 * atomic (temp file, rename), so an interrupted command never leaves half a record.
 * Files and folders are handled as {@link SafeFiles} does: a symbolic link, FIFO, device or
 * oversized file where a record should be is an invalid record, never followed or opened,
 * and nothing is written through a symbolic link.
 *
 * <p>An ETag file holds every object seen with that ETag, one per URL:
 * {@code {"etag": "...", "objects": [ <record>, ... ]}}, sorted by URL; a pending
 * (deferred) object is one without {@code sha256}. The mapping is only reused for the same
 * URL, ETag and size: two servers may well hand out the same ETag for different files.
 *
 * <p>Writers serialise through {@link MetaLock}; this class does not lock.
 */
public final class MetaFiles {

    private static final Pattern RECORD_NAME = Pattern.compile("[0-9a-f]{64}\\.json");
    private static final Pattern ETAG_NAME = Pattern.compile("[A-Za-z0-9_%-]+\\.json");
    private static final Pattern MD5 = Pattern.compile("[0-9a-f]{32}");

    private final Path workTree;

    public MetaFiles(Path workTree) {
        this.workTree = workTree;
    }

    // ---------------------------------------------------------------- records

    public void writeRecord(RemoteRecord r) throws IOException {
        write(MetaLayout.sha256Path(r.sha256()), r.toJson());
    }

    /** The working tree's record of {@code oid}, if it has one. */
    public Optional<RemoteRecord> record(Oid oid) throws IOException, InvalidRecordException {
        String rel = MetaLayout.sha256Path(oid);
        Optional<String> text = SafeFiles.readRecord(workTree, rel);
        if (text.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(checked(RemoteRecord.parse(text.get(), rel), oid, rel));
    }

    /** {@code r}, read from {@code where}, if it is the record of {@code oid} its file name says. */
    static RemoteRecord checked(RemoteRecord r, Oid oid, String where) throws InvalidRecordException {
        if (r.sha256() == null || !r.sha256().equals(oid)) {
            throw new InvalidRecordException(where + ": its \"sha256\" does not match its file name");
        }
        return r;
    }

    /** Removes the record of {@code oid} (never through a symbolic link); nothing when there is none. */
    public void deleteRecord(Oid oid) throws IOException {
        SafeFiles.delete(workTree, MetaLayout.sha256Path(oid));
    }

    /** Every record in the working tree's {@code sha256/}; unusable ones are reported in {@code problems}. */
    public List<RemoteRecord> records(List<String> problems) throws IOException {
        List<RemoteRecord> out = new ArrayList<>();
        for (String rel : jsonFiles("sha256", problems)) {
            String shown = Printable.escape(rel);
            try {
                String name = rel.substring(rel.lastIndexOf('/') + 1);
                if (!RECORD_NAME.matcher(name).matches()) {
                    throw new InvalidRecordException(shown + " is not named <sha256>.json (64 lowercase hex digits)");
                }
                Optional<String> text = SafeFiles.readRecord(workTree, rel);
                if (text.isEmpty()) {
                    continue; // removed meanwhile
                }
                RemoteRecord r = RemoteRecord.parse(text.get(), shown);
                if (r.sha256() == null || !name.equals(r.sha256().hex() + ".json")) {
                    throw new InvalidRecordException(shown + ": its \"sha256\" does not match its file name");
                }
                out.add(r);
            } catch (InvalidRecordException e) {
                problems.add(e.getMessage());
            }
        }
        return out;
    }

    /**
     * The {@code .json} files of one {@code .lfs-meta} folder, relative to the working tree and
     * sorted; none when it does not exist. Names starting with a dot (temp files) are skipped;
     * a folder that is a symbolic link is reported in {@code problems} and not read.
     */
    private List<String> jsonFiles(String folder, List<String> problems) throws IOException {
        String rel = MetaLayout.DIR + "/" + folder;
        try {
            if (!SafeFiles.isRealFolder(workTree, rel)) {
                return List.of();
            }
        } catch (SafeFiles.Refused e) {
            problems.add(e.getMessage() + "; its records are not read");
            return List.of();
        }
        try (Stream<Path> s = Files.list(workTree.resolve(rel))) {
            return s.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".json") && !n.startsWith("."))
                    .sorted()
                    .map(n -> rel + "/" + n)
                    .toList();
        }
    }

    // ------------------------------------------------------------ etag entries

    /** The objects recorded under {@code etag}; one unusable entry makes the whole file unusable here. */
    public List<RemoteRecord> etagEntries(String etag) throws IOException, InvalidRecordException {
        String rel = MetaLayout.etagPath(etag);
        List<RemoteRecord> out = new ArrayList<>();
        List<JsonNode> objects = etagObjects(rel);
        for (int i = 0; i < objects.size(); i++) {
            out.add(entry(objects.get(i), rel, i));
        }
        return out;
    }

    /**
     * Every pending (deferred) object of every ETag file. An unusable entry is reported in
     * {@code problems} and skipped; the valid entries of the same file are still returned.
     */
    public List<RemoteRecord> pending(List<String> problems) throws IOException {
        List<RemoteRecord> out = new ArrayList<>();
        for (String rel : jsonFiles("etag", problems)) {
            String name = rel.substring(rel.lastIndexOf('/') + 1);
            List<JsonNode> objects;
            try {
                if (!ETAG_NAME.matcher(name).matches()) {
                    throw new InvalidRecordException(Printable.escape(rel) + " is not named like an ETag file"
                            + " (A-Z a-z 0-9 - _ and %XX, then .json)");
                }
                objects = etagObjects(rel);
            } catch (InvalidRecordException e) {
                problems.add(e.getMessage());
                continue;
            }
            for (int i = 0; i < objects.size(); i++) {
                try {
                    RemoteRecord r = entry(objects.get(i), rel, i);
                    if (r.sha256() == null && r.path() == null) {
                        throw new InvalidRecordException(Printable.escape(rel) + " (entry " + (i + 1)
                                + "): a pending entry needs a \"path\"");
                    }
                    if (r.sha256() == null) {
                        out.add(r);
                    }
                } catch (InvalidRecordException e) {
                    problems.add(e.getMessage());
                }
            }
        }
        return out;
    }

    /**
     * Adds or replaces (same URL) {@code r} under its ETag. Other entries of the file are kept
     * as they are, even those this version cannot use.
     */
    public void putEtagEntry(RemoteRecord r) throws IOException, InvalidRecordException {
        String rel = MetaLayout.etagPath(r.etag());
        List<JsonNode> objects = new ArrayList<>(etagObjects(rel));
        String url = r.url().toString();
        objects.removeIf(o -> o != null && o.isObject() && o.get("url") instanceof JsonNode u && u.isTextual() && url.equals(u.textValue()));
        objects.add(MetaJson.tree(r.flatFile()));
        objects.sort(Comparator.comparing(MetaFiles::urlKey));
        write(rel, MetaJson.write(new MetaJson.EtagFile(r.etag(), objects)));
    }

    /** What entries are sorted by: the URL; entries that are not objects first, then those without one. */
    private static String urlKey(JsonNode o) {
        if (o == null || !o.isObject()) {
            return "";
        }
        JsonNode u = o.get("url");
        return u == null || u.isNull() ? "null" : u.isTextual() ? u.textValue() : u.toString();
    }

    /** The raw entries of an ETag file; none when it does not exist. */
    private List<JsonNode> etagObjects(String rel) throws IOException, InvalidRecordException {
        String shown = Printable.escape(rel);
        Optional<String> text = SafeFiles.readRecord(workTree, rel);
        if (text.isEmpty()) {
            return List.of();
        }
        JsonNode m = MetaJson.readObject(text.get(), shown);
        if (!(m.get("objects") instanceof JsonNode objects) || !objects.isArray()) {
            throw new InvalidRecordException(shown + " has no \"objects\" list");
        }
        MetaJson.EtagFile file = MetaJson.bind(m, MetaJson.EtagFile.class, shown, field -> "a string");
        return new ArrayList<>(file.objects());
    }

    private static RemoteRecord entry(JsonNode o, String rel, int index) throws InvalidRecordException {
        String where = Printable.escape(rel) + " (entry " + (index + 1) + ")";
        if (o == null || !o.isObject()) {
            throw new InvalidRecordException(where + " is not a JSON object");
        }
        return RemoteRecord.parse(o, where);
    }

    // ------------------------------------------------------------ md5 mapping

    /** The SHA-256 recorded for content with this MD5 and size, if any. */
    public Oid sha256ForMd5(String md5, long size) throws IOException {
        if (md5 == null || !MD5.matcher(md5).matches()) {
            return null;
        }
        try {
            Optional<String> text = SafeFiles.readRecord(workTree, MetaLayout.md5Path(md5));
            if (text.isEmpty()) {
                return null;
            }
            MetaJson.Md5File m = MetaJson.bind(MetaJson.readObject(text.get(), "md5"), MetaJson.Md5File.class, "md5", f -> "");
            if (m.size() == size && m.sha256() != null && Oid.isValid(m.sha256())) {
                return Oid.parse(m.sha256());
            }
        } catch (InvalidRecordException e) {
            return null; // a broken cache entry is only a missed shortcut
        }
        return null;
    }

    public void putMd5(String md5, long size, Oid sha256) throws IOException {
        if (!MD5.matcher(md5).matches()) {
            throw new IOException("not an MD5 (32 lowercase hex digits): " + Printable.escape(md5));
        }
        write(MetaLayout.md5Path(md5), MetaJson.write(new MetaJson.Md5File(md5, sha256.hex(), size)));
    }

    // ----------------------------------------------------------------- common

    private void write(String relative, String text) throws IOException {
        SafeFiles.write(workTree, relative, text.getBytes(StandardCharsets.UTF_8));
    }
}
