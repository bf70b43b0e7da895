package io.sightline.api.probe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ProbeResultJsonTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static String fixture(String name) throws IOException {
    try (InputStream in = ProbeResultJsonTest.class.getResourceAsStream(name)) {
      assertThat(in).as(name).isNotNull();
      return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"probe-result-ok.json", "probe-result-failed.json"})
  void aProbeResultFixtureSurvivesARoundTripUnchanged(String name) throws IOException {
    String text = fixture(name);
    ProbeResult result = JSON.readValue(text, ProbeResult.class);
    JsonNode written = JSON.readTree(JSON.writeValueAsString(result));
    assertThat(written).isEqualTo(JSON.readTree(text));
  }

  @Test
  void stepNamesAndStatusesAreLowerCaseOnTheWire() throws IOException {
    ProbeResult result = JSON.readValue(fixture("probe-result-ok.json"), ProbeResult.class);
    assertThat(result.steps())
        .extracting(ProbeStep::name)
        .containsExactly(
            ProbeStep.Name.RESOLVE,
            ProbeStep.Name.CONNECT,
            ProbeStep.Name.TLS,
            ProbeStep.Name.VERSION,
            ProbeStep.Name.AUTHENTICATE,
            ProbeStep.Name.NAMESPACES);
    assertThat(JSON.writeValueAsString(ProbeStep.skipped(ProbeStep.Name.RESOLVE, "IP literal")))
        .contains("\"name\":\"resolve\"", "\"status\":\"skipped\"");
    assertThat(result.identity().username())
        .isEqualTo("system:serviceaccount:sightline-prod:sightline-minter");
  }

  @Test
  void aFailedProbeCarriesItsDiagnosisCodeAndHint() throws IOException {
    ProbeResult result = JSON.readValue(fixture("probe-result-failed.json"), ProbeResult.class);
    assertThat(result.ok()).isFalse();
    assertThat(result.diagnosis().code()).isEqualTo(DiagnosisCode.TLS_HANDSHAKE_TIMEOUT);
    assertThat(result.diagnosis().hint()).contains("agent pool");
    assertThat(result.namespaces()).isNull();
  }

  @Test
  void aResultCannotBeBothOkAndDiagnosed() {
    Diagnosis d = new Diagnosis(DiagnosisCode.UNAUTHORIZED, "401", "fix the token");
    assertThatThrownBy(() -> new ProbeResult(true, List.of(), null, null, null, false, d, null, 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () -> new ProbeResult(false, List.of(), null, null, null, false, null, null, 1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theCatalogueHoldsEveryCodeOfTheDesign() {
    assertThat(DiagnosisCode.values())
        .extracting(Enum::name)
        .contains(
            "DNS_UNRESOLVABLE",
            "PRIVATE_ENDPOINT_UNREACHABLE",
            "CONNECT_TIMEOUT",
            "CONNECTION_REFUSED",
            "TLS_HANDSHAKE_TIMEOUT",
            "TLS_UNTRUSTED",
            "UNAUTHORIZED",
            "FORBIDDEN_NAMESPACES",
            "LOCAL_ACCOUNTS_DISABLED",
            "INTERACTIVE_LOGIN_REQUIRED",
            "EXEC_PLUGIN_NOT_ALLOWED",
            "SERVICE_ACCOUNT_TOKEN_SECRET_MISSING",
            "TOKEN_NOT_POPULATED",
            "ENTRA_AUTH_FAILED",
            "ARM_NOT_FOUND",
            "ARM_FORBIDDEN",
            "EGRESS_DENIED");
  }
}
