package io.sightline.connections;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sightline.connections.azuresubscription.AzureSubscriptionConnection;
import io.sightline.core.SightlineException;
import io.sightline.kubernetes.ClusterAccess;
import io.sightline.kubernetes.provision.ProvisionSpec;
import java.io.InputStream;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The flat wire form of each kind: fixtures round-trip, views redact, errors name the field. */
class ConnectionWireTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  static JsonNode fixture(String name) throws Exception {
    try (InputStream in = ConnectionWireTest.class.getResourceAsStream("/fixtures/" + name)) {
      return JSON.readTree(in);
    }
  }

  @ParameterizedTest(name = "{0} parses and writes back unchanged")
  @ValueSource(
      strings = {
        "kubeconfig.json",
        "service-account.json",
        "azure-subscription.json",
        "azurerm-spn.json",
        "azurerm-wif.json",
        "azurerm-msi.json"
      })
  void fixturesRoundTrip(String file) throws Exception {
    JsonNode wire = fixture(file);
    ConnectionSpec spec = ConnectionRequests.parse(wire, Set.of());
    spec.type().validate(spec);
    assertThat(ConnectionRequests.toWireWithSecrets(spec)).isEqualTo(wire);
    ConnectionSpec again =
        ConnectionRequests.parse(ConnectionRequests.toWireWithSecrets(spec), Set.of());
    assertThat(again).isEqualTo(spec);
  }

  @ParameterizedTest(name = "the view of {0} names its secret fields and shows no secret value")
  @ValueSource(
      strings = {
        "kubeconfig.json",
        "service-account.json",
        "azure-subscription.json",
        "azurerm-spn.json",
        "azurerm-wif.json",
        "azurerm-msi.json"
      })
  void viewsNeverShowSecrets(String file) throws Exception {
    ConnectionSpec spec = ConnectionRequests.parse(fixture(file), Set.of());
    ObjectNode view = ConnectionRequests.view(spec, spec.storedSecrets().keySet());
    assertThat(view.toString()).doesNotContain("fixture-token");
    assertThat(spec.toString()).doesNotContain("fixture-token");
    for (FieldSpec f : spec.type().fields()) {
      if (f.secret()) {
        assertThat(view.has(f.name())).as(f.name()).isFalse();
      }
    }
    assertThat(view.get("hasSecret").asBoolean()).isEqualTo(!spec.storedSecrets().isEmpty());
  }

  @Test
  @DisplayName("the AzureSubscription admin kubeconfig is used, never stored")
  void adminKubeconfigIsNotStored() throws Exception {
    ConnectionSpec spec = ConnectionRequests.parse(fixture("azure-subscription.json"), Set.of());
    assertThat(spec.secrets()).containsKey("adminKubeconfig");
    assertThat(spec.storedSecrets()).isEmpty();
    ClusterAccess admin = spec.type().access(spec);
    assertThat(admin.server()).isEqualTo("https://127.0.0.1:6443");
    ProvisionSpec p = AzureSubscriptionConnection.TYPE.provisionSpec(spec);
    assertThat(p.targetNamespaces()).containsExactly("api", "web");
    assertThat(p.homeNamespace()).isEqualTo("sightline-aks-prod");
    assertThat(p.createNamespace()).isTrue();
  }

  @Test
  @DisplayName("ADO's single namespace is accepted for namespaces")
  void singleNamespaceAlias() throws Exception {
    ObjectNode wire = (ObjectNode) fixture("azure-subscription.json");
    wire.remove("namespaces");
    wire.put("namespace", "web");
    ConnectionSpec spec = ConnectionRequests.parse(wire, Set.of());
    assertThat(spec.list("namespaces")).containsExactly("web");
  }

  @Test
  @DisplayName("every kind is in the registry and declares its fields once")
  void registryCoversEveryKind() {
    for (ConnectionKind k : ConnectionKind.values()) {
      ConnectionType t = ConnectionTypes.of(k);
      assertThat(t.kind()).isEqualTo(k);
      assertThat(t.fields()).extracting(FieldSpec::name).doesNotHaveDuplicates();
      assertThat(t.fields()).allSatisfy(f -> assertThat(f.help()).isNotBlank());
    }
    assertThat(ConnectionKind.fromWire("kubernetes", "service-account"))
        .isEqualTo(ConnectionKind.KUBERNETES_SERVICE_ACCOUNT);
  }

  @Test
  @DisplayName("wrong input is a 400 naming the field and the fix")
  void errorsNameTheField() throws Exception {
    ObjectNode w = (ObjectNode) fixture("service-account.json");
    w.put("acceptUntrustedCerts", "yes");
    assertField(w, "acceptUntrustedCerts", "true or false");

    w = (ObjectNode) fixture("service-account.json");
    w.put("kubeconfig", "x");
    assertField(w, "kubeconfig", "accepted:");

    w = (ObjectNode) fixture("service-account.json");
    w.put("authorizationType", "Certificate");
    assertField(w, "authorizationType", "Kubeconfig, ServiceAccount, AzureSubscription");

    w = (ObjectNode) fixture("service-account.json");
    w.remove("serverUrl");
    assertField(w, "serverUrl", "https://host:port");

    w = (ObjectNode) fixture("service-account.json");
    w.put("name", "a".repeat(64));
    assertField(w, "name", "1-63");

    w = (ObjectNode) fixture("service-account.json");
    w.remove("apiToken");
    ConnectionSpec spec = ConnectionRequests.parse(w, Set.of());
    assertThatThrownBy(() -> spec.type().validate(spec))
        .isInstanceOfSatisfying(
            SightlineException.class, e -> assertThat(e.field()).isEqualTo("secret"));

    ObjectNode sa = (ObjectNode) fixture("service-account.json");
    sa.remove("apiToken");
    sa.put("secret", "kind: Secret\napiVersion: v1\ndata:\n  token: '***'\n");
    ConnectionSpec bad = ConnectionRequests.parse(sa, Set.of());
    assertThatThrownBy(() -> bad.type().validate(bad))
        .isInstanceOfSatisfying(
            SightlineException.class, e -> assertThat(e.field()).startsWith("secret"));
  }

  @Test
  @DisplayName("an update may omit a secret that is stored already")
  void updateMayOmitStoredSecrets() throws Exception {
    ObjectNode w = (ObjectNode) fixture("kubeconfig.json");
    w.remove("kubeconfig");
    assertThatThrownBy(() -> ConnectionRequests.parse(w, Set.of()))
        .isInstanceOfSatisfying(
            SightlineException.class, e -> assertThat(e.field()).isEqualTo("kubeconfig"));
    assertThat(ConnectionRequests.parse(w, Set.of("kubeconfig")).secrets()).isEmpty();
  }

  private static void assertField(JsonNode body, String field, String detail) {
    assertThatThrownBy(() -> ConnectionRequests.parse(body, Set.of()))
        .isInstanceOfSatisfying(
            SightlineException.class,
            e -> {
              assertThat(e.status()).isEqualTo(400);
              assertThat(e.field()).isEqualTo(field);
              assertThat(e.getMessage()).contains(detail);
            });
  }
}
