package io.lfscloud.backend.gcs;

import io.lfscloud.spi.Diagnostics;
import io.lfscloud.spi.ObjectInfo;
import io.lfscloud.spi.StorageException;
import io.lfscloud.spi.StorageException.Kind;
import io.lfscloud.spi.TransferListener;

import com.google.cloud.WriteChannel;
import com.google.cloud.storage.BlobId;
import com.google.cloud.storage.BlobInfo;
import com.google.cloud.storage.Storage.BlobTargetOption;
import com.google.cloud.storage.Storage.BlobWriteOption;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.zip.CRC32C;

/**
 * Uploads. The file is read once through SHA-256, MD5 and CRC32C before anything is sent, and
 * nothing is sent unless it hashes to its oid; GCS then checks the MD5 and CRC32C it is given
 * against the bytes it receives, so the object appears whole and right or not at all. An object
 * up to {@code chunkSize} goes in one request (multipart: metadata and bytes); a larger one as a
 * resumable upload session in chunks of {@code chunkSize}, which the SDK resumes after a failed
 * chunk (see {@link GcsClients#uploads()}). Writes are create-only ({@code ifGenerationMatch=0}),
 * so two pushers never clobber each other: an object already there with the right size is not
 * sent again, and a 412 for an object that appeared meanwhile with the right size is success.
 */
final class GcsUploads {

    private final GcsBackend backend;
    private final GcsClients clients;
    private final GcsErrors errors;
    private final Diagnostics diagnostics;

    GcsUploads(GcsBackend backend, GcsClients clients, GcsErrors errors, Diagnostics diagnostics) {
        this.backend = backend;
        this.clients = clients;
        this.errors = errors;
        this.diagnostics = diagnostics;
    }

    /** The content's digests, in GCS's encodings (base64 of the bytes, CRC32C big-endian). */
    private record Digests(String sha256, String md5, String crc32c) {
    }

    boolean write(GcsLocation l, Path source, long size, String sha256, TransferListener progress) throws StorageException {
        long generation = 0; // create-only
        try {
            ObjectInfo existing = GcsBackend.info(l, backend.blob(l, null));
            if (existing.size() == size) {
                return false;
            }
            // other bytes under this oid's name (a broken earlier upload by another tool): replace exactly that generation
            diagnostics.trace("gcs: " + l + " has " + existing.size() + " bytes, not " + size + ": writing it again");
            generation = Long.parseLong(existing.versionId());
        } catch (StorageException e) {
            if (e.kind() != Kind.NOT_FOUND) {
                throw e;
            }
        }
        int chunk = clients.settings().chunkSize();
        try {
            if (size <= chunk) {
                byte[] content = Files.readAllBytes(source);
                Digests d = digests(content);
                check(l, d, sha256, content.length, size);
                clients.storage().create(blobInfo(l, d), content, BlobTargetOption.generationMatch(generation),
                        BlobTargetOption.disableGzipContent());
                progress.transferred(size);
            } else {
                Digests d = digests(source);
                check(l, d, sha256, Files.size(source), size);
                try (WriteChannel w = clients.uploads().writer(blobInfo(l, d), BlobWriteOption.generationMatch(generation),
                        BlobWriteOption.md5Match(), BlobWriteOption.crc32cMatch(), BlobWriteOption.disableGzipContent());
                     InputStream in = Files.newInputStream(source)) {
                    w.setChunkSize(chunk);
                    byte[] buf = new byte[256 * 1024];
                    for (int n; (n = in.read(buf)) > 0; ) {
                        ByteBuffer b = ByteBuffer.wrap(buf, 0, n);
                        while (b.hasRemaining()) {
                            w.write(b);
                        }
                        progress.transferred(n);
                    }
                }
            }
            return true;
        } catch (IOException | RuntimeException e) {
            StorageException s = errors.translate(e, l);
            if (s.kind() == Kind.CHANGED) {
                // create-only lost to another pusher: the same oid is the same bytes when the size matches
                try {
                    if (backend.stat(l.uri()).size() == size) {
                        diagnostics.trace("gcs: " + l + " was stored meanwhile by another writer, with its size");
                        return false;
                    }
                } catch (StorageException gone) {
                    // fall through to the conflict
                }
                throw new StorageException(Kind.CHANGED, "another writer stored " + l + " with a different size meanwhile", e);
            }
            throw s;
        }
    }

    private static void check(GcsLocation l, Digests d, String sha256, long read, long size) throws StorageException {
        if (read != size || (sha256 != null && !d.sha256().equals(sha256))) {
            throw new StorageException(Kind.CORRUPT, "refusing to upload " + l + ": the content does not match its oid"
                    + (read != size ? " (" + read + " bytes, " + size + " expected)" : ""));
        }
    }

    private static BlobInfo blobInfo(GcsLocation l, Digests d) {
        return BlobInfo.newBuilder(BlobId.of(l.bucket(), l.name())).setContentType("application/octet-stream")
                .setMd5(d.md5()).setCrc32c(d.crc32c()).build();
    }

    private static Digests digests(byte[] content) {
        MessageDigest sha = digest("SHA-256");
        MessageDigest md5 = digest("MD5");
        CRC32C crc = new CRC32C();
        sha.update(content);
        md5.update(content);
        crc.update(content);
        return digests(sha, md5, crc);
    }

    private static Digests digests(Path source) throws IOException {
        MessageDigest sha = digest("SHA-256");
        MessageDigest md5 = digest("MD5");
        CRC32C crc = new CRC32C();
        byte[] buf = new byte[256 * 1024];
        try (InputStream in = Files.newInputStream(source)) {
            for (int n; (n = in.read(buf)) > 0; ) {
                sha.update(buf, 0, n);
                md5.update(buf, 0, n);
                crc.update(buf, 0, n);
            }
        }
        return digests(sha, md5, crc);
    }

    private static Digests digests(MessageDigest sha, MessageDigest md5, CRC32C crc) {
        long v = crc.getValue();
        byte[] c = {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
        return new Digests(HexFormat.of().formatHex(sha.digest()), Base64.getEncoder().encodeToString(md5.digest()),
                Base64.getEncoder().encodeToString(c));
    }

    private static MessageDigest digest(String name) {
        try {
            return MessageDigest.getInstance(name);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
