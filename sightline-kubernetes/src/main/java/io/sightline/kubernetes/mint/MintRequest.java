package io.sightline.kubernetes.mint;

import io.sightline.core.SightlineException;
import io.sightline.kubernetes.provision.ProvisionNames;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One lease's token: for which deployer, bound to which lease Secret, for how long.
 *
 * @param leaseId the lease's id: lowercase letters, digits and '-' (at most 47, so that {@code
 *     sightline-lease-<id>} is a valid label value too); it names the bound Secret {@code
 *     sightline-lease-<id>}
 * @param homeNamespace the connection's home namespace (where the deployer and the Secret live)
 * @param deployer the deployer ServiceAccount's name (see {@link ProvisionNames#deployer})
 * @param ttl the token's lifetime; at least 10 minutes (Kubernetes' minimum for TokenRequest)
 * @param audiences the token's audiences; empty: the API server's own
 * @param expiresAt the lease's expiry written to the Secret's {@code sightline.io/expires} label
 *     for the reaper; null: now + ttl
 */
public record MintRequest(
    String leaseId,
    String homeNamespace,
    String deployer,
    Duration ttl,
    List<String> audiences,
    Instant expiresAt) {

  /** Kubernetes refuses TokenRequests for less than 10 minutes. */
  public static final Duration MIN_TTL = Duration.ofSeconds(600);

  /** Longest lease id: {@code sightline-lease-} plus the id stays within 63 characters. */
  public static final int MAX_LEASE_ID = 63 - ProvisionNames.LEASE_SECRET_PREFIX.length();

  private static final Pattern ID = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");

  public MintRequest {
    if (leaseId == null || leaseId.length() > MAX_LEASE_ID || !ID.matcher(leaseId).matches()) {
      throw SightlineException.badRequest(
          "INVALID_LEASE_ID",
          "leaseId",
          "a lease id must be lowercase letters, digits and '-' (at most "
              + MAX_LEASE_ID
              + "), so that it can name the Secret sightline-lease-<id>");
    }
    if (!ProvisionNames.isDnsLabel(homeNamespace)) {
      throw SightlineException.badRequest(
          "INVALID_NAMESPACE", "homeNamespace", "homeNamespace must be a namespace name");
    }
    if (!ProvisionNames.isDnsLabel(deployer)) {
      throw SightlineException.badRequest(
          "INVALID_DEPLOYER", "deployer", "deployer must be a ServiceAccount name");
    }
    Objects.requireNonNull(ttl, "ttl");
    if (ttl.compareTo(MIN_TTL) < 0) {
      throw SightlineException.badRequest(
          "TTL_TOO_SHORT",
          "ttlSeconds",
          "ttlSeconds is "
              + ttl.toSeconds()
              + " but Kubernetes issues service-account tokens for at least 600 seconds (10"
              + " minutes); ask for 600 or more");
    }
    audiences = audiences == null ? List.of() : List.copyOf(audiences);
  }

  /** A request with the API server's audiences, expiring at now + ttl. */
  public static MintRequest of(
      String leaseId, String homeNamespace, String deployer, Duration ttl) {
    return new MintRequest(leaseId, homeNamespace, deployer, ttl, List.of(), null);
  }

  /** The name of the Secret this lease's token is bound to. */
  public String secretName() {
    return ProvisionNames.leaseSecret(leaseId);
  }
}
