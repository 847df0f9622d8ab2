package io.lfscloud.testkit;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real OpenSSH server ({@code /usr/sbin/sshd}, package openssh-server, which {@code
 * scripts/test.sh} installs) on 127.0.0.1, for git and git-lfs over {@code ssh://}: its own host key
 * and configuration in a folder of the test's, public-key authentication for one generated client
 * key (the current user), no passwords. The key's {@code authorized_keys} line forces a shim as
 * its command, which answers what a Git LFS host answers over ssh:
 * <ul>
 *   <li>{@code git-lfs-authenticate PATH OPERATION}: {@code {"href": ENDPOINT, "header":
 *       {"Authorization": …}, "expires_in": N}} (the LFS server's endpoint and credentials for it);</li>
 *   <li>{@code git-upload-pack 'PATH'}, {@code git-receive-pack 'PATH'}: git's own, on the path;</li>
 *   <li>anything else ({@code git-lfs-transfer}, say): "command not found", exit 127.</li>
 * </ul>
 * Every command is logged ({@link #commands()}). Clients use {@link #sshCommand()} (as
 * {@code GIT_SSH_COMMAND} or {@code core.sshCommand}), which reads no ssh configuration of the user
 * and writes nothing in their home. Stopped by {@link #close()}.
 */
public final class Sshd implements AutoCloseable {

    private static final Path SSHD = Path.of("/usr/sbin/sshd");

    private final Path dir;
    private final int port;
    private final Process process;

    /**
     * An sshd in {@code dir} whose {@code git-lfs-authenticate} hands out {@code endpoint} with
     * {@code authorization} as its {@code Authorization} header, valid for {@code expiresIn} seconds.
     */
    public Sshd(Path dir, URI endpoint, String authorization, int expiresIn) throws Exception {
        if (!Files.isExecutable(SSHD)) {
            throw new IllegalStateException(SSHD + " is missing: install openssh-server (scripts/test.sh does)");
        }
        this.dir = Files.createDirectories(dir);
        this.port = Nginx.freePort();
        run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "lfs-cloud test host", "-f", dir.resolve("host_key").toString());
        run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "lfs-cloud test client", "-f", dir.resolve("client_key").toString());
        Files.writeString(dir.resolve("known_hosts"), "[127.0.0.1]:" + port + " "
                + Files.readString(dir.resolve("host_key.pub")).strip() + "\n");

        Path log = dir.resolve("commands.log");
        Path shim = dir.resolve("shim.sh");
        String answer = "{\"href\":\"" + endpoint + "\",\"header\":{\"Authorization\":\"" + authorization
                + "\"},\"expires_in\":" + expiresIn + "}";
        Files.writeString(shim, """
                #!/bin/sh
                printf '%%s\\n' "$SSH_ORIGINAL_COMMAND" >> '%s'
                case "$SSH_ORIGINAL_COMMAND" in
                  "git-lfs-authenticate "*) printf '%%s\\n' '%s' ;;
                  "git-upload-pack '"*|"git-receive-pack '"*) eval "exec git ${SSH_ORIGINAL_COMMAND#git-}" ;;
                  *) echo "${SSH_ORIGINAL_COMMAND%%%% *}: command not found" >&2; exit 127 ;;
                esac
                """.formatted(log, answer));
        Files.setPosixFilePermissions(shim, PosixFilePermissions.fromString("rwx------"));
        Files.writeString(dir.resolve("authorized_keys"), "command=\"" + shim + "\",no-port-forwarding,no-X11-forwarding,"
                + "no-agent-forwarding,no-pty " + Files.readString(dir.resolve("client_key.pub")).strip() + "\n");
        String user = System.getProperty("user.name");
        Files.writeString(dir.resolve("sshd_config"), """
                Port %d
                ListenAddress 127.0.0.1
                HostKey %s
                PidFile %s
                AuthorizedKeysFile %s
                AllowUsers %s
                PubkeyAuthentication yes
                PasswordAuthentication no
                KbdInteractiveAuthentication no
                PermitRootLogin prohibit-password
                StrictModes no
                UsePAM no
                PrintMotd no
                LogLevel ERROR
                """.formatted(port, dir.resolve("host_key"), dir.resolve("sshd.pid"), dir.resolve("authorized_keys"), user));
        // sshd's privilege separation needs this folder; the package's service creates it when it starts
        Path privsep = Path.of("/run/sshd");
        if (!Files.isDirectory(privsep)) {
            Files.createDirectories(privsep, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        }
        process = new ProcessBuilder(SSHD.toString(), "-D", "-e", "-f", dir.resolve("sshd_config").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("sshd.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 500);
                break;
            } catch (IOException notYet) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    process.destroyForcibly();
                    throw new IllegalStateException("sshd did not start: " + Files.readString(dir.resolve("sshd.log")));
                }
                Thread.sleep(50);
            }
        }
    }

    /** The port sshd listens on, on 127.0.0.1. */
    public int port() {
        return port;
    }

    /** The user that logs in (the current one). */
    public String user() {
        return System.getProperty("user.name");
    }

    /** An {@code ssh://} URL of {@code path} on this server. */
    public String url(Path path) {
        return "ssh://" + user() + "@127.0.0.1:" + port + path.toAbsolutePath();
    }

    /**
     * The ssh command for clients: the test's client key and known hosts only, no user configuration,
     * never a prompt.
     */
    public String sshCommand() {
        return "ssh -F /dev/null -i " + dir.resolve("client_key") + " -o IdentitiesOnly=yes -o UserKnownHostsFile="
                + dir.resolve("known_hosts") + " -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes"
                + " -o BatchMode=yes -o LogLevel=ERROR";
    }

    /** Every command a client asked for, in order. */
    public List<String> commands() throws IOException {
        Path log = dir.resolve("commands.log");
        return Files.exists(log) ? Files.readAllLines(log) : List.of();
    }

    /** How many {@code git-lfs-authenticate} calls asked for {@code operation}. */
    public long authentications(String operation) throws IOException {
        return commands().stream().filter(c -> c.startsWith("git-lfs-authenticate ") && c.endsWith(" " + operation)).count();
    }

    private static void run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + out);
        }
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
