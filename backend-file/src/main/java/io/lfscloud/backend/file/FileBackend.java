package io.lfscloud.backend.file;

import io.lfscloud.spi.ObjectInfo;
import io.lfscloud.spi.StorageBackend;
import io.lfscloud.spi.StorageException;
import io.lfscloud.spi.StorageException.Kind;
import io.lfscloud.spi.TransferListener;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * A folder as an object store. Writes are atomic (a temp file in the destination folder,
 * checked against the claimed SHA-256, flushed to disk, then renamed), so readers never
 * see a partial object. The ETag is derived from modification time and size, as web
 * servers do for static files.
 */
final class FileBackend implements StorageBackend {

    private static final int BUFFER_SIZE = 256 * 1024;

    static Path pathOf(URI uri) throws StorageException {
        if (!"file".equalsIgnoreCase(uri.getScheme())) {
            throw new StorageException(Kind.MISCONFIGURED, "not a file: URL: " + uri);
        }
        String host = uri.getHost();
        if (uri.getRawAuthority() != null && !(host != null && host.equalsIgnoreCase("localhost"))) {
            throw new StorageException(Kind.MISCONFIGURED,
                    "file: URLs must name a local path (file:///path), not a host: " + uri);
        }
        try {
            String path = uri.getPath();
            if (path == null || !path.startsWith("/")) {
                throw new IllegalArgumentException("not an absolute path");
            }
            return Path.of(path);
        } catch (IllegalArgumentException e) {
            throw new StorageException(Kind.MISCONFIGURED, "invalid file: URL " + uri + ": " + e.getMessage());
        }
    }

    @Override
    public ObjectInfo stat(URI object) throws StorageException {
        Path p = pathOf(object);
        try {
            BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
            if (!a.isRegularFile()) {
                throw new StorageException(Kind.NOT_FOUND, "not a file: " + object);
            }
            String etag = Long.toHexString(a.lastModifiedTime().toMillis()) + "-" + Long.toHexString(a.size());
            return new ObjectInfo(object, a.size(), etag, null, null, null, a.lastModifiedTime().toInstant());
        } catch (IOException e) {
            throw translate(e, object, "read");
        }
    }

    @Override
    public void list(URI prefix, java.util.function.Consumer<ObjectInfo> each) throws StorageException {
        Path root = pathOf(prefix);
        if (!Files.isDirectory(root)) {
            throw new StorageException(Kind.NOT_FOUND, "no such folder: " + prefix);
        }
        try (java.util.stream.Stream<Path> files = Files.walk(root)) {
            for (Path p : (Iterable<Path>) files.filter(Files::isRegularFile)
                    .filter(p -> !p.getFileName().toString().startsWith("."))::iterator) {
                each.accept(stat(p.toUri()));
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new StorageException(Kind.MISCONFIGURED, "cannot list " + prefix + ": " + e.getMessage(), e);
        }
    }

    @Override
    public InputStream read(URI object, long offset, ObjectInfo expected) throws StorageException {
        Path p = pathOf(object);
        if (expected != null && expected.etag() != null) {
            ObjectInfo now = stat(object);
            if (!expected.etag().equals(now.etag())) {
                throw new StorageException(Kind.CHANGED, object + " changed: ETag was " + expected.etag()
                        + ", is " + now.etag());
            }
        }
        try {
            FileChannel ch = FileChannel.open(p, StandardOpenOption.READ);
            if (offset > 0) {
                ch.position(offset);
            }
            return Channels.newInputStream(ch);
        } catch (IOException e) {
            throw translate(e, object, "read");
        }
    }

    @Override
    public boolean write(URI object, Path source, long size, String sha256, TransferListener progress)
            throws StorageException {
        Path target = pathOf(object);
        try {
            if (Files.isRegularFile(target) && Files.size(target) == size) {
                return false;
            }
        } catch (IOException e) {
            // cannot tell: write it
        }
        Path dir = target.getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, "." + target.getFileName() + "-", ".tmp");
            MessageDigest digest = sha256 == null ? null : MessageDigest.getInstance("SHA-256");
            try (InputStream in = Files.newInputStream(source);
                 FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE);
                 OutputStream out = Channels.newOutputStream(ch)) {
                byte[] buf = new byte[BUFFER_SIZE];
                int n;
                while ((n = in.read(buf)) > 0) {
                    if (digest != null) {
                        digest.update(buf, 0, n);
                    }
                    out.write(buf, 0, n);
                    progress.transferred(n);
                }
                ch.force(true);
            }
            if (digest != null) {
                String actual = HexFormat.of().formatHex(digest.digest());
                if (!actual.equals(sha256.toLowerCase(Locale.ROOT))) {
                    throw new StorageException(Kind.CORRUPT, "refusing to store " + object + ": the source "
                            + source + " hashes to " + actual + ", not to " + sha256);
                }
            }
            if (Files.size(tmp) != size) {
                throw new StorageException(Kind.CORRUPT, "refusing to store " + object + ": the source "
                        + source + " changed size while it was copied");
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            tmp = null;
            return true;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        } catch (IOException e) {
            if (e instanceof StorageException se) {
                throw se;
            }
            throw translate(e, object, "write");
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // nothing more can be done
                }
            }
        }
    }

    private static StorageException translate(IOException e, URI object, String verb) {
        if (e instanceof NoSuchFileException) {
            return new StorageException(Kind.NOT_FOUND, "no such object: " + object, e);
        }
        if (e instanceof AccessDeniedException) {
            return new StorageException(Kind.ACCESS_DENIED, "permission denied to " + verb + " "
                    + ((FileSystemException) e).getFile(), e);
        }
        if (e instanceof NotDirectoryException || e instanceof java.nio.file.FileAlreadyExistsException) {
            return new StorageException(Kind.MISCONFIGURED, "cannot " + verb + " " + object + ": "
                    + ((FileSystemException) e).getFile() + " is in the way", e);
        }
        String reason = e instanceof FileSystemException fse && fse.getReason() != null ? fse.getReason() : e.getMessage();
        return new StorageException(Kind.MISCONFIGURED, "cannot " + verb + " " + object + ": " + reason, e);
    }
}
