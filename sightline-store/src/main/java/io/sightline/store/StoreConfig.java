package io.sightline.store;

import io.sightline.core.SecretValue;
import java.nio.file.Path;

/**
 * Where the store lives: the embedded H2 file under {@code dataDir} when {@code jdbcUrl} is null,
 * otherwise PostgreSQL at {@code jdbcUrl} with {@code user}/{@code password}.
 */
public record StoreConfig(
    Path dataDir, String jdbcUrl, String user, SecretValue password, int maxPoolSize) {
  public boolean isExternal() {
    return jdbcUrl != null;
  }
}
