package io.sightline.store;

import io.sightline.core.AuditEvent;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The append-only audit log. Each record holds an HMAC (under the audit key, wrapped by the master
 * key, with a key id) over the previous record's link and its own canonical content, so a database
 * writer without the key cannot re-forge the chain. Appends serialize on a chain-head row lock.
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

  /** Filters for listing; null fields do not filter. Results are newest first. */
  record Query(
      String action,
      String actor,
      String target,
      String outcome,
      Instant since,
      Instant until,
      Long beforeSeq,
      int limit) {}

  record Page(List<AuditRecord> records, Long nextBeforeSeq) {}

  /**
   * The outcome of verifying the whole chain. {@code firstBrokenSeq} names the first record whose
   * link does not verify; {@code missingTail} says records after the newest signed checkpoint are
   * gone.
   */
  record Verification(
      boolean ok, long checked, Long firstBrokenSeq, boolean missingTail, String message) {}

  /** A signed statement of the chain head, also written outside the database. */
  record Checkpoint(long seq, String link, Instant at, String keyId, String signature) {}

  AuditRecord append(AuditEvent event);

  Page list(Query query);

  Verification verify();

  /** Stores a signed checkpoint of the current head and returns it (for the log, a file). */
  Checkpoint checkpoint();
}
