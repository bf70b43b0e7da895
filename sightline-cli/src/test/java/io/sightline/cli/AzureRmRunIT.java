package io.sightline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.sightline.server.ServerConfig;
import io.sightline.server.SightlineServer;
import io.sightline.store.Stores;
import io.sightline.testing.azure.AksCluster;
import io.sightline.testing.azure.ArmAction;
import io.sightline.testing.azure.EntraApp;
import io.sightline.testing.azure.FakeAzure;
import io.sightline.testing.kube.FakeKubeApiServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sightline run --azure-connection … -- kubectl …}: the task gets an Entra lease for an
 * emulated AKS cluster with local accounts disabled, real kubectl uses it, the lease ends revoked.
 */
class AzureRmRunIT {
  static final String TENANT = "8f3c2a10-5d1e-4b7a-9c2e-1f0a6b7c8d90";
  static final String APP = "0a1b2c3d-1111-4111-8111-000000000001";
  static final String SUB = "11111111-2222-4333-8444-555555555555";
  static final String GROUP = "9e9e9e9e-0000-4000-8000-000000000009";
  static final String SECRET = "run-secret~value.for.tests";

  @TempDir static Path tmp;
  static FakeAzure azure;
  static FakeKubeApiServer kube;
  static SightlineServer server;
  static String token;

  @BeforeAll
  static void start() throws Exception {
    EntraApp app = EntraApp.builder(TENANT, APP).secret(SECRET).groups(GROUP).build();
    azure =
        FakeAzure.builder()
            .application(app)
            .allow(
                app.objectId(),
                "/subscriptions/" + SUB,
                ArmAction.READ_CLUSTERS,
                ArmAction.LIST_USER_CREDENTIAL)
            .start();
    kube = FakeKubeApiServer.builder().oidc(azure.aksOidc(TENANT)).start();
    azure.addCluster(
        AksCluster.builder(SUB, "rg-aks", "aks1").backedBy(kube).localAccountsDisabled().build());
    kube.createObject(
        "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"ClusterRoleBinding\","
            + "\"metadata\":{\"name\":\"aad-readers\"},\"roleRef\":{\"apiGroup\":"
            + "\"rbac.authorization.k8s.io\",\"kind\":\"ClusterRole\",\"name\":\"view\"},"
            + "\"subjects\":[{\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"Group\","
            + "\"name\":\""
            + GROUP
            + "\"}]}");
    Path data = tmp.resolve("data");
    server =
        new SightlineServer(
                ServerConfig.load(
                    Map.of(ServerConfig.PORT, "0", ServerConfig.DATA_DIR, data.toString()),
                    Map.of(),
                    null),
                Stores::open,
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                Clock.systemUTC())
            .start();
    token = Files.readString(data.resolve("admin.token")).strip();
  }

  @AfterAll
  static void stop() {
    server.stop();
    kube.close();
    azure.close();
  }

  @Test
  @DisplayName("run on an AKS cluster through an azurerm connection: kubectl lists namespaces")
  void runWithAnAzureRmTarget() throws Exception {
    CliHarness cli =
        new CliHarness()
            .env("SIGHTLINE_SERVER", server.url())
            .env("SIGHTLINE_TOKEN", token)
            .env("HOME", tmp.toString())
            .env("PATH", System.getenv("PATH"));
    Path ca = azure.writeCaBundle(tmp.resolve("ca.pem"));
    CliHarness.Result created =
        cli.stdin(SECRET)
            .run(
                "connection",
                "create",
                "azurerm",
                "--name",
                "arm",
                "--scheme",
                "ServicePrincipal",
                "--tenant-id",
                TENANT,
                "--client-id",
                APP,
                "--subscription-id",
                SUB,
                "--secret-file",
                "-",
                "--environment",
                "Custom",
                "--authority-host",
                azure.authorityHost(),
                "--resource-manager-url",
                azure.armEndpoint(),
                "--resource-manager-audience",
                "https://management.azure.com/",
                "--ca-bundle",
                ca.toString());
    assertThat(created.exit()).as(created.err()).isZero();

    CliHarness.Result r =
        cli.stdin("")
            .run(
                "run",
                "--azure-connection",
                "arm",
                "--resource-group",
                "rg-aks",
                "--cluster",
                "aks1",
                "-n",
                "default",
                "--",
                "kubectl",
                "get",
                "namespaces",
                "-o",
                "name");
    assertThat(r.exit()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("namespace/default", "namespace/kube-system");
    assertThat(r.err()).contains("cannot be revoked");
  }
}
