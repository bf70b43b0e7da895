package io.sightline.kubernetes.provision;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.sightline.core.SecretValue;
import io.sightline.testing.kube.FakeKubeApiServer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * fabric8 clients for the emulator, built from explicit values only (never auto-configuration): the
 * server URL, its CA and a bearer token. Tests only.
 */
public final class TestClusters {
  private TestClusters() {}

  public static KubernetesClient admin(FakeKubeApiServer kube) {
    return client(kube, kube.adminToken());
  }

  public static KubernetesClient client(FakeKubeApiServer kube, SecretValue token) {
    return client(kube, token.reveal());
  }

  public static KubernetesClient client(FakeKubeApiServer kube, String token) {
    Config config =
        new ConfigBuilder(Config.empty())
            .withMasterUrl(kube.url().toString())
            .withCaCertData(
                Base64.getEncoder()
                    .encodeToString(kube.caCertPem().getBytes(StandardCharsets.UTF_8)))
            .withOauthToken(token)
            .withRequestRetryBackoffLimit(0)
            .withRequestTimeout(10_000)
            .withConnectionTimeout(5_000)
            .build();
    return new KubernetesClientBuilder().withConfig(config).build();
  }
}
