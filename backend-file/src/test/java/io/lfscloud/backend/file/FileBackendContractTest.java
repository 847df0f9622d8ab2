package io.lfscloud.backend.file;

import io.lfscloud.spi.StorageBackend;
import io.lfscloud.testkit.StorageBackendContract;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;

/** The folder store meets the backend contract. */
class FileBackendContractTest extends StorageBackendContract {

    final FileBackend backend = new FileBackend();
    int n;

    @Override
    protected StorageBackend backend() {
        return backend;
    }

    @Override
    protected synchronized URI newObject(String name) {
        return tmp.resolve("store/" + (++n) + "/" + name).toUri();
    }

    @Override
    protected void putDirectly(URI object, byte[] content) throws Exception {
        Path p = Path.of(object);
        Files.createDirectories(p.getParent());
        Files.write(p, content);
    }

    @Override
    protected synchronized URI newFolder() {
        return URI.create(tmp.resolve("folders/" + (++n)).toUri() + "/");
    }
}
