package io.lfscloud.spi;

import java.util.Optional;

/**
 * The repository's lfs-cloud settings: git config keys {@code lfs-cloud.*}, falling
 * back to the committed {@code .lfs-meta/config}. Never holds credentials; those stay
 * in each cloud's own credential chain.
 */
@FunctionalInterface
public interface BackendConfig {

    BackendConfig EMPTY = key -> Optional.empty();

    /**
     * The value of a setting, by its full key (e.g. {@code "lfs-cloud.s3.region"}).
     * Keys are case-insensitive in their first and last parts, as in git.
     */
    Optional<String> get(String key);
}
