package io.lfscloud.core.git;

import io.lfscloud.core.Log;
import io.lfscloud.spi.Credentials;

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
 */
public final class GitCredentials implements Credentials {

    private final Path workTree;
    private final LfsEndpoint endpoint;

    public GitCredentials(Path workTree, LfsEndpoint endpoint) {
        this.workTree = workTree;
        this.endpoint = endpoint;
    }

    @Override
    public Optional<Credential> fill(URI url) {
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
