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
 */
public record Caller(String name, PipelineIdentity pipeline, String handleOf) {
  public Caller {
    Objects.requireNonNull(name, "name");
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
