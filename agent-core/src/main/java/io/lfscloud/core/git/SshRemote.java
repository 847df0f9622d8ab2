package io.lfscloud.core.git;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Optional;

/**
 * A remote reached over SSH, as git-lfs reads one: {@code ssh://[user@]host[:port]/path} (also
 * {@code git+ssh://} and {@code ssh+git://}) or git's scp-like {@code [user@]host:path}. Its Git LFS
 * server is asked for with {@code ssh [-p port] [user@]host git-lfs-authenticate PATH OPERATION}
 * ({@link SshAuthentication}); without an answer, it is guessed as {@code https://host/path}.
 *
 * @param userAndHost {@code user@host} or {@code host}, as handed to ssh
 * @param port        the port, or {@code null} for ssh's own
 * @param path        the repository's path as git-lfs hands it to {@code git-lfs-authenticate}
 *                    ({@code /srv/repo.git} from a URL, {@code org/repo.git} from an scp-like remote)
 * @param host        the host alone (for the guessed https URL and messages)
 */
public record SshRemote(String userAndHost, String port, String path, String host) {

    /** The remote {@code url} read as an SSH remote; empty when it is not one. */
    static Optional<SshRemote> parse(String url) {
        String u = url.strip();
        String lower = u.toLowerCase(Locale.ROOT);
        if (lower.startsWith("ssh://") || lower.startsWith("git+ssh://") || lower.startsWith("ssh+git://")) {
            try {
                URI uri = new URI(u);
                String host = uri.getHost();
                if (host == null) {
                    // a host URI cannot hold (one starting with '-', say): kept as written, so it is refused, not lost
                    String authority = uri.getRawAuthority() == null ? "" : uri.getRawAuthority();
                    int at = authority.lastIndexOf('@');
                    host = authority.substring(at + 1);
                    int colon = host.lastIndexOf(':');
                    String port = null;
                    if (colon >= 0 && !host.endsWith("]")) {
                        port = host.substring(colon + 1);
                        host = host.substring(0, colon);
                    }
                    String user = at < 0 ? null : authority.substring(0, at);
                    return Optional.of(new SshRemote(user == null ? host : user + "@" + host, port,
                            uri.getPath() == null ? "" : uri.getPath(), host));
                }
                String user = uri.getUserInfo();
                String port = uri.getPort() < 0 ? null : Integer.toString(uri.getPort());
                return Optional.of(new SshRemote(user == null || user.isEmpty() ? host : user + "@" + host, port,
                        uri.getPath() == null ? "" : uri.getPath(), host));
            } catch (URISyntaxException e) {
                return Optional.empty();
            }
        }
        if (u.contains("://")) {
            return Optional.empty();
        }
        // scp-like: [user@]host:path, where no '/' comes before the first ':' (else it is a local path)
        int colon = u.indexOf(':');
        int slash = u.indexOf('/');
        if (colon <= 0 || slash >= 0 && slash < colon) {
            return Optional.empty();
        }
        String userAndHost = u.substring(0, colon);
        String path = u.substring(colon + 1);
        while (path.startsWith("/")) {
            path = path.substring(1); // as git-lfs does for scp-like remotes
        }
        int at = userAndHost.lastIndexOf('@');
        String host = userAndHost.substring(at + 1);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return Optional.of(new SshRemote(userAndHost, null, path, host));
    }

    /** The endpoint git-lfs guesses when the server does not say: {@code https://host/path}. */
    String guessedUrl() {
        String h = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
        return "https://" + h + (path.startsWith("/") ? path : "/" + path);
    }

    /**
     * Why this remote is refused, or {@code null}: a host or path that ssh (or the shell on the
     * server, which reads the command as one line) would take for something else.
     */
    String refusal() {
        if (userAndHost.isEmpty() || userAndHost.startsWith("-") || host.startsWith("-")) {
            return "the host '" + printable(userAndHost) + "' starts with '-' (ssh would read it as an option)";
        }
        if (userAndHost.chars().anyMatch(c -> c <= 0x20 || c == 0x7f)) {
            return "the host '" + printable(userAndHost) + "' holds spaces or control characters";
        }
        if (port != null && !port.matches("[0-9]{1,5}")) {
            return "the port '" + printable(port) + "' is not a number";
        }
        if (path.isEmpty() || path.startsWith("-")) {
            return "the path '" + printable(path) + "' is empty or starts with '-'";
        }
        if (!path.matches("[A-Za-z0-9/._~+@%,=:-]+")) {
            return "the path '" + printable(path) + "' holds characters the server's shell would interpret";
        }
        return null;
    }

    /** How the remote is shown in messages: {@code ssh://user@host[:port]/path}. */
    @Override
    public String toString() {
        return "ssh://" + printable(userAndHost) + (port == null ? "" : ":" + printable(port))
                + (path.startsWith("/") ? "" : "/") + printable(path);
    }

    private static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        s.codePoints().limit(200).forEach(c -> {
            if (c < 0x20 || c == 0x7f) {
                sb.append(String.format("\\x%02x", c));
            } else {
                sb.appendCodePoint(c);
            }
        });
        return sb.toString();
    }
}
