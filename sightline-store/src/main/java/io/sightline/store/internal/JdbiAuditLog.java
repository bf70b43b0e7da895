package io.sightline.store.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.sightline.core.AuditEvent;
import io.sightline.core.SightlineException;
import io.sightline.store.AuditLog;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.StatementContext;

/**
 * The chained audit log.
 *
 * <p>{@code link(n) = HMAC-SHA256(auditKey, link(n-1) || "\n" || canonical(n))}, with {@code
 * link(0)} = 64 zeros and {@code canonical(n)} the JSON array {@code ["sightline-audit/v1", seq,
 * at, action, actor, target, outcome, requestId, details, keyId]} where {@code details} is the
 * stored JSON text with keys sorted. Verification recomputes links from the stored columns, so
 * changing any of them (or deleting a record in the middle) breaks the chain at that record.
 *
 * <p>Checkpoints are signed with a key derived from the audit key ({@code HMAC(auditKey,
 * "sightline/audit-checkpoint-key/v1")}) over {@code seq|link|at|keyId}.
 */
final class JdbiAuditLog implements AuditLog {
  static final String GENESIS = "0".repeat(64);
  private static final int MAX_DETAILS = 16384;
  private static final int BATCH = 1000;
  private static final ObjectMapper JSON =
      new ObjectMapper()
          .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true)
          .configure(SerializationFeature.FAIL_ON_EMPTY_BEANS, true);

  private final Handle h;
  private final Keyring keyring;
  private final Clock clock;

  JdbiAuditLog(Handle h, Keyring keyring, Clock clock) {
    this.h = h;
    this.keyring = keyring;
    this.clock = clock;
  }

  /** Checks {@code event} as {@link #append} does, without writing it. */
  static void validate(AuditEvent event) {
    field(event.action(), "action", 100, true);
    field(event.actor(), "actor", 200, true);
    field(event.target(), "target", 400, false);
    field(event.outcome(), "outcome", 20, true);
    field(event.requestId(), "requestId", 100, false);
    detailsJson(event.details());
  }

  @Override
  public AuditRecord append(AuditEvent event) {
    String action = field(event.action(), "action", 100, true);
    String actor = field(event.actor(), "actor", 200, true);
    String target = field(event.target(), "target", 400, false);
    String outcome = field(event.outcome(), "outcome", 20, true);
    String requestId = field(event.requestId(), "requestId", 100, false);
    String details = detailsJson(event.details());

    Head head =
        h.createQuery("SELECT seq, link FROM audit_head WHERE id = 1 FOR UPDATE")
            .map((rs, ctx) -> new Head(rs.getLong("seq"), rs.getString("link")))
            .one();
    long seq = head.seq() + 1;
    Instant at = Sql.millis(clock.instant());
    String keyId = keyring.activeAuditKeyId();
    byte[] key = keyring.auditKey(keyId).orElseThrow();
    String link =
        link(key, head.link(), seq, at, action, actor, target, outcome, requestId, details, keyId);
    h.createUpdate(
            "INSERT INTO audit_log (seq, occurred_at, action, actor, target, outcome, request_id,"
                + " details, key_id, link) VALUES (:seq, :at, :action, :actor, :target, :outcome,"
                + " :requestId, :details, :keyId, :link)")
        .bind("seq", seq)
        .bind("at", Sql.instant(at))
        .bind("action", action)
        .bind("actor", actor)
        .bind("target", target)
        .bind("outcome", outcome)
        .bind("requestId", requestId)
        .bind("details", details)
        .bind("keyId", keyId)
        .bind("link", link)
        .execute();
    h.createUpdate("UPDATE audit_head SET seq = :seq, link = :link WHERE id = 1")
        .bind("seq", seq)
        .bind("link", link)
        .execute();
    return new AuditRecord(
        seq, at, action, actor, target, outcome, requestId, parse(details), keyId, link);
  }

  @Override
  public Page list(AuditLog.Query q) {
    int limit = Math.max(1, Math.min(1000, q.limit()));
    StringBuilder sql = new StringBuilder("SELECT * FROM audit_log WHERE 1 = 1");
    if (q.action() != null) {
      sql.append(" AND action = :action");
    }
    if (q.actor() != null) {
      sql.append(" AND actor = :actor");
    }
    if (q.target() != null) {
      sql.append(" AND target = :target");
    }
    if (q.outcome() != null) {
      sql.append(" AND outcome = :outcome");
    }
    if (q.since() != null) {
      sql.append(" AND occurred_at >= :since");
    }
    if (q.until() != null) {
      sql.append(" AND occurred_at < :until");
    }
    if (q.beforeSeq() != null) {
      sql.append(" AND seq < :beforeSeq");
    }
    sql.append(" ORDER BY seq DESC LIMIT ").append(limit + 1);
    org.jdbi.v3.core.statement.Query query = h.createQuery(sql.toString());
    if (q.action() != null) {
      query.bind("action", q.action());
    }
    if (q.actor() != null) {
      query.bind("actor", q.actor());
    }
    if (q.target() != null) {
      query.bind("target", q.target());
    }
    if (q.outcome() != null) {
      query.bind("outcome", q.outcome());
    }
    if (q.since() != null) {
      query.bind("since", Sql.instant(q.since()));
    }
    if (q.until() != null) {
      query.bind("until", Sql.instant(q.until()));
    }
    if (q.beforeSeq() != null) {
      query.bind("beforeSeq", q.beforeSeq());
    }
    List<AuditRecord> rows = query.map(this::map).list();
    if (rows.size() > limit) {
      List<AuditRecord> page = List.copyOf(rows.subList(0, limit));
      return new Page(page, page.get(page.size() - 1).seq());
    }
    return new Page(List.copyOf(rows), null);
  }

  @Override
  public Verification verify(Optional<Checkpoint> external) {
    Optional<Checkpoint> stored = latestCheckpoint();
    // Checkpoint signatures first: an unsigned claim proves nothing.
    for (var cp : List.of(stored, external)) {
      if (cp.isPresent() && !signatureValid(cp.get())) {
        String which = cp == stored ? "the newest stored checkpoint" : "the external checkpoint";
        return new Verification(
            false,
            0,
            null,
            false,
            which
                + " (seq "
                + cp.get().seq()
                + ") has an invalid signature: it was altered, or comes from another server");
      }
    }
    long storedSeq = stored.map(Checkpoint::seq).orElse(-1L);
    long externalSeq = external.map(Checkpoint::seq).orElse(-1L);
    String storedLinkSeen = null;
    String externalLinkSeen = null;

    long expected = 1;
    String prev = GENESIS;
    long checked = 0;
    while (true) {
      List<Row> batch =
          h.createQuery(
                  "SELECT seq, occurred_at, action, actor, target, outcome, request_id, details,"
                      + " key_id, link FROM audit_log WHERE seq >= :from ORDER BY seq LIMIT "
                      + BATCH)
              .bind("from", expected)
              .map(JdbiAuditLog::row)
              .list();
      if (batch.isEmpty()) {
        break;
      }
      for (Row r : batch) {
        if (r.seq != expected) {
          return broken(checked, expected, "record " + expected + " is missing (deleted)");
        }
        Optional<byte[]> key = keyring.auditKey(r.keyId);
        if (key.isEmpty()) {
          return broken(
              checked, r.seq, "record " + r.seq + " names an unknown audit key " + r.keyId);
        }
        String want =
            link(
                key.get(),
                prev,
                r.seq,
                r.at,
                r.action,
                r.actor,
                r.target,
                r.outcome,
                r.requestId,
                r.details,
                r.keyId);
        if (!Crypto.constantTimeEquals(want, r.link)) {
          return broken(
              checked,
              r.seq,
              "record " + r.seq + " does not verify: it was changed, or written without the key");
        }
        if (r.seq == storedSeq) {
          storedLinkSeen = r.link;
        }
        if (r.seq == externalSeq) {
          externalLinkSeen = r.link;
        }
        prev = r.link;
        checked++;
        expected++;
      }
    }
    long last = expected - 1;
    String lastLink = prev;

    Optional<Verification> tail =
        against(stored, storedLinkSeen, last, checked, "the newest stored checkpoint");
    if (tail.isEmpty()) {
      tail = against(external, externalLinkSeen, last, checked, "the external checkpoint");
    }
    if (tail.isPresent()) {
      return tail.get();
    }
    Head head =
        h.createQuery("SELECT seq, link FROM audit_head WHERE id = 1")
            .map((rs, ctx) -> new Head(rs.getLong("seq"), rs.getString("link")))
            .one();
    if (head.seq() > last) {
      return new Verification(
          false,
          checked,
          null,
          true,
          "records "
              + (last + 1)
              + " to "
              + head.seq()
              + " are missing: the chain head names record "
              + head.seq()
              + " but the log ends at "
              + last);
    }
    if (head.seq() != last || !head.link().equals(lastLink)) {
      return broken(
          checked,
          Math.min(head.seq() + 1, last),
          "the chain head (seq " + head.seq() + ") does not match the newest record " + last);
    }
    String basis =
        external.isPresent()
            ? "; it includes the external checkpoint at seq " + externalSeq
            : stored.map(c -> "; it includes the stored checkpoint at seq " + c.seq()).orElse("");
    return new Verification(
        true, checked, null, false, "the audit chain verifies: " + checked + " records" + basis);
  }

  private static Optional<Verification> against(
      Optional<Checkpoint> cp, String linkSeen, long last, long checked, String which) {
    if (cp.isEmpty()) {
      return Optional.empty();
    }
    Checkpoint c = cp.get();
    if (c.seq() > last) {
      return Optional.of(
          new Verification(
              false,
              checked,
              null,
              true,
              "records "
                  + (last + 1)
                  + " to "
                  + c.seq()
                  + " are missing: "
                  + which
                  + " names record "
                  + c.seq()
                  + " but the log ends at "
                  + last));
    }
    String expected = c.seq() == 0 ? GENESIS : linkSeen;
    if (!c.link().equals(expected)) {
      return Optional.of(
          broken(
              checked,
              c.seq(),
              "record " + c.seq() + " differs from " + which + ": the history was rewritten"));
    }
    return Optional.empty();
  }

  private static Verification broken(long checked, long seq, String message) {
    return new Verification(false, checked, seq, false, message);
  }

  @Override
  public Checkpoint checkpoint() {
    Head head =
        h.createQuery("SELECT seq, link FROM audit_head WHERE id = 1")
            .map((rs, ctx) -> new Head(rs.getLong("seq"), rs.getString("link")))
            .one();
    String keyId = keyring.activeAuditKeyId();
    Instant at = Sql.millis(clock.instant());
    Checkpoint cp =
        new Checkpoint(
            head.seq(),
            head.link(),
            at,
            keyId,
            sign(keyring.auditKey(keyId).orElseThrow(), head.seq(), head.link(), at, keyId));
    h.createUpdate(
            "INSERT INTO audit_checkpoints (id, seq, link, checkpoint_at, key_id, signature)"
                + " VALUES (:id, :seq, :link, :at, :keyId, :sig)")
        .bind("id", Crypto.randomId(16))
        .bind("seq", cp.seq())
        .bind("link", cp.link())
        .bind("at", Sql.instant(cp.at()))
        .bind("keyId", cp.keyId())
        .bind("sig", cp.signature())
        .execute();
    return cp;
  }

  @Override
  public Optional<Checkpoint> latestCheckpoint() {
    return h.createQuery(
            "SELECT seq, link, checkpoint_at, key_id, signature FROM audit_checkpoints"
                + " ORDER BY seq DESC, checkpoint_at DESC LIMIT 1")
        .map(
            (rs, ctx) ->
                new Checkpoint(
                    rs.getLong("seq"),
                    rs.getString("link"),
                    Sql.instant(rs, "checkpoint_at"),
                    rs.getString("key_id"),
                    rs.getString("signature")))
        .findOne();
  }

  private boolean signatureValid(Checkpoint cp) {
    return keyring
        .auditKey(cp.keyId())
        .map(
            k ->
                Crypto.constantTimeEquals(
                    sign(k, cp.seq(), cp.link(), Sql.millis(cp.at()), cp.keyId()), cp.signature()))
        .orElse(false);
  }

  static String sign(byte[] auditKey, long seq, String link, Instant at, String keyId) {
    byte[] cpKey =
        Crypto.hmac(
            auditKey,
            "sightline/audit-checkpoint-key/v1".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    return Crypto.hmacHex(
        cpKey, "sightline-audit-checkpoint/v1|" + seq + "|" + link + "|" + at + "|" + keyId);
  }

  static String link(
      byte[] key,
      String prev,
      long seq,
      Instant at,
      String action,
      String actor,
      String target,
      String outcome,
      String requestId,
      String details,
      String keyId) {
    String canonical;
    try {
      canonical =
          JSON.writeValueAsString(
              Arrays.asList(
                  "sightline-audit/v1",
                  seq,
                  at.toString(),
                  action,
                  actor,
                  target,
                  outcome,
                  requestId,
                  details,
                  keyId));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    return Crypto.hmacHex(key, prev + "\n" + canonical);
  }

  private AuditRecord map(ResultSet rs, StatementContext ctx) throws SQLException {
    Row r = row(rs, ctx);
    return new AuditRecord(
        r.seq,
        r.at,
        r.action,
        r.actor,
        r.target,
        r.outcome,
        r.requestId,
        parse(r.details),
        r.keyId,
        r.link);
  }

  private static Row row(ResultSet rs, StatementContext ctx) throws SQLException {
    return new Row(
        rs.getLong("seq"),
        Sql.instant(rs, "occurred_at"),
        rs.getString("action"),
        rs.getString("actor"),
        rs.getString("target"),
        rs.getString("outcome"),
        rs.getString("request_id"),
        rs.getString("details"),
        rs.getString("key_id"),
        rs.getString("link"));
  }

  private static Map<String, Object> parse(String details) {
    try {
      return JSON.readValue(details, new TypeReference<java.util.TreeMap<String, Object>>() {});
    } catch (JsonProcessingException e) {
      return Map.of("unparseable", true);
    }
  }

  private static String detailsJson(Map<String, Object> details) {
    plain(details, "details");
    String json;
    try {
      json = JSON.writeValueAsString(details == null ? Map.of() : details);
    } catch (JsonProcessingException e) {
      throw invalid("details", "details must hold plain values");
    }
    if (json.length() > MAX_DETAILS) {
      throw invalid("details", "details must serialise to at most " + MAX_DETAILS + " characters");
    }
    return json;
  }

  private static void plain(Object v, String path) {
    if (v == null || v instanceof String || v instanceof Number || v instanceof Boolean) {
      return;
    }
    if (v instanceof Map<?, ?> m) {
      for (Map.Entry<?, ?> e : m.entrySet()) {
        if (!(e.getKey() instanceof String)) {
          throw invalid(path, path + " keys must be strings");
        }
        plain(e.getValue(), path + "." + e.getKey());
      }
      return;
    }
    if (v instanceof Collection<?> c) {
      for (Object o : c) {
        plain(o, path + "[]");
      }
      return;
    }
    throw invalid(
        path,
        path
            + " must be a string, number, boolean, list or map (got "
            + v.getClass().getSimpleName()
            + ")");
  }

  private static String field(String value, String name, int max, boolean required) {
    if (value == null) {
      if (required) {
        throw invalid(name, name + " is required");
      }
      return null;
    }
    if (value.length() > max) {
      throw invalid(name, name + " must be at most " + max + " characters");
    }
    return value;
  }

  private static SightlineException invalid(String field, String detail) {
    return SightlineException.badRequest("AUDIT_RECORD_INVALID", field, detail);
  }

  private record Head(long seq, String link) {}

  private record Row(
      long seq,
      Instant at,
      String action,
      String actor,
      String target,
      String outcome,
      String requestId,
      String details,
      String keyId,
      String link) {}
}
