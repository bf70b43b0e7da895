package io.sightline.store;

import io.sightline.core.SecretValue;
import java.util.Optional;

/**
 * The OIDC issuer's signing key set: one document (private keys and their states), sealed at rest,
 * shared by every replica. What the document holds is the issuer's business ({@code
 * io.sightline.azure.OidcIssuer}); the store keeps it sealed and serialises writers.
 */
public interface IssuerKeys {
  /** The seal context of the key set. */
  String SEAL_CONTEXT = "oidc-issuer/keys";

  /** The key set saved last, or empty before the first key. */
  Optional<SecretValue> load();

  /**
   * As {@link #load()}, and locks the key set until this transaction ends: another replica's {@code
   * lockAndLoad} waits, so read-change-save in one transaction never interleaves with another.
   */
  Optional<SecretValue> lockAndLoad();

  /** Replaces the key set (sealed with this transaction's sealer). */
  void save(SecretValue keySet);
}
