package io.sightline.store.internal;

import io.sightline.store.Agents;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;

/** Agent pools, registration tokens, agents and jobs in four tables (see V7__agents.sql). */
final class JdbiAgents implements Agents {
  private static final String CLAIMABLE =
      "pool = :pool AND (state = 'queued' OR (state = 'running' AND claim_until < :now))";

  /**
   * The claimable jobs as two ranges of the index (pool, state, created_at): H2 uses an index for
   * one equality on state only, so the OR of {@link #CLAIMABLE} read every job of the pool kept in
   * the last hour (finished ones included) on every poll.
   */
  private static final String QUEUED = "pool = :pool AND state = 'queued'";

  private static final String LAPSED = "pool = :pool AND state = 'running' AND claim_until < :now";

  /** What choosing a job to claim needs (not its payload or result). */
  private record Candidate(
      String id, int attempts, int maxAttempts, Instant expiresAt, Instant createdAt) {}

  private final Handle h;
  private final Clock clock;

  JdbiAgents(Handle h, Clock clock) {
    this.h = h;
    this.clock = clock;
  }

  private Instant now() {
    return Sql.millis(clock.instant());
  }

  @Override
  public Pool ensurePool(String name, String createdBy) {
    Optional<Pool> found = findPool(name);
    if (found.isPresent()) {
      return found.get();
    }
    try {
      h.createUpdate("INSERT INTO agent_pools (name, created_at, created_by) VALUES (:n, :t, :b)")
          .bind("n", name)
          .bind("t", Sql.instant(now()))
          .bind("b", createdBy == null ? "system" : createdBy)
          .execute();
    } catch (UnableToExecuteStatementException e) {
      if (!Failures.isUniqueViolation(e)) {
        throw e;
      }
    }
    return findPool(name).orElseThrow();
  }

  @Override
  public Optional<Pool> findPool(String name) {
    return h.createQuery("SELECT * FROM agent_pools WHERE name = :n")
        .bind("n", name)
        .map((rs, ctx) -> pool(rs))
        .findFirst();
  }

  @Override
  public List<Pool> pools() {
    return h.createQuery("SELECT * FROM agent_pools ORDER BY name")
        .map((rs, ctx) -> pool(rs))
        .list();
  }

  private static Pool pool(ResultSet rs) throws SQLException {
    return new Pool(
        rs.getString("name"), Sql.instant(rs, "created_at"), rs.getString("created_by"));
  }

  @Override
  public RegistrationToken addRegistrationToken(
      String pool, String tokenHash, Instant expiresAt, String createdBy) {
    String id = UUID.randomUUID().toString();
    Instant now = now();
    h.createUpdate(
            "INSERT INTO agent_registration_tokens (id, pool, token_hash, created_at, created_by,"
                + " expires_at) VALUES (:id, :pool, :hash, :now, :by, :exp)")
        .bind("id", id)
        .bind("pool", pool)
        .bind("hash", tokenHash)
        .bind("now", Sql.instant(now))
        .bind("by", createdBy == null ? "system" : createdBy)
        .bind("exp", Sql.instant(expiresAt))
        .execute();
    return new RegistrationToken(id, pool, now, createdBy, Sql.millis(expiresAt));
  }

  @Override
  public Optional<RegistrationToken> useRegistrationToken(
      String tokenHash, String agentId, Instant now) {
    int n =
        h.createUpdate(
                "UPDATE agent_registration_tokens SET used_at = :now, used_by = :agent WHERE"
                    + " token_hash = :hash AND used_at IS NULL AND expires_at > :now")
            .bind("now", Sql.instant(now))
            .bind("agent", agentId)
            .bind("hash", tokenHash)
            .execute();
    if (n != 1) {
      return Optional.empty();
    }
    return h.createQuery("SELECT * FROM agent_registration_tokens WHERE token_hash = :hash")
        .bind("hash", tokenHash)
        .map(
            (rs, ctx) ->
                new RegistrationToken(
                    rs.getString("id"),
                    rs.getString("pool"),
                    Sql.instant(rs, "created_at"),
                    rs.getString("created_by"),
                    Sql.instant(rs, "expires_at")))
        .findFirst();
  }

  @Override
  public Agent register(String id, String pool, String name, String publicKeyJwk, String version) {
    Instant now = now();
    h.createUpdate(
            "INSERT INTO agents (id, name, pool, public_key, enabled, registered_at, last_seen_at,"
                + " version) VALUES (:id, :name, :pool, :key, TRUE, :now, :now, :v)")
        .bind("id", id)
        .bind("name", name)
        .bind("pool", pool)
        .bind("key", publicKeyJwk)
        .bind("now", Sql.instant(now))
        .bind("v", version)
        .execute();
    return find(id).orElseThrow();
  }

  @Override
  public Optional<Agent> find(String id) {
    if (id == null || id.length() > 36) {
      return Optional.empty();
    }
    return h.createQuery("SELECT * FROM agents WHERE id = :id")
        .bind("id", id)
        .map((rs, ctx) -> agent(rs))
        .findFirst();
  }

  @Override
  public List<Agent> list(String pool) {
    if (pool == null) {
      return h.createQuery("SELECT * FROM agents ORDER BY pool, name, id")
          .map((rs, ctx) -> agent(rs))
          .list();
    }
    return h.createQuery("SELECT * FROM agents WHERE pool = :p ORDER BY name, id")
        .bind("p", pool)
        .map((rs, ctx) -> agent(rs))
        .list();
  }

  private static Agent agent(ResultSet rs) throws SQLException {
    return new Agent(
        rs.getString("id"),
        rs.getString("name"),
        rs.getString("pool"),
        rs.getString("public_key"),
        rs.getBoolean("enabled"),
        Sql.instant(rs, "registered_at"),
        Sql.instant(rs, "last_seen_at"),
        rs.getString("version"));
  }

  @Override
  public boolean setEnabled(String id, boolean enabled) {
    return h.createUpdate("UPDATE agents SET enabled = :e WHERE id = :id")
            .bind("e", enabled)
            .bind("id", id)
            .execute()
        == 1;
  }

  @Override
  public boolean remove(String id) {
    return h.createUpdate("DELETE FROM agents WHERE id = :id").bind("id", id).execute() == 1;
  }

  @Override
  public void seen(String id, Instant at, String version) {
    h.createUpdate(
            "UPDATE agents SET last_seen_at = :t, version = COALESCE(:v, version) WHERE id = :id")
        .bind("t", Sql.instant(at))
        .bind("v", version)
        .bind("id", id)
        .execute();
  }

  @Override
  public boolean anyOnline(String pool, Instant since) {
    return h.createQuery(
                "SELECT COUNT(*) FROM agents WHERE pool = :p AND enabled = TRUE AND last_seen_at >="
                    + " :since")
            .bind("p", pool)
            .bind("since", Sql.instant(since))
            .mapTo(Long.class)
            .one()
        > 0;
  }

  @Override
  public Job enqueue(NewJob j) {
    if (j.idempotencyKey() != null) {
      Optional<Job> earlier =
          h.createQuery(
                  "SELECT * FROM agent_jobs WHERE pool = :pool AND kind = :kind AND idem_key = :key"
                      + " AND state <> 'failed' ORDER BY created_at DESC")
              .bind("pool", j.pool())
              .bind("kind", j.kind())
              .bind("key", j.idempotencyKey())
              .map((rs, ctx) -> job(rs))
              .findFirst();
      if (earlier.isPresent()) {
        return earlier.get();
      }
    }
    Instant now = now();
    h.createUpdate(
            "INSERT INTO agent_jobs (id, pool, kind, idem_key, state, attempts, max_attempts,"
                + " sealed_payload, created_at, updated_at, expires_at) VALUES (:id, :pool, :kind,"
                + " :key, 'queued', 0, :max, :payload, :now, :now, :exp)")
        .bind("id", j.id())
        .bind("pool", j.pool())
        .bind("kind", j.kind())
        .bind("key", j.idempotencyKey())
        .bind("max", j.maxAttempts())
        .bind("payload", j.sealedPayload())
        .bind("now", Sql.instant(now))
        .bind("exp", Sql.instant(j.expiresAt()))
        .execute();
    return new Job(
        j.id(),
        j.pool(),
        j.kind(),
        j.idempotencyKey(),
        JobState.QUEUED,
        0,
        j.maxAttempts(),
        null,
        null,
        j.sealedPayload(),
        null,
        null,
        null,
        now,
        now,
        Sql.millis(j.expiresAt()));
  }

  @Override
  public Optional<Job> job(String id) {
    if (id == null || id.length() > 36) {
      return Optional.empty();
    }
    return h.createQuery("SELECT * FROM agent_jobs WHERE id = :id")
        .bind("id", id)
        .map((rs, ctx) -> job(rs))
        .findFirst();
  }

  @Override
  public Optional<Job> claim(
      String pool, String agentId, Instant now, Instant claimUntil, byte[] sealedResultKey) {
    List<Candidate> candidates = new java.util.ArrayList<>(candidates(QUEUED, pool, now));
    candidates.addAll(candidates(LAPSED, pool, now));
    candidates.sort(java.util.Comparator.comparing(Candidate::createdAt));
    if (candidates.size() > 8) {
      candidates = candidates.subList(0, 8);
    }
    // Pollers racing for the same oldest row would queue on its lock: each starts at a random
    // one of the oldest few (order within them is not a promise; the queue stays roughly FIFO).
    if (candidates.size() > 1) {
      int start = java.util.concurrent.ThreadLocalRandom.current().nextInt(candidates.size());
      List<Candidate> rotated =
          new java.util.ArrayList<>(candidates.subList(start, candidates.size()));
      rotated.addAll(candidates.subList(0, start));
      candidates = rotated;
    }
    for (Candidate c : candidates) {
      if (c.attempts() >= c.maxAttempts() || !now.isBefore(c.expiresAt())) {
        h.createUpdate(
                "UPDATE agent_jobs SET state = 'failed', error = :err, updated_at = :now WHERE id ="
                    + " :id AND "
                    + CLAIMABLE)
            .bind(
                "err",
                c.attempts() >= c.maxAttempts()
                    ? "AGENT_LOST: tried on "
                        + c.attempts()
                        + " agent(s) of pool "
                        + pool
                        + "; none finished it"
                    : "JOB_EXPIRED: no agent of pool " + pool + " finished it in time")
            .bind("id", c.id())
            .bind("pool", pool)
            .bind("now", Sql.instant(now))
            .execute();
        continue;
      }
      int n =
          h.createUpdate(
                  "UPDATE agent_jobs SET state = 'running', attempts = attempts + 1, agent_id ="
                      + " :agent, claim_until = :until, sealed_result_key = :key, updated_at = :now"
                      + " WHERE id = :id AND "
                      + CLAIMABLE)
              .bind("agent", agentId)
              .bind("until", Sql.instant(claimUntil))
              .bind("key", sealedResultKey)
              .bind("id", c.id())
              .bind("pool", pool)
              .bind("now", Sql.instant(now))
              .execute();
      if (n == 1) {
        return job(c.id());
      }
    }
    return Optional.empty();
  }

  private List<Candidate> candidates(String where, String pool, Instant now) {
    var q =
        h.createQuery(
                "SELECT id, attempts, max_attempts, expires_at, created_at FROM agent_jobs WHERE "
                    + where
                    + " ORDER BY created_at LIMIT 8")
            .bind("pool", pool);
    if (where.contains(":now")) {
      q.bind("now", Sql.instant(now));
    }
    return q.map(
            (rs, ctx) ->
                new Candidate(
                    rs.getString("id"),
                    rs.getInt("attempts"),
                    rs.getInt("max_attempts"),
                    Sql.instant(rs, "expires_at"),
                    Sql.instant(rs, "created_at")))
        .list();
  }

  @Override
  public boolean claimable(String pool, Instant now) {
    for (String where : List.of(QUEUED, LAPSED)) {
      var q =
          h.createQuery("SELECT id FROM agent_jobs WHERE " + where + " LIMIT 1").bind("pool", pool);
      if (where.contains(":now")) {
        q.bind("now", Sql.instant(now));
      }
      if (q.mapTo(String.class).findFirst().isPresent()) {
        return true;
      }
    }
    return false;
  }

  @Override
  public int extendClaims(String agentId, Instant claimUntil) {
    return h.createUpdate(
            "UPDATE agent_jobs SET claim_until = :until WHERE agent_id = :agent AND state ="
                + " 'running'")
        .bind("until", Sql.instant(claimUntil))
        .bind("agent", agentId)
        .execute();
  }

  @Override
  public boolean complete(
      String id, String agentId, int attempt, boolean ok, byte[] result, String error) {
    return h.createUpdate(
                "UPDATE agent_jobs SET state = :state, result = :result, error = :error, updated_at"
                    + " = :now WHERE id = :id AND agent_id = :agent AND attempts = :attempt AND state"
                    + " = 'running'")
            .bind("attempt", attempt)
            .bind("state", ok ? "done" : "failed")
            .bind("result", result)
            .bind("error", error == null ? null : truncate(error, 2000))
            .bind("now", Sql.instant(now()))
            .bind("id", id)
            .bind("agent", agentId)
            .execute()
        == 1;
  }

  @Override
  public int purge(Instant before) {
    return h.createUpdate(
            "DELETE FROM agent_jobs WHERE state IN ('done', 'failed') AND updated_at < :before")
        .bind("before", Sql.instant(before))
        .execute();
  }

  private static String truncate(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max);
  }

  private static Job job(ResultSet rs) throws SQLException {
    return new Job(
        rs.getString("id"),
        rs.getString("pool"),
        rs.getString("kind"),
        rs.getString("idem_key"),
        JobState.fromWire(rs.getString("state")),
        rs.getInt("attempts"),
        rs.getInt("max_attempts"),
        rs.getString("agent_id"),
        Sql.instant(rs, "claim_until"),
        rs.getBytes("sealed_payload"),
        rs.getBytes("sealed_result_key"),
        rs.getBytes("result"),
        rs.getString("error"),
        Sql.instant(rs, "created_at"),
        Sql.instant(rs, "updated_at"),
        Sql.instant(rs, "expires_at"));
  }
}
