package io.sightline.connections.azurerm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sightline.azure.AzureCloud;
import io.sightline.azure.TokenSpec;
import io.sightline.connections.ConnectionKind;
import io.sightline.connections.ConnectionRequests;
import io.sightline.connections.ConnectionSpec;
import io.sightline.core.SightlineException;
import java.io.InputStream;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The azurerm kind's wire form: schemes, fields with Azure DevOps' names, and refusals. */
class AzureRmConnectionTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  static ObjectNode fixture(String name) throws Exception {
    try (InputStream in = AzureRmConnectionTest.class.getResourceAsStream("/fixtures/" + name)) {
      return (ObjectNode) JSON.readTree(in);
    }
  }

  static ConnectionSpec parse(JsonNode wire) {
    ConnectionSpec spec = ConnectionRequests.parse(wire, Set.of());
    spec.type().validate(spec);
    return spec;
  }

  @Test
  @DisplayName("scheme names the kind; the view says scheme and hides the client secret")
  void schemeIsTheSecondCoordinate() throws Exception {
    ConnectionSpec spec = parse(fixture("azurerm-spn.json"));
    assertThat(spec.kind()).isEqualTo(ConnectionKind.AZURERM_SERVICE_PRINCIPAL);
    assertThat(spec.storedSecrets()).containsOnlyKeys("servicePrincipalKey");
    ObjectNode view = ConnectionRequests.view(spec, spec.storedSecrets().keySet());
    assertThat(view.get("scheme").asText()).isEqualTo("ServicePrincipal");
    assertThat(view.has("authorizationType")).isFalse();
    assertThat(view.toString()).doesNotContain("fixture-token-client-secret");
    assertThat(view.get("secretFields").toString()).contains("servicePrincipalKey");
    assertThat(AzureRmConnection.tokenSpec(spec, null)).isInstanceOf(TokenSpec.ClientSecret.class);
  }

  @Test
  @DisplayName("an equal authorizationType is accepted beside scheme; a different one is refused")
  void authorizationTypeAlias() throws Exception {
    ObjectNode w = fixture("azurerm-spn.json");
    w.remove("scheme");
    w.put("authorizationType", "serviceprincipal");
    assertThat(parse(w).kind()).isEqualTo(ConnectionKind.AZURERM_SERVICE_PRINCIPAL);
    ObjectNode both = fixture("azurerm-spn.json");
    both.put("authorizationType", "ManagedServiceIdentity");
    assertRefused(both, "authorizationType", "differ");
  }

  @Test
  @DisplayName("each environment maps to its cloud; Custom needs https endpoints")
  void environments() throws Exception {
    assertThat(AzureRmConnection.cloud(parse(fixture("azurerm-wif.json"))))
        .isEqualTo(AzureCloud.AZURE_US_GOVERNMENT);
    AzureCloud custom = AzureRmConnection.cloud(parse(fixture("azurerm-msi.json")));
    assertThat(custom.armEndpointString()).isEqualTo("https://management.stack.example");
    assertThat(custom.armScope()).isEqualTo("https://management.stack.example/.default");

    ObjectNode w = fixture("azurerm-msi.json");
    w.remove("resourceManagerUrl");
    assertRefused(w, "resourceManagerUrl", "required with environment Custom");
    w = fixture("azurerm-msi.json");
    w.put("activeDirectoryAuthority", "http://login.stack.example/");
    assertRefused(w, "activeDirectoryAuthority", "https://");
    w = fixture("azurerm-spn.json");
    w.put("resourceManagerUrl", "https://management.stack.example/");
    assertRefused(w, "resourceManagerUrl", "environment Custom");
    w = fixture("azurerm-spn.json");
    w.put("environment", "AzureGermanCloud");
    assertRefused(w, "environment", "AzureChinaCloud");
  }

  @Test
  @DisplayName("bad input names the field and the fix")
  void refusals() throws Exception {
    ObjectNode w = fixture("azurerm-spn.json");
    w.remove("servicePrincipalKey");
    assertRefused(w, "servicePrincipalKey", "spnKey");
    w = fixture("azurerm-spn.json");
    w.put("authenticationType", "spnCertificate");
    assertRefused(w, "servicePrincipalCertificate", "PEM");
    w = fixture("azurerm-spn.json");
    w.remove("servicePrincipalKey");
    w.put("authenticationType", "spnCertificate");
    w.put(
        "servicePrincipalCertificate",
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    assertRefused(w, "servicePrincipalCertificate", "no private key");
    w = fixture("azurerm-spn.json");
    w.put("authenticationType", "spnPassword");
    assertRefused(w, "authenticationType", "spnKey or spnCertificate");
    w = fixture("azurerm-spn.json");
    w.put("subscriptionId", "prod");
    assertRefused(w, "subscriptionId", "not a GUID");
    w = fixture("azurerm-spn.json");
    w.remove("tenantid");
    assertRefused(w, "tenantid", "tenant");
    w = fixture("azurerm-spn.json");
    w.put("scheme", "PublishProfile");
    assertRefused(
        w, "scheme", "ServicePrincipal, WorkloadIdentityFederation, ManagedServiceIdentity");
    w = fixture("azurerm-wif.json");
    w.put("servicePrincipalKey", "x");
    assertRefused(w, "servicePrincipalKey", "accepted:");
    w = fixture("azurerm-spn.json");
    w.put("caBundle", "not a pem");
    assertRefused(w, "caBundle", "PEM");
    ObjectNode k = fixture("azurerm-spn.json");
    k.put("kind", "kubernetes");
    assertRefused(k, "scheme", "authorizationType");
  }

  @Test
  @DisplayName("a managed identity needs no tenant or client id; static credentials are opt-in")
  void managedIdentity() throws Exception {
    ObjectNode w = fixture("azurerm-msi.json");
    w.remove("serviceprincipalid");
    ConnectionSpec spec = parse(w);
    assertThat(AzureRmConnection.tokenSpec(spec, null))
        .isEqualTo(new TokenSpec.ManagedIdentity(null));
    assertThat(AzureRmConnection.allowsStatic(spec)).isTrue();
    assertThat(AzureRmConnection.allowsStatic(parse(fixture("azurerm-spn.json")))).isFalse();
    assertThat(AzureRmConnection.tokenCache(parse(fixture("azurerm-spn.json")))).isFalse();
  }

  @Test
  @DisplayName("an azurerm connection has no cluster access to probe")
  void noClusterAccess() throws Exception {
    ConnectionSpec spec = parse(fixture("azurerm-spn.json"));
    assertThatThrownBy(() -> spec.type().access(spec))
        .isInstanceOfSatisfying(
            SightlineException.class,
            e -> {
              assertThat(e.code()).isEqualTo("NOT_A_CLUSTER_CONNECTION");
              assertThat(e.getMessage()).contains("/aks/clusters");
            });
  }

  private static void assertRefused(JsonNode body, String field, String detail) {
    assertThatThrownBy(() -> parse(body))
        .isInstanceOfSatisfying(
            SightlineException.class,
            e -> {
              assertThat(e.status()).isEqualTo(400);
              assertThat(e.field()).isEqualTo(field);
              assertThat(e.getMessage()).contains(detail);
            });
  }
}
