package io.sightline.cli.kubelogin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ExecCredentialTest {
  @Test
  @DisplayName("v1beta1 without KUBERNETES_EXEC_INFO, otherwise the version kubectl announced")
  void versionFromExecInfo() {
    assertThat(ExecCredential.apiVersion(Map.of())).isEqualTo(ExecCredential.V1BETA1);
    assertThat(
            ExecCredential.apiVersion(
                Map.of(
                    "KUBERNETES_EXEC_INFO",
                    "{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\"}")))
        .isEqualTo(ExecCredential.V1);
    assertThatThrownBy(
            () ->
                ExecCredential.apiVersion(
                    Map.of(
                        "KUBERNETES_EXEC_INFO",
                        "{\"apiVersion\":\"client.authentication.k8s.io/v1alpha1\"}")))
        .hasMessageContaining("v1alpha1");
  }

  @Test
  @DisplayName("the JSON is an ExecCredential with the token and an RFC 3339 expiry, escaped")
  void json() throws Exception {
    JsonNode n =
        new ObjectMapper()
            .readTree(
                ExecCredential.json(
                    ExecCredential.V1, "a\"b\\c", Instant.parse("2026-11-29T15:00:00.123Z")));
    assertThat(n.path("kind").asText()).isEqualTo("ExecCredential");
    assertThat(n.path("apiVersion").asText()).isEqualTo(ExecCredential.V1);
    assertThat(n.at("/status/token").asText()).isEqualTo("a\"b\\c");
    assertThat(n.at("/status/expirationTimestamp").asText()).isEqualTo("2026-11-29T15:00:00Z");
  }
}
