package io.sightline.server;

import static io.sightline.server.AzureFixture.FED_APP;
import static io.sightline.server.AzureFixture.RG;
import static io.sightline.server.AzureFixture.SECRET;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The web UI's azurerm pages against the emulated Entra ID and ARM: the wizard built from the
 * ServicePrincipal fields (its secret never echoed), the AKS pickers (resource group → cluster →
 * facts and recommendation), and the federated credential's issuer and subject to copy.
 */
class WebUiAzureTest {
  @TempDir static Path tmp;
  static AzureFixture az;
  static Harness h;
  static WebUiTest.Browser browser;
  static String csrf;

  @BeforeAll
  static void start() throws Exception {
    az = new AzureFixture(tmp);
    h = new Harness(tmp);
    h.opener = io.sightline.store.Stores::open;
    h.flags.put(ServerConfig.PUBLIC_URL, az.issuerUrl());
    h.flags.put(ServerConfig.PROBE_RATE, "10000");
    h.clock.advance(java.time.Duration.between(h.clock.instant(), java.time.Instant.now()));
    h.start();
    az.publish(h.server.oidcIssuer());
    browser = new WebUiTest.Browser(h.server.url());
    csrf = browser.signIn(h.adminToken());
  }

  @AfterAll
  static void stop() {
    h.close();
    az.close();
  }

  /** The wizard's form for an API body: every field as a form field. */
  static Map<String, String> form(ObjectNode body, String action) {
    Map<String, String> f = new LinkedHashMap<>();
    f.put("csrf", csrf);
    f.put("type", body.get("scheme").asText());
    body.fields()
        .forEachRemaining(
            e -> {
              if (!e.getKey().equals("scheme")) {
                f.put(e.getKey(), e.getValue().asText());
              }
            });
    f.put("action", action);
    return f;
  }

  @Test
  void aServicePrincipalIsCheckedAndSavedThroughTheWizardWithoutEchoingItsSecret()
      throws Exception {
    HttpResponse<String> page =
        browser.get("/ui/connections/new?kind=azurerm&type=ServicePrincipal");
    assertThat(page.body())
        .contains("name=\"servicePrincipalKey\"")
        .contains("type=\"password\" id=\"f-servicePrincipalKey\"");
    HttpResponse<String> checked =
        browser.post("/ui/connections/new", form(az.secretConnection("arm-ui", SECRET), "probe"));
    assertThat(checked.statusCode()).as(checked.body()).isEqualTo(200);
    assertThat(checked.body()).contains("Reached the cluster").contains("rg-aks/aks1");
    assertThat(checked.body()).doesNotContain(SECRET);
    HttpResponse<String> saved =
        browser.post("/ui/connections/new", form(az.secretConnection("arm-ui", SECRET), "save"));
    assertThat(saved.statusCode()).as(saved.body()).isEqualTo(303);
    assertThat(browser.get("/ui/connections/arm-ui").body())
        .contains("Pick an AKS cluster")
        .doesNotContain(SECRET);
  }

  @Test
  void theAksPickersGoFromResourceGroupToClusterToFactsAndARecommendation() throws Exception {
    assertThat(
            h.post(
                    "/api/v1/connections",
                    h.adminToken(),
                    az.secretConnection("arm-pick", SECRET).toString())
                .status())
        .isEqualTo(201);
    HttpResponse<String> groups = browser.get("/ui/connections/arm-pick/aks");
    assertThat(groups.statusCode()).as(groups.body()).isEqualTo(200);
    assertThat(groups.body()).contains("<option value=\"" + RG + "\">" + RG + "</option>");
    HttpResponse<String> clusters = browser.get("/ui/connections/arm-pick/aks?resourceGroup=" + RG);
    assertThat(clusters.body()).contains("aks1").contains("aks-private");
    HttpResponse<String> facts =
        browser.get("/ui/connections/arm-pick/aks?resourceGroup=" + RG + "&cluster=aks1");
    assertThat(facts.body())
        .contains("id=\"aks-facts\"")
        .contains("<dt>Local accounts disabled</dt><dd>yes</dd>")
        .contains("id=\"recommendation\"")
        .contains("azurerm target");
    HttpResponse<String> missing =
        browser.get("/ui/connections/arm-pick/aks?resourceGroup=" + RG + "&cluster=nope");
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(missing.body()).contains("nope");
  }

  @Test
  void aFederatedConnectionShowsTheIssuerAndSubjectWithCopyButtons() throws Exception {
    assertThat(
            h.post(
                    "/api/v1/connections",
                    h.adminToken(),
                    az.connection("arm-wif", "WorkloadIdentityFederation", FED_APP).toString())
                .status())
        .isEqualTo(201);
    String page = browser.get("/ui/connections/arm-wif").body();
    assertThat(page)
        .contains("<code id=\"wif-issuer\">" + az.issuerUrl() + "</code>")
        .contains("<code id=\"wif-subject\">sc://sightline/arm-wif</code>")
        .contains("data-copy=\"wif-subject\"");
  }
}
