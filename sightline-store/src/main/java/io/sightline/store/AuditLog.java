package io.sightline.store;

import io.sightline.core.AuditEvent;
import io.sightline.core.SightlineException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The append-only audit log. Each record holds an HMAC (under the audit key, wrapped by the master
 * key, with a key id) over the previous record's link and its own canonical content, so a database
 * writer without the key cannot re-forge the chain. Appends serialize on a chain-head row lock held
 * until the caller's transaction ends: keep those transactions short.
 */
public interface AuditLog {

  record AuditRecord(
      long seq,
      Instant at,
      String action,
      String actor,
      String target,
      String outcome,
      String requestId,
      Map<String, Object> details,
      String keyId,
      String link) {}

  /**
   * Filters for listing; null fields do not filter ({@code since} inclusive, {@code until}
   * exclusive). Results are newest first; {@code beforeSeq} is the paging cursor ({@link
   * Page#nextBeforeSeq()} of the previous page). {@code limit} is clamped to 1..1000.
   */
  record Query(
      String action,
      String actor,
      String target,
      String outcome,
      Instant since,
      Instant until,
      Long beforeSeq,
      int limit) {
    public static Query newest(int limit) {
      return new Query(null, null, null, null, null, null, null, limit);
    }
  }

  /** One page; {@code nextBeforeSeq} is null on the last page. */
  record Page(List<AuditRecord> records, Long nextBeforeSeq) {}

  /**
   * The outcome of verifying the whole chain. {@code firstBrokenSeq} names the first record whose
   * link does not verify (or that is missing); {@code missingTail} says records up to a signed
   * checkpoint (stored, or supplied from outside the database) are gone.
   */
  record Verification(
      boolean ok, long checked, Long firstBrokenSeq, boolean missingTail, String message) {}

  /**
   * A signed statement of the chain head, also written outside the database. {@link #toLine()} is
   * its one-line text form for a log line or file; {@link #parse(String)} reads it back.
   */
  record Checkpoint(long seq, String link, Instant at, String keyId, String signature) {
    private static final String PREFIX = "sightline-audit-checkpoint/v1";

    /**
     * E.g. {@code sightline-audit-checkpoint/v1 seq=42 at=2026-11-29T12:00:00Z key=… link=… sig=…}.
     */
    public String toLine() {
      return PREFIX + " seq=" + seq + " at=" + at + " key=" + keyId + " link=" + link + " sig="
          + signature;
    }

    /**
     * Parses {@link #toLine()}'s form (surrounding text on the line, e.g. a log prefix, is
     * ignored).
     *
     * @throws SightlineException 400 {@code INVALID_CHECKPOINT} naming what is wrong
     */
    public static Checkpoint parse(String line) {
      int start = line == null ? -1 : line.indexOf(PREFIX);
      if (start < 0) {
        throw invalid("it must contain \"" + PREFIX + " seq=… at=… key=… link=… sig=…\"");
      }
      Map<String, String> fields = new LinkedHashMap<>();
      for (String part : line.substring(start + PREFIX.length()).trim().split("\\s+")) {
        int eq = part.indexOf('=');
        if (eq > 0) {
          fields.putIfAbsent(part.substring(0, eq), part.substring(eq + 1));
        }
      }
      for (String f : List.of("seq", "at", "key", "link", "sig")) {
        if (!fields.containsKey(f) || fields.get(f).isEmpty()) {
          throw invalid("the field " + f + "= is missing");
        }
      }
      try {
        return new Checkpoint(
            Long.parseLong(fields.get("seq")),
            fields.get("link"),
            Instant.parse(fields.get("at")),
            fields.get("key"),
            fields.get("sig"));
      } catch (NumberFormatException | DateTimeParseException e) {
        throw invalid("seq must be a number and at an ISO-8601 instant");
      }
    }

    private static SightlineException invalid(String why) {
      return SightlineException.badRequest(
          "INVALID_CHECKPOINT", "checkpoint", "the audit checkpoint cannot be read: " + why);
    }
  }

  /**
   * Appends a record in the caller's transaction.
   *
   * @throws SightlineException 400 {@code AUDIT_RECORD_INVALID} when a field is too long or the
   *     details are not plain values (strings, numbers, booleans, lists, maps)
   */
  AuditRecord append(AuditEvent event);

  Page list(Query query);

  /** Verifies the chain against itself and the newest stored checkpoint. */
  default Verification verify() {
    return verify(Optional.empty());
  }

  /**
   * Verifies the chain; {@code external} is the newest checkpoint the caller kept outside the
   * database (log, file), which detects a cut-off tail even when the stored checkpoints were
   * deleted with it. An external checkpoint whose signature does not verify fails verification.
   */
  Verification verify(Optional<Checkpoint> external);

  /** Stores a signed checkpoint of the current head and returns it (for the log, a file). */
  Checkpoint checkpoint();

  /** The newest stored checkpoint, if any (not verified here; {@link #verify} does that). */
  Optional<Checkpoint> latestCheckpoint();
}
