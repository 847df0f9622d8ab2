package io.lfscloud.core.meta;

import io.lfscloud.core.git.Git;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Finds the {@link RemoteRecord} of an oid for any commit git-lfs may be working on: in the
 * working tree first, then in every commit reachable from any ref (a fresh clone smudges
 * before {@code .lfs-meta/} is checked out; a checkout of another branch smudges while HEAD
 * still names the old one; {@code git lfs fetch --all} asks about every commit).
 *
 * <p>The history is read once per process with one {@code git log}, and only when the
 * working tree does not have the record.
 */
public final class RecordStore {

    private final Path workTree;
    private Map<String, String> historical; // record path -> newest commit that added or changed it

    public RecordStore(Path workTree) {
        this.workTree = workTree;
    }

    /** The record of {@code oid}, if the repository tracks it remotely: the working tree's, else one from history. */
    public Optional<RemoteRecord> find(String oid) throws IOException, InvalidRecordException {
        Optional<RemoteRecord> r = findInWorkTree(oid);
        return r.isPresent() ? r : findInHistory(oid);
    }

    /** The record of {@code oid} in the checked-out working tree: the checkout's own word. */
    public Optional<RemoteRecord> findInWorkTree(String oid) throws IOException, InvalidRecordException {
        String rel = MetaLayout.sha256Path(oid);
        Path file = workTree.resolve(rel);
        try {
            return Optional.of(checked(RemoteRecord.parse(Files.readString(file), rel), oid, rel));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /**
     * The newest record of {@code oid} in any commit reachable from any ref: written by whoever
     * could push any branch, so a fallback only, never an override of the store.
     */
    public Optional<RemoteRecord> findInHistory(String oid) throws IOException, InvalidRecordException {
        String rel = MetaLayout.sha256Path(oid);
        String commit = history().get(rel);
        if (commit == null) {
            return Optional.empty();
        }
        Git.Result blob = Git.run(workTree, List.of("cat-file", "blob", commit + ":" + rel));
        if (!blob.ok()) {
            throw new IOException("cannot read " + rel + " from commit " + commit + ": " + blob.firstErrorLine());
        }
        String where = rel + " (commit " + commit.substring(0, 12) + ")";
        return Optional.of(checked(RemoteRecord.parse(blob.out(), where), oid, where));
    }

    private static RemoteRecord checked(RemoteRecord r, String oid, String where) throws InvalidRecordException {
        if (r.sha256() == null || !r.sha256().equals(oid)) {
            throw new InvalidRecordException(where + ": its \"sha256\" does not match its file name");
        }
        return r;
    }

    private synchronized Map<String, String> history() throws IOException {
        if (historical == null) {
            Git.Result log = Git.run(workTree, List.of("log", "--all", "--format=%x01%H", "--name-only",
                    "--diff-filter=AM", "--", MetaLayout.DIR + "/sha256/"));
            Map<String, String> map = new HashMap<>();
            if (log.ok()) {
                String commit = null;
                for (String line : log.out().split("\n")) {
                    if (line.startsWith("\u0001")) {
                        commit = line.substring(1).strip();
                    } else if (!line.isBlank() && commit != null) {
                        map.putIfAbsent(line.strip(), commit); // newest first
                    }
                }
            }
            historical = map;
        }
        return historical;
    }
}
