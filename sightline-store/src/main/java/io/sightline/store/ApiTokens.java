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

  /**
   * Creates a token: {@code slt_} + base64url of 32 random bytes; only its SHA-256 is stored.
   *
   * @throws io.sightline.core.SightlineException 400 naming {@code name}, {@code ttlSeconds} or
   *     {@code groups} when blank, too long, or not positive
   */
  CreatedToken create(String name, Role role, List<String> groups, Duration ttl, String createdBy);

  /**
   * Stores a token value supplied from outside ({@code SIGHTLINE_BOOTSTRAP_TOKEN}) as an admin
   * token, unless a token with that hash exists already. Idempotent across replicas.
   *
   * @throws io.sightline.core.SightlineException 400 {@code INVALID_BOOTSTRAP_TOKEN} (field {@code
   *     SIGHTLINE_BOOTSTRAP_TOKEN}) unless the value is {@code slt_} followed by at least 43
   *     base64url characters (256 bits), e.g. {@code slt_$(openssl rand -base64 32 | tr '+/' '-_' |
   *     tr -d '=')}
   */
  ApiToken importBootstrap(SecretValue value, Duration ttl);

  /** The active token whose hash matches {@code presented}; empty if unknown, expired, revoked. */
  Optional<ApiToken> authenticate(String presented, Instant now);

  /** Every token (active, expired and revoked), newest first. */
  List<ApiToken> list();

  Optional<ApiToken> find(String id);

  /** Revokes; false when no such token. Revoking twice is not an error. */
  boolean revoke(String id, Instant now);

  long count();
}
