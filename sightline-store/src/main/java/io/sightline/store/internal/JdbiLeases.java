package io.sightline.store.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sightline.core.SecretValue;
import io.sightline.core.SightlineException;
import io.sightline.store.Leases;
import io.sightline.store.Sealer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Handle;

/** Leases in two tables (see V3__leases.sql). */
final class JdbiLeases implements Leases {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};
  private static final TypeReference<List<String>> STRINGS = new TypeReference<>() {};

  private final Handle h;
  private final Sealer sealer;
  private final Clock clock;

  JdbiLeases(Handle h, Sealer sealer, Clock clock) {
    this.h = h;
    this.sealer = sealer;
    this.clock = clock;
  }

  static String context(String id, String what) {
    return "lease/" + id + "/" + what;
  }

  @Override
  public LeaseRecord create(NewLease l) {
    Instant now = Sql.millis(clock.instant());
    String target = json(l.target());
    String task = json(l.task());
    String pid = l.pipelineIdentity() == null ? null : json(l.pipelineIdentity());
    String warnings = json(l.warnings() == null ? List.of() : l.warnings());
    try {
      h.createUpdate(
              "INSERT INTO leases (id, connection_id, connection_name, credential, state,"
                  + " namespace, home_namespace, deployer, target, task, principal,"
                  + " pipeline_identity, ttl_seconds, warnings, handle_hash, created_at,"
                  + " updated_at, expires_at, max_expires_at, secret_present) VALUES (:id, :cid,"
                  + " :cname, :cred, :state, :ns, :home, :dep, :target, :task, :principal, :pid,"
                  + " :ttl, :warnings, :handle, :now, :now, :exp, :max, :secret)")
          .bind("id", l.id())
          .bind("cid", l.connectionId())
          .bind("cname", l.connectionName())
          .bind("cred", l.credential())
          .bind("state", l.state().wireName())
          .bind("ns", l.namespace())
          .bind("home", l.homeNamespace())
          .bind("dep", l.deployer())
          .bind("target", target)
          .bind("task", task)
          .bind("principal", l.principal())
          .bind("pid", pid)
          .bind("ttl", l.ttlSeconds())
          .bind("warnings", warnings)
          .bind("handle", l.handleSha256())
          .bind("now", Sql.instant(now))
          .bind("exp", Sql.instant(l.expiresAt()))
          .bind("max", Sql.instant(l.maxExpiresAt()))
          .bind("secret", l.secretPresent())
          .execute();
    } catch (RuntimeException e) {
      if (Failures.isUniqueViolation(e)) {
        throw SightlineException.conflict("LEASE_EXISTS", "a lease with id " + l.id() + " exists");
      }
      throw e;
    }
    // What a read-back would answer, without the read (issuance's hot path): the stored JSON
    // parsed again, instants at the stored precision.
    return new LeaseRecord(
        l.id(),
        l.connectionId(),
        l.connectionName(),
        l.credential(),
        l.state(),
        l.namespace(),
        l.homeNamespace(),
        l.deployer(),
        parse(target, MAP),
        parse(task, MAP),
        l.principal(),
        pid == null ? null : parse(pid, MAP),
        l.ttlSeconds(),
        parse(warnings, STRINGS),
        null,
        null,
        null,
        now,
        now,
        Sql.millis(l.expiresAt()),
        Sql.millis(l.maxExpiresAt()),
        null,
        null,
        l.secretPresent());
  }

  @Override
  public void bindIdempotencyKey(
      String principal, String key, String leaseId, String requestHash, SecretValue handle) {
    try {
      h.createUpdate(
              "INSERT INTO lease_idempotency (principal, idem_key, lease_id, request_hash,"
                  + " sealed_handle, created_at) VALUES (:p, :k, :id, :rh, :handle, :now)")
          .bind("p", principal)
          .bind("k", key)
          .bind("id", leaseId)
          .bind("rh", requestHash)
          .bind("handle", sealer.seal(handle, context(leaseId, "handle")))
          .bind("now", Sql.instant(clock.instant()))
          .execute();
    } catch (RuntimeException e) {
      if (Failures.isUniqueViolation(e)) {
        throw SightlineException.conflict(
            "IDEMPOTENCY_KEY_IN_USE", "this Idempotency-Key is bound to a lease already");
      }
      throw e;
    }
  }

  @Override
  public Optional<IdempotentAnswer> findByIdempotencyKey(String principal, String key) {
    return h.createQuery(
            "SELECT lease_id, request_hash, sealed_token, sealed_handle FROM lease_idempotency"
                + " WHERE principal = :p AND idem_key = :k")
        .bind("p", principal)
        .bind("k", key)
        .map(
            (rs, ctx) -> {
              String id = rs.getString("lease_id");
              byte[] token = rs.getBytes("sealed_token");
              byte[] handle = rs.getBytes("sealed_handle");
              return new IdempotentAnswer(
                  id,
                  rs.getString("request_hash"),
                  token == null ? null : sealer.open(token, context(id, "token")),
                  handle == null ? null : sealer.open(handle, context(id, "handle")));
            })
        .findFirst();
  }

  @Override
  public void rememberToken(String id, SecretValue token) {
    boolean bound =
        h.createQuery("SELECT COUNT(*) FROM lease_idempotency WHERE lease_id = :id")
                .bind("id", id)
                .mapTo(Long.class)
                .one()
            > 0;
    if (bound) {
      h.createUpdate("UPDATE lease_idempotency SET sealed_token = :t WHERE lease_id = :id")
          .bind("id", id)
          .bind("t", sealer.seal(token, context(id, "token")))
          .execute();
    }
  }

  private void forgetAnswer(String id) {
    h.createUpdate(
            "UPDATE lease_idempotency SET sealed_token = NULL, sealed_handle = NULL"
                + " WHERE lease_id = :id")
        .bind("id", id)
        .execute();
  }

  @Override
  public Optional<LeaseRecord> find(String id) {
    if (id == null || id.length() > 47) {
      return Optional.empty();
    }
    return h.createQuery("SELECT * FROM leases WHERE id = :id")
        .bind("id", id)
        .map((rs, ctx) -> map(rs))
        .findFirst();
  }

  @Override
  public boolean handleMatches(String id, String handleSha256) {
    if (id == null || id.length() > 47 || handleSha256 == null) {
      return false;
    }
    return h.createQuery("SELECT handle_hash FROM leases WHERE id = :id")
        .bind("id", id)
        .mapTo(String.class)
        .findFirst()
        .map(
            stored ->
                MessageDigest.isEqual(
                    stored.getBytes(StandardCharsets.US_ASCII),
                    handleSha256.getBytes(StandardCharsets.US_ASCII)))
        .orElse(false);
  }

  @Override
  public List<LeaseRecord> list(boolean activeOnly, Instant now, int limit) {
    int l = Math.max(1, Math.min(1000, limit));
    String where = activeOnly ? " WHERE state = 'active' AND expires_at > :now" : "";
    var q =
        h.createQuery("SELECT * FROM leases" + where + " ORDER BY created_at DESC, id LIMIT " + l);
    if (activeOnly) {
      q.bind("now", Sql.instant(now));
    }
    return q.map((rs, ctx) -> map(rs)).list();
  }

  @Override
  public boolean activate(
      String id, String jti, String tokenSha256, Instant expiresAt, long ttlSeconds) {
    return h.createUpdate(
                "UPDATE leases SET state = 'active', jti = :jti, token_sha256 = :sha, expires_at ="
                    + " :exp, ttl_seconds = :ttl, updated_at = :now WHERE id = :id AND state ="
                    + " 'issuing'")
            .bind("id", id)
            .bind("jti", jti)
            .bind("sha", tokenSha256)
            .bind("exp", Sql.instant(expiresAt))
            .bind("ttl", ttlSeconds)
            .bind("now", Sql.instant(clock.instant()))
            .execute()
        == 1;
  }

  @Override
  public void renewed(
      String id,
      String jti,
      String tokenSha256,
      Instant expiresAt,
      long ttlSeconds,
      List<String> warnings) {
    h.createUpdate(
            "UPDATE leases SET jti = :jti, token_sha256 = :sha, expires_at = :exp, ttl_seconds ="
                + " :ttl, warnings = :w, updated_at = :now WHERE id = :id AND state = 'active'")
        .bind("id", id)
        .bind("jti", jti)
        .bind("sha", tokenSha256)
        .bind("exp", Sql.instant(expiresAt))
        .bind("ttl", ttlSeconds)
        .bind("w", json(warnings == null ? List.of() : warnings))
        .bind("now", Sql.instant(clock.instant()))
        .execute();
  }

  @Override
  public void fail(String id, String reason) {
    h.createUpdate(
            "UPDATE leases SET state = 'failed', failure = :r, updated_at = :now WHERE id = :id"
                + " AND state = 'issuing'")
        .bind("id", id)
        .bind("r", reason == null ? null : truncate(reason, 2000))
        .bind("now", Sql.instant(clock.instant()))
        .execute();
    forgetAnswer(id);
  }

  @Override
  public void revoke(String id, String by, Instant at) {
    h.createUpdate(
            "UPDATE leases SET state = 'revoked', revoked_at = :at, revoked_by = :by, updated_at"
                + " = :now WHERE id = :id AND state IN ('active', 'issuing')")
        .bind("id", id)
        .bind("at", Sql.instant(at))
        .bind("by", truncate(by, 200))
        .bind("now", Sql.instant(clock.instant()))
        .execute();
    forgetAnswer(id);
  }

  @Override
  public void expire(String id, Instant at) {
    h.createUpdate(
            "UPDATE leases SET state = 'expired', updated_at = :now WHERE id = :id AND state ="
                + " 'active'")
        .bind("id", id)
        .bind("now", Sql.instant(at))
        .execute();
    forgetAnswer(id);
  }

  @Override
  public void setSecretPresent(String id, boolean present) {
    h.createUpdate("UPDATE leases SET secret_present = :p, updated_at = :now WHERE id = :id")
        .bind("id", id)
        .bind("p", present)
        .bind("now", Sql.instant(clock.instant()))
        .execute();
  }

  private static final List<String> REAP_BRANCHES =
      List.of(
          "state IN ('revoked', 'failed', 'expired')",
          "state = 'active' AND expires_at <= :now",
          "state = 'issuing' AND created_at < :issuing");

  @Override
  public List<LeaseRecord> claimForReaping(
      Instant now, Instant issuingBefore, Instant claimUntil, int limit) {
    int l = Math.max(1, Math.min(1000, limit));
    String eligible =
        "secret_present = TRUE AND (reap_claim_until IS NULL OR reap_claim_until < :now) AND"
            + " (state IN ('revoked', 'failed', 'expired') OR (state = 'active' AND expires_at"
            + " <= :now) OR (state = 'issuing' AND created_at < :issuing))";
    // One query per kind of over lease, each a range of the index leases_reap (secret_present,
    // state, expires_at), instead of one OR that read every row whose Secret is present.
    record Candidate(String id, Instant expiresAt) {}
    List<Candidate> found = new ArrayList<>();
    for (String over : REAP_BRANCHES) {
      var q =
          h.createQuery(
                  "SELECT id, expires_at FROM leases WHERE secret_present = TRUE AND "
                      + over
                      + " AND (reap_claim_until IS NULL OR reap_claim_until < :now)"
                      + " ORDER BY expires_at LIMIT "
                      + l)
              .bind("now", Sql.instant(now));
      if (over.contains(":issuing")) {
        q.bind("issuing", Sql.instant(issuingBefore));
      }
      found.addAll(
          q.map((rs, ctx) -> new Candidate(rs.getString("id"), Sql.instant(rs, "expires_at")))
              .list());
    }
    List<String> candidates =
        found.stream()
            .sorted(Comparator.comparing(Candidate::expiresAt))
            .limit(l)
            .map(Candidate::id)
            .toList();
    String claim = Crypto.randomId(8);
    List<LeaseRecord> claimed = new ArrayList<>();
    for (String id : candidates) {
      int n =
          h.createUpdate(
                  "UPDATE leases SET reap_claim = :c, reap_claim_until = :until WHERE id = :id AND "
                      + eligible)
              .bind("c", claim)
              .bind("until", Sql.instant(claimUntil))
              .bind("id", id)
              .bind("now", Sql.instant(now))
              .bind("issuing", Sql.instant(issuingBefore))
              .execute();
      if (n == 1) {
        find(id).ifPresent(claimed::add);
      }
    }
    return claimed;
  }

  @Override
  public void releaseClaim(String id) {
    h.createUpdate("UPDATE leases SET reap_claim = NULL, reap_claim_until = NULL WHERE id = :id")
        .bind("id", id)
        .execute();
  }

  private LeaseRecord map(ResultSet rs) throws SQLException {
    String pid = rs.getString("pipeline_identity");
    return new LeaseRecord(
        rs.getString("id"),
        rs.getString("connection_id"),
        rs.getString("connection_name"),
        rs.getString("credential"),
        State.fromWire(rs.getString("state")),
        rs.getString("namespace"),
        rs.getString("home_namespace"),
        rs.getString("deployer"),
        parse(rs.getString("target"), MAP),
        parse(rs.getString("task"), MAP),
        rs.getString("principal"),
        pid == null ? null : parse(pid, MAP),
        rs.getLong("ttl_seconds"),
        parse(rs.getString("warnings"), STRINGS),
        rs.getString("jti"),
        rs.getString("token_sha256"),
        rs.getString("failure"),
        Sql.instant(rs, "created_at"),
        Sql.instant(rs, "updated_at"),
        Sql.instant(rs, "expires_at"),
        Sql.instant(rs, "max_expires_at"),
        Sql.instant(rs, "revoked_at"),
        rs.getString("revoked_by"),
        rs.getBoolean("secret_present"));
  }

  private static String truncate(String s, int max) {
    return s == null || s.length() <= max ? s : s.substring(0, max);
  }

  private static String json(Object value) {
    try {
      return JSON.writeValueAsString(value == null ? Map.of() : value);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not serialisable as JSON", e);
    }
  }

  private static <T> T parse(String text, TypeReference<T> type) {
    try {
      return JSON.readValue(text, type);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("stored JSON is unreadable", e);
    }
  }
}
