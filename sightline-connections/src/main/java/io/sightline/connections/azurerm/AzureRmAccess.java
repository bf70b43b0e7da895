package io.sightline.connections.azurerm;

import io.sightline.azure.AksCredential;
import io.sightline.azure.AksCredentialIssuer;
import io.sightline.azure.AksFacts;
import io.sightline.azure.ArmClient;
import io.sightline.azure.AzureCloud;
import io.sightline.azure.AzureEnvironment;
import io.sightline.azure.AzureTokenSource;
import io.sightline.azure.AzureTokenSources;
import io.sightline.azure.ManagedCluster;
import io.sightline.azure.OidcIssuer;
import io.sightline.connections.ConnectionSpec;
import io.sightline.core.SecretValue;
import io.sightline.core.SightlineException;
import io.sightline.kubernetes.EgressPolicy;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * What an {@code azurerm} connection does at run time, on the server or an agent: sign in to Entra
 * with the connection's scheme, list and read AKS clusters through ARM, fetch the cluster-admin
 * kubeconfig (for AzureSubscription provisioning), and issue the per-task AKS credential. Every
 * call finishes within the deadline given at {@link #open}. Never touches a cluster.
 */
public final class AzureRmAccess {
  private final ConnectionSpec spec;
  private final AzureEnvironment env;
  private final AzureTokenSource aksTokens;
  private final ArmClient arm;
  private final AksCredentialIssuer issuer;

  private AzureRmAccess(
      ConnectionSpec spec,
      AzureEnvironment env,
      AzureTokenSource aksTokens,
      ArmClient arm,
      Duration deadline) {
    this.spec = spec;
    this.env = env;
    this.aksTokens = aksTokens;
    this.arm = arm;
    this.issuer = new AksCredentialIssuer(deadline);
  }

  /**
   * Builds the Entra token sources and the ARM client of a connection (nothing is dialled yet).
   *
   * @param egress the server's egress rules; every Entra and ARM URL must pass them (the server's
   *     own managed-identity endpoint is exempt)
   * @param oidcIssuer the server's issuer, for WorkloadIdentityFederation (may be null otherwise)
   * @param deadline the hard limit of each call, token included
   */
  public static AzureRmAccess open(
      ConnectionSpec spec, EgressPolicy egress, OidcIssuer oidcIssuer, Duration deadline) {
    Objects.requireNonNull(spec, "spec");
    if (!spec.kind().isAzureRm()) {
      throw new IllegalArgumentException(spec.name() + " is not an azurerm connection");
    }
    AzureEnvironment env = environment(spec, egress);
    var tokenSpec = AzureRmConnection.tokenSpec(spec, oidcIssuer);
    AzureTokenSource armTokens = AzureTokenSources.create(tokenSpec, env);
    AzureTokenSource aksTokens =
        AzureTokenSources.create(
            tokenSpec,
            env,
            AzureRmConnection.tokenCache(spec)
                ? AzureTokenSources.TokenCache.SHARED
                : AzureTokenSources.TokenCache.NONE);
    ArmClient arm =
        new ArmClient(env, armTokens, deadline, Duration.ofMinutes(5), Clock.systemUTC());
    return new AzureRmAccess(spec, env, aksTokens, arm, deadline);
  }

  /** The connection's cloud and TLS trust, with the server's egress rules on every URL. */
  public static AzureEnvironment environment(ConnectionSpec spec, EgressPolicy egress) {
    AzureCloud cloud = AzureRmConnection.cloud(spec);
    AzureEnvironment.Builder b =
        AzureEnvironment.builder()
            .cloud(cloud)
            .egress(uri -> allowed(egress, uri))
            .connectTimeout(Duration.ofSeconds(5));
    if (egress != null) {
      // Custom clouds connect through the egress-checked socket factory too, so a host that
      // resolves differently between the check above and the connection is still refused.
      b.egressPolicy(egress);
    }
    String ca = spec.string(AzureRmConnection.CA_BUNDLE);
    if (ca != null) {
      b.caBundlePem(ca);
    }
    return b.build();
  }

  /** Whether every address {@code uri}'s host resolves to passes the egress rules. */
  static boolean allowed(EgressPolicy egress, URI uri) {
    if (egress == null) {
      return true;
    }
    String host = uri.getHost();
    if (host == null) {
      return false;
    }
    try {
      for (InetAddress a : InetAddress.getAllByName(host)) {
        if (egress.refusal(a) != null) {
          return false;
        }
      }
      return true;
    } catch (UnknownHostException e) {
      // Let the request fail with the resolver's own error (DNS_UNRESOLVABLE in the message).
      return true;
    }
  }

  public ConnectionSpec spec() {
    return spec;
  }

  public AzureEnvironment environment() {
    return env;
  }

  public String subscriptionId() {
    return spec.string(AzureRmConnection.SUBSCRIPTION_ID);
  }

  /** The scheme as Entra sees it, for messages. */
  public String scheme() {
    return aksTokens.scheme();
  }

  /**
   * Verification: an ARM token from Entra, then the subscription's managed clusters. Touches no
   * cluster.
   */
  public List<ManagedCluster> verify() {
    return arm.listClusters(subscriptionId());
  }

  /** The AKS clusters of the subscription, or of one resource group, sorted by group and name. */
  public List<AksFacts> clusters(String resourceGroup) {
    List<ManagedCluster> found =
        resourceGroup == null
            ? arm.listClusters(subscriptionId())
            : arm.listClusters(subscriptionId(), resourceGroup);
    return found.stream()
        .map(AksFacts::of)
        .sorted(
            Comparator.comparing((AksFacts f) -> String.valueOf(f.resourceGroup()))
                .thenComparing(f -> String.valueOf(f.name())))
        .toList();
  }

  /** One cluster's facts and recommendation. */
  public AksFacts cluster(String resourceGroup, String name) {
    return AksFacts.of(arm.getCluster(subscriptionId(), resourceGroup, name));
  }

  /** One cluster as ARM describes it. */
  public ManagedCluster managedCluster(String resourceGroup, String name) {
    return arm.getCluster(subscriptionId(), resourceGroup, name);
  }

  /**
   * The cluster-admin kubeconfig from ARM ({@code listClusterAdminCredential}).
   *
   * @throws SightlineException {@code LOCAL_ACCOUNTS_DISABLED} when the cluster refuses it
   */
  public SecretValue adminKubeconfig(String resourceGroup, String name) {
    return arm.listClusterAdminCredential(subscriptionId(), resourceGroup, name);
  }

  /**
   * The per-task credential: a fresh Entra token for the AKS server application with the cluster's
   * endpoint and CA, or (allowed on the connection only) ARM's static client certificate.
   */
  public AksCredential credential(
      String resourceGroup, String cluster, String namespace, boolean useClusterAdmin) {
    return issuer.issue(
        aksTokens,
        arm,
        subscriptionId(),
        resourceGroup,
        cluster,
        namespace,
        useClusterAdmin,
        AzureRmConnection.allowsStatic(spec));
  }

  /** For WorkloadIdentityFederation: the issuer and subject to paste into Entra. */
  public static FederationSubject federationSubject(ConnectionSpec spec, OidcIssuer oidcIssuer) {
    return new FederationSubject(
        oidcIssuer.issuerUrl(),
        oidcIssuer.subject(spec.name()),
        OidcIssuer.TOKEN_EXCHANGE_AUDIENCE);
  }

  /**
   * What an Entra app's federated credential must name for a WorkloadIdentityFederation connection.
   */
  public record FederationSubject(String issuer, String subject, String audience) {}
}
