package io.sightline.azure;

import com.nimbusds.jwt.SignedJWT;
import io.sightline.azure.internal.Kubeconfigs;
import io.sightline.core.SightlineException;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The per-task AKS credential: a fresh Entra access token for the AKS server application, put into
 * a kubeconfig with the cluster's server URL and CA from {@code listClusterUserCredential}. No
 * kubelogin is needed where the task runs.
 */
public final class AksCredentialIssuer {
  /**
   * The AKS server application ("Azure Kubernetes Service AAD Server"), the same in every tenant.
   */
  public static final String AKS_SERVER_APP_ID = "6dae42f8-4368-4678-94ff-3960e28e3630";

  public static final String AKS_SCOPE = AKS_SERVER_APP_ID + "/.default";

  private final Duration deadline;

  /**
   * @param deadline the hard limit for the token request
   */
  public AksCredentialIssuer(Duration deadline) {
    this.deadline = deadline;
  }

  /**
   * Issues a kubeconfig for one task.
   *
   * @param tokens the connection's identity (for a fresh token per task, a source without a shared
   *     cache)
   * @param useClusterAdmin take {@code listClusterAdminCredential} (a static credential)
   * @param allowStatic whether the connection allows static credentials
   * @throws SightlineException {@code STATIC_CREDENTIAL_NOT_ALLOWED} when the result would be
   *     static and that is not allowed; the ARM and Entra codes otherwise
   */
  public AksCredential issue(
      AzureTokenSource tokens,
      ArmClient arm,
      String subscriptionId,
      String resourceGroup,
      String cluster,
      String namespace,
      boolean useClusterAdmin,
      boolean allowStatic) {
    if (useClusterAdmin) {
      refuseStatic(allowStatic, cluster, "useClusterAdmin asks for the cluster-admin certificate");
      var kubeconfig = arm.listClusterAdminCredential(subscriptionId, resourceGroup, cluster);
      ClusterEndpoint e = Kubeconfigs.endpoint(kubeconfig);
      return staticCredential(e, kubeconfig);
    }
    ClusterEndpoint e = arm.clusterEndpoint(subscriptionId, resourceGroup, cluster);
    if (!e.entra()) {
      refuseStatic(
          allowStatic,
          cluster,
          "the cluster has no Entra ID integration, so ARM hands out a"
              + " long-lived client certificate");
      return staticCredential(e, e.staticKubeconfig());
    }
    AccessToken token = tokens.token(AKS_SCOPE, deadline);
    Instant exp = expiry(token);
    String name = cluster;
    return new AksCredential(
        AksCredential.ENTRA,
        Kubeconfigs.tokenKubeconfig(
            name, e.server(), e.certificateAuthorityData(), token.token().reveal(), namespace),
        e.server(),
        exp,
        List.of(
            "Entra ID sets the lifetime: this token expires at " + exp + ".",
            "The token cannot be revoked before it expires.",
            "The token is valid wherever the identity ("
                + tokens.scheme()
                + ") has access, not only on this cluster."));
  }

  private static AksCredential staticCredential(
      ClusterEndpoint e, io.sightline.core.SecretValue kubeconfig) {
    return new AksCredential(
        AksCredential.STATIC,
        kubeconfig,
        e.server(),
        null,
        List.of(
            "A static credential: a long-lived client certificate from ARM that this lease cannot"
                + " expire or revoke; it stays valid until the cluster's certificates are rotated."));
  }

  private static void refuseStatic(boolean allowStatic, String cluster, String why) {
    if (!allowStatic) {
      throw SightlineException.forbidden(
          "STATIC_CREDENTIAL_NOT_ALLOWED",
          "cluster '"
              + cluster
              + "': "
              + why
              + ", and the connection does not allow static credentials — allow them on the"
              + " connection, or enable Entra ID integration on the cluster");
    }
  }

  /** The token's {@code exp} (Entra decides), or what azure-identity reported. */
  static Instant expiry(AccessToken token) {
    try {
      var exp = SignedJWT.parse(token.token().reveal()).getJWTClaimsSet().getExpirationTime();
      return exp == null ? token.expiresAt() : exp.toInstant();
    } catch (ParseException e) {
      return token.expiresAt();
    }
  }
}
