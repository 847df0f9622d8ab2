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
