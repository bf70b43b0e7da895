package io.sightline.kubernetes.mint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.sightline.core.SightlineException;
import io.sightline.kubernetes.mint.internal.Jwts;
import io.sightline.kubernetes.provision.ProvisionResult;
import io.sightline.kubernetes.provision.ProvisionSpec;
import io.sightline.kubernetes.provision.Provisioner;
import io.sightline.kubernetes.provision.TestClusters;
import io.sightline.kubernetes.provision.Whoami;
import io.sightline.testing.kube.FakeKubeApiServer;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Minting and revoking lease tokens with a provisioned minter, against the emulator. */
class TokenMinterTest {
  static FakeKubeApiServer kube;
  static KubernetesClient admin;
  static KubernetesClient minterClient;
  static TokenMinter minter;
  static final String HOME = "sightline-prod";

  @BeforeAll
  static void provision() {
    kube = FakeKubeApiServer.builder().version("1.30").start();
    admin = TestClusters.admin(kube);
    for (String ns : List.of("web", "api")) {
      admin
          .namespaces()
          .resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
          .create();
    }
    ProvisionResult p =
        new Provisioner().provision(admin, ProvisionSpec.of("prod", List.of("web", "api")));
    minterClient = TestClusters.client(kube, p.minterToken());
    minter = new TokenMinter(minterClient);
  }

  @AfterAll
  static void stop() {
    minterClient.close();
    admin.close();
    kube.close();
  }

  @Test
  @DisplayName(
      "a minted token authenticates as the deployer, expires within the TTL and is bound to the lease Secret")
  void mintedTokenAuthenticatesAsTheDeployer() {
    Instant before = Instant.now();
    MintedToken t =
        minter.mint(MintRequest.of("lease-1", HOME, "deployer-web", Duration.ofMinutes(15)));

    assertThat(Whoami.of(admin, t.token()))
        .isEqualTo("system:serviceaccount:sightline-prod:deployer-web");
    assertThat(t.serviceAccount()).isEqualTo("system:serviceaccount:sightline-prod:deployer-web");
    assertThat(t.expiresAt()).isBeforeOrEqualTo(Instant.now().plusSeconds(900));
    assertThat(t.expiresAt()).isAfter(before.plusSeconds(899 - 5));
    var claims = Jwts.unverifiedClaims(t.token().reveal());
    assertThat(t.jti()).isNotBlank().isEqualTo(claims.get("jti").asText());
    assertThat(t.sha256()).hasSize(64);
    Secret secret = admin.secrets().inNamespace(HOME).withName("sightline-lease-lease-1").get();
    assertThat(t.secretName()).isEqualTo("sightline-lease-lease-1");
    assertThat(t.secretUid()).isEqualTo(secret.getMetadata().getUid());
    assertThat(claims.path("kubernetes.io").path("secret").path("uid").asText())
        .isEqualTo(secret.getMetadata().getUid());
    assertThat(secret.getMetadata().getLabels())
        .containsEntry("app.kubernetes.io/managed-by", "sightline")
        .containsEntry("sightline.io/lease", "lease-1")
        .containsKey("sightline.io/expires");
    long expiresLabel =
        Long.parseLong(secret.getMetadata().getLabels().get("sightline.io/expires"));
    assertThat(expiresLabel)
        .isBetween(before.getEpochSecond() + 899, Instant.now().getEpochSecond() + 901);
    assertThat(t.toString()).doesNotContain(t.token().reveal());
  }

  @Test
  @DisplayName("after revoke the token gets 401, and revoking again is a success")
  void revokedTokenIsRejected() {
    MintedToken t =
        minter.mint(MintRequest.of("lease-2", HOME, "deployer-web", Duration.ofMinutes(10)));
    try (KubernetesClient task = TestClusters.client(kube, t.token())) {
      assertThat(
              task.authentication()
                  .v1()
                  .selfSubjectReviews()
                  .create(new io.fabric8.kubernetes.api.model.authentication.SelfSubjectReview())
                  .getStatus()
                  .getUserInfo()
                  .getUsername())
          .isEqualTo("system:serviceaccount:sightline-prod:deployer-web");

      assertThat(minter.revoke("lease-2", HOME)).isTrue();

      assertThatThrownBy(
              () ->
                  task.authentication()
                      .v1()
                      .selfSubjectReviews()
                      .create(
                          new io.fabric8.kubernetes.api.model.authentication.SelfSubjectReview()))
          .isInstanceOfSatisfying(
              KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(401));
    }
    assertThat(Whoami.of(admin, t.token())).isNull();
    assertThat(minter.revoke("lease-2", HOME)).isFalse();
    assertThat(minter.revoke("never-minted", HOME)).isFalse();
  }

  @Test
  @DisplayName(
      "minting again for the same lease reuses its Secret, and one revoke ends both tokens")
  void mintIsIdempotentByLeaseId() {
    MintedToken first =
        minter.mint(MintRequest.of("lease-3", HOME, "deployer-api", Duration.ofMinutes(10)));
    MintedToken retry =
        minter.mint(MintRequest.of("lease-3", HOME, "deployer-api", Duration.ofMinutes(10)));

    assertThat(retry.secretUid()).isEqualTo(first.secretUid());
    assertThat(Whoami.of(admin, retry.token()))
        .isEqualTo("system:serviceaccount:sightline-prod:deployer-api");

    minter.revoke("lease-3", HOME);
    assertThat(Whoami.of(admin, first.token())).isNull();
    assertThat(Whoami.of(admin, retry.token())).isNull();
  }

  @Test
  @DisplayName("a TTL under 10 minutes is refused with a clear error before the cluster is called")
  void ttlBelowKubernetesMinimumIsRefused() {
    kube.clearRequestLog();
    assertThatThrownBy(
            () ->
                minter.mint(
                    MintRequest.of("lease-4", HOME, "deployer-web", Duration.ofSeconds(599))))
        .isInstanceOfSatisfying(
            SightlineException.class,
            e -> {
              assertThat(e.code()).isEqualTo("TTL_TOO_SHORT");
              assertThat(e.field()).isEqualTo("ttlSeconds");
              assertThat(e.getMessage()).contains("599").contains("at least 600 seconds");
            });
    assertThat(kube.requestLog()).isEmpty();
  }

  @Test
  @DisplayName(
      "a deployer the minter was not provisioned for is refused, and no lease Secret is left")
  void unknownDeployerIsRefused() {
    assertThatThrownBy(
            () ->
                minter.mint(
                    MintRequest.of("lease-5", HOME, "deployer-shop", Duration.ofMinutes(10))))
        .isInstanceOfSatisfying(
            SightlineException.class, e -> assertThat(e.code()).isEqualTo("MINTER_FORBIDDEN"));
    assertThat(admin.secrets().inNamespace(HOME).withName("sightline-lease-lease-5").get())
        .isNull();
  }

  @Test
  @DisplayName("the minter cannot mint for a ServiceAccount outside its deployers (e.g. itself)")
  void minterCannotMintForItself() {
    assertThatThrownBy(
            () ->
                minter.mint(
                    MintRequest.of("lease-6", HOME, "sightline-minter", Duration.ofMinutes(10))))
        .isInstanceOfSatisfying(
            SightlineException.class, e -> assertThat(e.code()).isEqualTo("MINTER_FORBIDDEN"));
  }

  @Test
  @DisplayName(
      "an unreachable cluster is a 503 CLUSTER_UNREACHABLE for mint and revoke, not a hang")
  void unreachableCluster() {
    try (KubernetesClient nowhere =
        io.sightline.kubernetes.KubernetesClients.create(
            io.sightline.kubernetes.ClusterAccess.ofToken(
                kube.faults().refused().toString(),
                kube.caCertPem(),
                io.sightline.core.SecretValue.of("not-a-real-token")),
            io.sightline.kubernetes.EgressSocketFactory.of(
                io.sightline.kubernetes.EgressPolicy.defaults()),
            new io.sightline.kubernetes.KubernetesClients.Settings(
                Duration.ofSeconds(2), Duration.ofSeconds(2), 0, null, null))) {
      TokenMinter far = new TokenMinter(nowhere);

      assertThatThrownBy(
              () ->
                  far.mint(MintRequest.of("lease-7", HOME, "deployer-web", Duration.ofMinutes(10))))
          .isInstanceOfSatisfying(
              SightlineException.class,
              e -> {
                assertThat(e.code()).isEqualTo("CLUSTER_UNREACHABLE");
                assertThat(e.status()).isEqualTo(503);
              });
      assertThatThrownBy(() -> far.revoke("lease-7", HOME))
          .isInstanceOfSatisfying(
              SightlineException.class, e -> assertThat(e.code()).isEqualTo("CLUSTER_UNREACHABLE"));
    }
  }
}
