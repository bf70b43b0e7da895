package io.sightline.azure;

import static io.sightline.azure.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real kubectl lists namespaces on an emulated AKS cluster with local accounts disabled, with the
 * kubeconfig Sightline assembles for a task: no kubelogin, only an Entra token.
 */
class AksKubeconfigKubectlIT {
  static AksClusterFixture f;

  @TempDir static Path home;

  @BeforeAll
  static void start() {
    f = new AksClusterFixture();
  }

  @AfterAll
  static void stop() {
    assertThat(OFF_LOOPBACK).as("requests that left 127.0.0.1").isEmpty();
    f.close();
  }

  static String kubectl(Path kubeconfig, String... args) throws Exception {
    List<String> cmd =
        new ArrayList<>(List.of("/usr/bin/kubectl", "--kubeconfig", kubeconfig.toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("HOME", home.toString());
    pb.environment().put("KUBECACHEDIR", home.resolve("cache").toString());
    Process p = pb.start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("kubectl finished").isTrue();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as("kubectl %s: %s", List.of(args), out).isZero();
    return out;
  }

  @Test
  void kubectlListsNamespacesWithTheAssembledKubeconfig() throws Exception {
    assertThat(f.arm.getCluster(SUB, AksClusterFixture.RG, "aks1").localAccountsDisabled())
        .isTrue();
    AksCredential c =
        new AksCredentialIssuer(Duration.ofSeconds(10))
            .issue(f.tokens, f.arm, SUB, AksClusterFixture.RG, "aks1", "default", false, false);
    Path kubeconfig = home.resolve("aks1.yaml");
    Files.writeString(kubeconfig, c.kubeconfig().reveal());

    assertThat(kubectl(kubeconfig, "get", "namespaces", "-o", "name"))
        .contains("namespace/default")
        .contains("namespace/kube-system");
    assertThat(kubectl(kubeconfig, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"))
        .isEqualTo(f.app.objectId());
  }
}
