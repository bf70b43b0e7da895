package io.sightline.kubernetes.provision;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.sightline.core.SecretValue;
import io.sightline.kubernetes.ClusterAccess;
import io.sightline.kubernetes.EgressPolicy;
import io.sightline.kubernetes.KubernetesClients;
import io.sightline.testing.kube.FakeKubeApiServer;

/**
 * fabric8 clients for the emulator, built by Sightline's {@link KubernetesClients} from explicit
 * values only (the server URL, its CA and a bearer token), as the connection layer builds them.
 */
public final class TestClusters {
  private TestClusters() {}

  public static KubernetesClient admin(FakeKubeApiServer kube) {
    return client(kube, kube.adminToken());
  }

  public static KubernetesClient client(FakeKubeApiServer kube, SecretValue token) {
    return KubernetesClients.create(
        ClusterAccess.ofToken(kube.url().toString(), kube.caCertPem(), token),
        EgressPolicy.defaults());
  }

  public static KubernetesClient client(FakeKubeApiServer kube, String token) {
    return client(kube, SecretValue.of(token));
  }
}
