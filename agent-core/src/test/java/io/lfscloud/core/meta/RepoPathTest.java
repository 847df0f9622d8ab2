package io.lfscloud.core.meta;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class RepoPathTest {

    @Test
    void normalisedPathsInsideTheWorkingTreeAreAccepted() {
        for (String ok : List.of("a.bin", "data/genome.bam", "with space/é/😀.bin", ".gitattributes-not",
                "a/.lfs-meta/x", "dir/..x", "...", "x".repeat(255), "a/".repeat(1000) + "b", ".github/x")) {
            assertNull(RepoPath.trackedFileProblem(ok), ok);
        }
        assertNull(RepoPath.problem(".lfs-meta/sha256/x.json"), "the metadata's own files are fine paths");
    }

    @Test
    void everyWayOutOrAroundIsRefused() {
        Map<String, String> bad = Map.ofEntries(
                Map.entry("", "is empty"),
                Map.entry("/etc/passwd", "is absolute"),
                Map.entry("/", "is absolute"),
                Map.entry("../x", "has a '..' segment"),
                Map.entry("a/../../x", "has a '..' segment"),
                Map.entry("a/..", "has a '..' segment"),
                Map.entry("./a", "has a '.' segment"),
                Map.entry("a/./b", "has a '.' segment"),
                Map.entry("a//b", "has an empty name (a doubled or trailing '/')"),
                Map.entry("a/", "has an empty name (a doubled or trailing '/')"),
                Map.entry("a\\..\\b", "has a backslash"),
                Map.entry(".git/hooks/post-checkout", "is inside .git"),
                Map.entry("sub/.GIT/config", "is inside .git"),
                Map.entry(".git", "is inside .git"),
                Map.entry("a\u001b[2Jb", "has a control character"),
                Map.entry("a\nb", "has a control character"),
                Map.entry("a\u0000b", "has a control character"),
                Map.entry("a\u007fb", "has a control character"),
                Map.entry("a\u009bb", "has a control character"),
                Map.entry("evil\u202egnp.bin", "has a control character"),
                Map.entry("a\ud800b", "is not valid Unicode"),
                Map.entry("x".repeat(256), "has a name longer than 255 bytes"),
                Map.entry("é".repeat(128), "has a name longer than 255 bytes"),
                Map.entry("a/".repeat(2048) + "b", "is longer than 4096 characters"));
        for (var e : bad.entrySet()) {
            assertEquals(e.getValue(), RepoPath.trackedFileProblem(e.getKey()), e.getKey());
        }
    }

    @Test
    void theMetadataFolderCannotHoldATrackedFile() {
        assertEquals("is inside .lfs-meta", RepoPath.trackedFileProblem(".lfs-meta/sha256/x.json"));
        assertEquals("is inside .lfs-meta", RepoPath.trackedFileProblem(".LFS-META/config"));
        assertEquals("is inside .lfs-meta", RepoPath.trackedFileProblem(".lfs-meta"));
        assertNull(RepoPath.trackedFileProblem(".lfs-metadata/x"));
    }

    @Test
    void filesGitReadsAsSettingsCannotHoldATrackedFileInAnyFolder() {
        for (String p : new String[] {".gitattributes", "sub/.gitattributes", ".lfsconfig", "a/.gitmodules", ".GitIgnore"}) {
            assertEquals("names a file git or git-lfs reads as settings", RepoPath.trackedFileProblem(p), p);
        }
        assertNull(RepoPath.trackedFileProblem("docs/gitattributes.txt"));
    }
}
