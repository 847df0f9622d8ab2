package io.lfscloud.backend.azure;

import io.lfscloud.spi.StorageException;
import io.lfscloud.spi.StorageException.Kind;

import com.azure.core.exception.ClientAuthenticationException;
import com.azure.storage.blob.models.BlobStorageException;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpTimeoutException;
import java.util.Set;
import java.util.concurrent.TimeoutException;

/**
 * Azure's failures as the SPI's kinds, at this backend's boundary: callers never see SDK
 * types. Messages name the account and container (and the endpoint for a missing container),
 * say what to do where it helps, and never hold a secret.
 */
final class AzureErrors {

    /** HTTP statuses a server answers again when asked again: not worth a retry. */
    private static final Set<Integer> PERMANENT_5XX = Set.of(501, 505, 506, 508, 510, 511);

    private final AzureClients clients;

    AzureErrors(AzureClients clients) {
        this.clients = clients;
    }

    /** An SDK failure as a storage failure; messages name the account and container, never a secret. */
    StorageException translate(RuntimeException e, BlobLocation l, URI object) {
        AzureClients.Account a = clients.built(l);
        AzureCredentials c = a == null ? AzureCredentials.none() : a.credentials();
        if (e instanceof BlobStorageException s) {
            String code = s.getErrorCode() == null ? null : s.getErrorCode().toString();
            return classify(s.getStatusCode(), code, l, object, c, a == null ? "?" : a.endpoint(), e);
        }
        if (e instanceof ClientAuthenticationException || causedBy(e, ClientAuthenticationException.class)) {
            return new StorageException(Kind.ACCESS_DENIED, "no Azure credentials found for account '" + l.account()
                    + "' (" + c + " gave no token): " + AzureCredentials.WHAT_TO_SET, e);
        }
        if (timedOut(e)) {
            return new StorageException(Kind.TRANSIENT, "Azure did not answer within "
                    + clients.settings().timeout().toSeconds() + " s for " + object + " (lfs-cloud.azure.timeoutSeconds)", e);
        }
        if (causedBy(e, UnknownHostException.class)) {
            return new StorageException(Kind.TRANSIENT, "cannot resolve the Azure host for " + object
                    + " (is the account name right?)", e);
        }
        if (causedBy(e, ConnectException.class)) {
            return new StorageException(Kind.TRANSIENT, "cannot connect to Azure for " + object
                    + (a == null ? "" : " at " + a.endpoint()), e);
        }
        if (causedBy(e, IOException.class)) {
            return new StorageException(Kind.TRANSIENT, "the connection to Azure broke for " + object, e);
        }
        return new StorageException(Kind.TRANSIENT, "Azure request for " + object + " failed: "
                + e.getClass().getSimpleName(), e);
    }

    /** Whether {@code e} or one of its causes is a timeout. */
    static boolean timedOut(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SocketTimeoutException || t instanceof HttpTimeoutException || t instanceof TimeoutException) {
                return true;
            }
        }
        return false;
    }

    private static boolean causedBy(Throwable e, Class<?> type) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    /** An Azure error answer (status and error code, {@code null} when none) as a storage failure. */
    static StorageException classify(int status, String code, BlobLocation l, URI object, AzureCredentials c,
                                     String endpoint, Exception e) {
        String answer = "HTTP " + status + (code == null || code.isBlank() ? "" : " " + code);
        if ("ContainerNotFound".equals(code)) {
            return new StorageException(Kind.MISCONFIGURED, "Azure container '" + l.container() + "' does not exist in"
                    + " storage account '" + l.account() + "' (" + endpoint + ")", e);
        }
        if ("BlobNotFound".equals(code) || ("ResourceNotFound".equals(code) && c.kind() != AzureCredentials.Kind.NONE)
                || (status == 404 && code == null && c.kind() != AzureCredentials.Kind.NONE)) {
            return new StorageException(Kind.NOT_FOUND, "no such object: " + object, e);
        }
        if (status == 412 || "ConditionNotMet".equals(code)) {
            return new StorageException(Kind.CHANGED, object + " changed in Azure since it was tracked (ETag differs)", e);
        }
        if (status == 401 || status == 403 || status == 404) {
            String hint = c.kind() == AzureCredentials.Kind.NONE
                    ? "no Azure credentials were found (the request went anonymously): " + AzureCredentials.WHAT_TO_SET
                    : "check the credentials from " + c + " (the key, or the SAS token's permissions and expiry) and"
                    + " the container's access policy";
            return new StorageException(Kind.ACCESS_DENIED, "Azure denied access to " + object + " (" + answer + "): "
                    + hint, e);
        }
        if ("Md5Mismatch".equals(code) || "InvalidMd5".equals(code) || "Crc64Mismatch".equals(code)) {
            return new StorageException(Kind.CORRUPT, "Azure refused the upload of " + object
                    + ": the content sent does not match its checksum (" + code + ")", e);
        }
        if (status == 416 || "InvalidRange".equals(code)) {
            return new StorageException(Kind.CORRUPT, object + " is shorter than expected (" + answer + ")", e);
        }
        if (PERMANENT_5XX.contains(status)) {
            return new StorageException(Kind.MISCONFIGURED, "Azure cannot serve the request for " + object + " ("
                    + answer + "): the store does not support it", e);
        }
        if (status >= 500 || status == 429 || status == 408 || "ServerBusy".equals(code)
                || "OperationTimedOut".equals(code)) {
            return new StorageException(Kind.TRANSIENT, "Azure is busy or failing (" + answer + ") for " + object, e);
        }
        if (status >= 300 && status < 400) {
            return new StorageException(Kind.MISCONFIGURED, "Azure answered " + object + " with a redirect (" + answer
                    + "), which lfs-cloud does not follow: check lfs-cloud.azure.endpoint", e);
        }
        return new StorageException(Kind.MISCONFIGURED, "Azure refused the request for " + object + " (" + answer + ")", e);
    }
}
