package io.lfscloud.core.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.lfscloud.core.git.Git;
import io.lfscloud.core.git.Repository;
import io.lfscloud.core.lfs.Oid;
import io.lfscloud.core.meta.RecordStore;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The LFS objects a repository's history references, as git-lfs itself lists them
 * ({@code git lfs ls-files --json}, which gives each file's oid and exact size).
 */
final class LfsObjects {

    /** One object, with the first path it was seen at. */
    record LfsObject(Oid oid, long size, String path) {
    }

    private LfsObjects() {
    }

    /** The objects of every ref's history ({@code --all}). */
    static List<LfsObject> all(Path top) {
        return list(top, List.of("--all"));
    }

    /** The objects of the history of each of {@code refs} ({@code --deleted REF}). */
    static List<LfsObject> ofRefs(Path top, List<String> refs) {
        Map<Oid, LfsObject> objects = new LinkedHashMap<>();
        for (String ref : refs) {
            if (ref.startsWith("-")) {
                throw new CliException("not a ref: " + ref, Cli.USAGE, null);
            }
            for (LfsObject o : list(top, List.of("--deleted", ref))) {
                objects.putIfAbsent(o.oid(), o);
            }
        }
        return new ArrayList<>(objects.values());
    }

    /** The files of the checkout (git's index), with every path kept: for {@code whereis}. */
    static List<LfsObject> checkout(Path top) {
        return list(top, List.of(), false);
    }

    private static List<LfsObject> list(Path top, List<String> args) {
        return list(top, args, true);
    }

    private static List<LfsObject> list(Path top, List<String> args, boolean distinct) {
        List<String> cmd = new ArrayList<>(List.of("lfs", "ls-files", "--json"));
        cmd.addAll(args);
        Git.Result r = Installer.git(top, cmd);
        if (!r.ok()) {
            throw new CliException("'git " + String.join(" ", cmd) + "' failed: " + r.firstErrorLine());
        }
        Map<Object, LfsObject> objects = new LinkedHashMap<>();
        try {
            JsonNode files = JsonMapper.builder().build().readTree(r.out()).path("files");
            for (JsonNode f : files) {
                String oid = f.path("oid").asText("");
                if (!Oid.isValid(oid) || !f.path("size").canConvertToLong() || f.path("size").asLong() < 0) {
                    throw new CliException("git-lfs listed an object it should not: " + f);
                }
                LfsObject o = new LfsObject(Oid.parse(oid), f.path("size").asLong(), f.path("name").asText());
                objects.putIfAbsent(distinct ? o.oid() : o, o);
            }
        } catch (IOException e) {
            throw new CliException("cannot read what 'git " + String.join(" ", cmd) + "' printed: " + e.getMessage());
        }
        return new ArrayList<>(objects.values());
    }

    /**
     * Whether the object is tracked in place (a record in the working tree or history): it lives
     * at its URL, not in the stores ({@code verify} checks it).
     */
    static boolean trackedInPlace(RecordStore records, Oid oid) {
        try {
            return records.find(oid).isPresent();
        } catch (Exception e) {
            return false; // an unusable record tracks nothing: the object belongs in the stores
        }
    }

    static RecordStore records(Repository repo) {
        return new RecordStore(repo.workTree());
    }
}
