package io.sightline.store;

import io.sightline.core.Role;
import io.sightline.core.SecretValue;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * API tokens: random (≥ 256 bits), prefixed {@code slt_}, shown once at creation, stored only as a
 * hash, expiring.
 */
public interface ApiTokens {

  /** A token's stored facts; never the token itself. */
  record ApiToken(
      String id,
      String name,
      Role role,
      List<String> groups,
      Instant createdAt,
      Instant expiresAt,
      Instant revokedAt,
      String createdBy) {
    public boolean isActive(Instant now) {
      return revokedAt == null && now.isBefore(expiresAt);
    }
  }

  /** The answer to a create: the token value exists only here, once. */
  record CreatedToken(ApiToken token, SecretValue value) {}

  CreatedToken create(String name, Role role, List<String> groups, Duration ttl, String createdBy);

  /**
   * Stores a token value supplied from outside ({@code SIGHTLINE_BOOTSTRAP_TOKEN}) as an admin
   * token, unless a token with that hash exists already. Idempotent across replicas.
   */
  ApiToken importBootstrap(SecretValue value, Duration ttl);

  /** The active token whose hash matches {@code presented}; empty if unknown, expired, revoked. */
  Optional<ApiToken> authenticate(String presented, Instant now);

  List<ApiToken> list();

  Optional<ApiToken> find(String id);

  /** Revokes; false when no such token. Revoking twice is not an error. */
  boolean revoke(String id, Instant now);

  long count();
}
