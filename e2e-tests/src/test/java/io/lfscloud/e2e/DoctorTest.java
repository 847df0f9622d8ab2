package io.lfscloud.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code git lfs-cloud doctor} (issue #17): one line per check, a verdict, an exit code, and --json. */
class DoctorTest {

    @TempDir
    Path tmp;

    private static String line(String out, String name) {
        return out.lines().filter(l -> l.length() > 6 && l.substring(6).startsWith(name + " ")).findFirst()
                .orElseThrow(() -> new AssertionError("no check '" + name + "' in:\n" + out));
    }

    @Test
    void aWorkingRepositoryPassesEveryCheck() throws Exception {
        Sandbox sb = new Sandbox(tmp);
        Sandbox.Project p = sb.project("ok");
        Sandbox.Result r = sb.run(p.work(), "git", "lfs-cloud", "doctor").ok();
        for (String check : List.of("git", "git-lfs", "repository", "agent", "store", "backend", "credentials",
                "store answers", "committed config")) {
            assertTrue(line(r.out(), check).startsWith("ok    "), r.out());
        }
        assertTrue(line(r.out(), "agent").contains("this install"), r.out());
        assertTrue(r.out().strip().endsWith("verdict: ok, every check passed"), r.out());
    }

    @Test
    void aStoreThatIsGoneAndAStaleAgentSettingFailWithTheirFix() throws Exception {
        Sandbox sb = new Sandbox(tmp);
        Sandbox.Project p = sb.project("broken");
        Files.delete(p.store());
        sb.git(p.work(), "config", "lfs.customtransfer.lfs-cloud.path", "/old/lfs-cloud-0.0.1/bin/git-lfs-cloud").ok();
        Sandbox.Result r = sb.run(p.work(), "git", "lfs-cloud", "doctor");
        assertEquals(1, r.exitCode(), r.all());
        String agent = line(r.out(), "agent");
        assertTrue(agent.startsWith("FAIL") && agent.contains("/old/lfs-cloud-0.0.1/bin/git-lfs-cloud")
                && agent.contains("(fix: ") && agent.contains("git lfs-cloud install"), agent);
        String store = line(r.out(), "store answers");
        assertTrue(store.startsWith("FAIL") && store.contains("does not exist") && store.contains("(fix: "), store);
        assertTrue(r.out().strip().endsWith("verdict: FAIL, 2 check(s) failed"), r.out());
    }

    @Test
    void committedSettingsWithheldUntilTrustedAreAWarning() throws Exception {
        Sandbox sb = new Sandbox(tmp);
        Sandbox.Project p = sb.project("withheld");
        sb.git(p.work(), "config", "--file", ".lfs-meta/config", "lfs-cloud.s3.endpoint", "http://127.0.0.1:1").ok();
        Sandbox.Result r = sb.run(p.work(), "git", "lfs-cloud", "doctor").ok();
        String committed = line(r.out(), "committed config");
        assertTrue(committed.startsWith("warn") && committed.contains("lfs-cloud.s3.endpoint")
                && committed.contains("git lfs-cloud trust --show"), committed);
        assertTrue(r.out().strip().endsWith("verdict: works, with 1 warning(s)"), r.out());

        JsonNode doc = new ObjectMapper().readTree(sb.run(p.work(), "git", "lfs-cloud", "doctor", "--json").ok().out());
        assertEquals(1, doc.get("schemaVersion").asInt());
        assertEquals("warn", doc.get("verdict").asText());
        JsonNode last = doc.get("checks").get(doc.get("checks").size() - 1);
        assertEquals("committed config", last.get("name").asText());
        assertEquals("warn", last.get("status").asText());
    }

    @Test
    void outsideARepositoryItSaysSo() throws Exception {
        Sandbox sb = new Sandbox(tmp);
        Path nowhere = Files.createDirectories(tmp.resolve("not-a-repo"));
        Sandbox.Result r = sb.run(nowhere, "git", "lfs-cloud", "doctor");
        assertEquals(1, r.exitCode(), r.all());
        assertTrue(line(r.out(), "git-lfs").startsWith("ok"), r.out());
        assertTrue(line(r.out(), "repository").startsWith("FAIL") && r.out().contains("not in a git repository"), r.out());

        // after a global install, the global set-up is what can be checked there
        sb.run(nowhere, "git", "lfs-cloud", "install", "--global").ok();
        r = sb.run(nowhere, "git", "lfs-cloud", "doctor");
        assertEquals(0, r.exitCode(), r.all());
        assertTrue(line(r.out(), "repository").startsWith("warn") && r.out().contains("only the user's global set-up"), r.out());
        assertTrue(line(r.out(), "agent").startsWith("ok") || line(r.out(), "agent").startsWith("warn"), r.out());
        sb.run(nowhere, "git", "lfs-cloud", "uninstall", "--global").ok();
    }

    @Test
    void aCommittedConfigThatCannotBeReadFails() throws Exception {
        Sandbox sb = new Sandbox(tmp);
        Sandbox.Project p = sb.project("unreadable");
        Files.writeString(p.work().resolve(".lfs-meta/config"), "[lfs-cloud\n\tstore = " + p.store().toUri() + "\n");
        Sandbox.Result r = sb.run(p.work(), "git", "lfs-cloud", "doctor");
        assertEquals(1, r.exitCode(), r.all());
        String committed = line(r.out(), "committed config");
        assertTrue(committed.startsWith("FAIL") && committed.contains("is not a git config file")
                && committed.contains("fix or remove"), committed);
    }
}
