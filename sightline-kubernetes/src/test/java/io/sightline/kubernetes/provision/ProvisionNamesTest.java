package io.sightline.kubernetes.provision;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ProvisionNamesTest {

  @Test
  @DisplayName("names follow the connection and namespace names as documented")
  void documentedNames() {
    assertThat(ProvisionNames.defaultHomeNamespace("prod")).isEqualTo("sightline-prod");
    assertThat(ProvisionNames.deployer("web")).isEqualTo("deployer-web");
    assertThat(ProvisionNames.deployerRoleBinding("prod")).isEqualTo("sightline-prod-deployer");
    assertThat(ProvisionNames.clusterAdminBinding("prod"))
        .isEqualTo("sightline-prod-cluster-admin");
    assertThat(ProvisionNames.leaseSecret("0f3a")).isEqualTo("sightline-lease-0f3a");
  }

  @Test
  @DisplayName(
      "a name past 63 characters is cut and ends with 8 hex digits of its hash, stable and distinct")
  void longNamesAreHashSuffixed() {
    String ns63 = "n".repeat(63);
    String other63 = "n".repeat(62) + "x";

    String a = ProvisionNames.deployer(ns63);
    String b = ProvisionNames.deployer(other63);

    assertThat(a).hasSize(63).matches("deployer-n+-[0-9a-f]{8}");
    assertThat(ProvisionNames.isDnsLabel(a)).isTrue();
    assertThat(b).hasSize(63).isNotEqualTo(a);
    assertThat(ProvisionNames.deployer(ns63)).isEqualTo(a);
    assertThat(ProvisionNames.defaultHomeNamespace("c".repeat(60))).hasSize(63);
    assertThat(ProvisionNames.deployer("n".repeat(54))).isEqualTo("deployer-" + "n".repeat(54));
  }

  @Test
  @DisplayName("a cut name never ends with '-' before its hash")
  void noDoubleDash() {
    String name = ProvisionNames.deployer("a".repeat(44) + "-" + "b".repeat(18));
    assertThat(name).doesNotContain("--").hasSizeLessThanOrEqualTo(63);
  }
}
