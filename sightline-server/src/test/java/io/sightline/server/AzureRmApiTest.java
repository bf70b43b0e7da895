package io.sightline.server;

import static io.sightline.server.AzureFixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sightline.testing.azure.MsalEnvironment;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * azurerm connections over the API against the emulated Entra ID and ARM: each scheme verifies, the
 * AKS pick lists show facts and a recommendation, Entra and ARM failures come back with their codes
 * and nothing is stored, AzureSubscription connections fetch the admin kubeconfig through ARM.
 */
class AzureRmApiTest {
  @TempDir static Path tmp;
  static AzureFixture az;
  static Harness h;
  static String admin;

  @BeforeAll
  static void start() throws Exception {
    az = new AzureFixture(tmp);
    h = new Harness(tmp);
    h.opener = io.sightline.store.Stores::open;
    h.flags.put(ServerConfig.PUBLIC_URL, az.issuerUrl());
    h.flags.put(ServerConfig.PROBE_RATE, "10000");
    h.flags.put(ServerConfig.EGRESS_PRIVATE_RANGES, "127.0.0.2/32");
    h.clock.advance(java.time.Duration.between(h.clock.instant(), java.time.Instant.now()));
    h.start();
    az.publish(h.server.oidcIssuer());
    admin = h.adminToken();
  }

  @AfterAll
  static void stop() {
    h.close();
    az.close();
  }

  static Harness.Response create(ObjectNode body) throws Exception {
    return h.post("/api/v1/connections", admin, body.toString());
  }

  static Harness.Response create(ObjectNode body, String query) throws Exception {
    return h.post("/api/v1/connections" + query, admin, body.toString());
  }

  @Test
  @DisplayName("a ServicePrincipal with a secret verifies by listing the subscription's clusters")
  void secretVerifies() throws Exception {
    int kubeRequests = az.kube.requestLog().size();
    Harness.Response r = create(az.secretConnection("arm-secret", SECRET));
    assertThat(r.status()).as(r.toString()).isEqualTo(201);
    JsonNode v = r.json();
    assertThat(v.get("kind").asText()).isEqualTo("azurerm");
    assertThat(v.get("scheme").asText()).isEqualTo("ServicePrincipal");
    assertThat(v.get("verified").asBoolean()).isTrue();
    assertThat(v.get("secretFields").toString()).contains("servicePrincipalKey");
    assertThat(r.body()).doesNotContain(SECRET);
    Harness.Response again = h.post("/api/v1/connections/arm-secret/verify", admin, "");
    assertThat(again.status()).isEqualTo(200);
    assertThat(again.json().get("ok").asBoolean()).isTrue();
    assertThat(again.json().get("clusters").toString())
        .contains("rg-aks/aks1", "rg-aks/aks-static");
    assertThat(h.get("/api/v1/connections/arm-secret", admin).body()).doesNotContain(SECRET);
    // Verification never touched a cluster.
    assertThat(az.kube.requestLog()).hasSize(kubeRequests);
  }

  @Test
  @DisplayName("a ServicePrincipal with a certificate verifies")
  void certificateVerifies() throws Exception {
    ObjectNode c = az.connection("arm-cert", "ServicePrincipal", CERT_APP);
    c.put("authenticationType", "spnCertificate");
    c.put("servicePrincipalCertificate", az.certPem);
    Harness.Response r = create(c);
    assertThat(r.status()).as(r.toString()).isEqualTo(201);
    assertThat(r.json().get("verified").asBoolean()).isTrue();
    assertThat(r.body()).doesNotContain("PRIVATE KEY");
  }

  @Test
  @DisplayName(
      "WorkloadIdentityFederation: Entra accepts the server's assertion; show gives issuer and subject")
  void federationVerifies() throws Exception {
    Harness.Response r = create(az.connection("arm-wif", "WorkloadIdentityFederation", FED_APP));
    assertThat(r.status()).as(r.toString()).isEqualTo(201);
    JsonNode f =
        h.get("/api/v1/connections/arm-wif", admin).json().get("workloadIdentityFederation");
    assertThat(f.get("issuer").asText()).isEqualTo(az.issuerUrl());
    assertThat(f.get("subject").asText()).isEqualTo("sc://sightline/arm-wif");
    assertThat(f.get("audience").asText()).isEqualTo("api://AzureADTokenExchange");
  }

  @Test
  @DisplayName("a federated credential whose subject does not match is AADSTS70021, nothing stored")
  void federationMismatch() throws Exception {
    Harness.Response r =
        create(az.connection("arm-wif-bad", "WorkloadIdentityFederation", OTHER_FED_APP));
    assertThat(r.status()).as(r.toString()).isEqualTo(422);
    assertThat(r.json().get("detail").asText()).contains("ENTRA_AUTH_FAILED", "AADSTS70021");
    assertNotStored("arm-wif-bad");
  }

  @Test
  @DisplayName("a ManagedServiceIdentity verifies through the server's own identity endpoint")
  void managedIdentityVerifies() throws Exception {
    try (MsalEnvironment e = MsalEnvironment.install(az.azure.managedIdentityEnvironment())) {
      ObjectNode c = az.connection("arm-msi", "ManagedServiceIdentity", MI_CLIENT);
      c.remove("tenantid");
      Harness.Response r = create(c);
      assertThat(r.status()).as(r.toString()).isEqualTo(201);
      assertThat(r.json().get("verified").asBoolean()).isTrue();
    }
  }

  @Test
  @DisplayName("a wrong secret is AADSTS7000215 within the deadline, and nothing is stored")
  void wrongSecret() throws Exception {
    Harness.Response r = create(az.secretConnection("arm-wrong", "not-the-secret"));
    assertThat(r.status()).isEqualTo(422);
    JsonNode p = r.json();
    assertThat(p.get("code").asText()).isEqualTo("VERIFICATION_FAILED");
    assertThat(p.get("detail").asText()).contains("AADSTS7000215", "servicePrincipalKey");
    assertThat(p.get("verification").get("diagnosis").get("code").asText())
        .isEqualTo("ENTRA_AUTH_FAILED");
    assertThat(r.body()).doesNotContain("not-the-secret");
    assertNotStored("arm-wrong");
  }

  @Test
  @DisplayName("an unknown tenant is named with its AADSTS code")
  void unknownTenant() throws Exception {
    ObjectNode c = az.secretConnection("arm-tenant", SECRET);
    c.put("tenantid", "00000000-0000-4000-8000-00000000dead");
    Harness.Response r = create(c);
    assertThat(r.status()).isEqualTo(422);
    assertThat(r.json().get("detail").asText()).containsPattern("AADSTS900?0?2");
    assertNotStored("arm-tenant");
  }

  @Test
  @DisplayName("ARM 403 is ARM_FORBIDDEN naming the permission to grant")
  void armForbidden() throws Exception {
    ObjectNode c = az.connection("arm-norights", "ServicePrincipal", NORIGHTS_APP);
    c.put("servicePrincipalKey", SECRET);
    Harness.Response r = create(c);
    assertThat(r.status()).isEqualTo(422);
    assertThat(r.json().get("verification").get("diagnosis").get("code").asText())
        .isEqualTo("ARM_FORBIDDEN");
    assertThat(r.json().get("detail").asText()).contains("managedClusters/read");
    assertNotStored("arm-norights");
    // Saved without verification, the pick list says the same with status 403.
    assertThat(create(c, "?verify=false").status()).isEqualTo(201);
    Harness.Response list = h.get("/api/v1/connections/arm-norights/aks/clusters", admin);
    assertThat(list.status()).isEqualTo(403);
    assertThat(list.json().get("code").asText()).isEqualTo("ARM_FORBIDDEN");
  }

  @Test
  @DisplayName("a stalled token endpoint fails within the deadline, nothing stored")
  void stalledEndpoint() throws Exception {
    az.azure.stallTokenEndpoint(true);
    try {
      long t0 = System.nanoTime();
      Harness.Response r = create(az.secretConnection("arm-stall", SECRET), "?timeout=2s");
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertThat(r.status()).as(r.toString()).isEqualTo(422);
      assertThat(ms).isLessThan(5_000);
      assertThat(r.json().get("detail").asText()).contains("did not answer within", "reachable");
      assertNotStored("arm-stall");
    } finally {
      az.azure.stallTokenEndpoint(false);
    }
  }

  @Test
  @DisplayName("a stalled ARM answers verify with PROBE_DEADLINE_EXCEEDED within the deadline")
  void stalledArm() throws Exception {
    assertThat(create(az.secretConnection("arm-armstall", SECRET)).status()).isEqualTo(201);
    az.azure.stallArm(true);
    try {
      long t0 = System.nanoTime();
      Harness.Response r = h.post("/api/v1/connections/arm-armstall/verify?timeout=2s", admin, "");
      assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(5_000);
      assertThat(r.status()).as(r.toString()).isEqualTo(200);
      assertThat(r.json().get("ok").asBoolean()).isFalse();
      assertThat(r.json().get("diagnosis").get("code").asText())
          .isEqualTo("PROBE_DEADLINE_EXCEEDED");
      JsonNode shown = h.get("/api/v1/connections/arm-armstall", admin).json();
      assertThat(shown.get("verified").asBoolean()).isFalse();
      assertThat(shown.get("lastProbe").get("diagnosis").asText())
          .isEqualTo("PROBE_DEADLINE_EXCEEDED");
    } finally {
      az.azure.stallArm(false);
    }
  }

  @Test
  @DisplayName(
      "the pick lists give each cluster's facts and a recommendation; an unknown one is a 404 naming it")
  void pickLists() throws Exception {
    assertThat(create(az.secretConnection("arm-pick", SECRET)).status()).isEqualTo(201);
    Harness.Response list =
        h.get("/api/v1/connections/arm-pick/aks/clusters?resourceGroup=" + RG, admin);
    assertThat(list.status()).as(list.toString()).isEqualTo(200);
    JsonNode items = list.json().get("items");
    assertThat(items.findValuesAsText("name")).contains("aks1", "aks-static", "aks-private");
    Harness.Response one =
        h.get("/api/v1/connections/arm-pick/aks/clusters/" + RG + "/aks1", admin);
    assertThat(one.status()).isEqualTo(200);
    JsonNode f = one.json();
    assertThat(f.get("localAccountsDisabled").asBoolean()).isTrue();
    assertThat(f.get("entraId").asBoolean()).isTrue();
    assertThat(f.get("privateCluster").asBoolean()).isFalse();
    assertThat(f.get("kubernetesVersion").asText()).isEqualTo("1.30.6");
    assertThat(f.get("recommendation").asText()).contains("azurerm target", "local accounts");
    JsonNode p =
        h.get("/api/v1/connections/arm-pick/aks/clusters/" + RG + "/aks-private", admin).json();
    assertThat(p.get("privateCluster").asBoolean()).isTrue();
    assertThat(p.get("recommendation").asText()).contains("private");
    Harness.Response missing =
        h.get("/api/v1/connections/arm-pick/aks/clusters/" + RG + "/nope", admin);
    assertThat(missing.status()).isEqualTo(404);
    assertThat(missing.json().get("detail").asText()).contains("nope");
    Harness.Response notArm = h.get("/api/v1/connections/nothing-here/aks/clusters", admin);
    assertThat(notArm.status()).isEqualTo(404);
  }

  @Test
  @DisplayName("bad input is a 400 naming the field, before Azure is asked")
  void badInput() throws Exception {
    ObjectNode c = az.secretConnection("arm-bad", SECRET);
    c.put("subscriptionId", "production");
    Harness.Response r = create(c);
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.json().get("field").asText()).isEqualTo("subscriptionId");
    ObjectNode k = az.secretConnection("arm-bad", SECRET);
    k.remove("servicePrincipalKey");
    r = create(k);
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.json().get("field").asText()).isEqualTo("servicePrincipalKey");
    assertNotStored("arm-bad");
  }

  @Test
  @DisplayName("an update keeps the stored secret and re-verifies; a wrong one changes nothing")
  void update() throws Exception {
    assertThat(create(az.secretConnection("arm-upd", SECRET)).status()).isEqualTo(201);
    ObjectNode keep = az.secretConnection("arm-upd", SECRET);
    keep.remove("servicePrincipalKey");
    keep.put("subscriptionName", "Production");
    Harness.Response ok = put("/api/v1/connections/arm-upd", keep);
    assertThat(ok.status()).as(ok.toString()).isEqualTo(200);
    assertThat(ok.json().get("subscriptionName").asText()).isEqualTo("Production");
    Harness.Response bad =
        put("/api/v1/connections/arm-upd", az.secretConnection("arm-upd", "wrong"));
    assertThat(bad.status()).isEqualTo(422);
    assertThat(h.post("/api/v1/connections/arm-upd/verify", admin, "").json().get("ok").asBoolean())
        .isTrue();
    // Switching to a certificate drops the stored secret.
    ObjectNode cert = az.connection("arm-upd", "ServicePrincipal", CERT_APP);
    cert.put("authenticationType", "spnCertificate");
    cert.put("servicePrincipalCertificate", az.certPem);
    Harness.Response switched = put("/api/v1/connections/arm-upd", cert);
    assertThat(switched.status()).as(switched.toString()).isEqualTo(200);
    assertThat(switched.json().get("secretFields").toString())
        .isEqualTo("[\"servicePrincipalCertificate\"]");
  }

  @Test
  @DisplayName(
      "AzureSubscription through an azurerm connection: local accounts disabled is LOCAL_ACCOUNTS_DISABLED with the azurerm target as the way out")
  void azureSubscriptionLocalAccountsDisabled() throws Exception {
    assertThat(create(az.secretConnection("arm-for-sub", SECRET)).status()).isIn(201, 409);
    ObjectNode sub = azureSubscription("sub-aks1", "aks1");
    Harness.Response r = create(sub);
    assertThat(r.status()).as(r.toString()).isEqualTo(409);
    assertThat(r.json().get("code").asText()).isEqualTo("LOCAL_ACCOUNTS_DISABLED");
    assertThat(r.json().get("detail").asText())
        .contains("\"azureConnection\":\"arm-for-sub\"", "\"cluster\":\"aks1\"");
    assertNotStored("sub-aks1");
  }

  @Test
  @DisplayName(
      "AzureSubscription through an azurerm connection provisions with ARM's admin kubeconfig")
  void azureSubscriptionProvisions() throws Exception {
    assertThat(create(az.secretConnection("arm-for-sub", SECRET)).status()).isIn(201, 409);
    Harness.Response r = create(azureSubscription("sub-local", "aks-local"));
    assertThat(r.status()).as(r.toString()).isEqualTo(201);
    assertThat(r.json().get("homeNamespace").asText()).isEqualTo("sightline-sub-local");
    assertThat(r.json().get("azureConnection").asText()).isEqualTo("arm-for-sub");
    assertThat(r.json().get("secretFields").toString()).doesNotContain("adminKubeconfig");
  }

  @Test
  @DisplayName(
      "AzureSubscription of a private cluster the server cannot reach is PRIVATE_ENDPOINT_UNREACHABLE within the deadline")
  void azureSubscriptionPrivate() throws Exception {
    assertThat(create(az.secretConnection("arm-for-sub", SECRET)).status()).isIn(201, 409);
    long t0 = System.nanoTime();
    Harness.Response r = create(azureSubscription("sub-private", "aks-private"), "?timeout=3s");
    assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(6_000);
    assertThat(r.status()).as(r.toString()).isEqualTo(422);
    assertThat(r.json().get("diagnosis").get("code").asText())
        .isEqualTo("PRIVATE_ENDPOINT_UNREACHABLE");
    assertThat(r.json().get("detail").asText()).contains("agent", "azureConnection");
    assertNotStored("sub-private");
  }

  @Test
  @DisplayName("AzureSubscription naming an unknown cluster is a 404 naming it")
  void azureSubscriptionUnknownCluster() throws Exception {
    assertThat(create(az.secretConnection("arm-for-sub", SECRET)).status()).isIn(201, 409);
    Harness.Response r = create(azureSubscription("sub-none", "no-such-aks"));
    assertThat(r.status()).isEqualTo(404);
    assertThat(r.json().get("detail").asText()).contains("no-such-aks");
    assertThat(r.json().get("field").asText()).isEqualTo("cluster");
    assertNotStored("sub-none");
  }

  static ObjectNode azureSubscription(String name, String cluster) {
    ObjectNode n = Harness.JSON.createObjectNode();
    n.put("name", name);
    n.put("kind", "kubernetes");
    n.put("authorizationType", "AzureSubscription");
    n.put("azureConnection", "arm-for-sub");
    n.put("resourceGroup", RG);
    n.put("cluster", cluster);
    n.putArray("namespaces").add("web");
    n.put("createNamespace", true);
    return n;
  }

  static Harness.Response put(String path, ObjectNode body) throws Exception {
    return h.send(
        h.req(path, admin)
            .header("Content-Type", "application/json")
            .PUT(java.net.http.HttpRequest.BodyPublishers.ofString(body.toString()))
            .build());
  }

  static void assertNotStored(String name) throws Exception {
    assertThat(h.get("/api/v1/connections/" + name, admin).status()).isEqualTo(404);
  }
}
