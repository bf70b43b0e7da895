package io.sightline.azure;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * Where the {@link OidcIssuer} keeps its signing keys between restarts, shared by every replica.
 * The material is private keys: an implementation seals (encrypts) it before it reaches disk or a
 * database — the store's job.
 */
public interface KeyStorage {
  /** The key material saved last, or empty on first start. */
  Optional<String> load();

  /** Replaces the saved key material. */
  void save(String keyMaterial);

  /**
   * Reads the material, applies {@code change} and saves its result when it reports changes — with
   * no other writer in between. Storage shared by several processes overrides this with a lock held
   * from the read to the save (a database row lock), so replicas never create two different first
   * keys and rotations never interleave; it may also record {@link Update#changes()} (an audit
   * trail) in the same transaction. This default serialises writers of this object only.
   *
   * @return the material stored now
   */
  default String update(Function<Optional<String>, Update> change) {
    synchronized (this) {
      Update u = change.apply(load());
      if (!u.changes().isEmpty()) {
        save(u.material());
      }
      return u.material();
    }
  }

  /** One change of a signing key, for the audit trail: {@code created}, {@code staged}, … */
  record Change(String action, String keyId) {
    public Change {
      Objects.requireNonNull(action, "action");
      Objects.requireNonNull(keyId, "keyId");
    }
  }

  /**
   * The material after a change, what changed (empty: nothing, do not write) and who asked for it
   * ({@code system} for the server itself).
   */
  record Update(String material, List<Change> changes, String actor) {
    public Update {
      Objects.requireNonNull(material, "material");
      changes = List.copyOf(changes);
      Objects.requireNonNull(actor, "actor");
    }
  }

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
