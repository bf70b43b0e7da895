package io.sightline.testing.kube;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ObjectsTest {

  FakeKubeApiServer kube;
  KubeHttp admin;

  @BeforeEach
  void start() {
    kube = FakeKubeApiServer.builder().start();
    admin = KubeHttp.admin(kube);
    admin.post("/api/v1/namespaces", "{\"metadata\":{\"name\":\"web\"}}");
  }

  @AfterEach
  void stop() {
    kube.close();
  }

  static List<String> names(JsonNode list) {
    List<String> out = new ArrayList<>();
    list.path("items").forEach(i -> out.add(i.path("metadata").path("name").asText()));
    return out;
  }

  @Test
  void aFreshClusterHasTheSystemNamespacesEachWithADefaultServiceAccount() {
    assertThat(names(admin.get("/api/v1/namespaces").json()))
        .contains("default", "kube-system", "kube-public");
    for (String ns : List.of("default", "kube-system", "kube-public")) {
      assertThat(admin.get("/api/v1/namespaces/" + ns + "/serviceaccounts/default").status())
          .isEqualTo(200);
    }
    assertThat(names(admin.get("/apis/rbac.authorization.k8s.io/v1/clusterroles").json()))
        .contains(
            "cluster-admin", "admin", "edit", "view", "system:basic-user", "system:discovery");
  }

  @Test
  void createdObjectsGetUidResourceVersionAndCreationTimestamp() {
    JsonNode cm =
        admin
            .post(
                "/api/v1/namespaces/web/configmaps",
                "{\"metadata\":{\"name\":\"c\"},\"data\":{\"k\":\"v\"}}")
            .json();
    assertThat(cm.path("kind").asText()).isEqualTo("ConfigMap");
    assertThat(cm.path("metadata").path("uid").asText()).hasSize(36);
    assertThat(cm.path("metadata").path("creationTimestamp").asText()).endsWith("Z");
    long rv1 = cm.path("metadata").path("resourceVersion").asLong();
    JsonNode updated =
        admin
            .patch(
                "/api/v1/namespaces/web/configmaps/c",
                "application/merge-patch+json",
                "{\"data\":{\"k\":\"w\"}}")
            .json();
    assertThat(updated.path("metadata").path("resourceVersion").asLong()).isGreaterThan(rv1);
    assertThat(updated.path("metadata").path("uid")).isEqualTo(cm.path("metadata").path("uid"));
  }

  @Test
  void missingObjectsAre404AndDuplicatesAre409LikeTheRealServer() {
    KubeHttp.Resp missing = admin.get("/apis/apps/v1/namespaces/web/deployments/nope");
    assertThat(missing.status()).isEqualTo(404);
    assertThat(missing.message()).isEqualTo("deployments.apps \"nope\" not found");
    assertThat(missing.json().path("reason").asText()).isEqualTo("NotFound");
    String secret = "{\"metadata\":{\"name\":\"s\"},\"stringData\":{\"a\":\"b\"}}";
    assertThat(admin.post("/api/v1/namespaces/web/secrets", secret).status()).isEqualTo(201);
    KubeHttp.Resp dup = admin.post("/api/v1/namespaces/web/secrets", secret);
    assertThat(dup.status()).isEqualTo(409);
    assertThat(dup.message()).isEqualTo("secrets \"s\" already exists");
    assertThat(dup.json().path("reason").asText()).isEqualTo("AlreadyExists");
  }

  @Test
  void creatingInANamespaceThatDoesNotExistIs404ForTheNamespace() {
    KubeHttp.Resp r =
        admin.post("/api/v1/namespaces/ghost/configmaps", "{\"metadata\":{\"name\":\"c\"}}");
    assertThat(r.status()).isEqualTo(404);
    assertThat(r.message()).isEqualTo("namespaces \"ghost\" not found");
  }

  @Test
  void stringDataIsStoredAsBase64Data() {
    JsonNode s =
        admin
            .post(
                "/api/v1/namespaces/web/secrets",
                "{\"metadata\":{\"name\":\"s\"},\"stringData\":{\"password\":\"hunter2\"}}")
            .json();
    assertThat(s.has("stringData")).isFalse();
    assertThat(s.path("data").path("password").asText()).isEqualTo("aHVudGVyMg==");
    assertThat(s.path("type").asText()).isEqualTo("Opaque");
  }

  @Test
  void labelAndFieldSelectorsFilterLists() {
    admin.post(
        "/api/v1/namespaces/web/configmaps",
        "{\"metadata\":{\"name\":\"a\",\"labels\":{\"app\":\"web\",\"tier\":\"fe\"}}}");
    admin.post(
        "/api/v1/namespaces/web/configmaps",
        "{\"metadata\":{\"name\":\"b\",\"labels\":{\"app\":\"web\"}}}");
    admin.post("/api/v1/namespaces/web/configmaps", "{\"metadata\":{\"name\":\"c\"}}");
    String base = "/api/v1/namespaces/web/configmaps?labelSelector=";
    assertThat(names(admin.get(base + "app%3Dweb").json())).containsExactly("a", "b");
    assertThat(names(admin.get(base + "app%3Dweb,tier%21%3Dfe").json())).containsExactly("b");
    assertThat(names(admin.get(base + "tier%20in%20(fe,be)").json())).containsExactly("a");
    assertThat(names(admin.get(base + "%21app").json())).containsExactly("c");
    assertThat(
            names(
                admin
                    .get("/api/v1/namespaces/web/configmaps?fieldSelector=metadata.name%3Db")
                    .json()))
        .containsExactly("b");
    assertThat(names(admin.get("/api/v1/configmaps?labelSelector=app%3Dweb").json()))
        .as("across namespaces")
        .containsExactly("a", "b");
  }

  @Test
  void putWithAStaleResourceVersionIsAConflict() {
    JsonNode cm =
        admin.post("/api/v1/namespaces/web/configmaps", "{\"metadata\":{\"name\":\"c\"}}").json();
    String rv = cm.path("metadata").path("resourceVersion").asText();
    String body = "{\"metadata\":{\"name\":\"c\",\"resourceVersion\":\"" + rv + "\"},\"data\":{}}";
    assertThat(admin.put("/api/v1/namespaces/web/configmaps/c", body).status()).isEqualTo(200);
    KubeHttp.Resp stale = admin.put("/api/v1/namespaces/web/configmaps/c", body);
    assertThat(stale.status()).isEqualTo(409);
    assertThat(stale.json().path("reason").asText()).isEqualTo("Conflict");
    assertThat(stale.message())
        .isEqualTo(
            "Operation cannot be fulfilled on configmaps \"c\": the object has been modified;"
                + " please apply your changes to the latest version and try again");
  }

  @Test
  void patchesOfEveryTypeKubectlSendsAreApplied() {
    admin.post(
        "/apis/apps/v1/namespaces/web/deployments",
        "{\"metadata\":{\"name\":\"d\"},\"spec\":{\"replicas\":1,\"template\":{\"spec\":"
            + "{\"containers\":[{\"name\":\"a\",\"image\":\"a:1\"},{\"name\":\"b\",\"image\":\"b:1\"}]}}}}");
    String path = "/apis/apps/v1/namespaces/web/deployments/d";
    JsonNode smp =
        admin
            .patch(
                path,
                "application/strategic-merge-patch+json",
                "{\"spec\":{\"template\":{\"spec\":{\"$setElementOrder/containers\":"
                    + "[{\"name\":\"a\"},{\"name\":\"b\"}],\"containers\":[{\"name\":\"b\","
                    + "\"image\":\"b:2\"}]}}}}")
            .json();
    JsonNode containers = smp.path("spec").path("template").path("spec").path("containers");
    assertThat(containers.size()).as("merged by name, not replaced").isEqualTo(2);
    assertThat(containers.get(1).path("image").asText()).isEqualTo("b:2");
    assertThat(smp.path("metadata").path("generation").asLong()).isEqualTo(2);
    JsonNode json =
        admin
            .patch(
                path,
                "application/json-patch+json",
                "[{\"op\":\"replace\",\"path\":\"/spec/replicas\",\"value\":3}]")
            .json();
    assertThat(json.path("spec").path("replicas").asInt()).isEqualTo(3);
    JsonNode merge =
        admin
            .patch(
                path, "application/merge-patch+json", "{\"metadata\":{\"labels\":{\"x\":\"y\"}}}")
            .json();
    assertThat(merge.path("metadata").path("labels").path("x").asText()).isEqualTo("y");
    assertThat(admin.patch(path, "text/plain", "x").status()).isEqualTo(415);
    assertThat(
            admin
                .patch(
                    "/apis/apps/v1/namespaces/web/deployments/none",
                    "application/merge-patch+json",
                    "{}")
                .status())
        .isEqualTo(404);
  }

  @Test
  void concurrentPatchesWithoutResourceVersionAreAllApplied() throws Exception {
    admin.post("/api/v1/namespaces/web/configmaps", "{\"metadata\":{\"name\":\"busy\"}}");
    List<Thread> threads = new ArrayList<>();
    List<Integer> statuses = java.util.Collections.synchronizedList(new ArrayList<>());
    for (int i = 0; i < 8; i++) {
      int n = i;
      Thread t =
          new Thread(
              () -> {
                for (int j = 0; j < 5; j++) {
                  statuses.add(
                      admin
                          .patch(
                              "/api/v1/namespaces/web/configmaps/busy",
                              "application/merge-patch+json",
                              "{\"data\":{\"k" + n + "-" + j + "\":\"v\"}}")
                          .status());
                }
              });
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      t.join();
    }
    assertThat(statuses).containsOnly(200);
    assertThat(kube.getObject("v1", "ConfigMap", "web", "busy").path("data").size()).isEqualTo(40);
  }

  @Test
  void deletingANamespaceDeletesWhatIsInIt() {
    admin.post("/api/v1/namespaces/web/secrets", "{\"metadata\":{\"name\":\"s\"}}");
    KubeHttp.Resp r = admin.delete("/api/v1/namespaces/web");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().path("status").path("phase").asText()).isEqualTo("Terminating");
    assertThat(admin.get("/api/v1/namespaces/web/secrets/s").status()).isEqualTo(404);
    assertThat(admin.get("/api/v1/namespaces/web").status()).isEqualTo(404);
  }

  @Test
  void generateNameMakesAUniqueName() {
    JsonNode s =
        admin
            .post("/api/v1/namespaces/web/secrets", "{\"metadata\":{\"generateName\":\"lease-\"}}")
            .json();
    assertThat(s.path("metadata").path("name").asText()).matches("lease-[a-z0-9]{5}");
  }

  @Test
  void servicesGetAClusterIp() {
    JsonNode svc =
        admin
            .post(
                "/api/v1/namespaces/web/services",
                "{\"metadata\":{\"name\":\"s\"},\"spec\":{\"ports\":[{\"port\":80}]}}")
            .json();
    assertThat(svc.path("spec").path("clusterIP").asText()).startsWith("10.96.");
    assertThat(svc.path("spec").path("type").asText()).isEqualTo("ClusterIP");
  }

  @Test
  void testHelpersReadAndDeleteObjectsDirectly() {
    kube.createObject(
        "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"h\",\"namespace\":\"web\"}}");
    assertThat(kube.getObject("v1", "ConfigMap", "web", "h")).isNotNull();
    assertThat(admin.get("/api/v1/namespaces/web/configmaps/h").status()).isEqualTo(200);
    assertThat(kube.deleteObject("v1", "ConfigMap", "web", "h")).isTrue();
    assertThat(kube.getObject("v1", "ConfigMap", "web", "h")).isNull();
  }
}
