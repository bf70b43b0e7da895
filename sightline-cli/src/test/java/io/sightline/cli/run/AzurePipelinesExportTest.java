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
  }
}
