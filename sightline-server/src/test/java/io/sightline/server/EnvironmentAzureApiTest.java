package io.sightline.server;

import static io.sightline.server.AzureFixture.RG;
import static io.sightline.server.AzureFixture.SECRET;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An environment whose resource names an azurerm connection (an AKS cluster the server need not
 * reach at configuration time): created empty, given the resource later, deployed to through its
 * checks with a fresh Entra token for the task.
 */
class EnvironmentAzureApiTest {
  @TempDir static Path tmp;
  static AzureFixture az;
  static Harness h;
  static String admin;
  static String approver;

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
    Harness.Response t =
        h.post(
            "/api/v1/tokens",
            admin,
            "{\"name\":\"ops\",\"role\":\"reader\",\"groups\":[\"ops-leads\"]}");
    approver = t.json().get("token").asText();
  }

  @AfterAll
  static void stop() {
    h.close();
    az.close();
  }

  @Test
  @DisplayName(
      "an empty environment gets an azurerm resource later; its deployment passes the approval and"
          + " claims an Entra lease whose audit record names the approver")
  void azureResource() throws Exception {
    Harness.Response e = h.post("/api/v1/environments", admin, "{\"name\":\"aks-prod\"}");
    assertThat(e.status()).as("%s", e).isEqualTo(201);
    assertThat(e.json().get("resources")).isEmpty();
    Harness.Response r =
        h.post(
            "/api/v1/environments/aks-prod/resources",
            admin,
            "{\"name\":\"web\",\"tags\":[\"aks\"],\"target\":{\"azureConnection\":\"arm\","
                + "\"resourceGroup\":\""
                + RG
                + "\",\"cluster\":\"aks1\",\"namespace\":\"web\"}}");
    assertThat(r.status()).as("%s", r).isEqualTo(201);
    assertThat(r.json().get("connectionType").asText()).isEqualTo("Azure Resource Manager");
    Harness.Response missing =
        h.post(
            "/api/v1/environments/aks-prod/resources",
            admin,
            "{\"name\":\"api\",\"target\":{\"azureConnection\":\"arm\",\"cluster\":\"aks1\","
                + "\"namespace\":\"api\"}}");
    assertThat(missing.status()).isEqualTo(400);
    assertThat(missing.json().get("field").asText()).isEqualTo("target.resourceGroup");
    assertThat(
            h.post(
                    "/api/v1/environments/aks-prod/checks",
                    admin,
                    "{\"type\":\"approval\",\"approvers\":[\"group:ops-leads\"]}")
                .status())
        .isEqualTo(201);

    Harness.Response d =
        h.post("/api/v1/environments/aks-prod/deployments", admin, "{\"resource\":\"web\"}");
    assertThat(d.status()).as("%s", d).isEqualTo(201);
    JsonNode dep = d.json();
    assertThat(dep.get("connectionType").asText()).isEqualTo("Azure Resource Manager");
    String approval = dep.get("approvals").get(0).get("id").asText();
    assertThat(
            h.post("/api/v1/approvals/" + approval, approver, "{\"decision\":\"approve\"}")
                .status())
        .isEqualTo(200);
    Harness.Response lease =
        h.post(
            "/api/v1/deployments/" + dep.get("id").asText() + "/claim",
            dep.get("claimHandle").asText(),
            "");
    assertThat(lease.status()).as("%s", lease).isEqualTo(200);
    assertThat(lease.json().get("credential").asText()).isEqualTo("entra");
    assertThat(lease.json().get("target").get("cluster").asText()).isEqualTo("aks1");

    JsonNode audit = h.get("/api/v1/audit?action=lease.issue&limit=10", admin).json();
    assertThat(audit.toString())
        .contains("lease/" + lease.json().get("id").asText())
        .contains("\"approvers\":[\"ops\"]");
    // a direct lease for that cluster and namespace is refused: the environment's checks gate it
    Harness.Response direct =
        h.post(
            "/api/v1/leases",
            admin,
            "{\"target\":{\"azureConnection\":\"arm\",\"resourceGroup\":\""
                + RG
                + "\",\"cluster\":\"aks1\",\"namespace\":\"web\"}}");
    assertThat(direct.status()).as("%s", direct).isEqualTo(403);
    assertThat(direct.json().get("code").asText()).isEqualTo("CHECKS_REQUIRED");
  }
}
