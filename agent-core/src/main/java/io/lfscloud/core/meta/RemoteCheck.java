package io.lfscloud.core.meta;

import io.lfscloud.core.BoundedTasks;
import io.lfscloud.core.store.BackendRegistry;
import io.lfscloud.spi.BackendConfig;
import io.lfscloud.spi.ObjectInfo;
import io.lfscloud.spi.StorageException;

import java.util.ArrayList;
import java.util.List;

/** Checks tracked objects against their stores with metadata requests only (HEAD or the like). */
public final class RemoteCheck {

    /** The state of one tracked object. */
    public enum State { OK, PENDING, CHANGED, MISSING, UNREACHABLE, REFUSED }

    public record Result(RemoteRecord record, State state, String detail) {
    }

    private RemoteCheck() {
    }

    /** Checks every record, at most 8 at once. Results come in the records' order. */
    public static List<Result> check(List<RemoteRecord> records, BackendRegistry registry, BackendConfig config) {
        Result[] results = new Result[records.size()];
        BoundedTasks tasks = new BoundedTasks(8);
        for (int i = 0; i < records.size(); i++) {
            int index = i;
            tasks.submit(() -> results[index] = one(records.get(index), registry, config));
        }
        try {
            tasks.awaitAll();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        }
        return List.of(results);
    }

    static Result one(RemoteRecord r, BackendRegistry registry, BackendConfig config) {
        try {
            UrlPolicy.checkFollow(r.url(), config);
        } catch (UrlRefusedException e) {
            return new Result(r, State.REFUSED, e.getMessage());
        }
        ObjectInfo now;
        try {
            now = registry.backendFor(r.url(), config).stat(r.url());
        } catch (StorageException e) {
            return switch (e.kind()) {
                case NOT_FOUND -> new Result(r, State.MISSING, "no longer exists");
                default -> new Result(r, State.UNREACHABLE, e.getMessage());
            };
        } catch (RuntimeException e) {
            return new Result(r, State.UNREACHABLE, String.valueOf(e));
        }
        List<String> changes = new ArrayList<>();
        if (now.size() != r.size()) {
            changes.add("size was " + r.size() + ", is " + now.size());
        }
        if (r.versionId() == null && r.etag() != null && !r.etag().equals(now.etag())) {
            changes.add("ETag was \"" + r.etag() + "\", is " + (now.etag() == null ? "none" : "\"" + now.etag() + "\""));
        }
        if (changes.isEmpty()) {
            return new Result(r, r.sha256() == null ? State.PENDING : State.OK, "");
        }
        return new Result(r, State.CHANGED, String.join("; ", changes));
    }
}
