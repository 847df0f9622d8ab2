package io.lfscloud.spi;

import java.net.URI;
import java.util.Map;
import java.util.Optional;

/**
 * The user's credentials for an HTTP(S) URL, as git keeps them ({@code git credential fill},
 * {@code approve}, {@code reject}), for backends that speak to servers git's credentials are
 * for (a repository's Git LFS server). The agent implements it; a backend asks only for the
 * URLs it was configured with, and never prints, traces or stores what it gets.
 */
public interface Credentials {

    /** No credentials for anything. */
    Credentials NONE = new Credentials() {
        @Override
        public Optional<Credential> fill(URI url) {
            return Optional.empty();
        }

        @Override
        public void approve(Credential credential) {
        }

        @Override
        public void reject(Credential credential) {
        }
    };

    /**
     * A user name and password (or token) for {@code url}, from git's credential helpers (which
     * may ask the user); empty when there are none.
     *
     * @throws StorageException of kind {@link StorageException.Kind#ACCESS_DENIED} when git cannot
     *                          give any (no helper and no terminal to ask on, say)
     */
    Optional<Credential> fill(URI url) throws StorageException;

    /** Tells git's helpers that {@code credential} worked (they may keep it). */
    void approve(Credential credential);

    /** Tells git's helpers that {@code credential} was refused (they forget it). */
    void reject(Credential credential);

    /**
     * Whether requests to {@code url} should carry credentials from the first one ({@code git
     * config lfs.URL.access basic}, as git-lfs reads it) rather than only after a 401.
     */
    default boolean sendFirst(URI url) {
        return false;
    }

    /**
     * For a server reached over SSH: what {@code git-lfs-authenticate} said for {@code operation}
     * ({@code download} or {@code upload}), the Batch API endpoint to use and the headers that
     * authenticate requests to it; empty for servers reached over http(s). An answer is kept until it
     * expires; {@code renew} asks again (the last one was refused).
     *
     * @throws StorageException when ssh fails, or the remote is refused (a host starting with '-')
     */
    default Optional<Authorization> authorization(String operation, boolean renew) throws StorageException {
        return Optional.empty();
    }

    /** The endpoint and headers an SSH server gave; its {@link #toString()} shows no header value. */
    record Authorization(URI href, Map<String, String> headers) {

        public Authorization {
            headers = Map.copyOf(headers);
        }

        @Override
        public String toString() {
            return "Authorization[href=" + href + ", headers=" + headers.keySet() + "]";
        }
    }

    /**
     * One credential, with everything git's helper said of it ({@code protocol}, {@code host},
     * {@code path}, {@code username}, {@code password}…), to be handed back to approve or reject
     * it. Its {@link #toString()} shows no secret.
     */
    record Credential(Map<String, String> fields) {

        public Credential {
            fields = Map.copyOf(fields);
        }

        public String username() {
            return fields.getOrDefault("username", "");
        }

        public String password() {
            return fields.getOrDefault("password", "");
        }

        @Override
        public String toString() {
            return "Credential[username=" + username() + ", password=<redacted>]";
        }
    }
}
