package io.sightline.azure;

import static io.sightline.azure.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.sightline.core.SightlineException;
import io.sightline.testing.azure.EntraApp;
import io.sightline.testing.azure.FakeAzure;
import io.sightline.testing.azure.FederatedCredential;
import io.sightline.testing.pki.TestCa;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server as an OIDC issuer: documents, assertions, rotation, export, and Entra's verdict. */
class OidcIssuerTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String ISSUER = "https://sightline.example.test";

  @TempDir Path dir;

  /** A clock the test moves. */
  static final class MovableClock extends Clock {
    Instant now = Instant.parse("2026-01-01T10:00:00Z");

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  static List<String> kids(OidcIssuer issuer) throws Exception {
    return JWKSet.parse(issuer.jwksJson()).getKeys().stream().map(k -> k.getKeyID()).toList();
  }

  @Test
  void anAssertionNamesTheServerAndConnectionForTokenExchangeAndLastsFiveMinutes()
      throws Exception {
    OidcIssuer issuer =
        new OidcIssuer(
            ISSUER + "/",
            "prod-server",
            KeyStorage.inMemory(),
            OidcIssuer.KeyType.EC_P256,
            Clock.systemUTC());
    SignedJWT jwt = SignedJWT.parse(issuer.clientAssertion("arm-prod").reveal());
    JWTClaimsSet c = jwt.getJWTClaimsSet();
    assertThat(c.getIssuer()).isEqualTo(ISSUER);
    assertThat(c.getSubject()).isEqualTo("sc://prod-server/arm-prod");
    assertThat(c.getAudience()).containsExactly("api://AzureADTokenExchange");
    assertThat(Duration.between(c.getIssueTime().toInstant(), c.getExpirationTime().toInstant()))
        .isEqualTo(Duration.ofMinutes(5));
    assertThat(jwt.getHeader().getAlgorithm().getName()).isEqualTo("ES256");
    assertThat(jwt.getHeader().getKeyID()).isEqualTo(issuer.activeKeyId());
    ECKey pub = (ECKey) JWKSet.parse(issuer.jwksJson()).getKeyByKeyId(issuer.activeKeyId());
    assertThat(pub.isPrivate()).isFalse();
    assertThat(jwt.verify(new ECDSAVerifier(pub))).isTrue();
    assertThat(issuer.subject("x")).isEqualTo("sc://prod-server/x");
  }

  @Test
  void byDefaultKeysAreRs256TheDiscoveryPointsAtTheJwksAndTheJwksHoldsNoPrivateKey()
      throws Exception {
    OidcIssuer issuer = new OidcIssuer(ISSUER, "s", KeyStorage.inMemory());
    JsonNode d = JSON.readTree(issuer.discoveryJson());
    assertThat(d.get("issuer").asText()).isEqualTo(ISSUER);
    assertThat(d.get("jwks_uri").asText()).isEqualTo(ISSUER + "/.well-known/jwks.json");
    assertThat(d.get("id_token_signing_alg_values_supported").get(0).asText()).isEqualTo("RS256");
    assertThat(issuer.jwksJson()).doesNotContain("\"d\"").doesNotContain("\"p\"");
    SignedJWT jwt = SignedJWT.parse(issuer.clientAssertion("c").reveal());
    RSAKey pub = (RSAKey) JWKSet.parse(issuer.jwksJson()).getKeys().get(0);
    assertThat(jwt.verify(new RSASSAVerifier(pub))).isTrue();
  }

  @Test
  void keysSurviveARestartThroughTheKeyStorage() throws Exception {
    KeyStorage storage = KeyStorage.inMemory();
    OidcIssuer first = new OidcIssuer(ISSUER, "s", storage);
    OidcIssuer again = new OidcIssuer(ISSUER, "s", storage);
    assertThat(again.activeKeyId()).isEqualTo(first.activeKeyId());
    assertThat(storage.load()).get().asString().contains("\"d\"");
  }

  @Test
  void aRotatedKeyStaysInTheJwksUntilItsLastAssertionHasExpired() throws Exception {
    MovableClock clock = new MovableClock();
    KeyStorage storage = KeyStorage.inMemory();
    OidcIssuer issuer = new OidcIssuer(ISSUER, "s", storage, OidcIssuer.KeyType.EC_P256, clock);
    String old = issuer.activeKeyId();

    String next = issuer.stageNextKey();
    assertThat(kids(issuer)).containsExactlyInAnyOrder(old, next);
    assertThat(issuer.activeKeyId()).isEqualTo(old); // published, not signing yet

    assertThat(issuer.rotate()).isEqualTo(next);
    assertThat(issuer.activeKeyId()).isEqualTo(next);
    assertThat(SignedJWT.parse(issuer.clientAssertion("c").reveal()).getHeader().getKeyID())
        .isEqualTo(next);
    clock.now = clock.now.plus(Duration.ofMinutes(5));
    assertThat(kids(issuer)).containsExactlyInAnyOrder(old, next);
    clock.now = clock.now.plus(Duration.ofMinutes(2));
    assertThat(kids(issuer)).containsExactly(next);
    assertThat(
            new OidcIssuer(ISSUER, "s", storage, OidcIssuer.KeyType.EC_P256, clock).activeKeyId())
        .isEqualTo(next);
  }

  @Test
  void storedKeysThatCannotBeReadStopTheIssuerWithoutShowingThem() {
    KeyStorage broken = KeyStorage.inMemory();
    broken.save("{\"keys\":[{\"state\":\"ACTIVE\",\"jwk\":{\"kty\":\"EC\",\"d\":\"c2VjcmV0\"}}]}");
    assertThatThrownBy(() -> new OidcIssuer(ISSUER, "s", broken))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("cannot be read")
        .hasMessageNotContaining("c2VjcmV0");
  }

  @Test
  void onScheduleTheNextKeyIsPublishedAheadThenSignsAndTheOldOneLeavesAfterItsOverlap()
      throws Exception {
    MovableClock clock = new MovableClock();
    KeyStorage storage = KeyStorage.inMemory();
    OidcIssuer issuer = new OidcIssuer(ISSUER, "s", storage, OidcIssuer.KeyType.EC_P256, clock);
    OidcIssuer.RotationPolicy policy =
        new OidcIssuer.RotationPolicy(Duration.ofDays(30), Duration.ofDays(7));
    String first = issuer.activeKeyId();

    clock.now = clock.now.plus(Duration.ofDays(22));
    assertThat(issuer.maintain(policy)).isEmpty();
    assertThat(kids(issuer)).containsExactly(first);

    clock.now = clock.now.plus(Duration.ofDays(1));
    List<KeyStorage.Change> staged = issuer.maintain(policy);
    assertThat(staged).extracting(KeyStorage.Change::action).containsExactly("staged");
    String next = staged.get(0).keyId();
    assertThat(kids(issuer)).containsExactlyInAnyOrder(first, next);
    assertThat(issuer.activeKeyId()).isEqualTo(first); // published a week before it signs
    assertThat(issuer.keys())
        .extracting(OidcIssuer.KeyInfo::keyId, OidcIssuer.KeyInfo::state)
        .containsExactly(
            org.assertj.core.api.Assertions.tuple(next, OidcIssuer.KeyState.NEXT),
            org.assertj.core.api.Assertions.tuple(first, OidcIssuer.KeyState.ACTIVE));

    clock.now = clock.now.plus(Duration.ofDays(6));
    assertThat(issuer.maintain(policy)).isEmpty();
    clock.now = clock.now.plus(Duration.ofDays(1));
    assertThat(issuer.maintain(policy))
        .extracting(KeyStorage.Change::action, KeyStorage.Change::keyId)
        .containsExactly(
            org.assertj.core.api.Assertions.tuple("retired", first),
            org.assertj.core.api.Assertions.tuple("activated", next));
    assertThat(issuer.activeKeyId()).isEqualTo(next);
    assertThat(kids(issuer)).containsExactlyInAnyOrder(first, next);

    clock.now = clock.now.plus(Duration.ofMinutes(7));
    assertThat(kids(issuer)).containsExactly(next);
    assertThat(issuer.maintain(policy))
        .extracting(KeyStorage.Change::action, KeyStorage.Change::keyId)
        .containsExactly(org.assertj.core.api.Assertions.tuple("removed", first));
    assertThat(storage.load()).get().asString().doesNotContain(first);
  }

  @Test
  void replicasSharingStorageAgreeOnTheFirstKeyAndFollowAnotherReplicasRotation() throws Exception {
    MovableClock clock = new MovableClock();
    KeyStorage shared = KeyStorage.inMemory();
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(4);
    try {
      List<java.util.concurrent.Future<OidcIssuer>> starts = new java.util.ArrayList<>();
      for (int i = 0; i < 4; i++) {
        starts.add(
            pool.submit(
                () -> new OidcIssuer(ISSUER, "s", shared, OidcIssuer.KeyType.EC_P256, clock)));
      }
      List<OidcIssuer> replicas = new java.util.ArrayList<>();
      for (var f : starts) {
        replicas.add(f.get());
      }
      assertThat(replicas.stream().map(OidcIssuer::activeKeyId).distinct()).hasSize(1);
      OidcIssuer a = replicas.get(0);
      OidcIssuer b = replicas.get(1);
      String old = a.activeKeyId();
      String next = a.rotate("alice");
      // b signs with what it read until it re-reads; the old key is still published meanwhile.
      assertThat(b.activeKeyId()).isEqualTo(old);
      clock.now = clock.now.plus(OidcIssuer.REFRESH).plusSeconds(1);
      assertThat(b.activeKeyId()).isEqualTo(next);
      assertThat(kids(b)).containsExactlyInAnyOrder(old, next);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void theUpdateReportsEachChangeWithItsActorAndWritesNothingWhenNothingChanged() {
    List<KeyStorage.Update> writes = new java.util.ArrayList<>();
    KeyStorage memory = KeyStorage.inMemory();
    KeyStorage recording =
        new KeyStorage() {
          @Override
          public java.util.Optional<String> load() {
            return memory.load();
          }

          @Override
          public void save(String keyMaterial) {
            memory.save(keyMaterial);
          }

          @Override
          public String update(
              java.util.function.Function<java.util.Optional<String>, Update> change) {
            Update u = change.apply(load());
            if (!u.changes().isEmpty()) {
              writes.add(u);
              save(u.material());
            }
            return u.material();
          }
        };
    OidcIssuer issuer =
        new OidcIssuer(ISSUER, "s", recording, OidcIssuer.KeyType.EC_P256, Clock.systemUTC());
    String next = issuer.stageNextKey("alice");
    assertThat(issuer.stageNextKey("bob")).isEqualTo(next); // already staged: no write
    assertThat(writes)
        .extracting(w -> w.actor() + " " + w.changes().get(0).action())
        .containsExactly("system created", "alice staged");
  }

  @Test
  void entraAcceptsTheServersAssertionThroughTheExportedDocuments() throws Exception {
    // The exported files, hosted over HTTPS on loopback, are what Entra fetches.
    TestCa ca = TestCa.create("issuer-host-ca");
    TestCa.Issued cert = ca.issueServer(List.of("localhost"), List.of("127.0.0.1"));
    HttpsServer host = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    host.setHttpsConfigurator(new HttpsConfigurator(ca.sslContext(cert)));
    Path site = dir.resolve("site");
    host.createContext(
        "/",
        ex -> {
          Path f = site.resolve(ex.getRequestURI().getPath().substring(1)).normalize();
          byte[] body = f.startsWith(site) && Files.isRegularFile(f) ? Files.readAllBytes(f) : null;
          ex.getResponseHeaders().add("Content-Type", "application/json");
          ex.sendResponseHeaders(body == null ? 404 : 200, body == null ? -1 : body.length);
          if (body != null) {
            ex.getResponseBody().write(body);
          }
          ex.close();
        });
    host.start();
    String issuerUrl = "https://127.0.0.1:" + host.getAddress().getPort();
    OidcIssuer issuer = new OidcIssuer(issuerUrl, "prod-server", KeyStorage.inMemory());
    assertThat(issuer.exportTo(site))
        .containsExactly(
            site.resolve(".well-known/openid-configuration"),
            site.resolve(".well-known/jwks.json"));

    FakeAzure azure =
        FakeAzure.builder()
            .application(
                EntraApp.builder(TENANT, FED_APP)
                    .federatedCredential(
                        FederatedCredential.of(issuerUrl, issuer.subject("arm-prod")))
                    .build())
            .trustIssuerCa(ca.certificate())
            .start();
    try {
      AzureEnvironment env = env(azure);
      AccessToken token =
          AzureTokenSources.create(
                  new TokenSpec.ClientAssertion(
                      TENANT, FED_APP, () -> issuer.clientAssertion("arm-prod").reveal()),
                  env)
              .token(AksCredentialIssuer.AKS_SCOPE, Duration.ofSeconds(20));
      Map<String, Object> claims =
          SignedJWT.parse(token.token().reveal()).getJWTClaimsSet().getClaims();
      assertThat(claims).containsEntry("appid", FED_APP);

      // Another connection's subject has no federated credential on the app.
      assertThatThrownBy(
              () ->
                  AzureTokenSources.create(
                          new TokenSpec.ClientAssertion(
                              TENANT, FED_APP, () -> issuer.clientAssertion("other").reveal()),
                          env)
                      .token(AksCredentialIssuer.AKS_SCOPE, Duration.ofSeconds(20)))
          .isInstanceOf(SightlineException.class)
          .hasMessageContaining("AADSTS70021");
      assertThat(OFF_LOOPBACK).isEmpty();
    } finally {
      azure.close();
      host.stop(0);
    }
  }
}
