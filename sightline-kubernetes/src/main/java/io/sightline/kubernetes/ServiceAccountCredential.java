package io.sightline.kubernetes;

import io.sightline.core.SecretValue;
import java.util.Objects;

/**
 * What a service-account token Secret holds: the token, the cluster CA (PEM, may be null) and the
 * namespace and ServiceAccount it belongs to (either may be null when the Secret does not say).
 */
public record ServiceAccountCredential(
    SecretValue token, String caPem, String namespace, String serviceAccountName) {

  public ServiceAccountCredential {
    Objects.requireNonNull(token, "token");
  }

  /** The access to {@code server} with this credential. */
  public ClusterAccess toAccess(String server, boolean acceptUntrustedCerts) {
    return new ClusterAccess(
        server,
        acceptUntrustedCerts ? null : caPem,
        acceptUntrustedCerts,
        null,
        token,
        null,
        null,
        null,
        null,
        namespace);
  }

  @Override
  public String toString() {
    return "ServiceAccountCredential[namespace="
        + namespace
        + ", serviceAccountName="
        + serviceAccountName
        + ", ca="
        + (caPem != null)
        + "]";
  }
}
