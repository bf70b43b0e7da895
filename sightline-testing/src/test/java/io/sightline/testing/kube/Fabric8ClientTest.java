package io.sightline.testing.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequest;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The emulator as sightline-kubernetes will see it: through fabric8 on OkHttp. */
class Fabric8ClientTest {

  static FakeKubeApiServer kube;
  static KubernetesClient admin;

  @BeforeAll
  static void start() {
    kube = FakeKubeApiServer.builder().start();
    admin = client(kube.adminToken());
  }

  @AfterAll
  static void stop() {
    admin.close();
    kube.close();
  }

  static KubernetesClient client(String token) {
    Config config =
        new ConfigBuilder(Config.empty())
            .withMasterUrl(kube.url().toString())
            .withCaCertData(
                Base64.getEncoder()
                    .encodeToString(kube.caCertPem().getBytes(StandardCharsets.UTF_8)))
            .withOauthToken(token)
            .withRequestRetryBackoffLimit(0)
            .build();
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  @Test
  void listsNamespacesAndReportsErrorsWithTheServerStatus() {
    assertThat(admin.namespaces().list().getItems())
        .extracting(n -> n.getMetadata().getName())
        .contains("default", "kube-system");
    assertThat(admin.secrets().inNamespace("default").withName("nope").get()).isNull();
    admin
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName("f8").endMetadata().build())
        .create();
    assertThatThrownBy(
            () ->
                admin
                    .namespaces()
                    .resource(
                        new NamespaceBuilder()
                            .withNewMetadata()
                            .withName("f8")
                            .endMetadata()
                            .build())
                    .create())
        .isInstanceOfSatisfying(
            KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(409));
  }

  @Test
  void waitsForTheTokenControllerAndMintsABoundToken() {
    admin
        .serviceAccounts()
        .inNamespace("default")
        .resource(
            new ServiceAccountBuilder().withNewMetadata().withName("minter").endMetadata().build())
        .create();
    admin
        .secrets()
        .inNamespace("default")
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("minter-token")
                .addToAnnotations("kubernetes.io/service-account.name", "minter")
                .endMetadata()
                .withType("kubernetes.io/service-account-token")
                .build())
        .create();
    Secret filled =
        admin
            .secrets()
            .inNamespace("default")
            .withName("minter-token")
            .waitUntilCondition(
                s -> s != null && s.getData() != null && s.getData().containsKey("token"),
                10,
                TimeUnit.SECONDS);
    String legacy =
        new String(
            Base64.getDecoder().decode(filled.getData().get("token")), StandardCharsets.UTF_8);
    Secret lease =
        admin
            .secrets()
            .inNamespace("default")
            .resource(new SecretBuilder().withNewMetadata().withName("lease").endMetadata().build())
            .create();
    TokenRequest tr =
        admin
            .serviceAccounts()
            .inNamespace("default")
            .withName("minter")
            .tokenRequest(
                new TokenRequestBuilder()
                    .withNewSpec()
                    .withExpirationSeconds(600L)
                    .withNewBoundObjectRef()
                    .withKind("Secret")
                    .withApiVersion("v1")
                    .withName("lease")
                    .withUid(lease.getMetadata().getUid())
                    .endBoundObjectRef()
                    .endSpec()
                    .build());
    assertThat(tr.getStatus().getToken()).isNotEmpty();
    assertThat(tr.getStatus().getExpirationTimestamp()).isNotEmpty();
    try (KubernetesClient minter = client(legacy)) {
      KubernetesClientException e =
          org.junit.jupiter.api.Assertions.assertThrows(
              KubernetesClientException.class, () -> minter.namespaces().list());
      assertThat(e.getCode()).isEqualTo(403);
      assertThat(e.getMessage()).contains("system:serviceaccount:default:minter");
    }
    Namespace none = admin.namespaces().withName("does-not-exist").get();
    assertThat(none).isNull();
  }
}
