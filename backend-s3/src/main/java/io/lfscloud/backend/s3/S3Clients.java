package io.lfscloud.backend.s3;

import io.lfscloud.spi.Diagnostics;
import io.lfscloud.spi.StorageException;
import io.lfscloud.spi.StorageException.Kind;

import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/**
 * The SDK client and request signer of one backend (one bucket's settings: endpoint, region,
 * path style, timeout), each built once, on its first use: building a client costs ~0.5 s,
 * which agents that never touch S3 must not pay. The URL-connection HTTP client is passed
 * explicitly (inside a module layer the SDK cannot find one by itself); the SDK retries
 * nothing (see {@link S3Backend}) and follows no redirect.
 */
final class S3Clients implements AutoCloseable {

    private final S3Settings settings;
    private final Diagnostics diagnostics;
    private volatile S3Client client;
    private volatile S3Presigner presigner;
    private AwsCredentialsProvider credentials; // set with the client, under its lock
    private Region region;

    S3Clients(S3Settings settings, Diagnostics diagnostics) {
        this.settings = settings;
        this.diagnostics = diagnostics;
    }

    S3Settings settings() {
        return settings;
    }

    S3Client client() throws StorageException {
        S3Client c = client;
        if (c != null) {
            return c;
        }
        synchronized (this) {
            if (client == null) {
                long start = System.nanoTime();
                credentials = DefaultCredentialsProvider.builder().build();
                region = region();
                S3ClientBuilder b = S3Client.builder()
                        .httpClient(UrlConnectionHttpClient.builder().connectionTimeout(settings.timeout())
                                .socketTimeout(settings.timeout()).build())
                        .credentialsProvider(credentials)
                        .region(region)
                        .forcePathStyle(settings.pathStyle())
                        // the agent retries whole transfers and this backend ranges and parts: no third layer
                        .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
                        // checksums are ours to choose (see S3Uploads); S3-compatible stores often lack the newer trailers
                        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
                settings.endpoint().ifPresent(b::endpointOverride);
                try {
                    client = b.build();
                } catch (SdkException e) {
                    throw new StorageException(Kind.MISCONFIGURED, "cannot set up the S3 client: " + e.getMessage(), e);
                }
                diagnostics.trace("s3: client ready in " + (System.nanoTime() - start) / 1_000_000 + " ms"
                        + settings.endpoint().map(u -> " for " + u).orElse(""));
            }
            return client;
        }
    }

    /** Signs upload bodies; built on the first upload (downloads never need it). */
    S3Presigner presigner() throws StorageException {
        S3Presigner p = presigner;
        if (p != null) {
            return p;
        }
        client();
        synchronized (this) {
            if (presigner == null) {
                S3Presigner.Builder b = S3Presigner.builder().credentialsProvider(credentials).region(region)
                        .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(settings.pathStyle()).build());
                settings.endpoint().ifPresent(b::endpointOverride);
                try {
                    presigner = b.build();
                } catch (SdkException e) {
                    throw new StorageException(Kind.MISCONFIGURED, "cannot set up S3 request signing: " + e.getMessage(), e);
                }
            }
            return presigner;
        }
    }

    private Region region() throws StorageException {
        if (settings.region().isPresent()) {
            return Region.of(settings.region().get());
        }
        try {
            return DefaultAwsRegionProviderChain.builder().build().getRegion();
        } catch (SdkClientException e) {
            if (settings.endpoint().isPresent()) {
                return Region.US_EAST_1; // S3-compatible stores rarely care
            }
            throw new StorageException(Kind.MISCONFIGURED, "no AWS region: set AWS_REGION, a profile's region,"
                    + " or 'git config lfs-cloud.s3.region <region>'", e);
        }
    }

    @Override
    public void close() {
        S3Presigner p = presigner;
        if (p != null) {
            p.close();
        }
        S3Client c = client;
        if (c != null) {
            c.close();
        }
    }
}
