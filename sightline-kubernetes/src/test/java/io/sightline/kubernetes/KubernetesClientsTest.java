package io.sightline.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.sightline.core.SecretValue;
import io.sightline.testing.kube.FakeKubeApiServer;
import io.sightline.testing.kube.RequestLogEntry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KubernetesClientsTest {
  private static FakeKubeApiServer kube;

  @BeforeAll
  static void start() {
    kube = FakeKubeApiServer.builder().version("1.30").start();
  }

  @AfterAll
  static void stop() {
    kube.close();
  }

  @Test
  void aClientUsesOnlyTheGivenValuesNeverAKubeconfigOrSystemProperties(@TempDir Path dir)
      throws Exception {
    // A poisoned environment: a kubeconfig file and fabric8's system properties, all pointing
    // at the emulator as the admin. None of it may reach the client.
    Path poisoned = dir.resolve("config");
    Files.writeString(poisoned, kube.adminKubeconfig());
    // An in-cluster token file that blocks whoever opens it (a FIFO without a writer).
    Path saToken = dir.resolve("token");
    Process mkfifo = new ProcessBuilder("mkfifo", saToken.toString()).start();
    assertThat(mkfifo.waitFor()).isZero();
    Map<String, String> props =
        Map.of(
            "kubernetes.auth.serviceAccount.token",
            saToken.toString(),
            "kubeconfig",
            poisoned.toString(),
            "kubernetes.auth.token",
            kube.adminToken(),
            "kubernetes.master",
            kube.url().toString(),
            "kubernetes.auth.tryKubeConfig",
            "true",
            "kubernetes.auth.tryServiceAccount",
            "true",
            "kubernetes.namespace",
            "kube-system");
    props.forEach(System::setProperty);
    try {
      ClusterAccess anonymous =
          new ClusterAccess(
              kube.url().toString(),
              kube.caCertPem(),
              false,
              null,
              null,
              null,
              null,
              null,
              null,
              null);
      Config config = KubernetesClients.config(anonymous, KubernetesClients.Settings.defaults());
      assertThat(config.getOauthToken()).isNull();
      assertThat(config.getUsername()).isNull();
      assertThat(config.getFile()).isNull();
      assertThat(config.getNamespace()).isNull();
      assertThat(config.getMasterUrl()).startsWith(kube.url().toString());

      kube.clearRequestLog();
      assertTimeoutPreemptively(
          Duration.ofSeconds(20),
          () -> {
            try (KubernetesClient client =
                KubernetesClients.create(anonymous, EgressPolicy.defaults())) {
              assertThatThrownBy(() -> client.namespaces().list())
                  .hasMessageContaining("Forbidden");
            }
            // A rejected token makes fabric8 try to refresh its credential: from nowhere.
            ClusterAccess wrong =
                ClusterAccess.ofToken(
                    kube.url().toString(), kube.caCertPem(), SecretValue.of("wrong-token"));
            try (KubernetesClient client =
                KubernetesClients.create(wrong, EgressPolicy.defaults())) {
              assertThatThrownBy(() -> client.namespaces().list())
                  .hasMessageContaining("Unauthorized");
            }
          });
      assertThat(kube.requestLog()).anyMatch(e -> e.status() == 401);
      List<RequestLogEntry> log = kube.requestLog();
      assertThat(log).isNotEmpty();
      assertThat(log)
          .as("anonymous or rejected: the poisoned admin token was never sent")
          .allMatch(e -> e.user() == null || "system:anonymous".equals(e.user()));
    } finally {
      props.keySet().forEach(System::clearProperty);
    }
  }

  @Test
  void aTokenClientTalksToTheClusterAsThatIdentity() {
    ClusterAccess admin = KubeconfigParser.parse(kube.adminKubeconfig(), null);
    try (KubernetesClient client = KubernetesClients.create(admin, EgressPolicy.defaults())) {
      assertThat(client.namespaces().list().getItems())
          .extracting(n -> n.getMetadata().getName())
          .contains("default");
    }
  }

  @Test
  void aClientCertificateClientIsBuiltFromPemStrings() {
    String kubeconfig =
        kube.kubeconfigForCertificate(kube.clientCertificate("carol", "system:masters"));
    ClusterAccess access = KubeconfigParser.parse(kubeconfig, null);
    assertThat(access.authMethod()).isEqualTo("client-certificate");
    try (KubernetesClient client = KubernetesClients.create(access, EgressPolicy.defaults())) {
      assertThat(client.namespaces().withName("default").get()).isNotNull();
    }
    assertThat(kube.requestLog(e -> "carol".equals(e.user()))).isNotEmpty();
  }

  @Test
  void probeSettingsTurnRetriesOffAndBoundEveryTimeout() {
    ClusterAccess access =
        ClusterAccess.ofToken("https://127.0.0.1:6443", null, SecretValue.of("t"));
    Config config =
        KubernetesClients.config(
            access, KubernetesClients.Settings.probe(Duration.ofMillis(1500), null, null));
    assertThat(config.getRequestRetryBackoffLimit()).isZero();
    assertThat(config.getRequestTimeout()).isEqualTo(1500);
    assertThat(config.getConnectionTimeout()).isEqualTo(1500);
  }

  @Test
  void anIpLiteralServerIsStillCheckedByTheEgressSocketFactory() {
    kube.clearRequestLog();
    ClusterAccess admin = KubeconfigParser.parse(kube.adminKubeconfig(), null);
    EgressPolicy denyLoopback = EgressPolicy.builder().deny("127.0.0.0/8").build();
    KubernetesClients.Settings noRetry =
        new KubernetesClients.Settings(Duration.ofSeconds(2), Duration.ofSeconds(2), 0, null, null);
    try (KubernetesClient client =
        KubernetesClients.create(admin, EgressSocketFactory.of(denyLoopback), noRetry)) {
      assertThatThrownBy(() -> client.namespaces().list())
          .hasRootCauseInstanceOf(EgressDeniedException.class);
    }
    assertThat(kube.requestLog()).isEmpty();
  }
}
