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

/** The azurerm commands of the CLI against a real server and the emulated Entra ID and ARM. */
class AzureRmCliTest {
  static final String TENANT = "8f3c2a10-5d1e-4b7a-9c2e-1f0a6b7c8d90";
  static final String APP = "0a1b2c3d-1111-4111-8111-000000000001";
  static final String FED_APP = "0a1b2c3d-3333-4333-8333-000000000003";
  static final String SUB = "11111111-2222-4333-8444-555555555555";
  static final String SECRET = "cli-secret~value.for.tests";

  @TempDir static Path tmp;
  static FakeAzure azure;
  static FakeKubeApiServer kube;
  static SightlineServer server;
  static String token;
  static Path ca;

  @BeforeAll
  static void start() throws Exception {
    EntraApp app = EntraApp.builder(TENANT, APP).secret(SECRET).build();
    azure =
        FakeAzure.builder()
            .application(app)
            .allow(app.objectId(), "/subscriptions/" + SUB, ArmAction.READ_CLUSTERS)
            .start();
    kube = FakeKubeApiServer.builder().oidc(azure.aksOidc(TENANT)).start();
    azure.addCluster(
        AksCluster.builder(SUB, "rg-aks", "aks1").backedBy(kube).localAccountsDisabled().build());
    ca = azure.writeCaBundle(tmp.resolve("azure-ca.pem"));
    Path data = tmp.resolve("data");
    server =
        new SightlineServer(
                ServerConfig.load(
                    Map.of(
                        ServerConfig.PORT,
                        "0",
                        ServerConfig.DATA_DIR,
                        data.toString(),
                        ServerConfig.PUBLIC_URL,
                        "https://sightline.example.test"),
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

  static CliHarness cli() {
    return new CliHarness().env("SIGHTLINE_SERVER", server.url()).env("SIGHTLINE_TOKEN", token);
  }

  static String[] create(String name, String scheme, String... more) {
    String[] base = {
      "connection",
      "create",
      "azurerm",
      "--name",
      name,
      "--scheme",
      scheme,
      "--tenant-id",
      TENANT,
      "--subscription-id",
      SUB,
      "--environment",
      "Custom",
      "--authority-host",
      azure.authorityHost(),
      "--resource-manager-url",
      azure.armEndpoint(),
      "--resource-manager-audience",
      "https://management.azure.com/",
      "--ca-bundle",
      ca.toString()
    };
    String[] all = new String[base.length + more.length];
    System.arraycopy(base, 0, all, 0, base.length);
    System.arraycopy(more, 0, all, base.length, more.length);
    return all;
  }

  @Test
  @DisplayName("create azurerm reads the secret from stdin, verifies, and never prints it")
  void createAndPickAClusterFromTheCli() {
    CliHarness.Result r =
        cli()
            .stdin(SECRET + "\n")
            .run(create("arm", "ServicePrincipal", "--client-id", APP, "--secret-file", "-"));
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.err()).contains("Created connection arm (azurerm/ServicePrincipal), verified.");
    assertThat(r.out() + r.err()).doesNotContain(SECRET);

    CliHarness.Result list = cli().run("connection", "aks-clusters", "arm");
    assertThat(list.exit()).as(list.err()).isZero();
    assertThat(list.out()).contains("rg-aks", "aks1", "disabled");

    CliHarness.Result one =
        cli()
            .run(
                "connection",
                "aks-clusters",
                "arm",
                "--resource-group",
                "rg-aks",
                "--cluster",
                "aks1");
    assertThat(one.exit()).as(one.err()).isZero();
    assertThat(one.out())
        .contains("localAccountsDisabled:", "true", "recommendation:", "azurerm target");

    CliHarness.Result verify = cli().run("connection", "verify", "arm");
    assertThat(verify.exit()).isZero();
    assertThat(verify.out()).contains("rg-aks/aks1");
  }

  @Test
  @DisplayName("a wrong secret prints the AADSTS code and what to do, and exits 1")
  void wrongSecret() {
    CliHarness.Result r =
        cli()
            .stdin("wrong")
            .run(create("arm-bad", "ServicePrincipal", "--client-id", APP, "--secret-file", "-"));
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err())
        .contains("Verification failed:", "AADSTS7000215", "what to do:", "--no-verify");
  }

  @Test
  @DisplayName(
      "show of a WorkloadIdentityFederation connection gives the issuer and subject to paste into Entra")
  void federationShow() {
    CliHarness.Result r =
        cli()
            .run(
                create(
                    "arm-wif",
                    "WorkloadIdentityFederation",
                    "--client-id",
                    FED_APP,
                    "--no-verify"));
    assertThat(r.exit()).as(r.err()).isZero();
    CliHarness.Result show = cli().run("connection", "show", "arm-wif");
    assertThat(show.out())
        .contains("Federated credential to add in Entra ID")
        .contains("issuer:    https://sightline.example.test")
        .contains("subject:   sc://sightline/arm-wif")
        .contains("audience:  api://AzureADTokenExchange");
  }

  @Test
  @DisplayName("secrets never come from the command line; kind-specific options are checked")
  void usage() {
    assertThat(
            cli()
                .run(create("arm-x", "ServicePrincipal", "--client-id", APP, "--secret", SECRET))
                .exit())
        .isEqualTo(2);
    CliHarness.Result r = cli().run("connection", "create", "azurerm", "--name", "x");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("--scheme");
  }
}
