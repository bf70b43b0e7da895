package io.sightline.testing.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class TransportAndDiscoveryTest {

  static FakeKubeApiServer kube;

  @BeforeAll
  static void start() {
    kube = FakeKubeApiServer.builder().version("1.30").gitVersion("v1.30.4").start();
  }

  @AfterAll
  static void stop() {
    kube.close();
  }

  @Test
  void servesHttpsOnLoopbackWithACertificateFromItsOwnCa() throws Exception {
    assertThat(kube.url().toString()).startsWith("https://127.0.0.1:");
    assertThat(kube.caCertPem()).startsWith("-----BEGIN CERTIFICATE-----");
    HttpClient defaultTrust = HttpClient.newBuilder().build();
    assertThatThrownBy(
            () ->
                defaultTrust.send(
                    HttpRequest.newBuilder(kube.url().resolve("/version")).build(),
                    HttpResponse.BodyHandlers.ofString()))
        .isInstanceOf(SSLHandshakeException.class);
    assertThat(KubeHttp.anonymous(kube).get("/version").status()).isEqualTo(200);
  }

  @Test
  void versionAnswersTheConfiguredGitVersionEvenToAnonymousCallers() {
    JsonNode v = KubeHttp.anonymous(kube).get("/version").json();
    assertThat(v.path("gitVersion").asText()).isEqualTo("v1.30.4");
    assertThat(v.path("major").asText()).isEqualTo("1");
    assertThat(v.path("minor").asText()).isEqualTo("30");
  }

  @Test
  void discoveryListsTheCoreVersionAndTheGroupsKubectlNeeds() {
    KubeHttp admin = KubeHttp.admin(kube);
    assertThat(admin.get("/api").json().path("versions").get(0).asText()).isEqualTo("v1");
    List<String> groups = new ArrayList<>();
    admin.get("/apis").json().path("groups").forEach(g -> groups.add(g.path("name").asText()));
    assertThat(groups)
        .contains(
            "apps", "rbac.authorization.k8s.io", "authentication.k8s.io", "authorization.k8s.io");
  }

  @Test
  void coreResourceListCarriesShortNamesAndTheTokenSubresource() {
    JsonNode list = KubeHttp.admin(kube).get("/api/v1").json();
    JsonNode namespaces = find(list, "namespaces");
    assertThat(namespaces.path("shortNames").get(0).asText()).isEqualTo("ns");
    assertThat(namespaces.path("namespaced").asBoolean()).isFalse();
    assertThat(find(list, "serviceaccounts/token").path("kind").asText()).isEqualTo("TokenRequest");
    assertThat(find(list, "secrets").path("verbs").toString()).contains("create", "list", "patch");
    JsonNode apps = KubeHttp.admin(kube).get("/apis/apps/v1").json();
    assertThat(find(apps, "deployments").path("namespaced").asBoolean()).isTrue();
  }

  @Test
  void anAuthenticatedUserWithoutRolesMayStillUseDiscovery() {
    kube.addStaticToken("nobody-token", "nobody");
    KubeHttp nobody = KubeHttp.withToken(kube, "nobody-token");
    assertThat(nobody.get("/apis/rbac.authorization.k8s.io/v1").status()).isEqualTo(200);
    assertThat(nobody.get("/api/v1/namespaces").status()).isEqualTo(403);
  }

  @Test
  void selfSubjectReviewExistsOnlyWhereTheEmulatedVersionHasIt() {
    for (String[] c :
        new String[][] {
          {"1.26", "404", "404"}, {"1.27", "404", "201"}, {"1.28", "201", "201"},
        }) {
      try (FakeKubeApiServer k = FakeKubeApiServer.builder().version(c[0]).start()) {
        KubeHttp admin = KubeHttp.admin(k);
        String body = "{\"kind\":\"SelfSubjectReview\"}";
        assertThat(admin.post("/apis/authentication.k8s.io/v1/selfsubjectreviews", body).status())
            .as("v1 in %s", c[0])
            .isEqualTo(Integer.parseInt(c[1]));
        assertThat(
                admin.post("/apis/authentication.k8s.io/v1beta1/selfsubjectreviews", body).status())
            .as("v1beta1 in %s", c[0])
            .isEqualTo(Integer.parseInt(c[2]));
      }
    }
  }

  private static JsonNode find(JsonNode resourceList, String name) {
    for (JsonNode r : resourceList.path("resources")) {
      if (r.path("name").asText().equals(name)) {
        return r;
      }
    }
    throw new AssertionError("no resource " + name + " in " + resourceList);
  }
}
