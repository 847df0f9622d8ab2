package io.lfscloud.core.meta;

import io.lfscloud.core.json.Json;
import io.lfscloud.core.json.JsonException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Reads and writes the files of {@link MetaLayout} in a working tree. Every write is
 * atomic (temp file, rename), so an interrupted command never leaves half a record.
 *
 * <p>An ETag file holds every object seen with that ETag, one per URL:
 * {@code {"etag": "...", "objects": [ <record>, ... ]}}, sorted by URL; a pending
 * (deferred) object is one without {@code sha256}. The mapping is only reused for the same
 * URL, ETag and size: two servers may well hand out the same ETag for different files.
 */
public final class MetaFiles {

    private final Path workTree;

    public MetaFiles(Path workTree) {
        this.workTree = workTree;
    }

    public Path file(String relative) {
        return workTree.resolve(relative);
    }

    // ---------------------------------------------------------------- records

    public void writeRecord(RemoteRecord r) throws IOException {
        write(MetaLayout.sha256Path(r.sha256()), r.toJson());
    }

    /** Every record in the working tree's {@code sha256/}; unreadable ones are reported in {@code problems}. */
    public List<RemoteRecord> records(List<String> problems) throws IOException {
        List<RemoteRecord> out = new ArrayList<>();
        for (Path f : jsonFiles("sha256")) {
            String rel = workTree.relativize(f).toString();
            try {
                RemoteRecord r = RemoteRecord.parse(Files.readString(f), rel);
                String name = f.getFileName().toString();
                if (r.sha256() == null || !name.equals(r.sha256() + ".json")) {
                    throw new InvalidRecordException(rel + ": its \"sha256\" does not match its file name");
                }
                out.add(r);
            } catch (InvalidRecordException e) {
                problems.add(e.getMessage());
            }
        }
        return out;
    }

    /** The {@code .json} files of one {@code .lfs-meta} folder, sorted; none when it does not exist. */
    private List<Path> jsonFiles(String folder) throws IOException {
        Path dir = file(MetaLayout.DIR + "/" + folder);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
    }

    // ------------------------------------------------------------ etag entries

    /** The objects recorded under {@code etag}. */
    public List<RemoteRecord> etagEntries(String etag) throws IOException, InvalidRecordException {
        return readEtagFile(file(MetaLayout.etagPath(etag)), MetaLayout.etagPath(etag));
    }

    /** Every pending (deferred) object of every ETag file. */
    public List<RemoteRecord> pending(List<String> problems) throws IOException {
        List<RemoteRecord> out = new ArrayList<>();
        for (Path f : jsonFiles("etag")) {
            try {
                for (RemoteRecord r : readEtagFile(f, workTree.relativize(f).toString())) {
                    if (r.sha256() == null) {
                        out.add(r);
                    }
                }
            } catch (InvalidRecordException e) {
                problems.add(e.getMessage());
            }
        }
        return out;
    }

    /** Adds or replaces (same URL) {@code r} under its ETag. */
    public void putEtagEntry(RemoteRecord r) throws IOException, InvalidRecordException {
        List<RemoteRecord> entries = new ArrayList<>(etagEntries(r.etag()));
        entries.removeIf(e -> e.url().equals(r.url()));
        entries.add(r);
        entries.sort(Comparator.comparing(e -> e.url().toString()));
        List<Object> objects = new ArrayList<>();
        for (RemoteRecord e : entries) {
            try {
                objects.add(Json.parse(e.toJson()));
            } catch (JsonException impossible) {
                throw new IllegalStateException("a record's own JSON does not parse", impossible);
            }
        }
        Map<String, Object> m = new TreeMap<>();
        m.put("etag", r.etag());
        m.put("objects", objects);
        write(MetaLayout.etagPath(r.etag()), pretty(m, "") + "\n");
    }

    private static List<RemoteRecord> readEtagFile(Path f, String where) throws IOException, InvalidRecordException {
        String text;
        try {
            text = Files.readString(f);
        } catch (NoSuchFileException e) {
            return List.of();
        }
        try {
            Map<String, Object> m = Json.parseObject(text);
            if (!(m.get("objects") instanceof List<?> objects)) {
                throw new InvalidRecordException(where + " has no \"objects\" list");
            }
            List<RemoteRecord> out = new ArrayList<>();
            for (Object o : objects) {
                out.add(RemoteRecord.parse(Json.write(o), where));
            }
            return out;
        } catch (JsonException e) {
            throw new InvalidRecordException(where + " is not valid JSON: " + e.getMessage());
        }
    }

    // ------------------------------------------------------------ md5 mapping

    /** The SHA-256 recorded for content with this MD5 and size, if any. */
    public String sha256ForMd5(String md5, long size) throws IOException {
        try {
            Map<String, Object> m = Json.parseObject(Files.readString(file(MetaLayout.md5Path(md5))));
            if (m.get("size") instanceof Long s && s == size && m.get("sha256") instanceof String sha) {
                return sha;
            }
        } catch (NoSuchFileException e) {
            return null;
        } catch (JsonException e) {
            return null; // a broken cache entry is only a missed shortcut
        }
        return null;
    }

    public void putMd5(String md5, long size, String sha256) throws IOException {
        Map<String, Object> m = new TreeMap<>();
        m.put("md5", md5);
        m.put("sha256", sha256);
        m.put("size", size);
        write(MetaLayout.md5Path(md5), RemoteRecord.pretty(m));
    }

    // ----------------------------------------------------------------- common

    private void write(String relative, String text) throws IOException {
        Path target = file(relative);
        Files.createDirectories(target.getParent());
        Path tmp = Files.createTempFile(target.getParent(), ".tmp-", ".json");
        try {
            Files.writeString(tmp, text);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Indented JSON for nested maps and lists, for files people read in diffs. */
    static String pretty(Object value, String indent) {
        StringBuilder sb = new StringBuilder();
        if (value instanceof Map<?, ?> map) {
            sb.append("{\n");
            int i = 0;
            for (Map.Entry<?, ?> e : map.entrySet()) {
                sb.append(indent).append("  ");
                Json.quote(String.valueOf(e.getKey()), sb);
                sb.append(": ").append(pretty(e.getValue(), indent + "  "));
                sb.append(++i < map.size() ? ",\n" : "\n");
            }
            sb.append(indent).append('}');
        } else if (value instanceof List<?> list) {
            sb.append("[\n");
            for (int i = 0; i < list.size(); i++) {
                sb.append(indent).append("  ").append(pretty(list.get(i), indent + "  "));
                sb.append(i + 1 < list.size() ? ",\n" : "\n");
            }
            sb.append(indent).append(']');
        } else {
            Json.write(value, sb);
        }
        return sb.toString();
    }
}
