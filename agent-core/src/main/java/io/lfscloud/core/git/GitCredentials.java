package io.lfscloud.core.git;

import io.lfscloud.core.Log;
import io.lfscloud.spi.Credentials;
import io.lfscloud.spi.StorageException;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * git's credentials for a repository's Git LFS server, as git-lfs gets them: {@code git credential
 * fill} (git's helpers, or a prompt on the terminal when git may ask), then {@code approve} or
 * {@code reject}. Asked for the endpoint's remote URL when the remote is on the same host (so
 * {@code credential.useHttpPath} sees the repository's path), else for the endpoint. A password in
 * the configured URL itself is used as it is, without git. Nothing is kept on disk by lfs-cloud,
 * and no credential reaches a log or a trace: only git's first error line (which names the URL,
 * never a secret) is traced.
 *
 * <p>As git-lfs: {@code lfs.URL.access basic} (git config, matched as git matches URLs) sends
 * credentials from the first request; when git is asked for credentials without it (after a 401),
 * it is set in the repository's config ({@code git config --local}), as git-lfs sets it. An SSH
 * remote's server is asked over ssh ({@link SshAuthentication}).
 */
public final class GitCredentials implements Credentials {

    private final Path workTree;
    private final LfsEndpoint endpoint;

    private final SshAuthentication ssh;
    /** {@code lfs.URL.access} per URL, as read or set; guarded by itself. */
    private final Map<URI, String> access = new java.util.HashMap<>();

    public GitCredentials(Path workTree, LfsEndpoint endpoint) {
        this.workTree = workTree;
        this.endpoint = endpoint;
        this.ssh = endpoint.ssh() == null ? null : new SshAuthentication(workTree, endpoint.ssh());
    }

    @Override
    public Optional<Authorization> authorization(String operation, boolean renew) throws StorageException {
        return ssh == null ? Optional.empty() : ssh.authorization(operation, renew);
    }

    @Override
    public boolean sendFirst(URI url) {
        return "basic".equalsIgnoreCase(access(url));
    }

    /** {@code lfs.URL.access} for {@code url} ({@code ""}: none). */
    private String access(URI url) {
        synchronized (access) {
            String mode = access.get(url);
            if (mode == null) {
                try {
                    Git.Result r = Git.run(workTree, List.of("config", "--get-urlmatch", "lfs.access", url.toString()));
                    mode = r.ok() ? r.out().strip() : "";
                } catch (IOException e) {
                    mode = "";
                }
                access.put(url, mode);
            }
            return mode;
        }
    }

    /** After a 401, as git-lfs: the server wants basic credentials, noted in the repository's config. */
    private void noteBasicAccess(URI url) {
        if (sendFirst(url)) {
            return;
        }
        synchronized (access) {
            access.put(url, "basic");
        }
        try {
            Git.Result r = Git.run(workTree, List.of("config", "--local", "lfs." + url + ".access", "basic"));
            if (!r.ok()) {
                Log.trace("cannot note lfs." + url + ".access basic: " + r.firstErrorLine());
            }
        } catch (IOException e) {
            Log.trace("cannot note lfs." + url + ".access basic: " + e.getMessage());
        }
    }

    @Override
    public Optional<Credential> fill(URI url) {
        noteBasicAccess(url);
        String user = null;
        String userInfo = endpoint.userInfo();
        if (userInfo != null) {
            int colon = userInfo.indexOf(':');
            user = decode(colon < 0 ? userInfo : userInfo.substring(0, colon));
            if (colon >= 0) {
                // credentials in the URL itself: used as given, never handed to git's helpers
                return Optional.of(new Credential(Map.of("username", user, "password", decode(userInfo.substring(colon + 1)))));
            }
        }
        URI target = endpoint.gitRemote() != null ? endpoint.gitRemote() : url;
        Map<String, String> input = new LinkedHashMap<>();
        input.put("protocol", target.getScheme());
        input.put("host", target.getRawAuthority());
        String path = target.getRawPath() == null ? "" : target.getRawPath();
        if (path.startsWith("/")) {
            path = path.substring(1);
        }
        if (!path.isEmpty()) {
            input.put("path", path); // git drops it unless credential.useHttpPath says otherwise
        }
        if (user != null && !user.isEmpty()) {
            input.put("username", user);
        }
        Git.Result r;
        try {
            r = Git.run(workTree, List.of("credential", "fill"), format(input));
        } catch (IOException e) {
            Log.trace("git credential fill failed: " + e.getMessage());
            return Optional.empty();
        }
        if (!r.ok()) {
            Log.trace("git credential fill gave nothing for " + target.getScheme() + "://" + target.getHost() + ": "
                    + r.firstErrorLine());
            return Optional.empty();
        }
        Map<String, String> fields = new LinkedHashMap<>();
        for (String line : r.out().split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                fields.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        if (!fields.containsKey("username") || !fields.containsKey("password")) {
            return Optional.empty();
        }
        return Optional.of(new Credential(fields));
    }

    @Override
    public void approve(Credential credential) {
        tell("approve", credential);
    }

    @Override
    public void reject(Credential credential) {
        tell("reject", credential);
    }

    private void tell(String verb, Credential credential) {
        if (!credential.fields().containsKey("protocol")) {
            return; // from the URL, not from git
        }
        try {
            Git.Result r = Git.run(workTree, List.of("credential", verb), format(credential.fields()));
            if (!r.ok()) {
                Log.trace("git credential " + verb + " failed: " + r.firstErrorLine());
            }
        } catch (IOException e) {
            Log.trace("git credential " + verb + " failed: " + e.getMessage());
        }
    }

    private static byte[] format(Map<String, String> fields) {
        StringBuilder sb = new StringBuilder();
        fields.forEach((k, v) -> {
            if (v.indexOf('\n') < 0 && v.indexOf('\0') < 0) {
                sb.append(k).append('=').append(v).append('\n');
            }
        });
        return sb.append('\n').toString().getBytes(StandardCharsets.UTF_8);
    }

    private static String decode(String s) {
        return java.net.URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }
}
