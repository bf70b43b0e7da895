package io.sightline.azure;

import static io.sightline.azure.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jwt.SignedJWT;
import io.sightline.core.SightlineException;
import io.sightline.testing.azure.AksCluster;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The per-task AKS credential: a fresh Entra token in a kubeconfig, or an honest refusal. */
class AksCredentialIssuerTest {
  static final String RG = AksClusterFixture.RG;
  static AksClusterFixture f;
  static final AksCredentialIssuer issuer = new AksCredentialIssuer(Duration.ofSeconds(10));

  @BeforeAll
  static void start() {
    f = new AksClusterFixture();
  }

  @AfterAll
  static void stop() {
    assertThat(OFF_LOOPBACK).as("requests that left 127.0.0.1").isEmpty();
    f.close();
  }

  static SightlineException failure(Runnable r) {
    try {
      r.run();
    } catch (SightlineException e) {
      return e;
    }
    throw new AssertionError("no failure");
  }

  static String token(String kubeconfig) {
    String line =
        kubeconfig.lines().filter(l -> l.trim().startsWith("token:")).findFirst().orElseThrow();
    return line.substring(line.indexOf('"') + 1, line.lastIndexOf('"'));
  }

  @Test
  void eachTaskGetsAFreshEntraTokenWithTheClustersServerAndCaFromOneCachedArmAnswer()
      throws Exception {
    ArmClient arm = new ArmClient(f.env, f.tokens, Duration.ofSeconds(10));
    arm.listClusters(SUB, RG); // the ARM token is in hand
    long entraBefore = f.azure.requestCount("client_credentials", SECRET_APP);
    int armBefore = f.azure.armRequests().size();
    AksCredential a = issuer.issue(f.tokens, arm, SUB, RG, "aks1", "web", false, false);
    AksCredential b = issuer.issue(f.tokens, arm, SUB, RG, "aks1", "web", false, false);

    assertThat(a.kind()).isEqualTo("entra");
    assertThat(a.server()).isEqualTo(f.kube.url().toString());
    String yaml = a.kubeconfig().reveal();
    assertThat(yaml)
        .contains("server: \"" + f.kube.url() + "\"")
        .contains("certificate-authority-data: ")
        .contains("namespace: \"web\"")
        .doesNotContain("kubelogin")
        .doesNotContain("exec");
    var claims = SignedJWT.parse(token(yaml)).getJWTClaimsSet();
    assertThat(claims.getAudience()).containsExactly(AksCluster.AKS_SERVER_APP_ID);
    assertThat(a.expiresAt()).isEqualTo(claims.getExpirationTime().toInstant());
    assertThat(a.expiresAt())
        .isBetween(
            Instant.now().plus(Duration.ofMinutes(59)), Instant.now().plus(Duration.ofMinutes(91)));
    assertThat(a.limits())
        .anySatisfy(l -> assertThat(l).contains("Entra ID sets the lifetime"))
        .anySatisfy(l -> assertThat(l).contains("cannot be revoked"))
        .anySatisfy(l -> assertThat(l).contains("wherever the identity"));
    assertThat(a.toString()).doesNotContain(token(yaml));

    assertThat(token(b.kubeconfig().reveal())).isNotEqualTo(token(yaml));
    // Two AKS tokens from Entra; one listClusterUserCredential from ARM.
    assertThat(f.azure.requestCount("client_credentials", SECRET_APP)).isEqualTo(entraBefore + 2);
    assertThat(f.azure.armRequests().subList(armBefore, f.azure.armRequests().size()))
        .hasSize(1)
        .allSatisfy(r -> assertThat(r).endsWith("/aks1/listClusterUserCredential"));
  }

  @Test
  void aClusterWithoutEntraIdIsStaticAndRefusedUnlessTheConnectionAllowsIt() {
    SightlineException e =
        failure(() -> issuer.issue(f.tokens, f.arm, SUB, RG, "aks-static", null, false, false));
    assertThat(e.code()).isEqualTo("STATIC_CREDENTIAL_NOT_ALLOWED");
    assertThat(e.getMessage()).contains("no Entra ID integration");

    AksCredential c = issuer.issue(f.tokens, f.arm, SUB, RG, "aks-static", null, false, true);
    assertThat(c.kind()).isEqualTo("static");
    assertThat(c.expiresAt()).isNull();
    assertThat(c.kubeconfig().reveal()).contains("client-certificate-data");
    assertThat(c.limits()).singleElement().asString().contains("long-lived client certificate");
  }

  @Test
  void useClusterAdminIsStaticAndOnALocalAccountsDisabledClusterArmRefusesIt() {
    int armBefore = f.azure.armRequests().size();
    SightlineException refused =
        failure(() -> issuer.issue(f.tokens, f.arm, SUB, RG, "aks1", null, true, false));
    assertThat(refused.code()).isEqualTo("STATIC_CREDENTIAL_NOT_ALLOWED");
    assertThat(f.azure.armRequests()).hasSize(armBefore);

    SightlineException arm =
        failure(() -> issuer.issue(f.tokens, f.arm, SUB, RG, "aks1", null, true, true));
    assertThat(arm.code()).isEqualTo("LOCAL_ACCOUNTS_DISABLED");
    assertThat(arm.getMessage()).contains("azurerm connection");

    assertThat(issuer.issue(f.tokens, f.arm, SUB, RG, "aks-static", null, true, true).kind())
        .isEqualTo("static");
  }

  @Test
  void withTheSharedTokenCacheTasksReuseOneEntraTokenAndOneArmAnswer() {
    // Speed is measured in the benchmark harness (AksFigures), not here.
    AzureTokenSource shared =
        AzureTokenSources.create(
            new TokenSpec.ClientSecret(
                TENANT, SECRET_APP, io.sightline.core.SecretValue.of(SECRET)),
            f.env,
            AzureTokenSources.TokenCache.SHARED);
    AksCredential first = issuer.issue(shared, f.arm, SUB, RG, "aks1", null, false, false);
    long entraBefore = f.azure.requestCount("client_credentials", SECRET_APP);
    int armBefore = f.azure.armRequests().size();
    AksCredential second = issuer.issue(shared, f.arm, SUB, RG, "aks1", null, false, false);
    assertThat(token(second.kubeconfig().reveal())).isEqualTo(token(first.kubeconfig().reveal()));
    assertThat(f.azure.requestCount("client_credentials", SECRET_APP)).isEqualTo(entraBefore);
    assertThat(f.azure.armRequests()).hasSize(armBefore);
  }

  @Test
  void aClusterThatDoesNotExistIsArmNotFound() {
    SightlineException e =
        failure(() -> issuer.issue(f.tokens, f.arm, SUB, RG, "nope", null, false, false));
    assertThat(e.code()).isEqualTo("ARM_NOT_FOUND");
    assertThat(List.of(e.status())).containsExactly(404);
  }
}
