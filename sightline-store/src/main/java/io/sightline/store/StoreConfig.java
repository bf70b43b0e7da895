package io.sightline.store;

import io.sightline.core.SecretValue;
import java.nio.file.Path;

/**
 * Where the store lives: the embedded H2 file under {@code dataDir} when {@code jdbcUrl} is null,
 * otherwise PostgreSQL at {@code jdbcUrl} with {@code user}/{@code password}. {@code maxPoolSize}
 * &lt;= 0 means the default (4 for H2, 10 for PostgreSQL).
 */
public record StoreConfig(
    Path dataDir, String jdbcUrl, String user, SecretValue password, int maxPoolSize) {
  public boolean isExternal() {
    return jdbcUrl != null;
  }

  public static StoreConfig embedded(Path dataDir) {
    return new StoreConfig(dataDir, null, null, null, 0);
  }

  public static StoreConfig postgres(
      Path dataDir, String jdbcUrl, String user, SecretValue password) {
    return new StoreConfig(dataDir, jdbcUrl, user, password, 0);
  }

  /** The H2 database path (without H2's {@code .mv.db} suffix): {@code <dataDir>/db/sightline}. */
  public Path h2Path() {
    return dataDir.toAbsolutePath().normalize().resolve("db").resolve("sightline");
  }

  /** The H2 database file: {@code <dataDir>/db/sightline.mv.db}. */
  public Path h2File() {
    return h2Path().resolveSibling("sightline.mv.db");
  }
}
