package io.lfscloud.spi;

import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;

/**
 * Reads and writes objects addressed by absolute URLs of one provider's schemes.
 *
 * <p>Implementations must be safe for concurrent use and must translate their own
 * failures into {@link StorageException}s of the right kind at this boundary:
 * callers never see SDK exception types.
 */
public interface StorageBackend extends AutoCloseable {

    /**
     * Metadata of one object.
     *
     * @throws StorageException {@link StorageException.Kind#NOT_FOUND} when there is no such object
     */
    ObjectInfo stat(URI object) throws StorageException;

    /**
     * Opens the object's content from byte {@code offset} on. The caller closes the stream.
     * A failure while reading surfaces as an {@link java.io.IOException} from the stream,
     * preferably a {@link StorageException}.
     *
     * @param expected what the caller believes the object is (size, ETag, version), or
     *                 {@code null}; a backend that can pin a read to a version or ETag should,
     *                 and fail with {@link StorageException.Kind#CHANGED} when it no longer matches
     */
    InputStream read(URI object, long offset, ObjectInfo expected) throws StorageException;

    /**
     * Stores the file {@code source} as {@code object}. The object appears whole or
     * not at all. A backend that can have the store verify the content should pass
     * it {@code sha256}.
     *
     * @param sha256   lowercase hex SHA-256 of the content, as claimed by the caller
     * @param progress told of bytes as they are sent
     * @return whether bytes were sent ({@code false} when the store already held the object)
     */
    boolean write(URI object, Path source, long size, String sha256, TransferListener progress)
            throws StorageException;

    /**
     * Calls {@code each} for every object whose URL starts with {@code prefix} (a "folder":
     * ending in {@code /}), in any order, without holding them all in memory. For
     * {@code track-remote --recursive}; backends that cannot list keep this default.
     *
     * @throws StorageException {@link StorageException.Kind#MISCONFIGURED} when the backend cannot list
     */
    default void list(URI prefix, java.util.function.Consumer<ObjectInfo> each) throws StorageException {
        throw new StorageException(StorageException.Kind.MISCONFIGURED,
                "this storage backend cannot list objects, so it cannot track " + prefix + " recursively;"
                        + " track its files one by one");
    }

    /** Releases clients and threads. */
    @Override
    default void close() {
    }
}
