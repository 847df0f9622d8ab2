package io.lfscloud.backend.s3;

import io.lfscloud.spi.BackendConfig;
import io.lfscloud.spi.StorageException;

import java.net.URI;
import java.time.Duration;
import java.util.Optional;

/**
 * {@code lfs-cloud.s3.*} settings (git config or the committed {@code .lfs-meta/config}):
 * {@code endpoint} and {@code pathStyle} for S3-compatible stores, {@code region}, and the
 * knobs of multipart uploads ({@code multipartThreshold}, {@code partSize},
 * {@code uploadConcurrency}) and of parallel ranged downloads ({@code downloadPartSize},
 * {@code downloadConcurrency}); {@code timeoutSeconds} bounds connecting and every wait
 * for bytes from S3. Credentials never come from here: the AWS default chain provides them
 * (environment, profiles, SSO, instance roles).
 *
 * <p>Every number has a range, so that no value, committed or not, can hang the agent or
 * exhaust its heap (256 MB, set by the launcher):
 * <ul>
 *   <li>{@code timeoutSeconds} 1 to 3600: 0 would wait forever, and longer than an hour
 *       is no timeout at all;</li>
 *   <li>{@code partSize} and {@code multipartThreshold} 5m to 5g (S3's smallest part and
 *       largest single PUT): upload bodies are streamed from the file through a 256 KB
 *       buffer, so these sizes cost no memory;</li>
 *   <li>{@code uploadConcurrency} 1 to 16 (two 256 KB buffers per part in flight);</li>
 *   <li>{@code downloadPartSize} 1m to 16m and {@code downloadConcurrency} 1 to 16, and
 *       together at most {@value #DOWNLOAD_BUFFERS_MIB} MB: a ranged download holds
 *       {@code (downloadConcurrency + 1) × downloadPartSize} in memory; all ranged
 *       downloads of one agent share {@link S3Reads#RANGE_BUDGET} (a download that would
 *       exceed it streams instead).</li>
 * </ul>
 * A value out of range is a configuration error naming the key, the value and the range.
 */
record S3Settings(Optional<URI> endpoint, Optional<String> region, boolean pathStyle, long multipartThreshold,
                  long partSize, int uploadConcurrency, long downloadPartSize, int downloadConcurrency,
                  Duration timeout) {

    static final long MIB = 1024 * 1024;

    /** The most one ranged download may hold in range buffers, in MiB. */
    static final int DOWNLOAD_BUFFERS_MIB = 64;

    static S3Settings from(BackendConfig c) throws StorageException {
        Optional<URI> endpoint;
        try {
            endpoint = c.get("lfs-cloud.s3.endpoint").map(String::strip).map(URI::create);
        } catch (IllegalArgumentException e) {
            throw new StorageException(StorageException.Kind.MISCONFIGURED, "lfs-cloud.s3.endpoint is not a URL: " + e.getMessage());
        }
        long threshold = c.bytes("lfs-cloud.s3.multipartThreshold", 64 * MIB, 5 * MIB, 5 * 1024 * MIB);
        long part = c.bytes("lfs-cloud.s3.partSize", 16 * MIB, 5 * MIB, 5 * 1024 * MIB);
        int concurrency = (int) c.number("lfs-cloud.s3.uploadConcurrency", 4, 1, 16);
        long downloadPart = c.bytes("lfs-cloud.s3.downloadPartSize", 8 * MIB, MIB, 16 * MIB);
        int downloadConcurrency = (int) c.number("lfs-cloud.s3.downloadConcurrency", 4, 1, 16);
        long buffers = (downloadConcurrency + 1) * downloadPart;
        if (buffers > DOWNLOAD_BUFFERS_MIB * MIB) {
            throw new StorageException(StorageException.Kind.MISCONFIGURED, "lfs-cloud.s3.downloadConcurrency "
                    + downloadConcurrency + " with lfs-cloud.s3.downloadPartSize " + mib(downloadPart) + " would hold "
                    + mib(buffers) + " in memory per download ((concurrency + 1) × part size); at most "
                    + DOWNLOAD_BUFFERS_MIB + "m: lower one of them");
        }
        boolean pathStyle = c.flag("lfs-cloud.s3.pathStyle", endpoint.isPresent());
        long seconds = c.number("lfs-cloud.s3.timeoutSeconds", 30, 1, 3600);
        Optional<String> region = c.get("lfs-cloud.s3.region").map(String::strip);
        if (region.isPresent() && !region.get().matches("[a-z0-9]+(-[a-z0-9]+)*")) {
            // the SDK would put it into the endpoint's host name and fail later, as if transient
            throw new StorageException(StorageException.Kind.MISCONFIGURED, "lfs-cloud.s3.region must be a region name"
                    + " such as eu-west-1 (lower-case letters, digits, hyphens), not '"
                    + region.get().replaceAll("[^\\x20-\\x7e]", "?") + "'");
        }
        return new S3Settings(endpoint, region, pathStyle, threshold, part,
                concurrency, downloadPart, downloadConcurrency, Duration.ofSeconds(seconds));
    }

    /** A size for a message, in MiB where whole ({@code 8m}), else in bytes. */
    private static String mib(long bytes) {
        return bytes % MIB == 0 ? bytes / MIB + "m" : Long.toString(bytes);
    }
}
