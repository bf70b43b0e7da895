package io.sightline.testing.kube;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class AuthenticationTest {

  static final String UNAUTHORIZED_BODY =
      "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
          + "\"message\":\"Unauthorized\",\"reason\":\"Unauthorized\",\"code\":401}";
  static final String ISSUER = "https://login.example.test/tenant/v2.0";

  static RSAKey oidcKey;
  static FakeKubeApiServer kube;

  @BeforeAll
  static void start() throws Exception {
    oidcKey = new RSAKeyGenerator(2048).keyID("k1").generate();
    kube =
        FakeKubeApiServer.builder()
            .oidc(
                OidcConfig.builder(ISSUER)
                    .clientId("6dae42f8-4368-4678-94ff-3960e28e3630")
                    .jwks(new JWKSet(oidcKey))
                    .usernameClaim("oid", "")
                    .groupsClaim("groups", "")
                    .build())
            .start();
    KubeHttp admin = KubeHttp.admin(kube);
    admin.post("/api/v1/namespaces/default/serviceaccounts", "{\"metadata\":{\"name\":\"app\"}}");
  }

  @AfterAll
  static void stop() {
    kube.close();
  }

  @Test
  void theAdminTokenIsAMemberOfSystemMasters() {
    JsonNode user =
        KubeHttp.admin(kube)
            .post("/apis/authentication.k8s.io/v1/selfsubjectreviews", "{}")
            .json()
            .path("status")
            .path("userInfo");
    assertThat(user.path("username").asText()).isEqualTo("kubernetes-admin");
    assertThat(user.path("groups").toString()).contains("system:masters", "system:authenticated");
  }

  @Test
  void anUnknownTokenGets401WithTheRealStatusBody() {
    KubeHttp.Resp r = KubeHttp.withToken(kube, "not-a-token").get("/api/v1/namespaces");
    assertThat(r.status()).isEqualTo(401);
    assertThat(r.text()).isEqualTo(UNAUTHORIZED_BODY);
  }

  @Test
  void aForgedJwtGets401() {
    String real = kube.serviceAccountToken("default", "app", Duration.ofHours(1));
    String[] parts = real.split("\\.");
    String forged =
        parts[0]
            + "."
            + Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(
                    new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8)
                        .replace(":app\"", ":default\"")
                        .getBytes(StandardCharsets.UTF_8))
            + "."
            + parts[2];
    assertThat(KubeHttp.withToken(kube, forged).get("/version").status()).isEqualTo(401);
  }

  @Test
  void aServiceAccountTokenAuthenticatesAsTheServiceAccountUntilItExpires() {
    String valid = kube.serviceAccountToken("default", "app", Duration.ofHours(1));
    String expired = kube.serviceAccountToken("default", "app", Duration.ofSeconds(-5));
    assertThat(KubeHttp.withToken(kube, valid).whoami())
        .isEqualTo("system:serviceaccount:default:app");
    KubeHttp.Resp r = KubeHttp.withToken(kube, expired).get("/version");
    assertThat(r.status()).isEqualTo(401);
    assertThat(r.text()).isEqualTo(UNAUTHORIZED_BODY);
  }

  @Test
  void aServiceAccountTokenStopsWorkingWhenItsServiceAccountIsRecreated() {
    KubeHttp admin = KubeHttp.admin(kube);
    admin.post("/api/v1/namespaces/default/serviceaccounts", "{\"metadata\":{\"name\":\"tmp\"}}");
    String token = kube.serviceAccountToken("default", "tmp", Duration.ofHours(1));
    assertThat(KubeHttp.withToken(kube, token).whoami()).endsWith(":tmp");
    admin.delete("/api/v1/namespaces/default/serviceaccounts/tmp");
    admin.post("/api/v1/namespaces/default/serviceaccounts", "{\"metadata\":{\"name\":\"tmp\"}}");
    assertThat(KubeHttp.withToken(kube, token).get("/version").status()).isEqualTo(401);
  }

  @Test
  void aClientCertificateFromTheClusterCaAuthenticatesAsCommonNameWithOrganisationsAsGroups() {
    KubeHttp jane = KubeHttp.withCertificate(kube, kube.clientCertificate("jane", "devs", "ops"));
    JsonNode user =
        jane.post("/apis/authentication.k8s.io/v1/selfsubjectreviews", "{}")
            .json()
            .path("status")
            .path("userInfo");
    assertThat(user.path("username").asText()).isEqualTo("jane");
    assertThat(user.path("groups").toString()).contains("devs", "ops", "system:authenticated");
    KubeHttp.Resp list = jane.get("/api/v1/namespaces");
    assertThat(list.status()).isEqualTo(403);
    assertThat(list.message())
        .isEqualTo(
            "namespaces is forbidden: User \"jane\" cannot list resource \"namespaces\" in API"
                + " group \"\" at the cluster scope");
  }

  @Test
  void aCallerWithoutCredentialsIsAnonymous() {
    KubeHttp.Resp r = KubeHttp.anonymous(kube).get("/api/v1/namespaces");
    assertThat(r.status()).isEqualTo(403);
    assertThat(r.message()).contains("User \"system:anonymous\" cannot list resource");
  }

  @Test
  void oidcTokensOfTheConfiguredIssuerAuthenticateWithClaimsAsUserAndGroups() throws Exception {
    String token = oidcToken(ISSUER, "6dae42f8-4368-4678-94ff-3960e28e3630", 3600);
    JsonNode user =
        KubeHttp.withToken(kube, token)
            .post("/apis/authentication.k8s.io/v1/selfsubjectreviews", "{}")
            .json()
            .path("status")
            .path("userInfo");
    assertThat(user.path("username").asText()).isEqualTo("0000-oid");
    assertThat(user.path("groups").toString()).contains("aks-admins", "system:authenticated");
  }

  @Test
  void oidcTokensWithAnotherAudienceIssuerOrPastExpiryAreRejected() throws Exception {
    for (String token :
        List.of(
            oidcToken(ISSUER, "another-app", 3600),
            oidcToken("https://evil.example.test", "6dae42f8-4368-4678-94ff-3960e28e3630", 3600),
            oidcToken(ISSUER, "6dae42f8-4368-4678-94ff-3960e28e3630", -60))) {
      assertThat(KubeHttp.withToken(kube, token).get("/version").status()).isEqualTo(401);
    }
  }

  @Test
  void oidcKeysCanBeFetchedFromAJwksUrl() throws Exception {
    HttpServer jwks =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    byte[] doc = new JWKSet(oidcKey).toPublicJWKSet().toString().getBytes(StandardCharsets.UTF_8);
    jwks.createContext(
        "/keys",
        ex -> {
          ex.sendResponseHeaders(200, doc.length);
          ex.getResponseBody().write(doc);
          ex.close();
        });
    jwks.start();
    try (FakeKubeApiServer k =
        FakeKubeApiServer.builder()
            .oidc(
                OidcConfig.builder(ISSUER)
                    .clientId("app")
                    .jwksUrl(
                        URI.create("http://127.0.0.1:" + jwks.getAddress().getPort() + "/keys"),
                        null)
                    .build())
            .start()) {
      assertThat(KubeHttp.withToken(k, oidcToken(ISSUER, "app", 3600)).whoami())
          .isEqualTo("user@example.test");
    } finally {
      jwks.stop(0);
    }
  }

  private static String oidcToken(String issuer, String audience, long lifetimeSeconds)
      throws Exception {
    Date now = new Date();
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("k1").build(),
            new JWTClaimsSet.Builder()
                .issuer(issuer)
                .audience(audience)
                .subject("user@example.test")
                .claim("oid", "0000-oid")
                .claim("groups", List.of("aks-admins"))
                .issueTime(now)
                .expirationTime(new Date(now.getTime() + lifetimeSeconds * 1000))
                .build());
    jwt.sign(new RSASSASigner(oidcKey));
    return jwt.serialize();
  }
}
