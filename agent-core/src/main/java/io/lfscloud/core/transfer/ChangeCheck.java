package io.lfscloud.core.transfer;

import io.lfscloud.spi.ObjectInfo;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Has an object tracked in place changed since it was tracked? The one rule, used by the
 * download, by {@code verify} and {@code status}, and by {@code resolve}, so that none of
 * them calls changed what another accepts. The rules, in order (the README has them as a table):
 *
 * <ol>
 *   <li>A pinned version ({@code versionId} recorded) is what is read, and a version never
 *       changes: <b>unchanged</b>, whatever the current object's ETag or size (the store is
 *       not even asked, see {@link #asksStore}).</li>
 *   <li>Another size: <b>changed</b>.</li>
 *   <li>An ETag recorded and one reported: <b>changed</b> when they differ, else <b>unchanged</b>.</li>
 *   <li>Otherwise (an ETag on one side only, or on neither), a Last-Modified recorded and one
 *       reported: <b>changed</b> when they differ, else <b>unchanged</b>.</li>
 *   <li>Otherwise nothing can show a change of content: <b>unchecked</b>. A download goes on
 *       (the SHA-256 of the bytes is checked as they arrive); {@code verify} lists the place
 *       as unchecked ({@code verify --deep} hashes it).</li>
 * </ol>
 */
public final class ChangeCheck {

    /** What the metadata says. */
    public enum Verdict { UNCHANGED, CHANGED, UNCHECKED }

    /**
     * @param detail what differs (changed), why nothing could be compared (unchecked), or what matched
     */
    public record Result(Verdict verdict, String detail) {
    }

    private ChangeCheck() {
    }

    /** Whether the rule needs the store's metadata for {@code tracked}: not for a pinned version. */
    public static boolean asksStore(ObjectInfo tracked) {
        return tracked.versionId() == null;
    }

    /**
     * Compares what was tracked with what the store reports now.
     *
     * @param tracked the record's place: size, ETag, version, Last-Modified as tracked
     * @param now     the store's answer, or {@code null} when {@link #asksStore} is false
     */
    public static Result compare(ObjectInfo tracked, ObjectInfo now) {
        if (!asksStore(tracked)) {
            return new Result(Verdict.UNCHANGED, "version " + tracked.versionId() + " is pinned");
        }
        Objects.requireNonNull(now, "now");
        List<String> changes = new ArrayList<>();
        if (now.size() != tracked.size()) {
            changes.add("size was " + tracked.size() + ", is " + now.size());
        }
        if (tracked.etag() != null && now.etag() != null) {
            if (!tracked.etag().equals(now.etag())) {
                changes.add("ETag was \"" + tracked.etag() + "\", is \"" + now.etag() + "\"");
            }
        } else if (tracked.lastModified() != null && now.lastModified() != null) {
            if (!tracked.lastModified().equals(now.lastModified())) {
                changes.add("Last-Modified was " + tracked.lastModified() + ", is " + now.lastModified());
            }
        } else if (changes.isEmpty()) {
            return new Result(Verdict.UNCHECKED, "the store gives no ETag, version or Last-Modified to compare with"
                    + " what was tracked, and the size alone cannot show a change of content");
        }
        return changes.isEmpty() ? new Result(Verdict.UNCHANGED, "")
                : new Result(Verdict.CHANGED, String.join("; ", changes));
    }
}
