package io.lfscloud.core.meta;

import io.lfscloud.core.git.CommittedFiles;
import io.lfscloud.core.git.Git;
import io.lfscloud.core.lfs.Oid;

import java.io.IOException;
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
 *
 * <p>A record is a small regular file: in the working tree it is read as {@link SafeFiles}
 * reads records (never through a symbolic link, never a FIFO or device, at most
 * {@link SafeFiles#MAX_RECORD_BYTES}); in history it must be a regular blob (not a symbolic
 * link, mode 120000, nor a submodule) of at most that size.
 */
public final class RecordStore {

    private final Path workTree;
    private Map<String, String> historical; // record path -> newest commit that added or changed it

    public RecordStore(Path workTree) {
        this.workTree = workTree;
    }

    /** The record of {@code oid}, if the repository tracks it remotely: the working tree's, else history's. */
    public Optional<RemoteRecord> find(Oid oid) throws IOException, InvalidRecordException {
        Optional<RemoteRecord> here = findInWorkTree(oid);
        return here.isPresent() ? here : findInHistory(oid);
    }

    /** The record of {@code oid} in the working tree only (the checkout git-lfs works in). */
    public Optional<RemoteRecord> findInWorkTree(Oid oid) throws IOException, InvalidRecordException {
        return new MetaFiles(workTree).record(oid);
    }

    /**
     * The record of {@code oid} in the newest commit of any ref that added or changed it,
     * whether or not the working tree has one.
     */
    public Optional<RemoteRecord> findInHistory(Oid oid) throws IOException, InvalidRecordException {
        String rel = MetaLayout.sha256Path(oid);
        String commit = history().get(rel);
        if (commit == null) {
            return Optional.empty();
        }
        String where = rel + " (commit " + commit.substring(0, Math.min(12, commit.length())) + ")";
        String blob = regularBlob(commit, rel, where);
        Git.Result content = Git.run(workTree, List.of("cat-file", "blob", blob));
        if (!content.ok()) {
            throw new IOException("cannot read " + where + ": " + content.firstErrorLine());
        }
        return Optional.of(MetaFiles.checked(RemoteRecord.parse(content.out(), where), oid, where));
    }

    /** The id of the blob at {@code rel} in {@code commit}, checked to be a regular file small enough for a record. */
    private String regularBlob(String commit, String rel, String where) throws IOException, InvalidRecordException {
        CommittedFiles.TreeEntry entry = CommittedFiles.treeEntry(workTree, commit, rel)
                .orElseThrow(() -> new IOException("cannot read " + where + ": not in that commit"));
        CommittedFiles.Problem problem = entry.problem(SafeFiles.MAX_RECORD_BYTES);
        if (problem != null) {
            throw SafeFiles.notARecord(where, problem);
        }
        return entry.object();
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
