package io.sightline.server;

import static io.sightline.server.AzureFixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jwt.SignedJWT;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Leases for azurerm targets: a fresh Entra token per lease with its honest limits, static
 * credentials only where the connection allows them, renew, revoke, refusals and audit.
 */
class AzureLeaseApiTest {
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
    h.clock.advance(Duration.between(h.clock.instant(), Instant.now()));
    h.start();
    az.publish(h.server.oidcIssuer());
    admin = h.adminToken();
    assertThat(
            h.post("/api/v1/connections", admin, az.secretConnection("arm", SECRET).toString())
                .status())
        .isEqualTo(201);
    ObjectNode st = az.secretConnection("arm-static", SECRET);
    st.put("allowStaticCredentials", true);
    assertThat(h.post("/api/v1/connections", admin, st.toString()).status()).isEqualTo(201);
    assertThat(
            h.post(
                    "/api/v1/connections",
                    admin,
                    az.connection("arm-wif", "WorkloadIdentityFederation", FED_APP).toString())
                .status())
        .isEqualTo(201);
  }

  @AfterAll
  static void stop() {
    h.close();
    az.close();
  }

  static Harness.Response lease(String conn, String cluster, boolean admin, String key)
      throws Exception {
    ObjectNode body = Harness.JSON.createObjectNode();
    ObjectNode t = body.putObject("target");
    t.put("azureConnection", conn);
    t.put("resourceGroup", RG);
    t.put("cluster", cluster);
    t.put("namespace", "default");
    t.put("useClusterAdmin", admin);
    var req =
        h.req("/api/v1/leases", AzureLeaseApiTest.admin).header("Content-Type", "application/json");
    if (key != null) {
      req.header("Idempotency-Key", key);
    }
    return h.send(
        req.POST(java.net.http.HttpRequest.BodyPublishers.ofString(body.toString())).build());
  }

  @Test
  @DisplayName(
      "an Entra lease carries a fresh AKS token whose exp is the lease's expiry, and says it cannot be revoked")
  void entraLease() throws Exception {
    Harness.Response r = lease("arm", "aks1", false, null);
    assertThat(r.status()).as(r.toString()).isEqualTo(201);
    JsonNode l = r.json();
    assertThat(l.get("credential").asText()).isEqualTo("entra");
    var claims = SignedJWT.parse(l.get("token").asText()).getJWTClaimsSet();
    assertThat(claims.getAudience()).contains("6dae42f8-4368-4678-94ff-3960e28e3630");
    assertThat(Instant.parse(l.get("expiresAt").asText()))
        .isEqualTo(claims.getExpirationTime().toInstant());
    assertThat(l.get("warnings").toString())
        .contains("cannot be revoked", "Entra ID sets the lifetime");
    assertThat(l.get("kubeconfig").asText()).contains(az.kube.url().toString());
    assertThat(l.get("target").get("cluster").asText()).isEqualTo("aks1");
    assertThat(l.get("certificateAuthorityData").asText()).isNotBlank();
    String first = l.get("token").asText();
    String id = l.get("id").asText();

    // A second task gets its own token (no shared cache by default).
    String second = lease("arm", "aks1", false, null).json().get("token").asText();
    assertThat(second).isNotEqualTo(first);

    Harness.Response renewed = h.post("/api/v1/leases/" + id + "/renew", admin, "{}");
    assertThat(renewed.status()).as(renewed.toString()).isEqualTo(200);
    assertThat(renewed.json().get("token").asText()).isNotEqualTo(first);

    Harness.Response revoked = h.delete("/api/v1/leases/" + id, admin);
    assertThat(revoked.status()).isEqualTo(200);
    assertThat(revoked.json().get("state").asText()).isEqualTo("revoked");
    assertThat(revoked.json().get("warnings").toString()).contains("cannot be revoked early");
    JsonNode shown = h.get("/api/v1/leases/" + id, admin).json();
    assertThat(shown.get("state").asText()).isEqualTo("revoked");
    assertThat(shown.get("revocable").asBoolean()).isFalse();

    String audit = h.get("/api/v1/audit?target=lease/" + id, admin).body();
    assertThat(audit)
        .contains("lease.issue", "lease.renew", "lease.revoke", "\"tokenRevoked\":false");
    assertThat(audit).doesNotContain(first);
  }

  @Test
  @DisplayName("WorkloadIdentityFederation leases work end to end with the server's own assertion")
  void federatedLease() throws Exception {
    Harness.Response r = lease("arm-wif", "aks1", false, null);
    assertThat(r.status()).as(r.toString()).isEqualTo(201);
    assertThat(r.json().get("credential").asText()).isEqualTo("entra");
  }

  @Test
  @DisplayName("an idempotent retry answers the same lease and token")
  void idempotent() throws Exception {
    Harness.Response a = lease("arm", "aks1", false, "task-42");
    Harness.Response b = lease("arm", "aks1", false, "task-42");
    assertThat(a.status()).isEqualTo(201);
    assertThat(b.json().get("id").asText()).isEqualTo(a.json().get("id").asText());
    assertThat(b.json().get("token").asText()).isEqualTo(a.json().get("token").asText());
    assertThat(b.header("Idempotent-Replayed")).isEqualTo("true");
  }

  @Test
  @DisplayName(
      "a cluster without Entra ID needs allowStaticCredentials; then the lease is static and audited as such")
  void staticCredentials() throws Exception {
    Harness.Response refused = lease("arm", "aks-static", false, null);
    assertThat(refused.status()).isEqualTo(403);
    assertThat(refused.json().get("code").asText()).isEqualTo("STATIC_CREDENTIAL_NOT_ALLOWED");
    assertThat(refused.json().get("detail").asText()).contains("allow them on the connection");
    Harness.Response admin1 = lease("arm", "aks-local", true, null);
    assertThat(admin1.status()).isEqualTo(403);
    assertThat(admin1.json().get("field").asText()).isEqualTo("target.useClusterAdmin");

    Harness.Response ok = lease("arm-static", "aks-static", false, null);
    assertThat(ok.status()).as(ok.toString()).isEqualTo(201);
    assertThat(ok.json().get("credential").asText()).isEqualTo("static");
    assertThat(ok.json().get("warnings").toString()).contains("long-lived client certificate");
    Harness.Response clusterAdmin = lease("arm-static", "aks-local", true, null);
    assertThat(clusterAdmin.status()).as(clusterAdmin.toString()).isEqualTo(201);
    assertThat(clusterAdmin.json().get("kubeconfig").asText()).contains("client-certificate-data");
    String audit = h.get("/api/v1/audit?action=lease.refused", admin).body();
    assertThat(audit).contains("STATIC_CREDENTIAL_NOT_ALLOWED");
  }

  @Test
  @DisplayName(
      "useClusterAdmin on a cluster with local accounts disabled is LOCAL_ACCOUNTS_DISABLED")
  void clusterAdminRefusedByArm() throws Exception {
    Harness.Response r = lease("arm-static", "aks1", true, null);
    assertThat(r.status()).isEqualTo(409);
    assertThat(r.json().get("code").asText()).isEqualTo("LOCAL_ACCOUNTS_DISABLED");
  }

  @Test
  @DisplayName("an unknown cluster is a 404 naming it; a wrong connection names the field")
  void refusals() throws Exception {
    Harness.Response r = lease("arm", "no-such-aks", false, null);
    assertThat(r.status()).isEqualTo(404);
    assertThat(r.json().get("field").asText()).isEqualTo("target.cluster");
    assertThat(r.json().get("detail").asText()).contains("no-such-aks");
    Harness.Response none = lease("nothing", "aks1", false, null);
    assertThat(none.status()).isEqualTo(404);
    assertThat(none.json().get("field").asText()).isEqualTo("target.azureConnection");
    ObjectNode body = Harness.JSON.createObjectNode();
    body.putObject("target").put("azureConnection", "arm").put("cluster", "aks1");
    Harness.Response noGroup = h.post("/api/v1/leases", admin, body.toString());
    assertThat(noGroup.status()).isEqualTo(400);
    assertThat(noGroup.json().get("field").asText()).isEqualTo("target.resourceGroup");
  }
}
