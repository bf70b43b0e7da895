package io.sightline.testing.azure;

import static io.sightline.testing.azure.TestIdentities.*;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.SignedJWT;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Entra's wire protocol, spoken over the JDK HttpClient: shapes, flows and fault knobs. */
class FakeEntraProtocolTest {
  static final String CI_TENANT = "2c2c2c2c-0000-4000-8000-00000000c1c1";
  static final String CI_SUBJECT = "/eid1/c/pub/t/abc/a/def/sc/org/conn";
  static final ObjectMapper JSON = new ObjectMapper();

  static FakeAzure ciIssuer;
  static FakeAzure azure;
  static EntraUser alice;
  static HttpClient http;

  @BeforeAll
  static void start() {
    // A second emulator plays the third-party issuer over HTTPS with its own CA.
    ciIssuer = FakeAzure.builder().tenant(CI_TENANT).start();
    alice = EntraUser.of(TENANT, "alice@contoso.example", PASSWORD, GROUP);
    azure =
        FakeAzure.builder()
            .application(EntraApp.builder(TENANT, SECRET_APP).secret(SECRET).build())
            .application(EntraApp.builder(TENANT, PUBLIC_APP).publicClient().build())
            .application(
                EntraApp.builder(TENANT, FED_APP)
                    .federatedCredential(
                        FederatedCredential.of(ciIssuer.issuerV2(CI_TENANT), CI_SUBJECT))
                    .build())
            .user(alice)
            .managedIdentity(ManagedIdentity.of(TENANT, MI_CLIENT))
            .interactiveUser(alice.upn())
            .trustIssuerCa(ciIssuer.caCertificate())
            .start();
    http =
        HttpClient.newBuilder()
            .sslContext(azure.clientSslContext())
            .proxy(HttpClient.Builder.NO_PROXY)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
  }

  @AfterAll
  static void stop() {
    azure.close();
    ciIssuer.close();
  }

  record Answer(int status, JsonNode body, HttpResponse<String> raw) {}

  static String form(Map<String, String> fields) {
    return fields.entrySet().stream()
        .map(
            e ->
                URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)
                    + "="
                    + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
        .collect(Collectors.joining("&"));
  }

  static Answer post(String path, Map<String, String> fields) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create(azure.authorityHost() + path))
                .timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form(fields)))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    return new Answer(r.statusCode(), JSON.readTree(r.body()), r);
  }

  static Answer get(String path) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create(azure.authorityHost() + path)).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    return new Answer(r.statusCode(), r.body().isEmpty() ? null : JSON.readTree(r.body()), r);
  }

  static String tokenPath() {
    return "/" + TENANT + "/oauth2/v2.0/token";
  }

  static Map<String, String> fields(String... kv) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    return m;
  }

  @Test
  void errorsHaveEntrasJsonShape() throws Exception {
    Answer a =
        post(
            tokenPath(),
            fields(
                "grant_type",
                "client_credentials",
                "client_id",
                SECRET_APP,
                "client_secret",
                "wrong",
                "scope",
                FakeAzure.AKS_SCOPE));
    assertThat(a.status()).isEqualTo(401);
    JsonNode b = a.body();
    assertThat(b.get("error").asText()).isEqualTo("invalid_client");
    assertThat(b.get("error_description").asText())
        .startsWith("AADSTS7000215: ")
        .contains("\r\nTrace ID: " + b.get("trace_id").asText())
        .contains("\r\nCorrelation ID: " + b.get("correlation_id").asText());
    assertThat(b.get("error_codes").get(0).asInt()).isEqualTo(7000215);
    assertThat(b.get("timestamp").asText()).matches("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ");
    assertThat(b.get("trace_id").asText()).hasSize(36);
    assertThat(b.get("correlation_id").asText()).hasSize(36);
    assertThat(a.raw().body()).doesNotContain("wrong\"");
  }

  @Test
  void clientCredentialsAnswerCarriesTokenTypeAndLifetimes() throws Exception {
    Answer a =
        post(
            tokenPath(),
            fields(
                "grant_type",
                "client_credentials",
                "client_id",
                SECRET_APP,
                "client_secret",
                SECRET,
                "scope",
                FakeAzure.AKS_SCOPE));
    assertThat(a.status()).isEqualTo(200);
    assertThat(a.body().get("token_type").asText()).isEqualTo("Bearer");
    assertThat(a.body().get("expires_in").asLong()).isBetween(3600L, 5400L);
    assertThat(a.body().get("ext_expires_in").asLong()).isPositive();
    assertThat(a.body().has("refresh_token")).isFalse();
  }

  @Test
  void theV1EndpointTakesAResourceInsteadOfAScope() throws Exception {
    Answer a =
        post(
            "/" + TENANT + "/oauth2/token",
            fields(
                "grant_type",
                "client_credentials",
                "client_id",
                SECRET_APP,
                "client_secret",
                SECRET,
                "resource",
                "https://management.azure.com/"));
    assertThat(a.status()).isEqualTo(200);
    assertThat(
            SignedJWT.parse(a.body().get("access_token").asText()).getJWTClaimsSet().getAudience())
        .containsExactly("https://management.azure.com/");
  }

  @Test
  void discoveryAndJwksVerifyTheIssuedTokens() throws Exception {
    JsonNode d = get("/" + TENANT + "/v2.0/.well-known/openid-configuration").body();
    assertThat(d.get("issuer").asText()).isEqualTo(azure.issuerV2(TENANT));
    assertThat(d.get("token_endpoint").asText()).isEqualTo(azure.tokenEndpoint(TENANT));
    String jwksUri = d.get("jwks_uri").asText();
    assertThat(jwksUri).startsWith(azure.authorityHost());
    JWKSet keys = JWKSet.parse(get(jwksUri.substring(azure.authorityHost().length())).raw().body());

    String token =
        post(
                tokenPath(),
                fields(
                    "grant_type",
                    "client_credentials",
                    "client_id",
                    SECRET_APP,
                    "client_secret",
                    SECRET,
                    "scope",
                    FakeAzure.AKS_SCOPE))
            .body()
            .get("access_token")
            .asText();
    SignedJWT jwt = SignedJWT.parse(token);
    RSAKey key = (RSAKey) keys.getKeyByKeyId(jwt.getHeader().getKeyID());
    assertThat(jwt.verify(new RSASSAVerifier(key))).isTrue();

    assertThat(
            get("/" + "00000000-0000-4000-8000-000000000000/v2.0/.well-known/openid-configuration")
                .status())
        .isEqualTo(400);
    JsonNode instance =
        get("/common/discovery/instance?api-version=1.1&authorization_endpoint=x").body();
    assertThat(instance.at("/metadata/0/preferred_network").asText())
        .isEqualTo(URI.create(azure.authorityHost()).getAuthority());
  }

  @Test
  void deviceCodePollingIsPendingUntilApprovedThenRefreshTokensWork() throws Exception {
    Answer start =
        post(
            "/" + TENANT + "/oauth2/v2.0/devicecode",
            fields("client_id", PUBLIC_APP, "scope", FakeAzure.AKS_SCOPE + " offline_access"));
    String deviceCode = start.body().get("device_code").asText();
    String userCode = start.body().get("user_code").asText();
    assertThat(start.body().get("message").asText()).contains(userCode);

    Map<String, String> poll =
        fields(
            "grant_type", "urn:ietf:params:oauth:grant-type:device_code",
            "client_id", PUBLIC_APP,
            "device_code", deviceCode);
    Answer pending = post(tokenPath(), poll);
    assertThat(pending.status()).isEqualTo(400);
    assertThat(pending.body().get("error").asText()).isEqualTo("authorization_pending");
    assertThat(pending.body().get("error_codes").get(0).asInt()).isEqualTo(70016);

    azure.approveDeviceCode(userCode, alice.upn());
    Answer ok = post(tokenPath(), poll);
    assertThat(ok.status()).isEqualTo(200);
    String refresh = ok.body().get("refresh_token").asText();

    Answer refreshed =
        post(
            tokenPath(),
            fields(
                "grant_type",
                "refresh_token",
                "client_id",
                PUBLIC_APP,
                "refresh_token",
                refresh,
                "scope",
                FakeAzure.AKS_SCOPE + " offline_access"));
    assertThat(refreshed.status()).isEqualTo(200);
    assertThat(
            SignedJWT.parse(refreshed.body().get("access_token").asText())
                .getJWTClaimsSet()
                .getClaim("upn"))
        .isEqualTo(alice.upn());

    Answer bogus =
        post(
            tokenPath(),
            fields(
                "grant_type", "refresh_token", "client_id", PUBLIC_APP, "refresh_token", "nope"));
    assertThat(bogus.body().get("error").asText()).isEqualTo("invalid_grant");
  }

  @Test
  void authorizationCodeWithPkceRedirectsToTheLoopbackRedirectUri() throws Exception {
    String verifier = "verifier-" + "x".repeat(40);
    String challenge =
        Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString(
                MessageDigest.getInstance("SHA-256")
                    .digest(verifier.getBytes(StandardCharsets.US_ASCII)));
    String redirect = "http://localhost:53123/";
    Answer auth =
        get(
            "/"
                + TENANT
                + "/oauth2/v2.0/authorize?"
                + form(
                    fields(
                        "client_id",
                        PUBLIC_APP,
                        "response_type",
                        "code",
                        "redirect_uri",
                        redirect,
                        "scope",
                        FakeAzure.AKS_SCOPE + " openid offline_access",
                        "state",
                        "st-1",
                        "code_challenge",
                        challenge,
                        "code_challenge_method",
                        "S256")));
    assertThat(auth.status()).isEqualTo(302);
    URI location = URI.create(auth.raw().headers().firstValue("Location").orElseThrow());
    assertThat(location.toString()).startsWith(redirect + "?code=").contains("state=st-1");
    String code =
        java.net.URLDecoder.decode(
            location.getRawQuery().split("&")[0].substring("code=".length()),
            StandardCharsets.UTF_8);

    Map<String, String> exchange =
        fields(
            "grant_type",
            "authorization_code",
            "client_id",
            PUBLIC_APP,
            "code",
            code,
            "redirect_uri",
            redirect,
            "code_verifier",
            "a-different-verifier-that-does-not-match-at-all",
            "scope",
            FakeAzure.AKS_SCOPE);
    // A wrong verifier burns the code, as Entra does.
    assertThat(post(tokenPath(), exchange).body().get("error").asText()).isEqualTo("invalid_grant");

    Answer again =
        get(
            "/"
                + TENANT
                + "/oauth2/v2.0/authorize?"
                + form(
                    fields(
                        "client_id", PUBLIC_APP,
                        "redirect_uri", redirect,
                        "scope", FakeAzure.AKS_SCOPE,
                        "code_challenge", challenge,
                        "code_challenge_method", "S256")));
    String code2 =
        URI.create(again.raw().headers().firstValue("Location").orElseThrow())
            .getQuery()
            .split("&")[0]
            .substring(5);
    exchange.put("code", code2);
    exchange.put("code_verifier", verifier);
    Answer ok = post(tokenPath(), exchange);
    assertThat(ok.status()).isEqualTo(200);
    assertThat(
            SignedJWT.parse(ok.body().get("access_token").asText())
                .getJWTClaimsSet()
                .getClaim("oid"))
        .isEqualTo(alice.objectId());
  }

  @Test
  void aFederatedAssertionFromAnHttpsIssuerIsVerifiedThroughItsJwks() throws Exception {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("iss", ciIssuer.issuerV2(CI_TENANT));
    c.put("sub", CI_SUBJECT);
    c.put("aud", FederatedCredential.TOKEN_EXCHANGE_AUDIENCE);
    c.put("iat", Instant.now());
    c.put("exp", Instant.now().plus(Duration.ofMinutes(5)));
    Answer a =
        post(
            tokenPath(),
            fields(
                "grant_type",
                "client_credentials",
                "client_id",
                FED_APP,
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion",
                ciIssuer.sign(c),
                "scope",
                FakeAzure.AKS_SCOPE));
    assertThat(a.status()).isEqualTo(200);
  }

  @Test
  void theManagedIdentityEndpointRequiresTheIdentityHeader() throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(
                    URI.create(
                        azure.managedIdentityEndpoint()
                            + "?api-version=2019-08-01&resource="
                            + AksCluster.AKS_SERVER_APP_ID))
                .header("X-IDENTITY-HEADER", "wrong")
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(401);

    HttpResponse<String> ok =
        http.send(
            HttpRequest.newBuilder(
                    URI.create(
                        azure.managedIdentityEndpoint()
                            + "?api-version=2019-08-01&resource="
                            + AksCluster.AKS_SERVER_APP_ID))
                .header("X-IDENTITY-HEADER", azure.managedIdentityHeader())
                .build(),
            HttpResponse.BodyHandlers.ofString());
    JsonNode b = JSON.readTree(ok.body());
    assertThat(b.get("token_type").asText()).isEqualTo("Bearer");
    assertThat(b.get("client_id").asText()).isEqualTo(MI_CLIENT);
    assertThat(b.get("resource").asText()).isEqualTo(AksCluster.AKS_SERVER_APP_ID);
    assertThat(Long.parseLong(b.get("expires_on").asText()))
        .isGreaterThan(Instant.now().plus(Duration.ofHours(23)).getEpochSecond());
  }

  @Test
  void aStalledTokenEndpointAcceptsAndNeverAnswersUntilReleased() throws Exception {
    azure.stallTokenEndpoint(true);
    try {
      HttpRequest req =
          HttpRequest.newBuilder(URI.create(azure.authorityHost() + tokenPath()))
              .timeout(Duration.ofMillis(700))
              .header("Content-Type", "application/x-www-form-urlencoded")
              .POST(
                  HttpRequest.BodyPublishers.ofString(
                      form(
                          fields(
                              "grant_type",
                              "client_credentials",
                              "client_id",
                              SECRET_APP,
                              "client_secret",
                              SECRET,
                              "scope",
                              FakeAzure.AKS_SCOPE))))
              .build();
      CompletableFuture<HttpResponse<String>> f =
          http.sendAsync(req, HttpResponse.BodyHandlers.ofString());
      assertThat(f)
          .failsWithin(Duration.ofSeconds(5))
          .withThrowableOfType(java.util.concurrent.ExecutionException.class)
          .withCauseInstanceOf(HttpTimeoutException.class);
    } finally {
      azure.stallTokenEndpoint(false);
    }
  }

  @Test
  void delayedAnswersArriveLateAndParallelRequestsAreCounted() throws Exception {
    String client = SECRET_APP;
    long before = azure.requestCount("client_credentials", client);
    azure.delayTokenAnswers(Duration.ofMillis(400));
    try {
      long t0 = System.nanoTime();
      List<CompletableFuture<Answer>> all = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        all.add(
            CompletableFuture.supplyAsync(
                () -> {
                  try {
                    return post(
                        tokenPath(),
                        fields(
                            "grant_type",
                            "client_credentials",
                            "client_id",
                            client,
                            "client_secret",
                            SECRET,
                            "scope",
                            FakeAzure.AKS_SCOPE));
                  } catch (Exception e) {
                    throw new IllegalStateException(e);
                  }
                }));
      }
      for (CompletableFuture<Answer> f : all) {
        assertThat(f.get().status()).isEqualTo(200);
      }
      assertThat(Duration.ofNanos(System.nanoTime() - t0))
          .isGreaterThanOrEqualTo(Duration.ofMillis(400));
    } finally {
      azure.delayTokenAnswers(Duration.ZERO);
    }
    assertThat(azure.requestCount("client_credentials", client) - before).isEqualTo(5);
  }

  @Test
  void accessTokensCanBeVersionTwo() throws Exception {
    try (FakeAzure v2 =
        FakeAzure.builder()
            .application(EntraApp.builder(TENANT, SECRET_APP).secret(SECRET).build())
            .accessTokenVersion(2)
            .tokenLifetime(Duration.ofMinutes(5))
            .start()) {
      String token = v2.applicationToken(TENANT, SECRET_APP, AksCluster.AKS_SERVER_APP_ID);
      Map<String, Object> c = SignedJWT.parse(token).getJWTClaimsSet().getClaims();
      assertThat(c)
          .containsEntry("iss", v2.issuerV2(TENANT))
          .containsEntry("azp", SECRET_APP)
          .containsEntry("ver", "2.0")
          .doesNotContainKey("appid");
      assertThat(v2.aksOidc(TENANT).issuerUrl()).isEqualTo(v2.issuerV2(TENANT));
    }
  }
}
