package io.lfscloud.core.git;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Git LFS server is found as git-lfs finds it (lfsapi/endpoint_finder.go's order). */
class LfsEndpointTest {

    /** Settings as {@code key=value} lines of git config, and of {@code .lfsconfig}. */
    private static Optional<LfsEndpoint> find(String git, String lfsconfig, String remote, boolean upload) {
        ConfigValues g = values(git);
        ConfigValues l = values(lfsconfig);
        return LfsEndpoint.find(key -> g.get(key).or(() -> l.get(key)), g, remote, upload);
    }

    private static ConfigValues values(String lines) {
        StringBuilder z = new StringBuilder();
        for (String line : lines.split("\n")) {
            if (!line.isBlank()) {
                int eq = line.indexOf('=');
                z.append(line, 0, eq).append('\n').append(line.substring(eq + 1)).append('\0');
            }
        }
        return ConfigValues.parseNulSeparated(z.toString());
    }

    private static String api(String git, String lfsconfig, String remote, boolean upload) {
        return find(git, lfsconfig, remote, upload).map(e -> e.api().toString()).orElse(null);
    }

    @Test
    void theRemoteUrlGetsInfoLfsAndDotGitWhenItHasNone() {
        assertEquals("https://host/group/repo.git/info/lfs", api("remote.origin.url=https://host/group/repo.git", "", "origin", false));
        assertEquals("https://host/group/repo.git/info/lfs", api("remote.origin.url=https://host/group/repo", "", "origin", false));
        assertEquals("https://host/group/repo.git/info/lfs", api("remote.origin.url=https://host/group/repo/", "", null, false));
        assertEquals("http://127.0.0.1:8080/r.git/info/lfs", api("remote.origin.url=http://127.0.0.1:8080/r.git", "", "origin", true));
    }

    @Test
    void lfsUrlComesFirstThenTheRemotesLfsurlAndPushUrlsOnlyForUploads() {
        String git = """
                remote.origin.url=https://host/repo.git
                remote.origin.lfsurl=https://lfs.example/remote
                remote.origin.lfspushurl=https://lfs.example/remote-push
                """;
        assertEquals("https://lfs.example/remote", api(git, "", "origin", false));
        assertEquals("https://lfs.example/remote-push", api(git, "", "origin", true));
        assertEquals("https://lfs.example/all", api(git + "lfs.url=https://lfs.example/all", "", "origin", true));
        assertEquals("https://lfs.example/push", api(git + "lfs.url=https://lfs.example/all\nlfs.pushurl=https://lfs.example/push",
                "", "origin", true));
        assertEquals("https://lfs.example/all", api(git + "lfs.url=https://lfs.example/all\nlfs.pushurl=https://lfs.example/push",
                "", "origin", false));
        assertEquals("https://host/push.git/info/lfs",
                api("remote.origin.url=https://host/repo.git\nremote.origin.pushurl=https://host/push.git", "", "origin", true));
    }

    @Test
    void gitConfigOverridesTheCommittedLfsconfigWhichOverridesTheRemoteUrl() {
        assertEquals("https://committed/lfs", api("remote.origin.url=https://host/repo.git", "lfs.url=https://committed/lfs", "origin", false));
        assertEquals("https://mine/lfs", api("remote.origin.url=https://host/repo.git\nlfs.url=https://mine/lfs",
                "lfs.url=https://committed/lfs", "origin", false));
    }

    @Test
    void anotherRemoteWithNothingFallsBackToOriginAndAUrlIsItsOwnRemote() {
        String git = "remote.origin.url=https://host/repo.git\nremote.fork.url=https://other/fork.git";
        assertEquals("https://other/fork.git/info/lfs", api(git, "", "fork", false));
        assertEquals("https://host/repo.git/info/lfs", api(git, "", "nosuch", false));
        assertEquals("https://typed/x.git/info/lfs", api("", "", "https://typed/x", false));
    }

    @Test
    void localRemotesHaveNoBatchEndpoint() {
        assertTrue(find("remote.origin.url=/srv/git/repo.git", "", "origin", false).isEmpty());
        assertTrue(find("remote.origin.url=/srv/git:odd/repo.git", "", "origin", false).isEmpty());
        assertTrue(find("remote.origin.url=file:///srv/git/repo.git", "", "origin", false).isEmpty());
        assertTrue(find("", "", "origin", false).isEmpty());
    }

    @Test
    void sshRemotesAreAskedOverSshWithGitLfssGuessAsTheEndpoint() {
        LfsEndpoint scp = find("remote.origin.url=git@host:team/repo.git", "", "origin", false).orElseThrow();
        assertEquals(new SshRemote("git@host", null, "team/repo.git", "host"), scp.ssh());
        assertEquals("https://host/team/repo.git/info/lfs", scp.api().toString());
        assertNull(scp.userInfo());
        assertNull(scp.gitRemote());

        LfsEndpoint url = find("remote.origin.url=ssh://git@host:2222/srv/repo", "", "origin", true).orElseThrow();
        assertEquals(new SshRemote("git@host", "2222", "/srv/repo", "host"), url.ssh());
        assertEquals("https://host/srv/repo.git/info/lfs", url.api().toString());
        assertEquals(new SshRemote("host", null, "/r.git", "host"),
                find("remote.origin.url=git+ssh://host/r.git", "", "origin", false).orElseThrow().ssh());
        assertEquals(new SshRemote("me@host", null, "abs/r.git", "host"),
                find("", "", "me@host:/abs/r.git", false).orElseThrow().ssh(), "a remote typed as an scp-like URL");

        // an lfs.url over ssh is used as it is (no /info/lfs added); an http(s) lfs.url overrides an ssh remote
        LfsEndpoint lfsUrl = find("remote.origin.url=git@host:r.git\nlfs.url=ssh://lfs@other/lfs/r", "", "origin", false)
                .orElseThrow();
        assertEquals(new SshRemote("lfs@other", null, "/lfs/r", "other"), lfsUrl.ssh());
        assertEquals("https://other/lfs/r", lfsUrl.api().toString());
        LfsEndpoint http = find("remote.origin.url=git@host:r.git\nlfs.url=https://lfs.example/r", "", "origin", false)
                .orElseThrow();
        assertNull(http.ssh());
        assertEquals("https://lfs.example/r", http.api().toString());
    }

    @Test
    void sshRemotesThatSshOrTheServersShellWouldMisreadAreRefused() {
        for (String bad : new String[] {"ssh://-oProxyCommand=touch%20x/r.git", "-oProxyCommand=x:r.git",
                "host:-r.git", "ssh://host/r.git;id", "host:r.git$(id)", "host:'r.git'",
                "ssh://host:22x/r.git"}) {
            LfsEndpoint e = find("remote.origin.url=" + bad, "", "origin", false).orElseThrow(() -> new AssertionError(bad));
            assertTrue(e.ssh().refusal() != null, bad + " is refused");
        }
        assertNull(find("remote.origin.url=ssh://git@host:22/team/r-1.git", "", "origin", false).orElseThrow().ssh().refusal());
        assertNull(find("remote.origin.url=git@host:~me/r_1.git", "", "origin", false).orElseThrow().ssh().refusal());
    }

    @Test
    void insteadOfRewritesAndTheLongestPrefixWins() {
        String git = """
                url.https://github.com/.insteadof=gh:
                url.https://mirror.example/.insteadof=gh:big/
                remote.origin.url=gh:big/repo
                """;
        assertEquals("https://mirror.example/repo.git/info/lfs", api(git, "", "origin", false));
    }

    @Test
    void userInfoIsKeptApartFromTheEndpointAndTheRemoteUrlNamesTheCredentials() {
        LfsEndpoint e = find("remote.origin.url=https://bob@host/group/repo", "", "origin", false).orElseThrow();
        assertEquals(URI.create("https://host/group/repo.git/info/lfs"), e.api());
        assertEquals("bob", e.userInfo());
        assertEquals(URI.create("https://host/group/repo"), e.gitRemote(), "git-lfs asks for the remote's URL on the same host");
        LfsEndpoint other = find("remote.origin.url=https://host/repo\nlfs.url=https://lfs.example/x", "", "origin", false)
                .orElseThrow();
        assertNull(other.gitRemote());
        assertNull(other.userInfo());
    }
}
