package io.sightline.server.leases;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.sightline.core.AuditEvent;
import io.sightline.core.SightlineException;
import io.sightline.store.Store;
import java.util.Map;
import java.util.TreeMap;

/**
 * What every lease request goes through before a connection kind takes over: validation of the
 * fields all targets share, the hash that ties an Idempotency-Key to its request, and the audit
 * record of a refusal. {@link LeaseService} and {@link AzureLeases} both call it, so a kubernetes
 * target and an azurerm target answer the same way.
 */
final class LeaseRequests {
  private static final ObjectMapper CANONICAL =
      new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

  private LeaseRequests() {}

  /** Refuses a non-positive {@code ttlSeconds} and an empty or over-long Idempotency-Key. */
  static void checkTtlAndIdempotencyKey(Long ttlSeconds, String idempotencyKey) {
    if (ttlSeconds != null && ttlSeconds <= 0) {
      throw SightlineException.badRequest(
          "INVALID_TTL", "ttlSeconds", "ttlSeconds must be a positive number of seconds");
    }
    if (idempotencyKey != null && (idempotencyKey.isBlank() || idempotencyKey.length() > 200)) {
      throw SightlineException.badRequest(
          "INVALID_IDEMPOTENCY_KEY",
          "Idempotency-Key",
          "the Idempotency-Key header must be 1 to 200 characters (e.g. a UUID per task attempt)");
    }
  }

  /** The SHA-256 of the request's canonical JSON: a retry with the same key must match it. */
  static String requestHash(LeaseTarget target, Long ttl, Map<String, Object> task) {
    Map<String, Object> m = new TreeMap<>();
    m.put("target", target.toMap());
    m.put("ttlSeconds", ttl);
    m.put("task", task);
    try {
      return LeaseHandles.sha256(CANONICAL.writeValueAsString(m));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Audits a lease request that got no lease, on the connection it named ({@code lease.refused} /
   * {@code denied} for a policy refusal, {@code lease.failed} / {@code failure} otherwise).
   */
  static void auditRefusal(
      Store store,
      String action,
      String outcome,
      Caller caller,
      String connection,
      String requestId,
      String reason,
      LeaseTarget target,
      Map<String, Object> task) {
    store.transact(
        tx ->
            tx.audit()
                .append(
                    new AuditEvent(
                        action,
                        caller.name(),
                        "connection/" + connection,
                        outcome,
                        requestId,
                        Map.of("reason", reason, "target", target.toMap(), "task", task))));
  }
}
