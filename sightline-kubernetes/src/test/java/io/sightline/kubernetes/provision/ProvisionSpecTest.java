package io.sightline.kubernetes.provision;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sightline.core.SightlineException;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ProvisionSpecTest {

  @Test
  @DisplayName(
      "defaults: home namespace sightline-<connection>, sightline-deploy, 10 s wait, sorted targets")
  void defaults() {
    ProvisionSpec spec = ProvisionSpec.of("prod", List.of("web", "api", "web"));

    assertThat(spec.homeNamespace()).isEqualTo("sightline-prod");
    assertThat(spec.deployerRole()).isEqualTo(DeployerRole.SIGHTLINE_DEPLOY);
    assertThat(spec.tokenWait()).hasSeconds(10);
    assertThat(spec.targetNamespaces()).containsExactly("api", "web");
  }

  @Test
  @DisplayName("bad names are refused naming the field")
  void badInput() {
    assertRefused(() -> ProvisionSpec.of("Prod!", List.of("web")), "name");
    assertRefused(() -> ProvisionSpec.of("prod", List.of()), "namespace");
    assertRefused(() -> ProvisionSpec.of("prod", List.of("Web_1")), "namespace");
    assertRefused(() -> ProvisionSpec.of("prod", List.of("sightline-prod")), "namespace");
    assertRefused(
        () -> ProvisionSpec.of("prod", List.of("web")).withHomeNamespace("a/b"), "homeNamespace");
    assertRefused(() -> DeployerRole.parse("Cluster Admin"), "deployerRole");
  }

  @Test
  @DisplayName("deployerRole accepts sightline-deploy, edit, admin and any ClusterRole name")
  void deployerRoles() {
    assertThat(DeployerRole.parse(null)).isEqualTo(DeployerRole.SIGHTLINE_DEPLOY);
    assertThat(DeployerRole.parse("edit")).isEqualTo(DeployerRole.EDIT);
    assertThat(DeployerRole.parse("admin")).isEqualTo(DeployerRole.ADMIN);
    assertThat(DeployerRole.parse("system:aggregate-to-edit").clusterRole())
        .isEqualTo("system:aggregate-to-edit");
  }

  private static void assertRefused(Runnable r, String field) {
    assertThatThrownBy(r::run)
        .isInstanceOfSatisfying(
            SightlineException.class,
            e -> {
              assertThat(e.status()).isEqualTo(400);
              assertThat(e.field()).isEqualTo(field);
            });
  }
}
