package io.lfscloud.core.git;

import io.lfscloud.spi.Credentials.Authorization;
import io.lfscloud.spi.StorageException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code git-lfs-authenticate} over ssh, as git-lfs runs it, against a stand-in ssh program (a
 * script that logs its arguments and prints a prepared answer): the program git-lfs would choose,
 * the arguments, the answer's parts, its expiry, the fallback when the server lacks the command,
 * and remotes refused before anything runs. The real ssh and sshd are in the end-to-end tests.
 */
class SshAuthenticationTest {

    @TempDir
    Path dir;
    Path work;
    Path log;
    Path answer;
    Path exit;
    final Map<String, String> env = new HashMap<>();

    @BeforeEach
    void setUp() throws Exception {
        work = Files.createDirectories(dir.resolve("work"));
        assertTrue(Git.run(work, List.of("init", "-q")).ok());
        log = dir.resolve("ssh.log");
        answer = dir.resolve("answer.json");
        exit = dir.resolve("exit");
        Files.writeString(exit, "0");
        Path fake = dir.resolve("fake-ssh");
        Files.writeString(fake, "#!/bin/sh\n"
                + "{ printf '%s' \"$(basename \"$0\")\"; for a in \"$@\"; do printf ' [%s]' \"$a\"; done; echo; } >> '" + log + "'\n"
                + "cat '" + answer + "' 2>/dev/null\n"
                + "code=$(cat '" + exit + "'); [ \"$code\" = 0 ] || echo \"sh: 1: git-lfs-authenticate: not here\" >&2\n"
                + "exit $code\n");
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwx------"));
        Files.copy(fake, dir.resolve("plink"));
        env.put("GIT_CONFIG_NOSYSTEM", "1");
        env.put("GIT_CONFIG_GLOBAL", dir.resolve("no-global").toString());
        env.put("GIT_SSH_COMMAND", fake + " -o BatchMode=yes");
        Git.useGitEnvironment(env);
    }

    @AfterEach
    void tearDown() {
        Git.useGitEnvironment(null);
    }

    private List<String> calls() throws IOException {
        return Files.exists(log) ? Files.readAllLines(log) : List.of();
    }

    private SshAuthentication auth(String remote) {
        return new SshAuthentication(work, SshRemote.parse(remote).orElseThrow());
    }

    @Test
    void gitSshCommandRunsInTheShellWithThePortTheHostAndOneRemoteCommand() throws Exception {
        Files.writeString(answer, "{\"href\":\"https://lfs.example/r.git/info/lfs/\",\"header\":{\"Authorization\":\"RemoteAuth t0ken\"},"
                + "\"expires_in\":3600}");
        Optional<Authorization> a = auth("ssh://git@host.example:2222/srv/r.git").authorization("upload", false);
        assertEquals(URI.create("https://lfs.example/r.git/info/lfs"), a.orElseThrow().href());
        assertEquals(Map.of("Authorization", "RemoteAuth t0ken"), a.get().headers());
        assertFalse(a.get().toString().contains("t0ken"), "no header value in its text: " + a.get());
        assertEquals(List.of("fake-ssh [-o] [BatchMode=yes] [-p] [2222] [git@host.example] [git-lfs-authenticate /srv/r.git upload]"),
                calls());
    }

    @Test
    void gitSshThenCoreSshCommandAreChosenAsGitLfsChoosesAndPlinkTakesCapitalP() throws Exception {
        Files.writeString(answer, "{\"href\":\"https://lfs.example/x\"}");
        env.remove("GIT_SSH_COMMAND");
        env.put("GIT_SSH", dir.resolve("plink").toString());
        Git.useGitEnvironment(env);
        auth("ssh://h:2200/x.git").authorization("download", false);
        assertEquals("plink [-P] [2200] [h] [git-lfs-authenticate /x.git download]", calls().getLast());

        env.remove("GIT_SSH");
        Git.useGitEnvironment(env);
        assertTrue(Git.run(work, List.of("config", "core.sshCommand", dir.resolve("fake-ssh") + " -F /dev/null")).ok());
        auth("me@h:team/x.git").authorization("download", false);
        assertEquals("fake-ssh [-F] [/dev/null] [me@h] [git-lfs-authenticate team/x.git download]", calls().getLast());
    }

    @Test
    void anAnswerIsKeptUntilItExpiresAndRenewAsksAgain() throws Exception {
        Files.writeString(answer, "{\"href\":\"https://lfs.example/x\",\"header\":{\"Authorization\":\"a\"},\"expires_in\":3600}");
        SshAuthentication a = auth("h:x.git");
        a.authorization("download", false);
        a.authorization("download", false);
        assertEquals(1, calls().size(), "asked once while it holds");
        a.authorization("upload", false);
        assertEquals(2, calls().size(), "each operation is asked for");
        a.authorization("download", true);
        assertEquals(3, calls().size(), "renew asks again");

        // an answer expiring within 5 seconds is as good as expired
        Files.writeString(answer, "{\"href\":\"https://lfs.example/x\",\"header\":{\"Authorization\":\"a\"},\"expires_in\":3}");
        SshAuthentication b = auth("h:y.git");
        b.authorization("download", false);
        b.authorization("download", false);
        assertEquals(5, calls().size(), "re-asked when about to expire");
        Files.writeString(answer, "{\"href\":\"https://lfs.example/x\",\"expires_at\":\"" + Instant.now().minusSeconds(60) + "\"}");
        SshAuthentication c = auth("h:z.git");
        c.authorization("download", false);
        c.authorization("download", false);
        assertEquals(7, calls().size(), "an expires_at in the past");
    }

    @Test
    void aServerWithoutGitLfsAuthenticateLeavesGitLfssGuessAndOtherFailuresAreClear() throws Exception {
        Files.writeString(exit, "127");
        assertEquals(Optional.empty(), auth("h:x.git").authorization("download", false), "no command: the guessed endpoint");

        Files.writeString(exit, "255");
        StorageException e = assertThrows(StorageException.class, () -> auth("h:x.git").authorization("download", false));
        assertTrue(e.getMessage().contains("ssh h git-lfs-authenticate x.git download failed (exit 255)"), e.getMessage());
        assertEquals(StorageException.Kind.TRANSIENT, e.kind());

        Files.writeString(exit, "0");
        Files.writeString(answer, "not json, but perhaps a secret");
        e = assertThrows(StorageException.class, () -> auth("h:x.git").authorization("download", false));
        assertFalse(e.getMessage().contains("secret"), "the answer is never shown: " + e.getMessage());
        Files.writeString(answer, "{\"href\":\"file:///etc/passwd\"}");
        e = assertThrows(StorageException.class, () -> auth("h:x.git").authorization("download", false));
        assertTrue(e.getMessage().contains("not an http(s) URL"), e.getMessage());
    }

    @Test
    void remotesSshWouldReadAsOptionsAreRefusedBeforeAnythingRuns() throws Exception {
        Files.writeString(answer, "{\"href\":\"https://lfs.example/x\"}");
        for (String bad : List.of("ssh://-oProxyCommand=touch%20pwned/r.git", "-oProxyCommand=touch:r.git", "host:-r.git",
                "host:r.git;touch${IFS}pwned")) {
            StorageException e = assertThrows(StorageException.class, () -> auth(bad).authorization("download", false), bad);
            assertTrue(e.getMessage().startsWith("refusing the SSH remote"), e.getMessage());
        }
        assertEquals(List.of(), calls(), "ssh never ran");
    }
}
