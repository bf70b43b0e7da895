package io.sightline.server.leases;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A CI pipeline proven by an OIDC ID token from a trusted issuer (GitHub Actions, GitLab, Azure
 * Pipelines, …): see {@code io.sightline.server.trust}. Never holds the token.
 *
 * @param trust the name of the trusted issuer entry that accepted the token
 * @param issuer the token's {@code iss}
 * @param subject the token's {@code sub}
 * @param identity the mapped pipeline identity that permissions match, e.g. {@code
 *     github:org/app@refs/heads/main} (see docs/trust.md)
 * @param claims the recorded pipeline claims (repository, ref, workflow, run, …)
 */
public record PipelineIdentity(
    String trust, String issuer, String subject, String identity, Map<String, Object> claims) {
  /** The lease table's principal column holds at most this many characters. */
  static final int MAX_NAME = 200;

  public PipelineIdentity {
    Objects.requireNonNull(trust, "trust");
    Objects.requireNonNull(issuer, "issuer");
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(identity, "identity");
    claims = claims == null ? Map.of() : Map.copyOf(claims);
  }

  /**
   * The name used as the lease's principal and audit actor: the mapped identity, shortened with a
   * hash suffix when longer than the principal column.
   */
  public String name() {
    if (identity.length() <= MAX_NAME) {
      return identity;
    }
    try {
      byte[] h =
          MessageDigest.getInstance("SHA-256").digest(identity.getBytes(StandardCharsets.UTF_8));
      return identity.substring(0, MAX_NAME - 17) + "~" + HexFormat.of().formatHex(h, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** What the lease row and audit records keep. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("trust", trust);
    m.put("issuer", issuer);
    m.put("subject", subject);
    m.put("identity", identity);
    m.put("claims", new java.util.TreeMap<>(claims));
    return m;
  }
}
