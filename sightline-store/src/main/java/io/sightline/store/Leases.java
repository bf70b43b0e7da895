package io.sightline.store;

import io.sightline.core.SecretValue;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Leases: one task's credential. The row is written first (state {@code issuing}), then the cluster
 * is asked for the token, then the row is activated; a crash in between leaves an {@code issuing}
 * row that the server's recovery revokes. Only the SHA-256 of the token and of the lease handle are
 * stored. The answer to a create with an {@code Idempotency-Key} (token and handle) is kept sealed
 * (context {@code lease/<id>/token}, {@code lease/<id>/handle}) until the lease ends, so a retry
 * gets the same lease back.
 */
public interface Leases {

  /** Where a lease is in its life. */
  enum State {
    ISSUING,
    ACTIVE,
    REVOKED,
    EXPIRED,
    FAILED;

    public String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }

    public static State fromWire(String s) {
      return valueOf(s.toUpperCase(Locale.ROOT));
    }
  }

  /** A lease's stored facts; never a token or handle. */
  record LeaseRecord(
      String id,
      String connectionId,
      String connectionName,
      String credential,
      State state,
      String namespace,
      String homeNamespace,
      String deployer,
      Map<String, Object> target,
      Map<String, Object> task,
      String principal,
      Map<String, Object> pipelineIdentity,
      long ttlSeconds,
      List<String> warnings,
      String jti,
      String tokenSha256,
      String failure,
      Instant createdAt,
      Instant updatedAt,
      Instant expiresAt,
      Instant maxExpiresAt,
      Instant revokedAt,
      String revokedBy,
      boolean secretPresent) {}

  /** What to write when a lease is created (state {@code issuing} or {@code active}). */
  record NewLease(
      String id,
      String connectionId,
      String connectionName,
      String credential,
      State state,
      String namespace,
      String homeNamespace,
      String deployer,
      Map<String, Object> target,
      Map<String, Object> task,
      String principal,
      Map<String, Object> pipelineIdentity,
      long ttlSeconds,
      List<String> warnings,
      String handleSha256,
      Instant expiresAt,
      Instant maxExpiresAt,
      boolean secretPresent) {}

  /** An Idempotency-Key's lease and, while the lease lives, its sealed answer. */
  record IdempotentAnswer(
      String leaseId, String requestHash, SecretValue token, SecretValue handle) {}

  /**
   * Writes a new lease row.
   *
   * @throws io.sightline.core.SightlineException 409 {@code LEASE_EXISTS} when the id is taken
   */
  LeaseRecord create(NewLease lease);

  /**
   * Binds {@code key} of {@code principal} to {@code leaseId}, with the handle sealed. Run it in
   * the same transaction as {@link #create}.
   *
   * @throws io.sightline.core.SightlineException 409 {@code IDEMPOTENCY_KEY_IN_USE} when the key is
   *     bound already (the caller's transaction must then be abandoned and the key looked up)
   */
  void bindIdempotencyKey(
      String principal, String key, String leaseId, String requestHash, SecretValue handle);

  /** The lease bound to {@code key} of {@code principal}, with its sealed answer opened. */
  Optional<IdempotentAnswer> findByIdempotencyKey(String principal, String key);

  /** Keeps the current token for idempotent retries of lease {@code id} (no-op without a key). */
  void rememberToken(String id, SecretValue token);

  Optional<LeaseRecord> find(String id);

  /** True when {@code handleSha256} is lease {@code id}'s handle (constant-time comparison). */
  boolean handleMatches(String id, String handleSha256);

  /**
   * Newest first, at most {@code limit} (1..1000); {@code activeOnly}: state active, not expired.
   */
  List<LeaseRecord> list(boolean activeOnly, Instant now, int limit);

  /**
   * issuing → active with the token's facts; false (and nothing changed) when the lease is no
   * longer issuing (revoked or failed meanwhile).
   */
  boolean activate(String id, String jti, String tokenSha256, Instant expiresAt, long ttlSeconds);

  /** A fresh token for an active lease (renewal). */
  void renewed(
      String id,
      String jti,
      String tokenSha256,
      Instant expiresAt,
      long ttlSeconds,
      List<String> warnings);

  /**
   * issuing → failed, with a reason (no secret in it); the bound Secret may still exist. A lease
   * revoked while it was being issued stays revoked.
   */
  void fail(String id, String reason);

  /** → revoked by {@code by}, unless already revoked, expired or failed; forgets the answer. */
  void revoke(String id, String by, Instant at);

  /** → expired (from active); forgets the answer. */
  void expire(String id, Instant at);

  /** Records whether the bound Secret may still exist. */
  void setSecretPresent(String id, boolean present);

  /**
   * Claims up to {@code limit} leases whose bound Secret must go: still holding a Secret and either
   * ended (revoked, failed, expired), active past {@code expiresAt}, or issuing since before {@code
   * issuingBefore}. A claim lasts until {@code claimUntil}; another replica's unexpired claim is
   * skipped, so replicas never reap the same lease at once.
   */
  List<LeaseRecord> claimForReaping(
      Instant now, Instant issuingBefore, Instant claimUntil, int limit);

  /** Drops this replica's claim on lease {@code id}. */
  void releaseClaim(String id);
}
