package io.lfscloud.core.meta;

import io.lfscloud.core.policy.UrlPolicy;
import io.lfscloud.core.policy.UrlRefusedException;
import io.lfscloud.core.BoundedTasks;
import io.lfscloud.core.plugin.BackendRegistry;
import io.lfscloud.core.lfs.Oid;
import io.lfscloud.core.transfer.ChangeCheck;
import io.lfscloud.core.transfer.VerifyingSink;
import io.lfscloud.spi.BackendConfig;
import io.lfscloud.spi.ObjectInfo;
import io.lfscloud.spi.StorageException;
import io.lfscloud.spi.TransferListener;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks tracked objects against their stores: with metadata requests only (HEAD or the
 * like), or, deep, by reading each object once through a hasher (no copy kept). A place whose
 * store gives nothing to compare (no ETag, version or modification time) is {@link State#UNCHECKED}
 * unless checked deep: its size alone cannot show a change of content.
 */
public final class RemoteCheck {

    /** The state of one place of a tracked object. */
    public enum State { OK, PENDING, CHANGED, MISSING, UNREACHABLE, REFUSED, UNCHECKED }

    /**
     * The outcome for one place.
     *
     * @param record the place, as a record of one place
     * @param detail what differs, why it could not be checked, or empty
     */
    public record Result(RemoteRecord record, State state, String detail) {
    }

    private RemoteCheck() {
    }

    /** Checks every place of every record, at most 8 at once. Results come in the records' and places' order. */
    public static List<Result> check(List<RemoteRecord> records, BackendRegistry registry, BackendConfig config,
                                     boolean deep) {
        List<RemoteRecord> places = records.stream().flatMap(r -> r.each().stream()).toList();
        Result[] results = new Result[places.size()];
        BoundedTasks tasks = new BoundedTasks(8);
        for (int i = 0; i < places.size(); i++) {
            int index = i;
            tasks.submit(() -> results[index] = one(places.get(index), registry, config, deep));
        }
        try {
            tasks.awaitAll();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        }
        return List.of(results);
    }

    /**
     * One place: refused by the URL policy, missing, unreachable, or judged by {@link ChangeCheck}
     * (the store is asked even for a pinned version, so that a missing object shows).
     */
    static Result one(RemoteRecord r, BackendRegistry registry, BackendConfig config, boolean deep) {
        try {
            UrlPolicy.checkFollow(r.url(), config);
        } catch (UrlRefusedException e) {
            return new Result(r, State.REFUSED, e.getMessage());
        }
        ObjectInfo now;
        io.lfscloud.spi.StorageBackend backend;
        try {
            backend = registry.backendFor(r.url(), config);
            now = backend.stat(r.url());
        } catch (StorageException e) {
            return switch (e.kind()) {
                case NOT_FOUND -> new Result(r, State.MISSING, "no longer exists");
                default -> new Result(r, State.UNREACHABLE, e.getMessage());
            };
        } catch (RuntimeException e) {
            return new Result(r, State.UNREACHABLE, String.valueOf(e));
        }
        ChangeCheck.Result check = ChangeCheck.compare(r.tracked(), now); // the download's rule
        if (check.verdict() == ChangeCheck.Verdict.CHANGED) {
            return new Result(r, State.CHANGED, check.detail());
        }
        if (r.sha256() == null) {
            return new Result(r, State.PENDING, "");
        }
        if (deep) {
            return rehash(r, backend);
        }
        if (check.verdict() == ChangeCheck.Verdict.UNCHECKED) {
            return new Result(r, State.UNCHECKED, check.detail());
        }
        return new Result(r, State.OK, "");
    }

    /** Reads the object once through SHA-256, keeping nothing. */
    private static Result rehash(RemoteRecord r, io.lfscloud.spi.StorageBackend backend) {
        ObjectInfo expected = r.tracked();
        try (VerifyingSink sink = VerifyingSink.discarding(r.size(), r.sha256().hex());
             InputStream in = backend.read(r.url(), 0, expected)) {
            sink.transferFrom(in, TransferListener.NONE);
            sink.verify();
        } catch (VerifyingSink.Mismatch e) {
            return new Result(r, State.CHANGED, switch (e.what()) {
                case TOO_LARGE -> "it has more than its size of " + r.size() + " bytes";
                case SIZE -> "read " + e.actualSize() + " bytes, its size is " + r.size();
                case CONTENT -> "its content no longer hashes to the tracked SHA-256 (is " + e.actualSha256() + ")";
            });
        } catch (StorageException e) {
            return switch (e.kind()) {
                case NOT_FOUND -> new Result(r, State.MISSING, "no longer exists");
                case CHANGED -> new Result(r, State.CHANGED, e.getMessage());
                default -> new Result(r, State.UNREACHABLE, "reading it failed: " + e.getMessage());
            };
        } catch (IOException | RuntimeException e) {
            return new Result(r, State.UNREACHABLE, "reading it failed: " + e.getMessage());
        }
        return new Result(r, State.OK, "");
    }
}
