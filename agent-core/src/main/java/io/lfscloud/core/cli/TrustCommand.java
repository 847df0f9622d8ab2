package io.lfscloud.core.cli;

import io.lfscloud.core.Printable;
import io.lfscloud.core.git.CommittedConfig;
import io.lfscloud.core.git.Git;
import io.lfscloud.core.git.Repository;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code git lfs-cloud trust}: lets the committed {@code .lfs-meta/config} set what only the
 * user may set (plugin folders, URL-policy switches, endpoints), for exactly its current
 * content. Like direnv's {@code allow}: the file's SHA-256 goes into this repository's git
 * config, and a changed file is withheld again until trusted again.
 */
@Command(name = "trust", mixinStandardHelpOptions = true,
        description = {"Trust the committed .lfs-meta/config of this repository, as it is now.",
                "A repository may always set its store and bounded tunables. Settings that decide where code is"
                        + " loaded from or where credentials go (lfs-cloud.pluginPath, lfs-cloud.s3.endpoint,"
                        + " lfs-cloud.allowFileUrls, lfs-cloud.allowMetadataHosts, and any other key) are used only"
                        + " after you review the file and trust it. A changed file must be trusted again."})
final class TrustCommand implements Callable<Integer> {

    @Option(names = "--show", description = "Show the committed settings and whether they are trusted; change nothing.")
    boolean show;

    @Option(names = "--revoke", description = "Stop trusting the committed settings of this repository.")
    boolean revoke;

    @Mixin
    Cli.Verbosity verbosity;

    @Override
    public Integer call() throws IOException {
        if (show && revoke) {
            throw new CliException("--show and --revoke do not go together", Cli.USAGE, null);
        }
        Path cwd = Path.of("").toAbsolutePath();
        Repository repo;
        try {
            repo = Repository.open(cwd, false);
        } catch (IOException e) {
            throw new CliException(e.getMessage());
        }
        if (revoke) {
            Git.Result r = Git.run(repo.workTree(), List.of("config", "--local", "--unset-all", CommittedConfig.TRUST_KEY));
            System.out.println(r.ok() ? "no longer trusting " + CommittedConfig.PATH + " in this repository"
                    : "this repository's " + CommittedConfig.PATH + " was not trusted");
            return 0;
        }
        CommittedConfig committed = repo.committed();
        if (committed.problem() != null) {
            throw new CliException(committed.problem());
        }
        if (!committed.present()) {
            System.out.println("this repository has no committed " + CommittedConfig.PATH + ": nothing to trust");
            return 0;
        }
        List<String[]> entries = committed.entries();
        List<String> needTrust = committed.untrustedKeys();
        System.out.println(CommittedConfig.PATH + " (sha256 " + committed.sha256().substring(0, 16) + "…) sets:");
        for (String[] e : entries) {
            String mark = CommittedConfig.isSafe(e[0]) ? "" : committed.trusted() ? "  (trusted)" : "  (needs trust)";
            System.out.println("  " + Printable.escape(e[0]) + " = " + Printable.escape(e[1]) + mark);
        }
        if (entries.isEmpty()) {
            System.out.println("  (no lfs-cloud settings)");
        }
        if (show) {
            System.out.println(needTrust.isEmpty() ? "nothing here needs trust"
                    : committed.trusted() ? "trusted: lfs-cloud uses every setting above"
                    : "not trusted: lfs-cloud ignores the settings marked 'needs trust' until you run 'git lfs-cloud trust'");
            return 0;
        }
        if (needTrust.isEmpty()) {
            System.out.println("every setting above is one a repository may set: nothing to trust");
            return 0;
        }
        Git.Result r = Git.run(repo.workTree(), List.of("config", "--local", CommittedConfig.TRUST_KEY, committed.sha256()));
        if (!r.ok()) {
            throw new CliException("cannot write " + CommittedConfig.TRUST_KEY + ": " + r.firstErrorLine());
        }
        System.out.println("trusted: lfs-cloud now uses " + Printable.escape(String.join(", ", needTrust))
                + " from this content of the file; a change to it must be trusted again");
        return 0;
    }
}
