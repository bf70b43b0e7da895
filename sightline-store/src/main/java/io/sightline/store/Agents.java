package io.sightline.store;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Agents (issue 9): pools, one-time registration tokens (kept as SHA-256 only), the registered
 * agents (public key, enabled, last seen) and the jobs queued for a pool. A job's payload is stored
 * sealed (the caller seals it with the transaction's {@link Sealer}); its result is a JWE under a
 * key that is kept inside the sealed payload, so no secret is kept in clear.
 */
public interface Agents {

  /** An agent pool: a name that connections ({@code via: {pool}}) and agents share. */
  record Pool(String name, Instant createdAt, String createdBy) {}

  /** A registration token as stored: never the token, only who made it and until when. */
  record RegistrationToken(
      String id, String pool, Instant createdAt, String createdBy, Instant expiresAt) {}

  /** A registered agent. */
  record Agent(
      String id,
      String name,
      String pool,
      String publicKeyJwk,
      boolean enabled,
      Instant registeredAt,
      Instant lastSeenAt,
      String version) {}

  /** Where a job is. */
  enum JobState {
    QUEUED,
    RUNNING,
    DONE,
    FAILED;

    public String wireName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }

    public static JobState fromWire(String s) {
      return valueOf(s.toUpperCase(java.util.Locale.ROOT));
    }
  }

  /** What {@link #enqueue} writes. */
  record NewJob(
      String id,
      String pool,
      String kind,
      String idempotencyKey,
      byte[] sealedPayload,
      int maxAttempts,
      Instant expiresAt) {}

  /** A job as stored. */
  record Job(
      String id,
      String pool,
      String kind,
      String idempotencyKey,
      JobState state,
      int attempts,
      int maxAttempts,
      String agentId,
      Instant claimUntil,
      byte[] sealedPayload,
      byte[] sealedResultKey,
      byte[] result,
      String error,
      Instant createdAt,
      Instant updatedAt,
      Instant expiresAt) {}

  /** Creates the pool unless it exists; answers it. */
  Pool ensurePool(String name, String createdBy);

  Optional<Pool> findPool(String name);

  List<Pool> pools();

  /** Stores a registration token by its hash (the pool must exist). */
  RegistrationToken addRegistrationToken(
      String pool, String tokenHash, Instant expiresAt, String createdBy);

  /**
   * Uses up a registration token: answers it when its hash is known, unused and not expired at
   * {@code now}, and marks it used by {@code agentId} in the same statement (one use only).
   */
  Optional<RegistrationToken> useRegistrationToken(String tokenHash, String agentId, Instant now);

  /** Registers an agent (enabled, last seen now). */
  Agent register(String id, String pool, String name, String publicKeyJwk, String version);

  Optional<Agent> find(String id);

  /** Agents of {@code pool} (null: every pool), by pool and name. */
  List<Agent> list(String pool);

  /** Enables or disables an agent; false when there is none. */
  boolean setEnabled(String id, boolean enabled);

  /** Removes an agent; false when there is none. */
  boolean remove(String id);

  /** Records that the agent called now. */
  void seen(String id, Instant at, String version);

  /** Whether an enabled agent of {@code pool} was seen since {@code since}. */
  boolean anyOnline(String pool, Instant since);

  /**
   * Queues a job. With an idempotency key, a job of the same pool, kind and key that has not failed
   * is answered instead of a new one.
   */
  Job enqueue(NewJob job);

  Optional<Job> job(String id);

  /**
   * Claims the oldest claimable job of {@code pool} for {@code agentId} until {@code claimUntil}: a
   * queued one, or a running one whose claim lapsed before {@code now} (its agent died). A job
   * whose attempts are used up fails instead; expired jobs fail too.
   *
   * @param sealedResultKey a sealed key the agent's result will be encrypted to, or null (today's
   *     servers put the result key inside the sealed payload and pass null)
   */
  Optional<Job> claim(
      String pool, String agentId, Instant now, Instant claimUntil, byte[] sealedResultKey);

  /** Whether {@link #claim} would find a job of {@code pool} now (a cheap read first). */
  boolean claimable(String pool, Instant now);

  /** Extends the claims of the agent's running jobs (heartbeat); answers how many. */
  int extendClaims(String agentId, Instant claimUntil);

  /**
   * Records a job's outcome; false when the job is no longer running under {@code agentId} in claim
   * number {@code attempt} (its claim lapsed and another agent, or another poll, took it).
   */
  boolean complete(String id, String agentId, int attempt, boolean ok, byte[] result, String error);

  /** Deletes finished jobs updated before {@code before}; answers how many. */
  int purge(Instant before);
}
