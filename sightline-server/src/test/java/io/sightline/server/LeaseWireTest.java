package io.sightline.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.sightline.server.http.JsonBodies;
import io.sightline.server.routes.LeaseRoutes;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The lease request shapes: fixtures round-trip through the server's strict mapper. */
class LeaseWireTest {
  static final ObjectMapper JSON = JsonBodies.mapper();

  static String fixture(String name) throws Exception {
    try (InputStream in = LeaseWireTest.class.getResourceAsStream("/fixtures/leases/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @ParameterizedTest(name = "{0} round-trips")
  @ValueSource(strings = {"create-request.json", "create-request-azurerm.json"})
  void createRequestsRoundTrip(String name) throws Exception {
    String text = fixture(name);
    LeaseRoutes.LeaseCreate parsed = JSON.readValue(text, LeaseRoutes.LeaseCreate.class);
    assertThat(JSON.readTree(JSON.writeValueAsString(parsed))).isEqualTo(JSON.readTree(text));
  }

  @Test
  @DisplayName("the kubernetes form names the connection; the azurerm form is told apart")
  void targetForms() throws Exception {
    LeaseRoutes.LeaseCreate k =
        JSON.readValue(fixture("create-request.json"), LeaseRoutes.LeaseCreate.class);
    assertThat(k.target().isAzure()).isFalse();
    assertThat(k.target().connection()).isEqualTo("prod");
    assertThat(k.task().attempt()).isEqualTo(1);
    LeaseRoutes.LeaseCreate a =
        JSON.readValue(fixture("create-request-azurerm.json"), LeaseRoutes.LeaseCreate.class);
    assertThat(a.target().isAzure()).isTrue();
    LeaseRoutes.LeaseRenew r =
        JSON.readValue(fixture("renew-request.json"), LeaseRoutes.LeaseRenew.class);
    assertThat(r.ttlSeconds()).isEqualTo(900);
  }

  @Test
  @DisplayName("an unknown field or a string TTL is refused")
  void strictness() {
    assertThatThrownBy(
            () ->
                JSON.readValue(
                    "{\"target\":{\"connection\":\"prod\",\"ns\":\"web\"}}",
                    LeaseRoutes.LeaseCreate.class))
        .hasMessageContaining("ns");
    assertThatThrownBy(
            () ->
                JSON.readValue(
                    "{\"target\":{\"connection\":\"prod\"},\"ttlSeconds\":\"900\"}",
                    LeaseRoutes.LeaseCreate.class))
        .isInstanceOf(Exception.class);
  }
}
