package io.sightline.testing.kube;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TokenRequestTest {

  FakeKubeApiServer kube;
  KubeHttp admin;

  @BeforeEach
  void start() {
    kube = FakeKubeApiServer.builder().start();
    admin = KubeHttp.admin(kube);
    admin.post("/api/v1/namespaces", "{\"metadata\":{\"name\":\"home\"}}");
    admin.post("/api/v1/namespaces/home/serviceaccounts", "{\"metadata\":{\"name\":\"deployer\"}}");
    admin.post("/api/v1/namespaces/home/secrets", "{\"metadata\":{\"name\":\"lease-1\"}}");
  }

  @AfterEach
  void stop() {
    kube.close();
  }

  String boundToLease(String extra) {
    return admin.createToken(
        "home",
        "deployer",
        "{\"expirationSeconds\":600"
            + extra
            + ",\"boundObjectRef\":{\"kind\":\"Secret\",\"apiVersion\":\"v1\",\"name\":\"lease-1\"}}");
  }

  @Test
  void aTokenCarriesTheClaimsKubeApiserverWrites() {
    String token = boundToLease(",\"audiences\":[\"sightline\"]");
    JsonNode c = KubeHttp.claims(token);
    String secretUid =
        kube.getObject("v1", "Secret", "home", "lease-1").path("metadata").path("uid").asText();
    String saUid =
        kube.getObject("v1", "ServiceAccount", "home", "deployer")
            .path("metadata")
            .path("uid")
            .asText();
    assertThat(c.path("iss").asText()).isEqualTo(kube.serviceAccountIssuer());
    assertThat(c.path("sub").asText()).isEqualTo("system:serviceaccount:home:deployer");
    assertThat(c.path("aud").get(0).asText()).isEqualTo("sightline");
    assertThat(c.path("exp").asLong() - c.path("iat").asLong()).isEqualTo(600);
    assertThat(c.path("nbf").asLong()).isEqualTo(c.path("iat").asLong());
    assertThat(c.path("jti").asText()).isNotEmpty();
    JsonNode k = c.path("kubernetes.io");
    assertThat(k.path("namespace").asText()).isEqualTo("home");
    assertThat(k.path("serviceaccount").path("name").asText()).isEqualTo("deployer");
    assertThat(k.path("serviceaccount").path("uid").asText()).isEqualTo(saUid);
    assertThat(k.path("secret").path("name").asText()).isEqualTo("lease-1");
    assertThat(k.path("secret").path("uid").asText()).isEqualTo(secretUid);
  }

  @Test
  void theResponseEchoesTheSpecAndStatesTheExpiry() {
    KubeHttp.Resp r =
        admin.post(
            "/api/v1/namespaces/home/serviceaccounts/deployer/token",
            "{\"spec\":{\"expirationSeconds\":3600}}");
    assertThat(r.status()).isEqualTo(201);
    assertThat(r.json().path("kind").asText()).isEqualTo("TokenRequest");
    assertThat(r.json().path("spec").path("audiences").get(0).asText())
        .isEqualTo(kube.serviceAccountIssuer());
    Instant exp = Instant.parse(r.json().path("status").path("expirationTimestamp").asText());
    assertThat(exp).isBetween(Instant.now().plusSeconds(3590), Instant.now().plusSeconds(3601));
  }

  @Test
  void aDurationUnderTenMinutesIsRejectedWithTheRealMessage() {
    KubeHttp.Resp r =
        admin.post(
            "/api/v1/namespaces/home/serviceaccounts/deployer/token",
            "{\"spec\":{\"expirationSeconds\":599}}");
    assertThat(r.status()).isEqualTo(422);
    assertThat(r.json().path("reason").asText()).isEqualTo("Invalid");
    assertThat(r.message())
        .endsWith(
            "spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10"
                + " minutes");
  }

  @Test
  void aTokenForAMissingServiceAccountIs404() {
    KubeHttp.Resp r = admin.post("/api/v1/namespaces/home/serviceaccounts/ghost/token", "{}");
    assertThat(r.status()).isEqualTo(404);
    assertThat(r.message()).isEqualTo("serviceaccounts \"ghost\" not found");
  }

  @Test
  void aTokenIsAcceptedOnlyForItsAudiences() {
    String other = boundToLease(",\"audiences\":[\"vault\"]");
    assertThat(KubeHttp.withToken(kube, other).get("/version").status())
        .as("the API server accepts only its own audience")
        .isEqualTo(401);
    String api = boundToLease("");
    assertThat(KubeHttp.withToken(kube, api).whoami())
        .isEqualTo("system:serviceaccount:home:deployer");
  }

  @Test
  void aBoundTokenStopsAuthenticatingTheMomentItsSecretIsDeleted() {
    KubeHttp lease = KubeHttp.withToken(kube, boundToLease(""));
    assertThat(lease.whoami()).isEqualTo("system:serviceaccount:home:deployer");
    assertThat(admin.delete("/api/v1/namespaces/home/secrets/lease-1").status()).isEqualTo(200);
    KubeHttp.Resp r = lease.get("/version");
    assertThat(r.status()).isEqualTo(401);
    assertThat(r.text()).isEqualTo(AuthenticationTest.UNAUTHORIZED_BODY);
  }

  @Test
  void aBoundTokenStopsAuthenticatingWhenItsSecretIsReplacedUnderTheSameName() {
    KubeHttp lease = KubeHttp.withToken(kube, boundToLease(""));
    admin.delete("/api/v1/namespaces/home/secrets/lease-1");
    admin.post("/api/v1/namespaces/home/secrets", "{\"metadata\":{\"name\":\"lease-1\"}}");
    assertThat(lease.get("/version").status()).isEqualTo(401);
  }

  @Test
  void aPodBoundTokenAddsPodExtrasAndDiesWithThePod() {
    admin.post(
        "/api/v1/namespaces/home/pods",
        "{\"metadata\":{\"name\":\"runner\"},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]}}");
    String token =
        admin.createToken(
            "home",
            "deployer",
            "{\"boundObjectRef\":{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"name\":\"runner\"}}");
    JsonNode user =
        KubeHttp.withToken(kube, token)
            .post("/apis/authentication.k8s.io/v1/selfsubjectreviews", "{}")
            .json()
            .path("status")
            .path("userInfo");
    assertThat(user.path("extra").path("authentication.kubernetes.io/pod-name").get(0).asText())
        .isEqualTo("runner");
    kube.deleteObject("v1", "Pod", "home", "runner");
    assertThat(KubeHttp.withToken(kube, token).get("/version").status()).isEqualTo(401);
  }

  @Test
  void aBoundObjectRefMustExistAndMatchItsUid() {
    KubeHttp.Resp missing =
        admin.post(
            "/api/v1/namespaces/home/serviceaccounts/deployer/token",
            "{\"spec\":{\"boundObjectRef\":{\"kind\":\"Secret\",\"apiVersion\":\"v1\",\"name\":\"nope\"}}}");
    assertThat(missing.status()).isEqualTo(400);
    assertThat(missing.message()).isEqualTo("secrets \"nope\" not found");
    KubeHttp.Resp wrongUid =
        admin.post(
            "/api/v1/namespaces/home/serviceaccounts/deployer/token",
            "{\"spec\":{\"boundObjectRef\":{\"kind\":\"Secret\",\"apiVersion\":\"v1\","
                + "\"name\":\"lease-1\",\"uid\":\"00000000-0000-0000-0000-000000000000\"}}}");
    assertThat(wrongUid.status()).isEqualTo(409);
    assertThat(wrongUid.message()).contains("does not match the UID in record");
    KubeHttp.Resp wrongKind =
        admin.post(
            "/api/v1/namespaces/home/serviceaccounts/deployer/token",
            "{\"spec\":{\"boundObjectRef\":{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"name\":\"x\"}}}");
    assertThat(wrongKind.status()).isEqualTo(400);
  }

  @Test
  void withTheAuthCacheOnARevokedTokenKeepsWorkingUntilTheCacheExpires() throws Exception {
    try (FakeKubeApiServer cached =
        FakeKubeApiServer.builder().authCacheTtl(Duration.ofMillis(1500)).start()) {
      KubeHttp a = KubeHttp.admin(cached);
      a.post("/api/v1/namespaces/default/serviceaccounts", "{\"metadata\":{\"name\":\"d\"}}");
      a.post("/api/v1/namespaces/default/secrets", "{\"metadata\":{\"name\":\"l\"}}");
      String token =
          a.createToken(
              "default",
              "d",
              "{\"boundObjectRef\":{\"kind\":\"Secret\",\"apiVersion\":\"v1\",\"name\":\"l\"}}");
      KubeHttp lease = KubeHttp.withToken(cached, token);
      assertThat(lease.get("/version").status()).isEqualTo(200);
      a.delete("/api/v1/namespaces/default/secrets/l");
      assertThat(lease.get("/version").status()).as("served from the cache").isEqualTo(200);
      Thread.sleep(1700);
      assertThat(lease.get("/version").status()).isEqualTo(401);
    }
  }
}
