package io.lfscloud.backend.azure;

import io.lfscloud.spi.Diagnostics;
import io.lfscloud.spi.ObjectInfo;
import io.lfscloud.spi.StorageException;
import io.lfscloud.spi.StorageException.Kind;

import com.azure.core.credential.AzureSasCredential;
import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.identity.DefaultAzureCredentialBuilder;
import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.specialized.BlobClientBase;
import com.azure.storage.common.StorageSharedKeyCredential;
import com.azure.storage.common.policy.RequestRetryOptions;
import com.azure.storage.common.policy.RetryPolicyType;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The SDK clients of one backend: one per storage account (or {@code https://} blob host),
 * built on its first request, never at start-up, all sharing one HTTP client. The JDK's HTTP
 * client is passed explicitly (inside a module layer the SDK cannot find one by itself); the
 * SDK retries nothing (its retry policy is set to one try: see {@link AzureBackend}).
 */
final class AzureClients implements AutoCloseable {

    /** One account's client, where its requests go, and the credentials' source (for messages). */
    record Account(BlobServiceClient client, String endpoint, AzureCredentials credentials) {
    }

    private final AzureSettings settings;
    private final Diagnostics diagnostics;
    private final Map<String, String> env;
    private final Path home;
    private final Map<String, Account> accounts = new ConcurrentHashMap<>();
    private volatile HttpClient http;

    /** {@code http}: the HTTP client every account's client uses, or {@code null} for the JDK's, built on first use. */
    AzureClients(AzureSettings settings, Diagnostics diagnostics, Map<String, String> env, Path home, HttpClient http) {
        this.settings = settings;
        this.diagnostics = diagnostics;
        this.env = env;
        this.home = home;
        this.http = http;
    }

    AzureSettings settings() {
        return settings;
    }

    private HttpClient http() {
        HttpClient h = http;
        if (h == null) {
            synchronized (this) {
                if (http == null) {
                    http = new JdkHttpClientBuilder().connectionTimeout(settings.timeout()).responseTimeout(settings.timeout())
                            .readTimeout(settings.timeout()).writeTimeout(settings.timeout()).build();
                }
                h = http;
            }
        }
        return h;
    }

    private static String key(BlobLocation l) {
        return l.httpsHost() != null ? "https://" + l.httpsHost() : l.account();
    }

    /** The client of {@code l}'s account, built on its first use. */
    Account account(BlobLocation l) throws StorageException {
        String key = key(l);
        Account a = accounts.get(key);
        if (a != null) {
            return a;
        }
        synchronized (accounts) {
            a = accounts.get(key);
            if (a == null) {
                a = build(l);
                accounts.put(key, a);
            }
            return a;
        }
    }

    /** The client of {@code l}'s account if it was built, else {@code null} (for messages). */
    Account built(BlobLocation l) {
        return accounts.get(key(l));
    }

    private Account build(BlobLocation l) throws StorageException {
        long start = System.nanoTime();
        AzureCredentials c = AzureCredentials.find(l.account(), env, home);
        String endpoint;
        if (l.httpsHost() != null) {
            endpoint = "https://" + l.httpsHost(); // the URL names the host; nothing else is asked
        } else if (settings.endpoint().isPresent()) {
            endpoint = settings.endpoint().get().toString();
        } else if (c.blobEndpoint().isPresent()) {
            endpoint = c.blobEndpoint().get().toString();
        } else {
            endpoint = "https://" + l.account() + ".blob.core.windows.net";
        }
        BlobServiceClientBuilder b = new BlobServiceClientBuilder().endpoint(endpoint).httpClient(http())
                // one try: ranges and blocks are retried here, whole transfers by the agent
                .retryOptions(new RequestRetryOptions(RetryPolicyType.FIXED, 1, (Integer) null, null, null, null));
        try {
            switch (c.kind()) {
                case KEY -> b.credential(new StorageSharedKeyCredential(l.account(), c.accountKey()));
                case SAS -> b.credential(new AzureSasCredential(c.sas()));
                case ENTRA -> b.credential(new DefaultAzureCredentialBuilder().httpClient(http()).build());
                case NONE -> { }
            }
            Account a = new Account(b.buildClient(), endpoint, c);
            diagnostics.trace("azure: client for " + l.account() + " at " + endpoint + " with " + c + " ready in "
                    + (System.nanoTime() - start) / 1_000_000 + " ms");
            return a;
        } catch (RuntimeException e) {
            // an account key that is not base64, an endpoint the SDK refuses: never the value itself
            throw new StorageException(Kind.MISCONFIGURED, "cannot set up the Azure client for account '" + l.account()
                    + "' at " + endpoint + " with " + c + ": " + e.getClass().getSimpleName(), e);
        }
    }

    BlobContainerClient container(BlobLocation l) throws StorageException {
        return account(l).client().getBlobContainerClient(l.container());
    }

    BlobClient blob(BlobLocation l) throws StorageException {
        return container(l).getBlobClient(l.blob());
    }

    /** The blob, or the version of it the record pins. */
    BlobClientBase pinnedBlob(BlobLocation l, ObjectInfo expected) throws StorageException {
        BlobClient b = blob(l);
        return expected != null && expected.versionId() != null ? b.getVersionClient(expected.versionId()) : b;
    }

    @Override
    public void close() {
        accounts.clear();
    }
}
