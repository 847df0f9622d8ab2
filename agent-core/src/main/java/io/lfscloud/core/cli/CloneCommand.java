package io.lfscloud.core.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "clone", mixinStandardHelpOptions = true,
        description = {"Clone a repository whose LFS objects live in an lfs-cloud store.",
                "Clones without smudging, installs lfs-cloud in the clone, then runs 'git lfs pull'."})
final class CloneCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "URL", description = "The repository to clone.")
    String url;

    @Parameters(index = "1", arity = "0..1", paramLabel = "DIR", description = "Where to clone it (as git would name it by default).")
    String directory;

    @Option(names = {"-b", "--branch"}, paramLabel = "BRANCH", description = "Check out BRANCH instead of the remote's HEAD.")
    String branch;

    @Mixin
    Cli.Verbosity verbosity;

    @Override
    public Integer call() throws IOException, InterruptedException {
        Path cwd = Path.of("").toAbsolutePath();
        Path target = cwd.resolve(directory != null ? directory : humanishName(url));
        if (Files.exists(target) && !isEmptyDir(target)) {
            throw new CliException("destination " + target + " already exists and is not empty", Cli.USAGE, null);
        }
        List<String> clone = new ArrayList<>(List.of("git", "clone"));
        if (branch != null) {
            clone.addAll(List.of("--branch", branch));
        }
        clone.addAll(List.of("--", url, target.toString()));
        int code = interactive(cwd, clone, Map.of("GIT_LFS_SKIP_SMUDGE", "1"));
        if (code != 0) {
            throw new CliException("git clone failed (exit " + code + ")");
        }
        for (String line : Installer.install(target, false)) {
            System.err.println(line);
        }
        // says which committed settings are withheld until trusted: git-lfs hides what its agents say
        io.lfscloud.core.git.Repository.open(target);
        code = interactive(target, List.of("git", "lfs", "pull"), Map.of());
        if (code != 0) {
            throw new CliException("'git lfs pull' in " + target + " failed (exit " + code
                    + "); fix the cause and run it again there");
        }
        return 0;
    }

    /** git's default directory name for a clone of {@code url}. */
    static String humanishName(String url) {
        String s = url.strip();
        while (s.endsWith("/")) {
            s = s.substring(0, s.length() - 1);
        }
        if (s.endsWith("/.git")) {
            s = s.substring(0, s.length() - 5);
        }
        int cut = Math.max(s.lastIndexOf('/'), s.lastIndexOf(':'));
        String name = s.substring(cut + 1);
        if (name.endsWith(".git")) {
            name = name.substring(0, name.length() - 4);
        } else if (name.endsWith(".bundle")) {
            name = name.substring(0, name.length() - 7);
        }
        if (name.isEmpty()) {
            throw new CliException("cannot derive a directory name from '" + url + "'; give one", Cli.USAGE, null);
        }
        return name;
    }

    private static boolean isEmptyDir(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (var entries = Files.list(dir)) {
            return entries.findAny().isEmpty();
        }
    }

    private static int interactive(Path dir, List<String> command, Map<String, String> env)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).inheritIO();
        pb.environment().putAll(env);
        return pb.start().waitFor();
    }
}
