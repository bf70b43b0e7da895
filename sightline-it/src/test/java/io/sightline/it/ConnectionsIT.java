package io.sightline.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.sightline.testing.kube.FakeKubeApiServer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 4 through the built jar: `sightline connection …` against a real server process and the
 * Kubernetes API emulator — a Kubeconfig connection and its namespaces, a stalled cluster answered
 * with a diagnosis inside the deadline, saving unverified, and an AzureSubscription connection
 * provisioned and deprovisioned. No cluster secret reaches any output.
 */
class ConnectionsIT {
  @TempDir static Path tmp;
  static FakeKubeApiServer kube;
  static Sightline.Server server;
  static Map<String, String> env;

  @BeforeAll
  static void start() throws Exception {
    kube = FakeKubeApiServer.builder().version("1.30").start();
    server = Sightline.startServer(tmp.resolve("data"), Sightline.env("HOME", tmp.toString()));
    env = new HashMap<>();
    env.put("HOME", tmp.toString());
    env.put("SIGHTLINE_SERVER", server.url());
    env.put("SIGHTLINE_TOKEN", Files.readString(tmp.resolve("data/admin.token")).strip());
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
    if (kube != null) {
      kube.close();
    }
  }

  private static Path kubeconfig(String name, URI serverUrl) throws Exception {
    String ca =
        Base64.getEncoder().encodeToString(kube.caCertPem().getBytes(StandardCharsets.UTF_8));
    String yaml =
        "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: k\n  cluster:\n"
            + "    server: "
            + serverUrl
            + "\n    certificate-authority-data: "
            + ca
            + "\ncontexts:\n- name: c\n  context:\n    cluster: k\n    user: u\nusers:\n- name: u\n"
            + "  user:\n    token: "
            + kube.adminToken()
            + "\n";
    return Files.writeString(tmp.resolve(name + ".kubeconfig"), yaml);
  }

  @Test
  @DisplayName("a Kubeconfig connection is verified and lists the cluster's namespaces")
  void kubeconfigConnection() throws Exception {
    Path file = kubeconfig("dev", kube.url());
    var created =
        Sightline.cli(
            env,
            "",
            "connection",
            "create",
            "kubernetes",
            "--name",
            "dev",
            "--auth",
            "kubeconfig",
            "--kubeconfig",
            file.toString());
    assertThat(created.exit()).as(created.err()).isZero();
    assertThat(created.err()).contains("Created connection dev").contains("verified");

    var ns = Sightline.cli(env, "", "connection", "namespaces", "dev");
    assertThat(ns.exit()).as(ns.err()).isZero();
    assertThat(ns.out().lines()).contains("default", "kube-system", "kube-public");

    var show = Sightline.cli(env, "", "connection", "show", "dev", "-o", "json");
    assertThat(show.out()).contains("\"hasSecret\" : true").contains("\"Kubeconfig\"");
    for (var r : new Sightline.Run[] {created, ns, show}) {
      assertThat(r.out() + r.err()).doesNotContain(kube.adminToken());
    }
  }

  @Test
  @DisplayName(
      "a stalled cluster is diagnosed within the deadline; --no-verify saves it unverified")
  void stalledCluster() throws Exception {
    Path file = kubeconfig("stalled", kube.faults().tlsStall());
    long t0 = System.nanoTime();
    var refused =
        Sightline.cli(
            env,
            "",
            "connection",
            "create",
            "kubernetes",
            "--name",
            "stalled",
            "--auth",
            "kubeconfig",
            "--kubeconfig",
            file.toString(),
            "--timeout",
            "2s");
    double seconds = (System.nanoTime() - t0) / 1e9;
    assertThat(refused.exit()).isEqualTo(1);
    assertThat(refused.err()).contains("TLS_HANDSHAKE_TIMEOUT").contains("--no-verify");
    // 2 s deadline + 0.5 s, plus the CLI's own JVM start.
    assertThat(seconds).isLessThan(8.0);

    var list = Sightline.cli(env, "", "connection", "list");
    assertThat(list.out()).doesNotContain("stalled");

    var saved =
        Sightline.cli(
            env,
            "",
            "connection",
            "create",
            "kubernetes",
            "--name",
            "stalled",
            "--auth",
            "kubeconfig",
            "--kubeconfig",
            file.toString(),
            "--no-verify");
    assertThat(saved.exit()).as(saved.err()).isZero();
    assertThat(saved.err()).contains("NOT verified");
    assertThat(Sightline.cli(env, "", "connection", "list").out()).contains("stalled");
  }

  @Test
  @DisplayName(
      "an AzureSubscription connection is provisioned in the cluster and deprovisioned on delete")
  void azureSubscriptionConnection() throws Exception {
    Path admin = kubeconfig("admin", kube.url());
    var created =
        Sightline.cli(
            env,
            "",
            "connection",
            "create",
            "kubernetes",
            "--name",
            "prod",
            "--auth",
            "azure-subscription",
            "--admin-kubeconfig",
            admin.toString(),
            "-n",
            "web",
            "--create-namespace",
            "-o",
            "json");
    assertThat(created.exit()).as(created.err()).isZero();
    assertThat(created.out()).contains("sightline-prod");
    assertThat(kube.getObject("v1", "ServiceAccount", "sightline-prod", "deployer-web"))
        .isNotNull();
    assertThat(created.out() + created.err()).doesNotContain(kube.adminToken());

    var deleted =
        Sightline.cli(
            env, "", "connection", "delete", "prod", "--admin-kubeconfig", admin.toString());
    assertThat(deleted.exit()).as(deleted.err()).isZero();
    assertThat(kube.getObject("v1", "ServiceAccount", "sightline-prod", "deployer-web")).isNull();
    assertThat(server.stderrText()).doesNotContain(kube.adminToken());
  }
}
