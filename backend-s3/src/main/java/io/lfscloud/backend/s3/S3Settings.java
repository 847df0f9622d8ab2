package io.lfscloud.backend.s3;

import io.lfscloud.spi.BackendConfig;
import io.lfscloud.spi.StorageException;

import java.net.URI;
import java.util.Optional;

/**
 * {@code lfs-cloud.s3.*} settings (git config or the committed {@code .lfs-meta/config}):
 * {@code endpoint} and {@code pathStyle} for S3-compatible stores, {@code region}, and the
 * knobs of multipart uploads ({@code multipartThreshold}, {@code partSize},
 * {@code uploadConcurrency}) and of parallel ranged downloads ({@code downloadPartSize},
 * {@code downloadConcurrency}); {@code timeoutSeconds} bounds connecting and every wait
 * for bytes from S3. Credentials never come from here: the AWS default chain provides them
 * (environment, profiles, SSO, instance roles).
 */
record S3Settings(Optional<URI> endpoint, Optional<String> region, boolean pathStyle, long multipartThreshold,
                  long partSize, int uploadConcurrency, long downloadPartSize, int downloadConcurrency,
                  java.time.Duration timeout) {

    static final long MIB = 1024 * 1024;

    static S3Settings from(BackendConfig c) throws StorageException {
        Optional<URI> endpoint;
        try {
            endpoint = c.get("lfs-cloud.s3.endpoint").map(String::strip).map(URI::create);
        } catch (IllegalArgumentException e) {
            throw new StorageException(StorageException.Kind.MISCONFIGURED, "lfs-cloud.s3.endpoint is not a URL: " + e.getMessage());
        }
        long threshold = bytes(c, "lfs-cloud.s3.multipartThreshold", 64 * MIB);
        long part = bytes(c, "lfs-cloud.s3.partSize", 16 * MIB);
        if (part < 5 * MIB) {
            throw new StorageException(StorageException.Kind.MISCONFIGURED, "lfs-cloud.s3.partSize must be at least 5 MiB (S3's minimum)");
        }
        int concurrency = (int) number(c, "lfs-cloud.s3.uploadConcurrency", 4);
        long downloadPart = bytes(c, "lfs-cloud.s3.downloadPartSize", 8 * MIB);
        if (downloadPart < MIB) {
            throw new StorageException(StorageException.Kind.MISCONFIGURED, "lfs-cloud.s3.downloadPartSize must be at least 1 MiB");
        }
        int downloadConcurrency = (int) number(c, "lfs-cloud.s3.downloadConcurrency", 4);
        boolean pathStyle = c.get("lfs-cloud.s3.pathStyle").map(v -> v.equalsIgnoreCase("true") || v.equals("1"))
                .orElse(endpoint.isPresent());
        long seconds = number(c, "lfs-cloud.s3.timeoutSeconds", 30);
        if (seconds < 1) {
            throw new StorageException(StorageException.Kind.MISCONFIGURED, "lfs-cloud.s3.timeoutSeconds must be at least 1");
        }
        return new S3Settings(endpoint, c.get("lfs-cloud.s3.region").map(String::strip), pathStyle, threshold, part,
                Math.max(1, concurrency), downloadPart, Math.max(1, downloadConcurrency), java.time.Duration.ofSeconds(seconds));
    }

    /** A count or a number of seconds: a plain whole number. */
    static long number(BackendConfig c, String key, long fallback) throws StorageException {
        Optional<String> v = c.get(key);
        try {
            return v.isEmpty() ? fallback : Integer.parseInt(v.get().strip());
        } catch (NumberFormatException e) {
            throw new StorageException(StorageException.Kind.MISCONFIGURED, key + " is not a whole number: " + v.get());
        }
    }

    /** A size setting: a number with an optional k, m or g suffix (binary units), as in git. */
    static long bytes(BackendConfig c, String key, long fallback) throws StorageException {
        Optional<String> v = c.get(key);
        if (v.isEmpty()) {
            return fallback;
        }
        String s = v.get().strip().toLowerCase(java.util.Locale.ROOT);
        long unit = 1;
        if (s.endsWith("k")) {
            unit = 1024;
        } else if (s.endsWith("m")) {
            unit = MIB;
        } else if (s.endsWith("g")) {
            unit = 1024 * MIB;
        }
        try {
            return Long.parseLong(unit == 1 ? s : s.substring(0, s.length() - 1)) * unit;
        } catch (NumberFormatException e) {
            throw new StorageException(StorageException.Kind.MISCONFIGURED, key + " is not a size: " + v.get());
        }
    }
}
