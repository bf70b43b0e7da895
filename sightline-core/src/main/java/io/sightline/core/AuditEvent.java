package io.sightline.core;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A domain event for the audit log: who did what to which target, with what outcome. Written to the
 * store in the same transaction as the change it records. {@code details} hold plain values
 * (strings, numbers, booleans, lists, maps): never a secret; tokens only as their {@code jti} or a
 * hash.
 *
 * @param action dotted verb, e.g. {@code token.create}, {@code connection.verify}, {@code
 *     lease.issue}
 * @param actor principal or pipeline identity that caused it ({@code system} for the server)
 * @param target what it acted on, e.g. {@code token/3f2a…}, {@code connection/prod}
 * @param outcome {@code success}, {@code failure} or {@code denied}
 */
public record AuditEvent(
    String action,
    String actor,
    String target,
    String outcome,
    String requestId,
    Map<String, Object> details) {
  public AuditEvent {
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(actor, "actor");
    Objects.requireNonNull(outcome, "outcome");
    details = details == null ? Map.of() : new TreeMap<>(details);
  }

  public static AuditEvent success(String action, String actor, String target) {
    return new AuditEvent(action, actor, target, "success", null, Map.of());
  }

  public AuditEvent withDetails(Map<String, Object> more) {
    TreeMap<String, Object> merged = new TreeMap<>(details);
    merged.putAll(more);
    return new AuditEvent(action, actor, target, outcome, requestId, merged);
  }

  public AuditEvent withRequestId(String id) {
    return new AuditEvent(action, actor, target, outcome, id, details);
  }
}
