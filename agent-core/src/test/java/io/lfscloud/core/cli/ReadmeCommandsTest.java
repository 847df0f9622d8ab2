package io.lfscloud.core.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README and the command model agree: every {@code git lfs-cloud COMMAND --option} the
 * README shows (in code blocks and inline code) names a command and options that exist.
 */
class ReadmeCommandsTest {

    private static final Pattern INVOCATION = Pattern.compile("git lfs-cloud ([a-z][a-z0-9-]*)(.*)");
    private static final Pattern OPTION = Pattern.compile("(?<![\\w-])(--?[A-Za-z][A-Za-z0-9-]*)");

    /** Every piece of the README that is code: whole lines of fenced blocks, inline code spans. */
    static List<String> codeIn(List<String> lines) {
        List<String> code = new ArrayList<>();
        boolean fenced = false;
        for (String line : lines) {
            if (line.strip().startsWith("```")) {
                fenced = !fenced;
            } else if (fenced) {
                code.add(line);
            } else {
                Matcher m = Pattern.compile("`([^`]+)`").matcher(line);
                while (m.find()) {
                    code.add(m.group(1));
                }
            }
        }
        return code;
    }

    /** Problems of one piece of code: unknown commands and options. */
    static List<String> check(CommandLine cli, String code) {
        List<String> problems = new ArrayList<>();
        Matcher m = INVOCATION.matcher(code);
        while (m.find()) {
            String name = m.group(1);
            // the rest of this one command: up to a comment, a pipe, a chain or a redirection
            String rest = m.group(2).split("\\s#|\\||&&|;|\\s>|\\s2>")[0];
            CommandLine sub = cli.getSubcommands().get(name);
            if (sub == null) {
                problems.add("no command '" + name + "': " + code.strip());
                continue;
            }
            // a command's own subcommand ('store add'): its options are the subcommand's
            String[] words = rest.strip().split("\\s+", 2);
            if (sub.getSubcommands().containsKey(words[0])) {
                sub = sub.getSubcommands().get(words[0]);
                name = name + " " + words[0];
                rest = words.length > 1 ? words[1] : "";
            }
            CommandSpec spec = sub.getCommandSpec();
            Matcher o = OPTION.matcher(rest);
            while (o.find()) {
                String option = o.group(1).split("=")[0];
                if (spec.findOption(option) == null) {
                    problems.add("'" + name + "' has no option " + option + ": " + code.strip());
                }
            }
        }
        return problems;
    }

    @Test
    void everyCommandAndOptionTheReadmeShowsExists() throws IOException {
        List<String> lines = Files.readAllLines(Path.of("..", "README.md"));
        CommandLine cli = Cli.commandLine();
        List<String> problems = new ArrayList<>();
        int seen = 0;
        for (String code : codeIn(lines)) {
            if (INVOCATION.matcher(code).find()) {
                seen++;
            }
            problems.addAll(check(cli, code));
        }
        assertTrue(seen >= 20, "the README shows the commands: " + seen);
        assertEquals(List.of(), problems);
    }

    @Test
    void theCheckCatchesWhatDoesNotExist() {
        CommandLine cli = Cli.commandLine();
        assertEquals(List.of(), check(cli, "git lfs-cloud verify --deep --json | jq -r .places   # all of them"));
        assertEquals(List.of("no command 'gc': git lfs-cloud gc --prune"), check(cli, "git lfs-cloud gc --prune"));
        assertEquals(List.of("'status' has no option --deep: git lfs-cloud status --deep"),
                check(cli, "git lfs-cloud status --deep"));
        assertEquals(List.of(), check(cli, "git lfs-cloud store add nas file:///srv/lfs --read-only --priority 5"));
        assertEquals(List.of("'store remove' has no option --priority: git lfs-cloud store remove nas --priority 1"),
                check(cli, "git lfs-cloud store remove nas --priority 1"));
        assertEquals(3, codeIn(List.of("run `git lfs-cloud x` and `y`", "```sh", "git lfs-cloud z", "```", "`")).size());
    }
}
