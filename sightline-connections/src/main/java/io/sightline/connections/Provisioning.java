package io.sightline.connections;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.sightline.core.SecretValue;
import io.sightline.kubernetes.ClusterAccess;
import io.sightline.kubernetes.EgressPolicy;
import io.sightline.kubernetes.EgressSocketFactory;
import io.sightline.kubernetes.KubernetesClients;
import io.sightline.kubernetes.provision.DeprovisionResult;
import io.sightline.kubernetes.provision.ProvisionResult;
import io.sightline.kubernetes.provision.ProvisionSpec;
import io.sightline.kubernetes.provision.Provisioner;
import java.time.Duration;

/**
 * Provisioning and deprovisioning for every kind that does it (AzureSubscription on create,
 * Kubeconfig and ServiceAccount through {@code harden}): a fabric8 client built from explicit
 * values only, through the egress rules, with no retries and bounded timeouts, closed afterwards.
 */
public final class Provisioning {
  private static final KubernetesClients.Settings SETTINGS =
      new KubernetesClients.Settings(Duration.ofSeconds(5), Duration.ofSeconds(10), 0, null, null);

  private final EgressPolicy policy;
  private final Provisioner provisioner = new Provisioner();

  public Provisioning(EgressPolicy policy) {
    this.policy = policy;
  }

  public ProvisionResult provision(ClusterAccess admin, ProvisionSpec spec) {
    try (KubernetesClient client = client(admin)) {
      return provisioner.provision(client, spec);
    }
  }

  public DeprovisionResult deprovision(ClusterAccess access, ProvisionSpec spec) {
    try (KubernetesClient client = client(access)) {
      return provisioner.deprovision(client, spec);
    }
  }

  private KubernetesClient client(ClusterAccess access) {
    return KubernetesClients.create(access, EgressSocketFactory.of(policy), SETTINGS);
  }

  /** The minter's access: its token, the server and the CA provisioning recorded. */
  public static ClusterAccess minterAccess(
      String server, String caPem, boolean acceptUntrustedCerts, SecretValue token) {
    return ClusterAccess.ofToken(server, acceptUntrustedCerts ? null : caPem, token)
        .withAcceptUntrustedCerts(acceptUntrustedCerts);
  }
}
