package io.lfscloud.backend.gcs;

import io.lfscloud.spi.StorageException;
import io.lfscloud.spi.StorageException.Kind;

import com.google.cloud.BaseServiceException;

import java.net.SocketTimeoutException;
import java.util.Set;

/**
 * GCS's failures as the SPI's kinds, at this backend's boundary: callers never see SDK types.
 * Messages name the object or bucket, say what to do where it helps, and never hold a secret.
 */
final class GcsErrors {

    /** HTTP statuses a server answers again when asked again: not worth a retry. */
    private static final Set<Integer> PERMANENT_5XX = Set.of(501, 505, 506, 508, 510, 511);

    private final GcsClients clients;

    GcsErrors(GcsClients clients) {
        this.clients = clients;
    }

    /** Any failure of a request about {@code l} (an SDK exception, or one it wraps in an I/O error). */
    StorageException translate(Throwable e, GcsLocation l) {
        if (e instanceof StorageException s) {
            return s;
        }
        BaseServiceException service = find(e, BaseServiceException.class);
        int status = service == null ? 0 : service.getCode();
        String reason = service == null ? null : service.getReason();
        if (status > 0) {
            return classify(status, reason, String.valueOf(service.getMessage()), l, e);
        }
        if (tokenRefused(e)) {
            return new StorageException(Kind.ACCESS_DENIED, "Google refused the credentials from " + clients.source()
                    + " for " + l + ": check that the key is valid and not revoked", e);
        }
        if (timedOut(e)) {
            return new StorageException(Kind.TRANSIENT, "GCS did not answer within " + clients.settings().timeout().toSeconds()
                    + " s for " + l + " (lfs-cloud.gcs.timeoutSeconds)", e);
        }
        String m = String.valueOf(rootMessage(e));
        if (m.startsWith("refusing to send a GCS request")) {
            return new StorageException(Kind.MISCONFIGURED, "GCS answered " + l + " with a redirect, not followed: " + m, e);
        }
        return new StorageException(Kind.TRANSIENT, "cannot reach GCS at " + clients.endpoint() + " for " + l + ": " + m, e);
    }

    /** An error answer (status, Google's reason) as a storage failure. */
    StorageException classify(int status, String reason, String message, GcsLocation l, Throwable e) {
        String answer = "HTTP " + status + (reason == null || reason.isBlank() ? "" : " " + reason);
        if (status == 404) {
            return new StorageException(Kind.NOT_FOUND, "no such object: " + l, e);
        }
        if (status == 412) {
            return new StorageException(Kind.CHANGED, l + " changed in GCS (a precondition failed)", e);
        }
        if (status == 401 || status == 403) {
            return new StorageException(Kind.ACCESS_DENIED, "GCS denied access to " + l + " (" + answer + "): check the"
                    + " credentials (from " + clients.source() + ") and their roles on bucket '" + l.bucket() + "'", e);
        }
        if (status == 400 && message != null && (message.contains("MD5") || message.contains("CRC32C") || message.contains("hash"))) {
            return new StorageException(Kind.CORRUPT, "GCS refused the upload of " + l
                    + ": the content sent does not match its checksums", e);
        }
        if (status >= 300 && status < 400) {
            return new StorageException(Kind.MISCONFIGURED, "GCS answered " + l + " with a redirect (" + answer
                    + "), which lfs-cloud does not follow: check lfs-cloud.gcs.endpoint", e);
        }
        if (status == 416) {
            return new StorageException(Kind.CORRUPT, l + " is shorter than expected (" + answer + ")", e);
        }
        if (PERMANENT_5XX.contains(status)) {
            return new StorageException(Kind.MISCONFIGURED, "GCS cannot serve the request for " + l + " (" + answer + ")", e);
        }
        if (status >= 500 || status == 429 || status == 408) {
            return new StorageException(Kind.TRANSIENT, "GCS is busy or failing (" + answer + ") for " + l, e);
        }
        return new StorageException(Kind.MISCONFIGURED, "GCS refused the request for " + l + " (" + answer + ")", e);
    }

    /** Whether {@code e} or one of its causes is a socket timeout. */
    static boolean timedOut(Throwable e) {
        return find(e, SocketTimeoutException.class) != null;
    }

    /** Whether the OAuth token endpoint refused the credentials. */
    private static boolean tokenRefused(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String n = t.getClass().getName();
            String m = String.valueOf(t.getMessage());
            if (n.endsWith("TokenResponseException") || n.endsWith("GoogleAuthException") || m.contains("invalid_grant")
                    || m.contains("Error getting access token")) {
                return true;
            }
        }
        return false;
    }

    static <T extends Throwable> T find(Throwable e, Class<T> type) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
}
