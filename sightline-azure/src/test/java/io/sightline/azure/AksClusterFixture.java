package io.sightline.azure;

import static io.sightline.azure.Fixtures.*;

import io.sightline.core.SecretValue;
import io.sightline.testing.azure.AksCluster;
import io.sightline.testing.azure.ArmAction;
import io.sightline.testing.azure.EntraApp;
import io.sightline.testing.azure.FakeAzure;
import io.sightline.testing.kube.FakeKubeApiServer;
import java.time.Clock;
import java.time.Duration;

/**
 * An emulated Entra + ARM with two AKS clusters on one fake API server: {@code aks1} (Entra ID,
 * local accounts disabled) and {@code aks-static} (no Entra ID). The app's group may view.
 */
final class AksClusterFixture implements AutoCloseable {
  static final String RG = "rg-aks";

  final FakeAzure azure;
  final FakeKubeApiServer kube;
  final EntraApp app;
  final AzureEnvironment env;
  final AzureTokenSource tokens;
  final ArmClient arm;

  AksClusterFixture() {
    app = EntraApp.builder(TENANT, SECRET_APP).secret(SECRET).groups(GROUP).build();
    azure =
        FakeAzure.builder()
            .application(app)
            .allow(
                app.objectId(),
                "/subscriptions/" + SUB,
                ArmAction.READ_CLUSTERS,
                ArmAction.LIST_USER_CREDENTIAL,
                ArmAction.LIST_ADMIN_CREDENTIAL)
            .start();
    kube = FakeKubeApiServer.builder().oidc(azure.aksOidc(TENANT)).start();
    azure.addCluster(
        AksCluster.builder(SUB, RG, "aks1").backedBy(kube).localAccountsDisabled().build());
    azure.addCluster(AksCluster.builder(SUB, RG, "aks-static").backedBy(kube).withoutAad().build());
    kube.createObject(
        "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"ClusterRoleBinding\","
            + "\"metadata\":{\"name\":\"aad-readers\"},"
            + "\"roleRef\":{\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"ClusterRole\","
            + "\"name\":\"view\"},"
            + "\"subjects\":[{\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"Group\","
            + "\"name\":\""
            + GROUP
            + "\"}]}");
    env = env(azure);
    tokens =
        AzureTokenSources.create(
            new TokenSpec.ClientSecret(TENANT, SECRET_APP, SecretValue.of(SECRET)), env);
    arm =
        new ArmClient(
            env, tokens, Duration.ofSeconds(10), Duration.ofMinutes(5), Clock.systemUTC());
  }

  @Override
  public void close() {
    kube.close();
    azure.close();
  }
}
