package io.sightline.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.SignedJWT;
import io.sightline.azure.AzureCloud;
import io.sightline.azure.AzureEnvironment;
import io.sightline.azure.AzureTokenSources;
import io.sightline.azure.TokenSpec;
import io.sightline.store.Stores;
import io.sightline.testing.azure.EntraApp;
import io.sightline.testing.azure.FakeAzure;
import io.sightline.testing.azure.FederatedCredential;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server as an OIDC issuer: public documents, persisted keys, rotation, Entra's verdict. */
class OidcIssuerServerTest {
  static final String TENANT = "8f3c2a10-5d1e-4b7a-9c2e-1f0a6b7c8d90";
  static final String FED_APP = "0a1b2c3d-3333-4333-8333-000000000003";
  static final String AKS_SCOPE = "6dae42f8-4368-4678-94ff-3960e28e3630/.default";

  @TempDir Path tmp;

  private Harness embedded() throws Exception {
    Harness h = new Harness(tmp);
    h.opener = (c, k) -> Stores.open(c, k, h.clock);
    // A fixed port: the issuer URL (the server's own URL) stays the same across restarts.
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      h.flags.put(ServerConfig.PORT, String.valueOf(s.getLocalPort()));
    }
    // Entra checks assertion times against the real clock.
    h.clock.set(Instant.now());
    return h;
  }

  private static FakeAzure entraTrusting(String issuer, String subject) {
    return FakeAzure.builder()
        .application(
            EntraApp.builder(TENANT, FED_APP)
                .federatedCredential(FederatedCredential.of(issuer, subject))
                .build())
        .start();
  }

  private static AzureEnvironment env(FakeAzure azure) {
    return AzureEnvironment.builder()
        .cloud(
            AzureCloud.custom(
                azure.authorityHost(), azure.armEndpoint(), "https://management.azure.com/"))
        .sslContext(azure.clientSslContext())
        .egress(uri -> "127.0.0.1".equals(uri.getHost()))
        .connectTimeout(Duration.ofSeconds(3))
        .build();
  }

  /** Exchanges {@code assertion} at the emulated Entra; returns the token's appid. */
  private static String exchange(FakeAzure azure, String assertion) throws Exception {
    String token =
        AzureTokenSources.create(
                new TokenSpec.ClientAssertion(TENANT, FED_APP, () -> assertion), env(azure))
            .token(AKS_SCOPE, Duration.ofSeconds(20))
            .token()
            .reveal();
    return String.valueOf(SignedJWT.parse(token).getJWTClaimsSet().getClaim("appid"));
  }

  private static List<String> kids(JsonNode jwks) {
    return StreamSupport.stream(jwks.get("keys").spliterator(), false)
        .map(k -> k.get("kid").asText())
        .toList();
  }

  @Test
  @DisplayName(
      "the discovery document and JWKS are public, cacheable, name the server's URL and hold no"
          + " private key")
  void publicDocuments() throws Exception {
    try (Harness h = new Harness(tmp)) {
      h.start();
      Harness.Response d = h.get("/.well-known/openid-configuration", null);
      assertThat(d.status()).isEqualTo(200);
      assertThat(d.header("Cache-Control")).isEqualTo("public, max-age=3600");
      assertThat(d.json().get("issuer").asText()).isEqualTo(h.server.url());
      assertThat(d.json().get("jwks_uri").asText())
          .isEqualTo(h.server.url() + "/.well-known/jwks.json");
      assertThat(d.json().get("id_token_signing_alg_values_supported").get(0).asText())
          .isEqualTo("RS256");

      Harness.Response k = h.get("/.well-known/jwks.json", null);
      assertThat(k.status()).isEqualTo(200);
      assertThat(k.header("Cache-Control")).isEqualTo("public, max-age=300");
      assertThat(kids(k.json())).containsExactly(h.server.oidcIssuer().activeKeyId());
      assertThat(k.json().get("keys").get(0).get("kty").asText()).isEqualTo("RSA");
      assertThat(k.json().get("keys").get(0).has("d")).isFalse();
      assertThat(k.json().get("keys").get(0).has("p")).isFalse();
      assertThat(JWKSet.parse(k.body()).getKeys().get(0).isPrivate()).isFalse();

      JsonNode doc = h.get("/openapi.json", null).json();
      assertThat(doc.at("/paths/~1.well-known~1jwks.json/get/summary").asText()).isNotBlank();
      assertThat(doc.at("/paths/~1.well-known~1openid-configuration/get/security").isMissingNode())
          .isTrue();
      assertThat(
              doc.at("/paths/~1api~1v1~1admin~1rotate-issuer-key/post/x-sightline-role").asText())
          .isEqualTo("admin");
    }
  }

  @Test
  @DisplayName("--oidc-issuer-url wins over --public-url, and the server name shapes the subject")
  void configuredIssuer() throws Exception {
    try (Harness h = new Harness(tmp)) {
      h.flags.put(ServerConfig.PUBLIC_URL, "https://sightline.example.test");
      h.flags.put(ServerConfig.OIDC_ISSUER_URL, "https://issuer.example.test/sightline/");
      h.flags.put(ServerConfig.OIDC_SERVER_NAME, "prod-eu");
      h.start();
      JsonNode d = h.get("/.well-known/openid-configuration", null).json();
      assertThat(d.get("issuer").asText()).isEqualTo("https://issuer.example.test/sightline");
      assertThat(d.get("jwks_uri").asText())
          .isEqualTo("https://issuer.example.test/sightline/.well-known/jwks.json");
      JsonNode info = h.get("/api/v1/issuer", h.token("reader")).json();
      assertThat(info.get("subjectPattern").asText()).isEqualTo("sc://prod-eu/<connection>");
      assertThat(info.get("audience").asText()).isEqualTo("api://AzureADTokenExchange");
      assertThat(info.get("keys").get(0).get("state").asText()).isEqualTo("active");
      assertThat(h.get("/api/v1/issuer", null).status()).isEqualTo(401);
    }
    try (Harness h = new Harness(tmp.resolve("b"))) {
      h.flags.put(ServerConfig.PUBLIC_URL, "https://sightline.example.test/");
      h.start();
      assertThat(h.server.oidcIssuer().issuerUrl()).isEqualTo("https://sightline.example.test");
    }
  }

  @Test
  @DisplayName("bad issuer settings stop startup naming the setting and the fix")
  void badSettings() {
    assertThatThrownBy(
            () ->
                ServerConfig.load(
                    Map.of(ServerConfig.OIDC_ISSUER_URL, "ftp://issuer.example.test"),
                    Map.of(),
                    null))
        .isInstanceOf(StartupException.class)
        .hasMessageContaining("--oidc-issuer-url")
        .hasMessageContaining("absolute http(s) URL");
    assertThatThrownBy(
            () ->
                ServerConfig.load(Map.of(), Map.of("SIGHTLINE_OIDC_SERVER_NAME", "prod/eu"), null))
        .isInstanceOf(StartupException.class)
        .hasMessageContaining("SIGHTLINE_OIDC_SERVER_NAME")
        .hasMessageContaining("letters, digits");
    assertThatThrownBy(
            () ->
                ServerConfig.load(
                    Map.of(),
                    Map.of(
                        "SIGHTLINE_OIDC_KEY_ROTATION", "7d",
                        "SIGHTLINE_OIDC_KEY_PUBLISH_AHEAD", "7d"),
                    null))
        .isInstanceOf(StartupException.class)
        .hasMessageContaining("SIGHTLINE_OIDC_KEY_PUBLISH_AHEAD")
        .hasMessageContaining("shorter than sightline.oidc.key-rotation");
  }

  @Test
  @DisplayName(
      "Entra accepts the server's assertion, and again after a restart on the same database with"
          + " the persisted key")
  void persistedKeySurvivesRestart() throws Exception {
    try (Harness h = embedded()) {
      h.start();
      String issuer = h.server.url();
      String kid = h.server.oidcIssuer().activeKeyId();
      String subject = h.server.oidcIssuer().subject("arm-prod");
      assertThat(subject).isEqualTo("sc://sightline/arm-prod");
      try (FakeAzure azure = entraTrusting(issuer, subject)) {
        assertThat(exchange(azure, h.server.oidcIssuer().clientAssertion("arm-prod").reveal()))
            .isEqualTo(FED_APP);
      }

      h.restart();
      assertThat(h.server.url()).isEqualTo(issuer);
      assertThat(h.server.oidcIssuer().activeKeyId()).isEqualTo(kid);
      try (FakeAzure azure = entraTrusting(issuer, subject)) {
        String assertion = h.server.oidcIssuer().clientAssertion("arm-prod").reveal();
        assertThat(SignedJWT.parse(assertion).getHeader().getKeyID()).isEqualTo(kid);
        assertThat(exchange(azure, assertion)).isEqualTo(FED_APP);
      }
    }
  }

  @Test
  @DisplayName(
      "after an admin rotation the old key's assertions still verify during the overlap, new ones"
          + " use the new key, and every change is audited")
  void rotationWithOverlap() throws Exception {
    try (Harness h = embedded()) {
      h.start();
      String admin = h.adminToken();
      String issuer = h.server.url();
      String subject = h.server.oidcIssuer().subject("arm-prod");
      String oldKid = h.server.oidcIssuer().activeKeyId();
      String oldAssertion = h.server.oidcIssuer().clientAssertion("arm-prod").reveal();

      assertThat(h.post("/api/v1/admin/rotate-issuer-key", h.token("creator"), "").status())
          .isEqualTo(403);
      Harness.Response bad =
          h.post("/api/v1/admin/rotate-issuer-key", admin, "{\"immediately\":true}");
      assertThat(bad.status()).isEqualTo(400);
      assertThat(bad.body()).contains("immediately");

      // Default: publish the next key; it does not sign yet.
      Harness.Response staged = h.post("/api/v1/admin/rotate-issuer-key", admin, "");
      assertThat(staged.status()).as(staged.toString()).isEqualTo(200);
      String nextKid = staged.json().get("keys").get(0).get("keyId").asText();
      assertThat(staged.json().get("keys").get(0).get("state").asText()).isEqualTo("next");
      assertThat(staged.json().get("keys").get(0).get("signsFrom").asText())
          .isEqualTo(h.clock.instant().plus(Duration.ofDays(7)).toString());
      assertThat(staged.json().get("message").asText()).contains("sightline issuer export");
      assertThat(kids(h.get("/.well-known/jwks.json", null).json()))
          .containsExactlyInAnyOrder(oldKid, nextKid);
      assertThat(h.server.oidcIssuer().activeKeyId()).isEqualTo(oldKid);

      // now=true: the next key signs; the old key stays published for the overlap.
      Harness.Response now = h.post("/api/v1/admin/rotate-issuer-key", admin, "{\"now\":true}");
      assertThat(now.status()).as(now.toString()).isEqualTo(200);
      assertThat(h.server.oidcIssuer().activeKeyId()).isEqualTo(nextKid);
      try (FakeAzure azure = entraTrusting(issuer, subject)) {
        assertThat(exchange(azure, oldAssertion)).isEqualTo(FED_APP);
        String fresh = h.server.oidcIssuer().clientAssertion("arm-prod").reveal();
        assertThat(SignedJWT.parse(fresh).getHeader().getKeyID()).isEqualTo(nextKid);
        assertThat(exchange(azure, fresh)).isEqualTo(FED_APP);
      }

      h.clock.advance(Duration.ofMinutes(7));
      assertThat(kids(h.get("/.well-known/jwks.json", null).json())).containsExactly(nextKid);

      JsonNode records = h.get("/api/v1/audit?limit=100", admin).json();
      List<String> trail =
          StreamSupport.stream(records.get("items").spliterator(), false)
              .filter(r -> r.get("action").asText().startsWith("oidc-issuer.key."))
              .map(r -> r.get("action").asText() + " " + r.get("actor").asText())
              .toList();
      assertThat(trail)
          .containsExactly(
              "oidc-issuer.key.activated admin",
              "oidc-issuer.key.retired admin",
              "oidc-issuer.key.staged admin");
    }
  }

  @Test
  @DisplayName(
      "the scheduled rotation publishes the next key a week ahead, then lets it sign after 30 days")
  void scheduledRotation() throws Exception {
    try (Harness h = embedded()) {
      h.start();
      String first = h.server.oidcIssuer().activeKeyId();
      // (The server's own timer may run the same maintenance meanwhile: assert on the keys.)
      h.clock.advance(Duration.ofDays(22));
      h.server.issuerKeyMaintenance().maintainNow();
      assertThat(kids(h.get("/.well-known/jwks.json", null).json())).containsExactly(first);
      h.clock.advance(Duration.ofDays(1));
      h.server.issuerKeyMaintenance().maintainNow();
      var keys = h.server.oidcIssuer().keys();
      assertThat(keys).hasSize(2);
      String next = keys.get(0).keyId();
      assertThat(keys.get(0).state()).isEqualTo(io.sightline.azure.OidcIssuer.KeyState.NEXT);
      assertThat(kids(h.get("/.well-known/jwks.json", null).json()))
          .containsExactlyInAnyOrder(first, next);
      assertThat(h.server.oidcIssuer().activeKeyId()).isEqualTo(first);
      h.clock.advance(Duration.ofDays(7));
      h.server.issuerKeyMaintenance().maintainNow();
      assertThat(h.server.oidcIssuer().activeKeyId()).isEqualTo(next);
      h.restart();
      assertThat(h.server.oidcIssuer().activeKeyId()).isEqualTo(next);
    }
  }
}
