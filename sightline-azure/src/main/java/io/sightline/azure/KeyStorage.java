package io.sightline.azure;

import java.util.Optional;

/**
 * Where the {@link OidcIssuer} keeps its signing keys between restarts. The material is private
 * keys: an implementation seals (encrypts) it before it reaches disk or a database — the store's
 * job.
 */
public interface KeyStorage {
  /** The key material saved last, or empty on first start. */
  Optional<String> load();

  /** Replaces the saved key material. */
  void save(String keyMaterial);

  /** Key storage in memory, for tests and throw-away servers. */
  static KeyStorage inMemory() {
    return new KeyStorage() {
      private volatile String saved;

      @Override
      public Optional<String> load() {
        return Optional.ofNullable(saved);
      }

      @Override
      public void save(String keyMaterial) {
        saved = keyMaterial;
      }
    };
  }
}
