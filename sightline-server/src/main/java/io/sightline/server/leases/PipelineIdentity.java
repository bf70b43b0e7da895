package io.sightline.server.leases;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A CI pipeline proven by an OIDC ID token from a trusted issuer (GitHub Actions, GitLab, Azure
 * Pipelines, …). Not wired yet: trust configuration ({@code POST /api/v1/trust}) and connection
 * {@code pipelinePermissions} come next; {@link Caller#pipeline} is where it plugs in.
 *
 * @param issuer the token's {@code iss}
 * @param subject the token's {@code sub}
 * @param claims the mapped pipeline claims (repository, ref, workflow, …), never the token
 */
public record PipelineIdentity(String issuer, String subject, Map<String, Object> claims) {
  public PipelineIdentity {
    Objects.requireNonNull(issuer, "issuer");
    Objects.requireNonNull(subject, "subject");
    claims = claims == null ? Map.of() : Map.copyOf(claims);
  }

  /** The name used as the lease's principal: {@code issuer#subject}. */
  public String name() {
    return issuer + "#" + subject;
  }

  /** What the lease row and audit records keep. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("issuer", issuer);
    m.put("subject", subject);
    m.put("claims", claims);
    return m;
  }
}
