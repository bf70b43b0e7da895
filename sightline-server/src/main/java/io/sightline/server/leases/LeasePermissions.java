package io.sightline.server.leases;

import io.sightline.core.AuditEvent;
import io.sightline.core.SightlineException;
import io.sightline.server.trust.IdentityPattern;
import io.sightline.store.Connections.ConnectionRecord;
import io.sightline.store.Store;
import io.sightline.store.Trust.PipelinePermissions;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Who may lease through a connection. API tokens go by role (the route already required {@code
 * user}); pipeline identities need the connection's {@code pipelinePermissions} to allow them:
 * {@code allPipelines}, or a pattern matching their identity ({@link IdentityPattern}). A
 * connection without permissions admits no pipeline. A refusal is audited ({@code lease.refused})
 * and answered 403 {@code PIPELINE_NOT_PERMITTED} naming the connection and the identity.
 */
public final class LeasePermissions {
  private LeasePermissions() {}

  /** True when {@code identity} may use a connection with {@code permissions}. */
  public static boolean allows(PipelinePermissions permissions, String identity) {
    if (permissions.allPipelines()) {
      return true;
    }
    return permissions.patterns().stream().anyMatch(p -> IdentityPattern.glob(p).matches(identity));
  }

  /**
   * Checks that {@code caller} may lease through {@code connection}.
   *
   * @throws SightlineException 403 {@code PIPELINE_NOT_PERMITTED}
   */
  public static void check(
      Store store,
      Caller caller,
      ConnectionRecord connection,
      Map<String, Object> target,
      Map<String, Object> task,
      String requestId) {
    PipelineIdentity p = caller.pipeline();
    if (p == null) {
      return;
    }
    PipelinePermissions perms = store.transact(tx -> tx.trust().permissions(connection.id()));
    if (allows(perms, p.identity())) {
      return;
    }
    store.transact(
        tx -> {
          Map<String, Object> d = new LinkedHashMap<>();
          d.put("reason", "PIPELINE_NOT_PERMITTED");
          d.put("pipelineIdentity", p.toMap());
          d.put("target", target);
          d.put("task", task);
          tx.audit()
              .append(
                  new AuditEvent(
                      "lease.refused",
                      caller.name(),
                      "connection/" + connection.name(),
                      "denied",
                      requestId,
                      d));
          return null;
        });
    throw SightlineException.forbidden(
        "PIPELINE_NOT_PERMITTED",
        "pipeline "
            + p.identity()
            + " may not use connection "
            + connection.name()
            + ": someone with role creator can allow it with `sightline connection permit "
            + connection.name()
            + " --pipeline '"
            + p.identity()
            + "'` (PATCH /api/v1/connections/"
            + connection.name()
            + "/pipeline-permissions)");
  }
}
