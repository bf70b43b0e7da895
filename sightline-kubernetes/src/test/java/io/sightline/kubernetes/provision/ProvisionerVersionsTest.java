package io.sightline.kubernetes.provision;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.sightline.core.SightlineException;
import io.sightline.kubernetes.mint.MintRequest;
import io.sightline.kubernetes.mint.MintedToken;
import io.sightline.kubernetes.mint.TokenMinter;
import io.sightline.testing.kube.FakeKubeApiServer;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The minter token on Kubernetes 1.23 and when the token controller never fills it. */
class ProvisionerVersionsTest {
  final Provisioner provisioner = new Provisioner();

  static void namespace(KubernetesClient admin, String name) {
    admin
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build())
        .create();
  }

  @Test
  @DisplayName(
      "on Kubernetes 1.23 the minter token comes from the Secret the cluster created for it")
  void kubernetes123UsesTheAutoCreatedSecret() {
    try (FakeKubeApiServer kube = FakeKubeApiServer.builder().version("1.23").start();
        KubernetesClient admin = TestClusters.admin(kube)) {
      namespace(admin, "web");

      ProvisionResult result =
          provisioner.provision(admin, ProvisionSpec.of("old", List.of("web")));

      assertThat(result.kubernetesVersion()).isEqualTo("1.23");
      assertThat(result.minterTokenSecret()).startsWith("sightline-minter-token-");
      assertThat(result.created())
          .doesNotContain(new ObjectRef("Secret", "sightline-old", "sightline-minter-token"));
      assertThat(Whoami.of(admin, result.minterToken()))
          .isEqualTo("system:serviceaccount:sightline-old:sightline-minter");

      ProvisionResult rotated =
          provisioner.provision(
              admin, ProvisionSpec.of("old", List.of("web")).withRotateMinterToken(true));
      assertThat(rotated.minterTokenSecret()).isEqualTo("sightline-minter-token");
      assertThat(Whoami.of(admin, result.minterToken())).isNull();
      assertThat(Whoami.of(admin, rotated.minterToken())).isNotNull();

      try (KubernetesClient minterClient = TestClusters.client(kube, rotated.minterToken())) {
        MintedToken lease =
            new TokenMinter(minterClient)
                .mint(
                    MintRequest.of(
                        "old-1", "sightline-old", "deployer-web", Duration.ofMinutes(10)));
        assertThat(Whoami.of(admin, lease.token()))
            .isEqualTo("system:serviceaccount:sightline-old:deployer-web");
      }
    }
  }

  @Test
  @DisplayName(
      "when the token controller never fills the minter's Secret: TOKEN_NOT_POPULATED after the bounded wait, and nothing is left behind")
  void tokenNotPopulated() {
    try (FakeKubeApiServer kube = FakeKubeApiServer.builder().tokenController(false).start();
        KubernetesClient admin = TestClusters.admin(kube)) {
      namespace(admin, "web");
      ProvisionSpec spec =
          ProvisionSpec.of("slow", List.of("web")).withTokenWait(Duration.ofMillis(400));

      long start = System.nanoTime();
      assertThatThrownBy(() -> provisioner.provision(admin, spec))
          .isInstanceOfSatisfying(
              SightlineException.class,
              e -> {
                assertThat(e.code()).isEqualTo("TOKEN_NOT_POPULATED");
                assertThat(e.getMessage())
                    .contains("sightline-slow/sightline-minter-token")
                    .contains("400 ms")
                    .contains("token controller");
              });
      Duration took = Duration.ofNanos(System.nanoTime() - start);

      assertThat(took).isLessThan(Duration.ofSeconds(5));
      assertThat(admin.namespaces().withName("sightline-slow").get()).isNull();
      assertThat(
              admin
                  .rbac()
                  .roleBindings()
                  .inNamespace("web")
                  .withName("sightline-slow-deployer")
                  .get())
          .isNull();
    }
  }
}
