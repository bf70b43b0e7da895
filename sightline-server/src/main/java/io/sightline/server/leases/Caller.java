package io.sightline.server.leases;

import io.sightline.core.Principal;
import java.util.Objects;

/**
 * Who asks for or acts on a lease: a Sightline API token's principal, a pipeline identity (a CI's
 * OIDC ID token verified by {@code io.sightline.server.trust.IdTokenVerifier}), or the lease's own
 * handle.
 *
 * @param name the principal name recorded as the lease's principal and the audit actor
 * @param pipeline the pipeline identity, or null for API tokens and handles
 * @param handleOf the lease id whose handle authenticated this call, or null
 * @param deployment for a lease claimed by an environment's deployment (its one-shot claim handle):
 *     the deployment's id, environment, resource and approvers, written into the lease's audit
 *     records; null otherwise
 */
public record Caller(
    String name,
    PipelineIdentity pipeline,
    String handleOf,
    java.util.Map<String, Object> deployment) {
  public Caller {
    Objects.requireNonNull(name, "name");
    deployment = deployment == null ? null : java.util.Map.copyOf(deployment);
  }

  public Caller(String name, PipelineIdentity pipeline, String handleOf) {
    this(name, pipeline, handleOf, null);
  }

  /**
   * The requester of an environment's deployment, claiming its lease: {@code name} and {@code
   * pipeline} are the requester's (the ID token may have expired since), {@code deployment} what
   * the lease's audit records carry.
   */
  public static Caller deployment(
      String name, PipelineIdentity pipeline, java.util.Map<String, Object> deployment) {
    return new Caller(name, pipeline, null, Objects.requireNonNull(deployment, "deployment"));
  }

  public static Caller apiToken(Principal p) {
    return new Caller(p.name(), null, null);
  }

  public static Caller pipeline(PipelineIdentity identity) {
    return new Caller(identity.name(), identity, null);
  }

  public static Caller handle(String leaseId) {
    return new Caller(LeaseHandles.PRINCIPAL_PREFIX + leaseId, null, leaseId);
  }

  /** True when this call authenticated with a lease handle (it may act on that lease only). */
  public boolean isHandle() {
    return handleOf != null;
  }
}
