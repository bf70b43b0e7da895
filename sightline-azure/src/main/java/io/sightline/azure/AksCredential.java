package io.sightline.azure;

import io.sightline.core.SecretValue;
import java.time.Instant;
import java.util.List;

/**
 * A kubeconfig for one task on one AKS cluster, with its honest limits.
 *
 * @param kind {@code entra} (an Entra access token) or {@code static} (a long-lived client
 *     certificate from ARM)
 * @param expiresAt when the credential stops working (the token's {@code exp}); null for static
 * @param limits plain-words limits to show on the lease
 */
public record AksCredential(
    String kind, SecretValue kubeconfig, String server, Instant expiresAt, List<String> limits) {
  public static final String ENTRA = "entra";
  public static final String STATIC = "static";

  public AksCredential {
    limits = List.copyOf(limits);
  }
}
