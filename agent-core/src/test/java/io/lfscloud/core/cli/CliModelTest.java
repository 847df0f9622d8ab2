package io.lfscloud.core.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command model as users meet it: options that do something, and a manual page that says all of it. */
class CliModelTest {

    @Test
    void onlyTheTopCommandTakesVersionAndEveryCommandTakesHelp() {
        CommandLine cli = Cli.commandLine();
        assertNotNull(cli.getCommandSpec().findOption("--version"));
        java.util.ArrayDeque<CommandLine> todo = new java.util.ArrayDeque<>(cli.getSubcommands().values());
        int seen = 0;
        while (!todo.isEmpty()) {
            CommandLine sub = todo.pop();
            String name = sub.getCommandSpec().qualifiedName();
            assertNull(sub.getCommandSpec().findOption("-V"), name + " offers a -V that prints nothing");
            if (!name.endsWith(" help") && !sub.getCommandSpec().usageMessage().hidden()) {
                assertNotNull(sub.getCommandSpec().findOption("--help"), name + " has no --help");
            }
            todo.addAll(sub.getSubcommands().values());
            seen++;
        }
        assertTrue(seen > 20, "subcommands seen: " + seen);
        StringWriter err = new StringWriter();
        CommandLine fresh = Cli.commandLine().setErr(new PrintWriter(err)).setOut(new PrintWriter(new StringWriter()));
        assertEquals(Cli.USAGE, fresh.execute("status", "-V"));
        assertTrue(err.toString().contains("Unknown option: '-V'"), err.toString());
    }

    @Test
    void anUnknownCommandIsSaidInWords() {
        StringWriter err = new StringWriter();
        CommandLine cli = Cli.commandLine().setErr(new PrintWriter(err)).setOut(new PrintWriter(new StringWriter()));
        assertEquals(Cli.USAGE, cli.execute("statsu"));
        assertTrue(err.toString().startsWith("git-lfs-cloud: error: 'statsu' is not a command of 'git lfs-cloud'"
                + " (see 'git lfs-cloud --help')"), err.toString());
        assertTrue(err.toString().contains("did you mean: status"), err.toString());
        assertFalse(err.toString().contains("Unmatched"), err.toString());
        err.getBuffer().setLength(0);
        assertEquals(Cli.USAGE, cli.execute("server", "halt"));
        assertTrue(err.toString().contains("'halt' is not a command of 'git lfs-cloud server'"), err.toString());
        err.getBuffer().setLength(0);
        assertEquals(Cli.USAGE, cli.execute("status", "--no-such-option"));
        assertTrue(err.toString().contains("Unknown option: '--no-such-option'"), err.toString());
    }

    @Test
    void shellCompletionOffersTheValuesOptionsTake() {
        CommandLine cli = Cli.commandLine();
        CommandLine install = cli.getSubcommands().get("install");
        assertEquals(java.util.List.of("1", "2"), values(install.getCommandSpec().findOption("--protocol").completionCandidates()));
        assertEquals(java.util.List.of("basic", "batch", "any"),
                values(install.getCommandSpec().findOption("--concurrency-mode").completionCandidates()));
        assertEquals(java.util.List.of("bash", "zsh"), values(cli.getSubcommands().get("completion").getCommandSpec()
                .positionalParameters().getFirst().completionCandidates()));
        String script = picocli.AutoComplete.bash("git-lfs-cloud", cli);
        assertTrue(script.contains("basic batch any") || script.contains("\"basic\" \"batch\" \"any\""), "not in the script");
    }

    private static java.util.List<String> values(Iterable<String> candidates) {
        java.util.List<String> out = new java.util.ArrayList<>();
        candidates.forEach(out::add);
        return out;
    }

    @Test
    void theManualPageExpandsLineBreaksAndListsNestedCommandsAndTheEnvironment() {
        String page = ManPage.of(Cli.commandLine().getCommandSpec(), "1.2.3");
        assertFalse(page.contains("%n"), "a literal %n in the page");
        assertTrue(page.contains(".SS \"server stop"), "no entry for server stop");
        assertTrue(page.contains(".SS \"store add"), "no entry for store add");
        for (String variable : new String[] {"LFS_CLOUD_TRACE", "LFS_CLOUD_PLUGIN_PATH", "LFS_CLOUD_SERVER",
                "LFS_CLOUD_SERVER_DIR", "LFS_CLOUD_INIT_IN_JAVA"}) {
            assertTrue(page.contains(".B " + variable + "\n"), "ENVIRONMENT lacks " + variable);
        }
        assertTrue(page.contains("gs://") && page.contains("az://"), "the schemes shipped are not named");
    }
}
