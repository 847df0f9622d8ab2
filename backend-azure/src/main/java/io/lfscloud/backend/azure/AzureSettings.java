package io.lfscloud.backend.azure;

import io.lfscloud.spi.BackendConfig;
import io.lfscloud.spi.StorageException;
import io.lfscloud.spi.StorageException.Kind;

import java.net.URI;
import java.time.Duration;
import java.util.Optional;

/**
 * {@code lfs-cloud.azure.*} settings: {@code endpoint} (the blob service URL, for Azurite and
 * sovereign clouds; only from the user's own config, see the README's Security section),
 * {@code timeoutSeconds} (connecting and every wait for bytes), the block upload knobs
 * ({@code blockSize}: objects up to it go in one request, larger ones as blocks of it;
 * {@code uploadConcurrency}) and the parallel download knobs ({@code downloadPartSize},
 * {@code downloadConcurrency}). Credentials never come from here.
 *
 * <p>Every number has a range. Uploads and downloads hold their blocks and ranges in memory:
 * {@code (concurrency + 1) × size} each, at most {@value #BUFFERS_MIB} MB per transfer, and all
 * transfers of one agent share {@link AzureBackend#BUFFER_BUDGET_KIB}.
 */
record AzureSettings(Optional<URI> endpoint, Duration timeout, long blockSize, int uploadConcurrency,
                     long downloadPartSize, int downloadConcurrency) {

    static final long MIB = 1024 * 1024;

    /** The most one transfer may hold in block or range buffers, in MiB. */
    static final int BUFFERS_MIB = 64;

    static AzureSettings from(BackendConfig c) throws StorageException {
        Optional<URI> endpoint = Optional.empty();
        Optional<String> e = c.get("lfs-cloud.azure.endpoint").map(String::strip);
        if (e.isPresent()) {
            URI u;
            try {
                u = new URI(e.get().endsWith("/") ? e.get().substring(0, e.get().length() - 1) : e.get());
            } catch (java.net.URISyntaxException x) {
                throw new StorageException(Kind.MISCONFIGURED, "lfs-cloud.azure.endpoint is not a URL: " + x.getMessage());
            }
            if (u.getScheme() == null || !(u.getScheme().equals("http") || u.getScheme().equals("https")) || u.getHost() == null
                    || u.getRawUserInfo() != null || u.getRawQuery() != null) {
                throw new StorageException(Kind.MISCONFIGURED, "lfs-cloud.azure.endpoint must be the blob service's"
                        + " http(s) URL (such as http://127.0.0.1:10000/devstoreaccount1 for Azurite), with no user or query");
            }
            endpoint = Optional.of(u);
        }
        long seconds = c.number("lfs-cloud.azure.timeoutSeconds", 30, 1, 3600);
        long block = c.bytes("lfs-cloud.azure.blockSize", 8 * MIB, MIB, 32 * MIB);
        int up = (int) c.number("lfs-cloud.azure.uploadConcurrency", 4, 1, 16);
        long part = c.bytes("lfs-cloud.azure.downloadPartSize", 8 * MIB, MIB, 16 * MIB);
        int down = (int) c.number("lfs-cloud.azure.downloadConcurrency", 4, 1, 16);
        within("lfs-cloud.azure.uploadConcurrency", up, "lfs-cloud.azure.blockSize", block);
        within("lfs-cloud.azure.downloadConcurrency", down, "lfs-cloud.azure.downloadPartSize", part);
        return new AzureSettings(endpoint, Duration.ofSeconds(seconds), block, up, part, down);
    }

    private static void within(String countKey, int count, String sizeKey, long size) throws StorageException {
        long buffers = (count + 1) * size;
        if (buffers > BUFFERS_MIB * MIB) {
            throw new StorageException(Kind.MISCONFIGURED, countKey + " " + count + " with " + sizeKey + " "
                    + mib(size) + " would hold " + mib(buffers) + " in memory per transfer ((concurrency + 1) × size);"
                    + " at most " + BUFFERS_MIB + "m: lower one of them");
        }
    }

    private static String mib(long bytes) {
        return bytes % MIB == 0 ? bytes / MIB + "m" : Long.toString(bytes);
    }
}
