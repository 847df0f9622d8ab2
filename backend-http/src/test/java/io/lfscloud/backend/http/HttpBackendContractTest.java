package io.lfscloud.backend.http;

import io.lfscloud.spi.BackendConfig;
import io.lfscloud.spi.StorageBackend;
import io.lfscloud.testkit.Nginx;
import io.lfscloud.testkit.StorageBackendContract;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The HTTP(S) backend meets the backend contract against a real HTTP server (nginx). It is
 * read-only and cannot list: tracked files live on servers it only reads from.
 */
class HttpBackendContractTest extends StorageBackendContract {

    @TempDir
    static Path work;
    static Nginx nginx;
    static StorageBackend backend;
    static final AtomicInteger N = new AtomicInteger();

    @BeforeAll
    static void start() throws Exception {
        nginx = new Nginx(work);
        backend = new HttpBackendProvider().open(io.lfscloud.spi.BackendContext.of(URI.create(nginx.url("")), BackendConfig.EMPTY));
    }

    @AfterAll
    static void stop() throws InterruptedException {
        backend.close();
        nginx.close();
    }

    @Override
    protected StorageBackend backend() {
        return backend;
    }

    @Override
    protected URI newObject(String name) {
        return URI.create(nginx.url("objects/" + N.incrementAndGet() + "/" + name));
    }

    @Override
    protected void putDirectly(URI object, byte[] content) throws Exception {
        Path file = nginx.root.resolve(object.getPath().substring(1));
        Files.createDirectories(file.getParent());
        Path tmp = Files.write(file.resolveSibling(file.getFileName() + ".tmp"), content);
        // nginx's ETag is mtime and size: make the new version's mtime differ
        Files.setLastModifiedTime(tmp, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + N.incrementAndGet() * 1000L));
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    @Override
    protected URI newKeysFolder() {
        return URI.create(nginx.url("keys/" + N.incrementAndGet() + "/"));
    }

    @Override
    protected boolean canWrite() {
        return false;
    }
}
