package io.lfscloud.core.git;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The repository's Git LFS server (its Batch API endpoint), found as git-lfs finds it for a
 * remote and an operation: {@code lfs.pushurl} (uploads), {@code lfs.url},
 * {@code remote.NAME.lfspushurl} (uploads), {@code remote.NAME.lfsurl}, then the remote's own URL
 * ({@code remote.NAME.pushurl} for uploads, {@code remote.NAME.url}; a remote given as a URL is
 * that URL) with {@code /info/lfs} appended ({@code .git/info/lfs} when it does not end in
 * {@code .git}); for a remote other than {@code origin} that gives nothing, {@code origin}'s. Each
 * key is read from git config, then from the committed {@code .lfsconfig} (the working tree's
 * file, else the index's, else HEAD's), as git-lfs does; {@code url.BASE.insteadOf} rewrites apply.
 *
 * @param api       the Batch API endpoint, {@code http(s)://…}, without user info
 * @param userInfo  the user info the configured URL carried ({@code user} or {@code user:password}), or {@code null}
 * @param gitRemote the remote's own URL when it is on the endpoint's scheme and host (git-lfs asks
 *                  git's credential helpers for that URL then), or {@code null}
 * @param ssh       for an SSH remote ({@code ssh://…} or scp-like {@code user@host:path}), the remote
 *                  that {@code git-lfs-authenticate} is asked over ssh, and {@code api} is git-lfs's
 *                  guess ({@code https://host/path…}) for when it has no answer; else {@code null}
 */
public record LfsEndpoint(URI api, String userInfo, URI gitRemote, SshRemote ssh) {

    public LfsEndpoint(URI api, String userInfo, URI gitRemote) {
        this(api, userInfo, gitRemote, null);
    }

    static final String DEFAULT_REMOTE = "origin";

    /**
     * The endpoint for {@code remote} (a remote's name or a URL; {@code null}: origin); empty when
     * none is configured or it is neither an http(s) nor an SSH URL (local remotes have no Batch API).
     */
    public static Optional<LfsEndpoint> find(Path workTree, String remote, boolean upload) throws IOException {
        Git.Result r = Git.run(workTree, List.of("config", "-z", "--get-regexp",
                "^(lfs\\.(url|pushurl)|remote\\..*\\.(lfsurl|lfspushurl|url|pushurl)|url\\..*\\.(insteadof|pushinsteadof))$"));
        if (r.exitCode() > 1) {
            throw new IOException("cannot read git config: " + r.firstErrorLine());
        }
        ConfigValues git = ConfigValues.parseNulSeparated(r.out());
        ConfigValues lfsconfig = lfsconfig(workTree);
        return find(key -> git.get(key).or(() -> lfsconfig.get(key)), git, remote, upload);
    }

    /** The reading of one key (git config, then {@code .lfsconfig}). */
    interface Settings {
        Optional<String> get(String key);
    }

    static Optional<LfsEndpoint> find(Settings settings, ConfigValues git, String remote, boolean upload) {
        String name = remote == null || remote.isBlank() ? DEFAULT_REMOTE : remote;
        Optional<String> url = Optional.empty();
        if (upload) {
            url = settings.get("lfs.pushurl");
        }
        if (url.isEmpty()) {
            url = settings.get("lfs.url");
        }
        if (url.isPresent()) {
            return endpoint(rewrite(git, url.get(), upload), Optional.empty());
        }
        Optional<LfsEndpoint> found = remoteEndpoint(settings, git, name, upload);
        if (found.isEmpty() && !name.equals(DEFAULT_REMOTE)) {
            found = remoteEndpoint(settings, git, DEFAULT_REMOTE, upload);
        }
        return found;
    }

    private static Optional<LfsEndpoint> remoteEndpoint(Settings settings, ConfigValues git, String remote, boolean upload) {
        Optional<String> url = Optional.empty();
        if (upload) {
            url = settings.get("remote." + remote + ".lfspushurl");
        }
        if (url.isEmpty()) {
            url = settings.get("remote." + remote + ".lfsurl");
        }
        if (url.isPresent()) {
            return endpoint(rewrite(git, url.get(), upload), gitRemoteUrl(settings, git, remote, upload));
        }
        Optional<String> cloneUrl = gitRemoteUrl(settings, git, remote, upload);
        if (cloneUrl.isEmpty()) {
            return Optional.empty();
        }
        String u = cloneUrl.get();
        Optional<SshRemote> ssh = SshRemote.parse(u);
        if (ssh.isPresent()) {
            // git-lfs: the guess is https://host/path + /info/lfs; git-lfs-authenticate gets the path as written
            String guess = ssh.get().guessedUrl().replaceAll("/+$", "");
            return Optional.of(sshEndpoint(ssh.get(), guess.endsWith(".git") ? guess + "/info/lfs" : guess + ".git/info/lfs"));
        }
        while (u.endsWith("/")) {
            u = u.substring(0, u.length() - 1);
        }
        return endpoint(u.endsWith(".git") ? u + "/info/lfs" : u + ".git/info/lfs", cloneUrl);
    }

    private static Optional<String> gitRemoteUrl(Settings settings, ConfigValues git, String remote, boolean upload) {
        Optional<String> u = Optional.empty();
        if (upload) {
            u = settings.get("remote." + remote + ".pushurl");
        }
        if (u.isEmpty()) {
            u = settings.get("remote." + remote + ".url");
        }
        if (u.isEmpty() && (remote.contains("://") || SshRemote.parse(remote).isPresent())) {
            u = Optional.of(remote); // git-lfs was given a URL, not a remote's name
        }
        return u.map(v -> rewrite(git, v, upload));
    }

    /** {@code url.BASE.insteadOf} (and {@code pushInsteadOf} for uploads): the longest matching prefix wins. */
    static String rewrite(ConfigValues git, String url, boolean upload) {
        String best = null;
        String base = null;
        for (String key : git.keys()) {
            String lower = key.toLowerCase(Locale.ROOT);
            boolean insteadOf = lower.endsWith(".insteadof") || upload && lower.endsWith(".pushinsteadof");
            if (!lower.startsWith("url.") || !insteadOf) {
                continue;
            }
            String prefix = git.get(key).orElse("");
            if (!prefix.isEmpty() && url.startsWith(prefix) && (best == null || prefix.length() > best.length())) {
                best = prefix;
                base = key.substring(4, key.lastIndexOf('.'));
            }
        }
        return best == null ? url : base + url.substring(best.length());
    }

    private static Optional<LfsEndpoint> endpoint(String url, Optional<String> gitRemote) {
        Optional<SshRemote> ssh = SshRemote.parse(url);
        if (ssh.isPresent()) {
            // an lfs.url (or lfsurl) over ssh: git-lfs's guess is https://host/path as it is
            return Optional.of(sshEndpoint(ssh.get(), ssh.get().guessedUrl()));
        }
        URI uri;
        try {
            uri = new URI(url.strip());
        } catch (URISyntaxException e) {
            return Optional.empty();
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
            return Optional.empty();
        }
        String userInfo = uri.getRawUserInfo();
        URI api = withoutUserInfo(uri);
        String path = api.getRawPath() == null ? "" : api.getRawPath();
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        api = URI.create(api.getScheme() + "://" + api.getRawAuthority() + path);
        URI remote = null;
        if (gitRemote.isPresent()) {
            try {
                URI g = new URI(gitRemote.get().strip());
                if (g.getScheme() != null && g.getScheme().equalsIgnoreCase(api.getScheme())
                        && api.getHost().equalsIgnoreCase(String.valueOf(g.getHost())) && g.getPort() == api.getPort()) {
                    remote = withoutUserInfo(g);
                    if (userInfo == null) {
                        userInfo = g.getRawUserInfo();
                    }
                }
            } catch (URISyntaxException e) {
                // not a URL (a path, scp-like ssh): no credentials for it
            }
        }
        return Optional.of(new LfsEndpoint(api, userInfo, remote));
    }

    /**
     * The endpoint of an SSH remote; a host no URL can hold (one starting with '-', say) still gives
     * one, so that the remote is refused with a clear message when it is used, not taken for none.
     */
    private static LfsEndpoint sshEndpoint(SshRemote ssh, String guess) {
        URI api = endpoint(guess, Optional.empty()).map(LfsEndpoint::api).orElse(URI.create("https://invalid.invalid/info/lfs"));
        return new LfsEndpoint(api, null, null, ssh);
    }

    private static URI withoutUserInfo(URI u) {
        String authority = u.getRawAuthority();
        int at = authority == null ? -1 : authority.lastIndexOf('@');
        String rest = at < 0 ? authority : authority.substring(at + 1);
        String path = u.getRawPath() == null ? "" : u.getRawPath();
        return URI.create(u.getScheme().toLowerCase(Locale.ROOT) + "://" + rest + path);
    }

    /** The committed {@code .lfsconfig}: the working tree's file, else the index's, else HEAD's. */
    private static ConfigValues lfsconfig(Path workTree) throws IOException {
        List<String> source;
        if (Files.isRegularFile(workTree.resolve(".lfsconfig"), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            source = List.of("--file", ".lfsconfig");
        } else if (Git.run(workTree, List.of("cat-file", "-e", ":.lfsconfig")).ok()) {
            source = List.of("--blob", ":.lfsconfig");
        } else if (Git.run(workTree, List.of("cat-file", "-e", "HEAD:.lfsconfig")).ok()) {
            source = List.of("--blob", "HEAD:.lfsconfig");
        } else {
            return ConfigValues.EMPTY;
        }
        List<String> args = new java.util.ArrayList<>(List.of("config", "-z", "--no-includes"));
        args.addAll(source);
        args.addAll(List.of("--get-regexp", "^(lfs\\.(url|pushurl)|remote\\..*\\.(lfsurl|lfspushurl))$"));
        Git.Result r = Git.run(workTree, args);
        return r.ok() ? ConfigValues.parseNulSeparated(r.out()) : ConfigValues.EMPTY;
    }
}
