package io.lfscloud.backend.gcs;

import io.lfscloud.spi.BackendConfig;
import io.lfscloud.spi.StorageException;
import io.lfscloud.spi.StorageException.Kind;

import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/**
 * The {@code lfs-cloud.gcs.*} settings of one bucket, each checked against its range.
 *
 * @param endpoint            {@code lfs-cloud.gcs.endpoint}: another server of the JSON API (an emulator, a private endpoint)
 * @param anonymous           {@code lfs-cloud.gcs.anonymous}: send no credentials (public buckets)
 * @param timeout             {@code lfs-cloud.gcs.timeoutSeconds}: connect and read timeout
 * @param chunkSize           {@code lfs-cloud.gcs.chunkSize}: objects up to this size go in one request; larger ones
 *                            as a resumable upload in chunks of this size (a multiple of 256 KiB)
 * @param downloadPartSize    {@code lfs-cloud.gcs.downloadPartSize}: range size of parallel downloads
 * @param downloadConcurrency {@code lfs-cloud.gcs.downloadConcurrency}: ranges fetched at once
 */
record GcsSettings(Optional<URI> endpoint, boolean anonymous, Duration timeout, int chunkSize, int downloadPartSize,
                   int downloadConcurrency) {

    static final String PREFIX = "lfs-cloud.gcs.";
    private static final long MIB = 1 << 20;

    static GcsSettings from(BackendConfig c) throws StorageException {
        Optional<URI> endpoint = Optional.empty();
        Optional<String> e = c.get(PREFIX + "endpoint").map(String::strip).filter(s -> !s.isEmpty());
        if (e.isPresent()) {
            URI u;
            try {
                u = URI.create(e.get().replaceAll("/+$", ""));
            } catch (IllegalArgumentException bad) {
                throw new StorageException(Kind.MISCONFIGURED, PREFIX + "endpoint must be an http(s) URL, not '" + e.get() + "'");
            }
            String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
            if (!(scheme.equals("http") || scheme.equals("https")) || u.getHost() == null || u.getRawQuery() != null
                    || u.getRawUserInfo() != null) {
                throw new StorageException(Kind.MISCONFIGURED, PREFIX + "endpoint must be an http(s) URL without"
                        + " credentials or query, not '" + e.get() + "'");
            }
            endpoint = Optional.of(u);
        }
        long timeout = c.number(PREFIX + "timeoutSeconds", 30, 1, 3600);
        long chunk = c.bytes(PREFIX + "chunkSize", 8 * MIB, 256 * 1024, 32 * MIB);
        if (chunk % (256 * 1024) != 0) {
            throw new StorageException(Kind.MISCONFIGURED, PREFIX + "chunkSize must be a multiple of 256k (GCS's chunk"
                    + " unit), not " + c.get(PREFIX + "chunkSize").orElse("").strip());
        }
        long part = c.bytes(PREFIX + "downloadPartSize", 8 * MIB, MIB, 16 * MIB);
        long concurrency = c.number(PREFIX + "downloadConcurrency", 4, 1, 16);
        if ((concurrency + 1) * part > 64 * MIB) {
            throw new StorageException(Kind.MISCONFIGURED, "(" + PREFIX + "downloadConcurrency + 1) × " + PREFIX
                    + "downloadPartSize must be at most 64m, not " + ((concurrency + 1) * part / MIB) + "m");
        }
        return new GcsSettings(endpoint, c.flag(PREFIX + "anonymous", false), Duration.ofSeconds(timeout), (int) chunk,
                (int) part, (int) concurrency);
    }
}
