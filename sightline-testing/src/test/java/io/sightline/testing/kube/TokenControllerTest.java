package io.sightline.testing.kube;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class TokenControllerTest {

  static final String TOKEN_SECRET =
      "{\"metadata\":{\"name\":\"minter-token\",\"annotations\":"
          + "{\"kubernetes.io/service-account.name\":\"minter\"}},"
          + "\"type\":\"kubernetes.io/service-account-token\"}";

  static JsonNode secret(FakeKubeApiServer kube, String name) {
    return kube.getObject("v1", "Secret", "default", name);
  }

  static String decode(JsonNode data, String key) {
    return new String(Base64.getDecoder().decode(data.path(key).asText()), StandardCharsets.UTF_8);
  }

  @Test
  void fillsAServiceAccountTokenSecretAfterTheConfiguredDelay() throws Exception {
    try (FakeKubeApiServer kube =
        FakeKubeApiServer.builder().tokenControllerDelay(Duration.ofMillis(300)).start()) {
      KubeHttp admin = KubeHttp.admin(kube);
      admin.post(
          "/api/v1/namespaces/default/serviceaccounts", "{\"metadata\":{\"name\":\"minter\"}}");
      assertThat(admin.post("/api/v1/namespaces/default/secrets", TOKEN_SECRET).status())
          .isEqualTo(201);
      assertThat(secret(kube, "minter-token").path("data").has("token"))
          .as("not yet filled")
          .isFalse();
      JsonNode data = waitForToken(kube, "minter-token", Duration.ofSeconds(5));
      assertThat(decode(data, "namespace")).isEqualTo("default");
      assertThat(decode(data, "ca.crt")).isEqualTo(kube.caCertPem());
      String token = decode(data, "token");
      assertThat(KubeHttp.claims(token).path("iss").asText())
          .isEqualTo("kubernetes/serviceaccount");
      assertThat(KubeHttp.withToken(kube, token).whoami())
          .isEqualTo("system:serviceaccount:default:minter");
      admin.delete("/api/v1/namespaces/default/secrets/minter-token");
      assertThat(KubeHttp.withToken(kube, token).get("/version").status())
          .as("a legacy token dies with its Secret")
          .isEqualTo(401);
    }
  }

  @Test
  void aSwitchedOffControllerLeavesTheSecretEmpty() throws Exception {
    try (FakeKubeApiServer kube =
        FakeKubeApiServer.builder()
            .tokenController(false)
            .tokenControllerDelay(Duration.ofMillis(10))
            .start()) {
      KubeHttp admin = KubeHttp.admin(kube);
      admin.post(
          "/api/v1/namespaces/default/serviceaccounts", "{\"metadata\":{\"name\":\"minter\"}}");
      admin.post("/api/v1/namespaces/default/secrets", TOKEN_SECRET);
      Thread.sleep(500);
      assertThat(secret(kube, "minter-token").path("data").has("token")).isFalse();
    }
  }

  @Test
  void aTokenSecretWithoutTheServiceAccountAnnotationIsInvalid() {
    try (FakeKubeApiServer kube = FakeKubeApiServer.builder().start()) {
      KubeHttp.Resp r =
          KubeHttp.admin(kube)
              .post(
                  "/api/v1/namespaces/default/secrets",
                  "{\"metadata\":{\"name\":\"t\"},\"type\":\"kubernetes.io/service-account-token\"}");
      assertThat(r.status()).isEqualTo(422);
      assertThat(r.message())
          .contains("metadata.annotations[kubernetes.io/service-account.name]: Required value");
    }
  }

  @Test
  void inVersion123ANewServiceAccountGetsATokenSecretListedInItsSecrets() throws Exception {
    try (FakeKubeApiServer kube =
        FakeKubeApiServer.builder()
            .version("1.23")
            .tokenControllerDelay(Duration.ofMillis(10))
            .start()) {
      KubeHttp.admin(kube)
          .post("/api/v1/namespaces/default/serviceaccounts", "{\"metadata\":{\"name\":\"ci\"}}");
      JsonNode sa = kube.getObject("v1", "ServiceAccount", "default", "ci");
      String secretName = sa.path("secrets").get(0).path("name").asText();
      assertThat(secretName).startsWith("ci-token-");
      JsonNode data = waitForToken(kube, secretName, Duration.ofSeconds(5));
      KubeHttp.Resp r = KubeHttp.withToken(kube, decode(data, "token")).get("/api/v1/namespaces");
      assertThat(r.status()).isEqualTo(403);
      assertThat(r.message()).contains("User \"system:serviceaccount:default:ci\"");
    }
  }

  @Test
  void fromVersion124ANewServiceAccountGetsNoTokenSecret() throws Exception {
    try (FakeKubeApiServer kube = FakeKubeApiServer.builder().version("1.24").start()) {
      KubeHttp admin = KubeHttp.admin(kube);
      admin.post("/api/v1/namespaces/default/serviceaccounts", "{\"metadata\":{\"name\":\"ci\"}}");
      Thread.sleep(300);
      assertThat(kube.getObject("v1", "ServiceAccount", "default", "ci").has("secrets")).isFalse();
      assertThat(
              admin
                  .get(
                      "/api/v1/namespaces/default/secrets?fieldSelector=type%3Dkubernetes.io%2Fservice-account-token")
                  .json()
                  .path("items")
                  .size())
          .isZero();
    }
  }

  private static JsonNode waitForToken(FakeKubeApiServer kube, String name, Duration timeout)
      throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < end) {
      JsonNode s = secret(kube, name);
      if (s != null && s.path("data").has("token")) {
        return s.path("data");
      }
      Thread.sleep(20);
    }
    throw new AssertionError("token controller did not fill " + name + " within " + timeout);
  }
}
