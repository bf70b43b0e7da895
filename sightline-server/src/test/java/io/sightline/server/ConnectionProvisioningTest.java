package io.sightline.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sightline.store.Stores;
import io.sightline.testing.kube.FakeKubeApiServer;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** AzureSubscription provisioning, deletion (deprovisioning) and harden, against the emulator. */
class ConnectionProvisioningTest {
  @TempDir Path tmp;
  Harness h;
  String creator;
  String user;

  @BeforeEach
  void start() throws Exception {
    h = new Harness(tmp);
    h.opener = Stores::open;
    h.flags.put(ServerConfig.PROBE_RATE, "10000");
    h.start();
    creator = h.token("creator");
    user = h.token("user");
  }

  @AfterEach
  void stop() {
    h.close();
  }

  static ObjectNode azureBody(String name, String adminKubeconfig, String... namespaces) {
    ObjectNode b = Harness.JSON.createObjectNode();
    b.put("name", name).put("kind", "kubernetes").put("authorizationType", "AzureSubscription");
    b.put("adminKubeconfig", adminKubeconfig);
    var ns = b.putArray("namespaces");
    for (String n : namespaces) {
      ns.add(n);
    }
    b.put("createNamespace", true);
    return b;
  }

  Harness.Response delete(String path, Object body) throws Exception {
    HttpRequest.Builder b = h.req(path, creator).timeout(Duration.ofSeconds(60));
    if (body == null) {
      b.DELETE();
    } else {
      b.header("Content-Type", "application/json")
          .method("DELETE", HttpRequest.BodyPublishers.ofString(body.toString()));
    }
    return h.send(b.build());
  }

  @ParameterizedTest(
      name = "Kubernetes {0}: provision, verify with the minter, delete deprovisions")
  @ValueSource(strings = {"1.23", "1.30"})
  void azureSubscriptionProvisionsAndDeprovisions(String version) throws Exception {
    try (FakeKubeApiServer kube = FakeKubeApiServer.builder().version(version).start()) {
      Harness.Response r =
          h.post(
              "/api/v1/connections?timeout=10s",
              creator,
              azureBody("prod", kube.adminKubeconfig(), "web", "api").toString());
      assertThat(r.status()).as("%s", r).isEqualTo(201);
      JsonNode v = r.json();
      assertThat(v.get("verified").asBoolean()).isTrue();
      assertThat(v.get("homeNamespace").asText()).isEqualTo("sightline-prod");
      assertThat(v.get("deployers").has("web")).isTrue();
      assertThat(v.get("deployers").has("api")).isTrue();
      assertThat(v.get("clusterAdmin").asBoolean()).isFalse();
      assertThat(v.has("adminKubeconfig")).isFalse();
      assertThat(v.get("secretFields")).isEmpty();
      assertThat(r.body()).doesNotContain(kube.adminToken());
      assertThat(kube.getObject("v1", "ServiceAccount", "sightline-prod", "sightline-minter"))
          .isNotNull();

      Harness.Response verify = h.post("/api/v1/connections/prod/verify", user, "");
      assertThat(verify.status()).isEqualTo(200);
      assertThat(verify.json().get("ok").asBoolean()).as("%s", verify).isTrue();
      if (!version.equals("1.23")) { // 1.23 has no SelfSubjectReview to name the caller
        assertThat(verify.json().at("/identity/username").asText())
            .as("the stored credential is the minter's, not the admin's")
            .isEqualTo("system:serviceaccount:sightline-prod:sightline-minter");
      }

      Harness.Response deleted =
          delete(
              "/api/v1/connections/prod",
              Harness.JSON.createObjectNode().put("adminKubeconfig", kube.adminKubeconfig()));
      assertThat(deleted.status()).as("%s", deleted).isEqualTo(200);
      assertThat(deleted.json().get("leftBehind")).isEmpty();
      assertThat(deleted.json().get("deprovisioned").toString()).contains("sightline-minter");
      assertThat(kube.getObject("v1", "ServiceAccount", "sightline-prod", "sightline-minter"))
          .isNull();
      assertThat(h.get("/api/v1/connections/prod", user).status()).isEqualTo(404);
    }
  }

  @Test
  @DisplayName("a failed verification after provisioning rolls every object back and saves nothing")
  void failedVerificationRollsProvisioningBack() throws Exception {
    try (FakeKubeApiServer kube = FakeKubeApiServer.builder().version("1.30").start()) {
      // The minter probes namespace "web", which does not exist and is not created: provisioning
      // refuses before creating anything, and nothing is saved.
      ObjectNode body = azureBody("prod", kube.adminKubeconfig(), "web");
      body.put("createNamespace", false);
      Harness.Response r = h.post("/api/v1/connections", creator, body.toString());
      assertThat(r.status()).as("%s", r).isBetween(400, 499);
      assertThat(h.get("/api/v1/connections/prod", user).status()).isEqualTo(404);
      assertThat(kube.getObject("v1", "Namespace", null, "sightline-prod")).isNull();
    }
  }

  @Test
  @DisplayName(
      "verify=false stores an AzureSubscription unprovisioned and says it needs provisioning")
  void unverifiedAzureSubscriptionIsNotProvisioned() throws Exception {
    try (FakeKubeApiServer kube = FakeKubeApiServer.builder().version("1.30").start()) {
      Harness.Response r =
          h.post(
              "/api/v1/connections?verify=false",
              creator,
              azureBody("later", kube.adminKubeconfig(), "web").toString());
      assertThat(r.status()).as("%s", r).isEqualTo(201);
      assertThat(r.json().get("needsProvisioning").asBoolean()).isTrue();
      assertThat(r.json().get("secretFields")).as("adminKubeconfig is never stored").isEmpty();
      assertThat(kube.getObject("v1", "Namespace", null, "sightline-later")).isNull();
      Harness.Response verify = h.post("/api/v1/connections/later/verify", user, "");
      assertThat(verify.status()).isEqualTo(409);
      assertThat(verify.json().get("code").asText()).isEqualTo("NOT_PROVISIONED");
    }
  }

  @Test
  @DisplayName(
      "deleting a provisioned connection of an unreachable cluster is refused unless forced")
  void unreachableDeleteIsRefusedUnlessForced() throws Exception {
    FakeKubeApiServer kube = FakeKubeApiServer.builder().version("1.30").start();
    Harness.Response r =
        h.post(
            "/api/v1/connections",
            creator,
            azureBody("gone", kube.adminKubeconfig(), "web").toString());
    assertThat(r.status()).as("%s", r).isEqualTo(201);
    kube.close();
    Harness.Response refused = delete("/api/v1/connections/gone?timeout=2s", null);
    assertThat(refused.status()).as("%s", refused).isEqualTo(409);
    assertThat(refused.json().get("code").asText()).isEqualTo("DEPROVISION_FAILED");
    assertThat(refused.json().get("leftBehind").toString()).contains("sightline-gone");
    assertThat(h.get("/api/v1/connections/gone", user).status()).isEqualTo(200);

    Harness.Response forced = delete("/api/v1/connections/gone?timeout=2s&force=true", null);
    assertThat(forced.status()).as("%s", forced).isEqualTo(200);
    assertThat(forced.json().get("leftBehind").toString()).contains("sightline-gone");
    assertThat(h.get("/api/v1/connections/gone", user).status()).isEqualTo(404);
  }

  @Test
  @DisplayName(
      "harden turns an admin Kubeconfig connection into minter + deployers and keeps only the minter token")
  void hardenReplacesTheAdminCredential() throws Exception {
    try (FakeKubeApiServer kube = FakeKubeApiServer.builder().version("1.30").start()) {
      ObjectNode body = Harness.JSON.createObjectNode();
      body.put("name", "hard").put("kind", "kubernetes").put("authorizationType", "Kubeconfig");
      body.put("kubeconfig", kube.adminKubeconfig());
      assertThat(h.post("/api/v1/connections", creator, body.toString()).status()).isEqualTo(201);
      Harness.Response hardened =
          h.post(
              "/api/v1/connections/hard/harden",
              creator,
              Harness.JSON
                  .valueToTree(
                      Map.of("namespaces", java.util.List.of("web"), "createNamespace", true))
                  .toString());
      assertThat(hardened.status()).as("%s", hardened).isEqualTo(200);
      assertThat(hardened.json().get("homeNamespace").asText()).isEqualTo("sightline-hard");
      assertThat(hardened.json().get("deployers").has("web")).isTrue();
      Harness.Response verify = h.post("/api/v1/connections/hard/verify", user, "");
      assertThat(verify.json().at("/identity/username").asText())
          .isEqualTo("system:serviceaccount:sightline-hard:sightline-minter");
      assertThat(hardened.body() + verify.body()).doesNotContain(kube.adminToken());
    }
  }

  @Test
  @DisplayName(
      "an update with adminKubeconfig re-provisions: a new target namespace gets its deployer")
  void updateReprovisions() throws Exception {
    try (FakeKubeApiServer kube = FakeKubeApiServer.builder().version("1.30").start()) {
      assertThat(
              h.post(
                      "/api/v1/connections",
                      creator,
                      azureBody("prod", kube.adminKubeconfig(), "web").toString())
                  .status())
          .isEqualTo(201);
      Harness.Response r =
          h.send(
              h.req("/api/v1/connections/prod", creator)
                  .header("Content-Type", "application/json")
                  .PUT(
                      HttpRequest.BodyPublishers.ofString(
                          azureBody("prod", kube.adminKubeconfig(), "web", "api").toString()))
                  .build());
      assertThat(r.status()).as("%s", r).isEqualTo(200);
      assertThat(r.json().get("deployers").has("api")).isTrue();
      assertThat(r.json().get("namespaces").toString()).isEqualTo("[\"web\",\"api\"]");
      assertThat(r.json().get("verified").asBoolean()).isTrue();
      Harness.Response withoutAdmin =
          h.send(
              h.req("/api/v1/connections/prod", creator)
                  .header("Content-Type", "application/json")
                  .PUT(
                      HttpRequest.BodyPublishers.ofString(
                          "{\"name\":\"prod\",\"kind\":\"kubernetes\",\"authorizationType\":"
                              + "\"AzureSubscription\",\"namespaces\":[\"web\",\"api\"],"
                              + "\"description\":\"kept provisioning\"}"))
                  .build());
      assertThat(withoutAdmin.status()).as("%s", withoutAdmin).isEqualTo(200);
      assertThat(withoutAdmin.json().get("homeNamespace").asText()).isEqualTo("sightline-prod");
      assertThat(withoutAdmin.json().get("verified").asBoolean()).isTrue();
    }
  }
}
