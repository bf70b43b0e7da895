package io.sightline.server;

import static io.sightline.server.AzureFixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real kubectl with the kubeconfig of an azurerm lease lists namespaces on an emulated AKS cluster
 * whose local accounts are disabled: no kubelogin, no admin credential, only the task's Entra
 * token.
 */
class AzureLeaseKubectlIT {
  @TempDir static Path tmp;
  static AzureFixture az;
  static Harness h;

  @BeforeAll
  static void start() throws Exception {
    az = new AzureFixture(tmp);
    h = new Harness(tmp);
    h.opener = io.sightline.store.Stores::open;
    h.flags.put(ServerConfig.PUBLIC_URL, az.issuerUrl());
    h.clock.advance(Duration.between(h.clock.instant(), Instant.now()));
    h.start();
    az.publish(h.server.oidcIssuer());
  }

  @AfterAll
  static void stop() {
    h.close();
    az.close();
  }

  static String kubectl(Path kubeconfig, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("kubectl", "--kubeconfig", kubeconfig.toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("HOME", tmp.toString());
    pb.environment().put("KUBECACHEDIR", tmp.resolve("kube-cache").toString());
    Process p = pb.start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("kubectl finished").isTrue();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as("kubectl %s: %s", List.of(args), out).isZero();
    return out;
  }

  @Test
  @DisplayName(
      "kubectl lists namespaces with an azurerm lease on a cluster with local accounts disabled")
  void kubectlWithAnEntraLease() throws Exception {
    String admin = h.adminToken();
    for (var body :
        List.of(
            az.secretConnection("arm", SECRET),
            az.connection("arm-wif", "WorkloadIdentityFederation", FED_APP))) {
      Harness.Response c = h.post("/api/v1/connections", admin, body.toString());
      assertThat(c.status()).as(c.toString()).isEqualTo(201);
    }
    for (String conn : List.of("arm", "arm-wif")) {
      Harness.Response r =
          h.post(
              "/api/v1/leases",
              admin,
              "{\"target\":{\"azureConnection\":\""
                  + conn
                  + "\",\"resourceGroup\":\""
                  + RG
                  + "\",\"cluster\":\"aks1\",\"namespace\":\"default\"}}");
      assertThat(r.status()).as(r.toString()).isEqualTo(201);
      Path kubeconfig = tmp.resolve(conn + ".kubeconfig");
      Files.writeString(kubeconfig, r.json().get("kubeconfig").asText());
      assertThat(kubectl(kubeconfig, "get", "namespaces", "-o", "name"))
          .contains("namespace/default", "namespace/kube-system");
    }
  }
}
