package io.sightline.cli.run;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class AzurePipelinesExportTest {
  private static final String ID = "c0ffee00-0000-4000-8000-000000000001";

  @Test
  @DisplayName(
      "the endpoint variables decode the way azure-pipelines-tasks-kubernetes-common reads"
          + " them: apiToken base64 of the token, serviceAccountCertificate the base64 PEM as is")
  void variables() throws Exception {
    Map<String, String> v =
        AzurePipelinesExport.variables(TaskKubeconfigTest.lease("lease-token-abcdef"));
    assertThat(v.get("ENDPOINT_URL_" + ID)).isEqualTo("https://127.0.0.1:6443");
    assertThat(v.get("ENDPOINT_AUTH_SCHEME_" + ID)).isEqualTo("Token");
    assertThat(v.get("ENDPOINT_DATA_" + ID + "_AUTHORIZATIONTYPE")).isEqualTo("ServiceAccount");
    assertThat(v.get("ENDPOINT_DATA_" + ID + "_NAMESPACE")).isEqualTo("web");
    // createKubeconfig: Buffer.from(getEndpointAuthorizationParameter(id, 'apiToken'), 'base64')
    String apiToken = v.get("ENDPOINT_AUTH_PARAMETER_" + ID + "_APITOKEN");
    assertThat(new String(Base64.getDecoder().decode(apiToken), StandardCharsets.UTF_8))
        .isEqualTo("lease-token-abcdef");
    // certificate-authority-data = getEndpointAuthorizationParameter(id,
    // 'serviceAccountCertificate')
    assertThat(v.get("ENDPOINT_AUTH_PARAMETER_" + ID + "_SERVICEACCOUNTCERTIFICATE"))
        .isEqualTo(FakeLeaseServer.CA_PEM_B64);
    JsonNode auth = FakeLeaseServer.JSON.readTree(v.get("ENDPOINT_AUTH_" + ID));
    assertThat(auth.get("scheme").asText()).isEqualTo("Token");
    assertThat(auth.at("/parameters/apitoken").asText()).isEqualTo(apiToken);
    assertThat(auth.at("/parameters/serviceAccountCertificate").asText())
        .isEqualTo(FakeLeaseServer.CA_PEM_B64);
    assertThat(auth.at("/parameters/isCreatedFromSecretYaml").asText()).isEqualTo("false");
    assertThat(AzurePipelinesExport.warning(TaskKubeconfigTest.lease("lease-token-abcdef")))
        .isNull();
  }

  @Test
  @DisplayName(
      "a lease without a CA exports no empty serviceAccountCertificate (which"
          + " azure-pipelines-task-lib treats as missing) and run's warning names the variable the"
          + " tasks will miss")
  void leaseWithoutCa() throws Exception {
    Lease lease = withoutCa(TaskKubeconfigTest.lease("lease-token-abcdef"));
    Map<String, String> v = AzurePipelinesExport.variables(lease);
    assertThat(v)
        .doesNotContainKey("ENDPOINT_AUTH_PARAMETER_" + ID + "_SERVICEACCOUNTCERTIFICATE")
        .containsKey("ENDPOINT_AUTH_PARAMETER_" + ID + "_APITOKEN");
    JsonNode auth = FakeLeaseServer.JSON.readTree(v.get("ENDPOINT_AUTH_" + ID));
    assertThat(auth.at("/parameters/serviceAccountCertificate").isMissingNode()).isTrue();
    assertThat(auth.at("/parameters/isCreatedFromSecretYaml").asText()).isEqualTo("false");
    assertThat(AzurePipelinesExport.warning(lease))
        .contains("no CA certificate")
        .contains("ENDPOINT_AUTH_PARAMETER_" + ID + "_SERVICEACCOUNTCERTIFICATE")
        .contains("Endpoint auth data not present")
        .doesNotContain("lease-token-abcdef");
  }

  private static Lease withoutCa(Lease l) {
    return new Lease(
        l.id(),
        l.credential(),
        l.token(),
        l.server(),
        null,
        l.namespace(),
        l.expiresAt(),
        l.maxExpiresAt(),
        l.ttlSeconds(),
        l.warnings(),
        l.handle(),
        l.connectionId(),
        l.json());
  }
}
