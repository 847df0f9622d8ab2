package io.lfscloud.core.cli;

import io.lfscloud.core.git.CommittedConfig;
import io.lfscloud.core.git.Git;
import io.lfscloud.core.git.Repository;
import io.lfscloud.core.plugin.BackendRegistry;
import io.lfscloud.core.store.StoreLayout;
import io.lfscloud.spi.StorageException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code git lfs-cloud doctor}: checks what a working set-up needs, one line per check (ok,
 * warn or FAIL, with the fix), then a verdict; exit 1 when a check fails. Credentials are
 * looked for, never printed.
 */
@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = {"Check the set-up: git and git-lfs versions, the agent's settings in this repository and that they"
                + " lead to this install, the store URL, its backend plugin, credentials (found, never printed), that the"
                + " store answers a metadata request, and committed settings withheld until 'git lfs-cloud trust'.",
                "One line per check (ok, warn or FAIL, with the fix), then a verdict; exits 1 if a check fails."})
final class DoctorCommand implements Callable<Integer> {

    @Option(names = "--json", description = "Print one JSON document (see 'Output for scripts' in the README).")
    boolean json;

    @Mixin
    Cli.Verbosity verbosity;

    private final List<JsonOutput.Check> checks = new ArrayList<>();

    private void ok(String name, String detail) {
        checks.add(new JsonOutput.Check(name, "ok", detail, null));
    }

    private void warn(String name, String detail, String hint) {
        checks.add(new JsonOutput.Check(name, "warn", detail, hint));
    }

    private void fail(String name, String detail, String hint) {
        checks.add(new JsonOutput.Check(name, "fail", detail, hint));
    }

    @Override
    public Integer call() {
        Path cwd = Path.of("").toAbsolutePath();
        tools(cwd);
        Repository repo = null;
        try {
            repo = Repository.open(cwd, false);
            ok("repository", repo.workTree().toString());
        } catch (IOException e) {
            if (config(cwd, "lfs.customtransfer." + Installer.AGENT_NAME + ".path").isPresent()) {
                // outside any repository, a global install can still be checked
                warn("repository", e.getMessage() + ": only the user's global set-up is checked",
                        "run 'git lfs-cloud doctor' inside a repository to check its store");
                agent(cwd);
            } else {
                fail("repository", e.getMessage(), "run 'git lfs-cloud doctor' inside the repository to check");
            }
        }
        if (repo != null) {
            agent(repo.workTree());
            store(repo);
            committed(repo);
        }
        long failed = checks.stream().filter(c -> c.status().equals("fail")).count();
        long warned = checks.stream().filter(c -> c.status().equals("warn")).count();
        String verdict = failed > 0 ? "fail" : warned > 0 ? "warn" : "ok";
        if (json) {
            JsonOutput.print(new JsonOutput.Doctor(checks, verdict));
        } else {
            for (JsonOutput.Check c : checks) {
                String mark = c.status().equals("fail") ? "FAIL" : c.status();
                RemoteCommands.out(String.format("%-4s  %-16s %s%s", mark, c.name(), c.detail(),
                        c.hint() == null ? "" : " (fix: " + c.hint() + ")"));
            }
            System.out.println("verdict: " + (failed > 0 ? "FAIL, " + failed + " check(s) failed" + (warned > 0 ? ", "
                    + warned + " warning(s)" : "") : warned > 0 ? "works, with " + warned + " warning(s)"
                    : "ok, every check passed"));
        }
        return failed > 0 ? Cli.FAILURE : 0;
    }

    // ------------------------------------------------------------- git and git-lfs

    private static final Pattern VERSION = Pattern.compile("(\\d+)\\.(\\d+)(?:\\.(\\d+))?");

    private void tools(Path cwd) {
        Git.Result git = run(cwd, List.of("--version"));
        if (git == null || !git.ok()) {
            fail("git", "git does not run", "install git");
            return;
        }
        ok("git", git.out().strip());
        Git.Result lfs = run(cwd, List.of("lfs", "version"));
        if (lfs == null || !lfs.ok()) {
            fail("git-lfs", "git-lfs is not installed ('git lfs version' fails)", "install git-lfs (apt-get install git-lfs)");
            return;
        }
        String text = lfs.out().strip();
        Matcher m = VERSION.matcher(text);
        if (m.find() && Integer.parseInt(m.group(1)) < 3) {
            warn("git-lfs", text, "lfs-cloud is tested with git-lfs 3.3.0; upgrade git-lfs");
        } else {
            ok("git-lfs", text);
        }
    }

    private static Git.Result run(Path dir, List<String> args) {
        try {
            return Git.run(dir, args);
        } catch (IOException e) {
            return null;
        }
    }

    // ------------------------------------------------------------- the agent

    private void agent(Path repo) {
        String prefix = "lfs.customtransfer." + Installer.AGENT_NAME + ".";
        Optional<String> path = config(repo, prefix + "path");
        Optional<String> agent = config(repo, "lfs.standalonetransferagent");
        if (path.isEmpty() || agent.isEmpty() || !agent.get().equals(Installer.AGENT_NAME)) {
            fail("agent", path.isEmpty() ? prefix + "path is not set" : "lfs.standalonetransferagent is "
                    + agent.map(a -> "'" + a + "'").orElse("not set"), "run 'git lfs-cloud install'");
            return;
        }
        Optional<String> args = config(repo, prefix + "args");
        if (args.isEmpty() || !args.get().strip().equals("agent")) {
            fail("agent", prefix + "args is " + args.map(a -> "'" + a + "'").orElse("not set") + ", not 'agent'",
                    "run 'git lfs-cloud install'");
            return;
        }
        String launcher = System.getProperty("lfscloud.launcher");
        Path self = launcher == null || launcher.isBlank() ? null : Path.of(launcher);
        String command = path.get().strip();
        Path target = command.equals(Installer.COMMAND) ? Installer.onPath(Installer.COMMAND)
                : command.contains("/") ? Path.of(command) : Installer.onPath(command);
        if (target == null || !Files.isExecutable(target)) {
            fail("agent", "git-lfs starts '" + command + "', which is not " + (command.contains("/") ? "there"
                    : "found on PATH"), "put this install's bin/ on PATH and run 'git lfs-cloud install' again");
            return;
        }
        boolean same = self != null && sameFile(target, self);
        if (self != null && !same) {
            warn("agent", "git-lfs starts " + target + ", another install than this one (" + self + ")",
                    "put the install you want first on PATH and run 'git lfs-cloud install' again");
        } else if (command.contains("/")) {
            warn("agent", "set to the absolute path " + command + ", which breaks when the install moves or is upgraded",
                    "put its bin/ on PATH and run 'git lfs-cloud install' again");
        } else {
            ok("agent", "git-lfs starts '" + command + " agent' (" + target + (same ? ", this install)" : ")"));
        }
    }

    private static boolean sameFile(Path a, Path b) {
        try {
            return Files.isSameFile(a, b);
        } catch (IOException e) {
            return false;
        }
    }

    private static Optional<String> config(Repository repo, String key) {
        return config(repo.workTree(), key);
    }

    /** A setting as git reads it in {@code dir} (outside a repository: the user's and the system's). */
    private static Optional<String> config(Path dir, String key) {
        Git.Result r = run(dir, List.of("config", "--get", key));
        return r != null && r.ok() ? Optional.of(r.out().strip()) : Optional.empty();
    }

    // ------------------------------------------------------------- the store

    private static Optional<String> firstNamedStore(Repository repo) {
        try {
            return repo.stores().readOrder().stream().findFirst().map(io.lfscloud.core.store.Stores.Store::url);
        } catch (StorageException e) {
            return Optional.empty();
        }
    }

    private void store(Repository repo) {
        Optional<String> setting = repo.setting("lfs-cloud.store");
        if (setting.isEmpty() || setting.get().isBlank()) { // named stores: the one reads try first ('fsck' checks all)
            setting = firstNamedStore(repo);
        }
        if (setting.isEmpty() || setting.get().isBlank()) {
            warn("store", "no lfs-cloud.store: only files tracked in place can move",
                    "git lfs-cloud install --store URL [--shared]");
            return;
        }
        URI root;
        try {
            root = StoreLayout.parse(setting.get()).root();
        } catch (StorageException e) {
            fail("store", e.getMessage(), "fix lfs-cloud.store (git config, or .lfs-meta/config)");
            return;
        }
        ok("store", root.toString());
        try (BackendRegistry registry = BackendRegistry.load(repo.setting("lfs-cloud.pluginPath"))) {
            try {
                registry.providerFor(root);
                registry.backendFor(root, repo.backendConfig());
                ok("backend", "the " + scheme(root) + " backend loads");
            } catch (StorageException | RuntimeException e) {
                fail("backend", "no working backend for " + scheme(root) + ": " + e.getMessage(),
                        "git lfs-cloud backends --verbose");
                return;
            }
            credentials(root);
            answers(repo, root);
        }
    }

    private static String scheme(URI root) {
        return root.getScheme() == null ? "?" : root.getScheme().toLowerCase(Locale.ROOT) + ":";
    }

    /** Where credentials would come from, by name only: their values are never read into output. */
    private void credentials(URI root) {
        String scheme = root.getScheme() == null ? "" : root.getScheme().toLowerCase(Locale.ROOT);
        if (scheme.equals("az")) {
            azureCredentials();
            return;
        }
        if (scheme.equals("gs")) {
            gcsCredentials();
            return;
        }
        if (!scheme.equals("s3")) {
            ok("credentials", "none needed for " + scheme + ": stores");
            return;
        }
        List<String> found = new ArrayList<>();
        if (set("AWS_ACCESS_KEY_ID") && set("AWS_SECRET_ACCESS_KEY")) {
            found.add("environment (AWS_ACCESS_KEY_ID)");
        }
        if (set("AWS_PROFILE")) {
            found.add("profile named by AWS_PROFILE");
        }
        if (set("AWS_WEB_IDENTITY_TOKEN_FILE")) {
            found.add("web identity token (AWS_WEB_IDENTITY_TOKEN_FILE)");
        }
        if (set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") || set("AWS_CONTAINER_CREDENTIALS_FULL_URI")) {
            found.add("container credentials");
        }
        String home = home(); // as the AWS SDK: $HOME first
        Path files = Path.of(Optional.ofNullable(System.getenv("AWS_SHARED_CREDENTIALS_FILE")).orElse(home + "/.aws/credentials"));
        Path config = Path.of(Optional.ofNullable(System.getenv("AWS_CONFIG_FILE")).orElse(home + "/.aws/config"));
        if (Files.isRegularFile(files)) {
            found.add(files.toString());
        }
        if (Files.isRegularFile(config)) {
            found.add(config.toString());
        }
        if (found.isEmpty()) {
            warn("credentials", "no AWS credentials in the environment or ~/.aws (an instance role may still give them;"
                    + " the next check tells)", "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE");
        } else {
            ok("credentials", "found (not shown): " + String.join(", ", found));
        }
    }

    /** The home folder the cloud SDKs and CLIs read: {@code $HOME}, else Java's {@code user.home}. */
    private static String home() {
        String home = System.getenv("HOME");
        return home != null && !home.isBlank() ? home : System.getProperty("user.home");
    }

    /** The GCS plugin's Application Default Credentials, in the order it tries them (by name only). */
    private void gcsCredentials() {
        List<String> found = new ArrayList<>();
        if (set("GOOGLE_APPLICATION_CREDENTIALS")) {
            found.add("GOOGLE_APPLICATION_CREDENTIALS");
        }
        Path gcloud = set("CLOUDSDK_CONFIG") ? Path.of(System.getenv("CLOUDSDK_CONFIG"))
                : Path.of(home(), ".config", "gcloud");
        if (Files.isRegularFile(gcloud.resolve("application_default_credentials.json"))) {
            found.add("gcloud's application default credentials");
        }
        if (set("GCE_METADATA_HOST")) {
            found.add("the metadata server (GCE_METADATA_HOST)");
        }
        if (found.isEmpty()) {
            warn("credentials", "no Google Cloud credentials in GOOGLE_APPLICATION_CREDENTIALS or gcloud's folder (on"
                    + " Google Cloud the metadata server gives them; public buckets need lfs-cloud.gcs.anonymous)",
                    "set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file, or run 'gcloud auth"
                    + " application-default login'");
        } else {
            ok("credentials", "found (not shown): " + String.join(", ", found));
        }
    }

    /** The Azure plugin's sources, in the order it tries them (by name only). */
    private void azureCredentials() {
        List<String> found = new ArrayList<>();
        if (set("AZURE_STORAGE_CONNECTION_STRING")) {
            found.add("AZURE_STORAGE_CONNECTION_STRING");
        }
        if (set("AZURE_STORAGE_ACCOUNT") && set("AZURE_STORAGE_KEY")) {
            found.add("AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY");
        }
        if (set("AZURE_STORAGE_SAS_TOKEN")) {
            found.add("AZURE_STORAGE_SAS_TOKEN");
        }
        if (set("AZURE_CLIENT_ID") || set("AZURE_TENANT_ID") || set("AZURE_FEDERATED_TOKEN_FILE")) {
            found.add("Microsoft Entra ID (AZURE_CLIENT_ID/AZURE_TENANT_ID)");
        }
        if (set("IDENTITY_ENDPOINT") || set("MSI_ENDPOINT")) {
            found.add("managed identity");
        }
        String azureConfig = System.getenv("AZURE_CONFIG_DIR");
        Path cli = azureConfig != null && !azureConfig.isBlank() ? Path.of(azureConfig) : Path.of(home(), ".azure");
        if (Files.isDirectory(cli)) {
            found.add("Azure CLI login (" + cli + ")"); // where az and the Azure plugin look
        }
        if (found.isEmpty()) {
            warn("credentials", "no Azure credentials in the environment or ~/.azure (only public containers can be"
                    + " read anonymously; the next check tells)", "set AZURE_STORAGE_CONNECTION_STRING, or"
                    + " AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY, or AZURE_STORAGE_SAS_TOKEN");
        } else {
            ok("credentials", "found (not shown): " + String.join(", ", found));
        }
    }

    private static boolean set(String name) {
        String v = System.getenv(name);
        return v != null && !v.isBlank();
    }

    /** The same checks as {@code install --store}: a folder store is a writable folder, other stores answer. */
    private void answers(Repository repo, URI root) {
        try {
            Installer.checkStore(repo.workTree(), root.toString(), false, true);
            ok("store answers", scheme(root).equals("file:") ? "the folder exists and is writable"
                    : "a metadata request succeeded");
        } catch (CliException e) {
            // install's own way out (--no-check) means nothing here
            fail("store answers", e.getMessage().replace(" (pass --no-check to set it anyway)", ""), scheme(root).equals("s3:") ? "check the bucket, endpoint and credentials"
                    : "make the store reachable, or point lfs-cloud.store at one that is");
        }
    }

    // ------------------------------------------------------------- committed settings

    private void committed(Repository repo) {
        CommittedConfig c = repo.committed();
        if (c.problem() != null) {
            // every committed setting is ignored, the store too: pushes and clones fail or go elsewhere
            fail("committed config", c.problem(), "fix or remove " + CommittedConfig.PATH);
        } else if (!c.present()) {
            ok("committed config", "no " + CommittedConfig.PATH);
        } else if (!c.trusted() && !c.untrustedKeys().isEmpty()) {
            warn("committed config", CommittedConfig.PATH + " sets " + String.join(", ", c.untrustedKeys())
                    + ", withheld until you trust it", "review with 'git lfs-cloud trust --show', then 'git lfs-cloud trust'");
        } else {
            ok("committed config", CommittedConfig.PATH + (c.untrustedKeys().isEmpty() ? ": nothing withheld" : ": trusted"));
        }
    }
}
