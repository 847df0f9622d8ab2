package io.lfscloud.core.cli;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * The manual page {@code git-lfs-cloud(1)} in troff, written from the command model itself, so
 * that {@code git lfs-cloud --help} (which git turns into {@code man git-lfs-cloud}) says exactly
 * what {@code git-lfs-cloud COMMAND --help} says. The build writes it into the image's
 * {@code share/man/man1}, where {@code man} finds it for a {@code bin} folder on PATH.
 */
final class ManPage {

    private final StringBuilder out = new StringBuilder();

    private ManPage() {
    }

    /** The page for {@code root} and every visible subcommand. */
    static String of(CommandSpec root, String version) {
        ManPage page = new ManPage();
        page.write(root, version);
        return page.out.toString();
    }

    private void write(CommandSpec root, String version) {
        String name = root.name();
        line(".TH " + quoted(name.toUpperCase(Locale.ROOT)) + " 1 \"\" " + quoted("lfs-cloud " + version)
                + " \"lfs-cloud Manual\"");
        section("NAME");
        text(name + " - " + String.join(" ", root.usageMessage().description()));
        section("SYNOPSIS");
        line(".B git lfs-cloud");
        text("COMMAND [OPTIONS] [ARGUMENTS]");
        line(".br");
        line(".B git lfs-cloud");
        text("COMMAND --help");
        section("DESCRIPTION");
        text("lfs-cloud is a Git LFS custom transfer agent: it moves a repository's LFS objects to and from"
                + " object stores chosen by URL (file://, s3://, gs://, az:// and Azure URLs, https://, the"
                + " repository's own Git LFS server, and any other plugins installed), and tracks"
                + " files that already live in a store in place. git-lfs runs it as its transfer agent;"
                + " the commands below set it up and manage objects tracked in place.");
        options(root);
        section("COMMANDS");
        java.util.ArrayDeque<CommandLine> todo = new java.util.ArrayDeque<>(visible(root));
        while (!todo.isEmpty()) {
            CommandLine sub = todo.pop();
            CommandSpec spec = sub.getCommandSpec();
            visible(spec).reversed().forEach(todo::push); // a command's own commands ('server stop') follow it
            line(".SS " + quoted(spec.qualifiedName().substring(root.name().length()).strip() + synopsisTail(spec)));
            for (String paragraph : spec.usageMessage().description()) {
                text(paragraph);
                line(".PP");
            }
            for (PositionalParamSpec p : spec.positionalParameters()) {
                if (p.hidden()) {
                    continue;
                }
                line(".TP");
                line(".I " + escape(p.paramLabel()));
                text(String.join(" ", p.description()));
            }
            for (OptionSpec o : sortedOptions(spec)) {
                if (!o.usageHelp() && !o.versionHelp()) { // said once, under OPTIONS
                    option(o);
                }
            }
        }
        section("FILES");
        line(".TP");
        line(".I .lfs-meta/");
        text("Records of objects tracked in place (one per object), committed with the repository.");
        line(".TP");
        line(".I .lfs-meta/config");
        text("Committed settings. Only the store's URL and bounded tunables apply as committed; any other key"
                + " applies once the user runs git lfs-cloud trust.");
        section("ENVIRONMENT");
        line(".TP");
        line(".B LFS_CLOUD_TRACE");
        text("Set to 1 for details of every step and stack traces of errors, on standard error.");
        line(".TP");
        line(".B LFS_CLOUD_PLUGIN_PATH");
        text("More folders of storage backend plugins, separated by colons; each must be an absolute path.");
        line(".TP");
        line(".B LFS_CLOUD_SERVER");
        text("1 or 0: turns the warm transfer server on or off, over the lfs-cloud.server setting.");
        line(".TP");
        line(".B LFS_CLOUD_SERVER_DIR");
        text("The folder where transfer servers listen (default: $XDG_RUNTIME_DIR/lfs-cloud, else"
                + " /tmp/lfs-cloud-UID); it must be the user's own, mode 0700.");
        line(".TP");
        line(".B LFS_CLOUD_INIT_IN_JAVA");
        text("Set to 1 to have the agent's JVM, not the launcher script, answer git-lfs's first protocol line.");
        section("SEE ALSO");
        text("git-lfs(1), git-lfs-config(5), and README.md in the product folder.");
    }

    private void options(CommandSpec spec) {
        List<OptionSpec> options = sortedOptions(spec);
        if (options.isEmpty()) {
            return;
        }
        section("OPTIONS");
        for (OptionSpec o : options) {
            option(o);
        }
    }

    private void option(OptionSpec o) {
        line(".TP");
        String label = o.typeInfo().isBoolean() ? "" : " \\fI" + escape(o.paramLabel()) + "\\fR";
        line(".B " + escape(String.join(", ", o.names())) + label);
        text(String.join(" ", o.description()));
    }

    private static List<OptionSpec> sortedOptions(CommandSpec spec) {
        return spec.options().stream()
                .filter(o -> !o.hidden())
                .sorted(Comparator.comparing(OptionSpec::longestName, String.CASE_INSENSITIVE_ORDER))
                .toList();
    }

    private static List<CommandLine> visible(CommandSpec root) {
        return root.subcommands().entrySet().stream()
                .filter(e -> e.getKey().equals(e.getValue().getCommandName())) // not aliases
                .map(java.util.Map.Entry::getValue)
                .filter(c -> !c.getCommandSpec().usageMessage().hidden())
                .toList();
    }

    private static String synopsisTail(CommandSpec spec) {
        StringBuilder sb = new StringBuilder();
        if (spec.options().stream().anyMatch(o -> !o.hidden())) {
            sb.append(" [OPTIONS]");
        }
        for (PositionalParamSpec p : spec.positionalParameters()) {
            if (!p.hidden()) {
                boolean many = p.arity().max() > 1;
                boolean optional = p.arity().min() == 0;
                sb.append(' ').append(optional ? "[" : "").append(p.paramLabel()).append(many ? "…" : "")
                        .append(optional ? "]" : "");
            }
        }
        return sb.toString();
    }

    private void section(String title) {
        line(".SH " + title);
    }

    private void text(String s) {
        // picocli's format: %n is a line break and %% a percent sign in descriptions
        for (String l : s.replace("%n", "\n").replace("%%", "%").split("\n")) {
            line(escape(l));
        }
    }

    private void line(String s) {
        out.append(s).append('\n');
    }

    /** Text troff shows as written: backslashes escaped, a leading control character neutralised. */
    static String escape(String s) {
        String t = s.replace("\\", "\\e").replace("-", "\\-");
        if (t.startsWith(".") || t.startsWith("'")) {
            t = "\\&" + t;
        }
        return t;
    }

    private static String quoted(String s) {
        return '"' + s.replace("\"", "'") + '"';
    }
}
