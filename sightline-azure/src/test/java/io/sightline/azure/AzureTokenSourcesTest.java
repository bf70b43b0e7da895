package io.sightline.azure;

import static io.sightline.azure.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jwt.SignedJWT;
import io.sightline.core.SecretValue;
import io.sightline.core.SightlineException;
import io.sightline.testing.azure.AksCluster;
import io.sightline.testing.azure.EntraApp;
import io.sightline.testing.azure.EntraUser;
import io.sightline.testing.azure.FakeAzure;
import io.sightline.testing.azure.FederatedCredential;
import io.sightline.testing.azure.ManagedIdentity;
import io.sightline.testing.azure.MsalEnvironment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each scheme obtains an AKS token from the emulated Entra ID, or fails in one clear line. */
class AzureTokenSourcesTest {
  static final String AKS = AksCredentialIssuer.AKS_SCOPE;
  static final Duration DEADLINE = Duration.ofSeconds(20);
  static final String CI_TENANT = "2c2c2c2c-0000-4000-8000-00000000c1c1";
  static final String PIPELINES_APP = "0a1b2c3d-9999-4999-8999-000000000009";
  static final String PIPELINES_CONNECTION = "3f3f3f3f-0000-4000-8000-00000000c0c0";
  static final String PIPELINES_SUBJECT =
      "/eid1/c/pub/t/abc/a/def/sc/org-id/" + PIPELINES_CONNECTION;

  static Fixtures.Identity cert;
  static Fixtures.Identity expiredCert;
  static FakeAzure issuer;
  static FakeAzure azure;
  static EntraApp fedApp;
  static EntraUser alice;
  static AzureEnvironment env;

  @TempDir static Path dir;

  @BeforeAll
  static void start() throws Exception {
    cert = certificate("sightline-test-client");
    expiredCert =
        certificate(
            "expired",
            Instant.now().minus(Duration.ofDays(30)),
            Instant.now().minus(Duration.ofDays(1)));
    issuer = FakeAzure.builder().tenant(CI_TENANT).start();
    fedApp =
        EntraApp.builder(TENANT, FED_APP)
            .federatedCredential(
                FederatedCredential.of(issuer.issuerV2(CI_TENANT), "sc://org/project/conn"))
            .build();
    alice = EntraUser.of(TENANT, "alice@contoso.example", PASSWORD, GROUP);
    azure =
        FakeAzure.builder()
            .application(EntraApp.builder(TENANT, SECRET_APP).secret(SECRET).groups(GROUP).build())
            .application(EntraApp.builder(TENANT, CERT_APP).certificate(cert.certificate()).build())
            .application(
                EntraApp.builder(TENANT, EXPIRED_CERT_APP)
                    .certificate(expiredCert.certificate())
                    .build())
            .application(fedApp)
            .application(EntraApp.builder(TENANT, PUBLIC_APP).publicClient().build())
            .user(alice)
            .managedIdentity(ManagedIdentity.of(TENANT, MI_CLIENT))
            .managedIdentity(ManagedIdentity.of(TENANT, UAMI_CLIENT))
            .trustIssuerCa(issuer.caCertificate())
            .start();
    azure.addApplication(
        EntraApp.builder(TENANT, PIPELINES_APP)
            .federatedCredential(FederatedCredential.of(azure.issuerV2(TENANT), PIPELINES_SUBJECT))
            .build());
    azure.addPipelinesServiceConnection(TENANT, PIPELINES_CONNECTION, PIPELINES_SUBJECT);
    env = env(azure);
  }

  @AfterAll
  static void stop() {
    assertThat(OFF_LOOPBACK).as("requests that left 127.0.0.1").isEmpty();
    azure.close();
    issuer.close();
  }

  static Map<String, Object> claims(AccessToken token) throws Exception {
    return SignedJWT.parse(token.token().reveal()).getJWTClaimsSet().getClaims();
  }

  static AccessToken aks(TokenSpec spec) {
    return AzureTokenSources.create(spec, env).token(AKS, DEADLINE);
  }

  static String ciToken(String subject, String audience, Duration validFor) {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("iss", issuer.issuerV2(CI_TENANT));
    c.put("sub", subject);
    c.put("aud", audience);
    c.put("iat", Instant.now().minus(Duration.ofHours(2)));
    c.put("exp", Instant.now().plus(validFor));
    return issuer.sign(c);
  }

  /** An ENTRA_AUTH_FAILED whose one-line message carries the AADSTS code. */
  static void failsWith(ThrowingCallable call, String aadsts) {
    assertThatThrownBy(call)
        .isInstanceOf(SightlineException.class)
        .satisfies(
            t -> {
              SightlineException e = (SightlineException) t;
              assertThat(e.code()).isEqualTo("ENTRA_AUTH_FAILED");
              assertThat(e.getMessage()).contains("AADSTS" + aadsts).doesNotContain("\n");
            });
  }

  @Test
  void aServicePrincipalWithASecretGetsAnAksTokenWithTheAppsClaims() throws Exception {
    AccessToken token = aks(new TokenSpec.ClientSecret(TENANT, SECRET_APP, SecretValue.of(SECRET)));
    assertThat(claims(token))
        .containsEntry("aud", List.of(AksCluster.AKS_SERVER_APP_ID))
        .containsEntry("appid", SECRET_APP)
        .containsEntry("tid", TENANT);
    assertThat(token.expiresAt()).isAfter(Instant.now().plus(Duration.ofMinutes(59)));
    assertThat(token.toString()).doesNotContain(token.token().reveal());
  }

  @Test
  void aServicePrincipalWithAPemCertificateGetsAToken() throws Exception {
    AccessToken token =
        aks(new TokenSpec.ClientCertificatePem(TENANT, CERT_APP, SecretValue.of(cert.pem())));
    assertThat(claims(token)).containsEntry("appid", CERT_APP).containsEntry("appidacr", "2");
  }

  @Test
  void aServicePrincipalWithAPfxAndItsPasswordGetsAToken() throws Exception {
    AccessToken token =
        aks(
            new TokenSpec.ClientCertificatePfx(
                TENANT, CERT_APP, cert.pfx(), SecretValue.of(PFX_PASSWORD)));
    assertThat(claims(token)).containsEntry("appid", CERT_APP);
  }

  @Test
  void aFederatedClientAssertionIsExchangedForAnAksToken() throws Exception {
    String assertion =
        ciToken(
            "sc://org/project/conn",
            FederatedCredential.TOKEN_EXCHANGE_AUDIENCE,
            Duration.ofMinutes(5));
    AccessToken token = aks(new TokenSpec.ClientAssertion(TENANT, FED_APP, () -> assertion));
    assertThat(claims(token))
        .containsEntry("appid", FED_APP)
        .containsEntry("oid", fedApp.objectId());
  }

  @Test
  void workloadIdentityExchangesTheProjectedTokenFile() throws Exception {
    Path file = dir.resolve("azure-identity-token");
    Files.writeString(
        file,
        ciToken(
            "sc://org/project/conn",
            FederatedCredential.TOKEN_EXCHANGE_AUDIENCE,
            Duration.ofMinutes(5)));
    AccessToken token = aks(new TokenSpec.WorkloadIdentity(TENANT, FED_APP, file));
    assertThat(claims(token)).containsEntry("appid", FED_APP);
  }

  @Test
  void systemAndUserAssignedManagedIdentitiesGetTokensWithoutImds() throws Exception {
    try (MsalEnvironment e = MsalEnvironment.install(azure.managedIdentityEnvironment())) {
      AccessToken system = aks(new TokenSpec.ManagedIdentity(null));
      assertThat(claims(system)).containsEntry("appid", MI_CLIENT);
      assertThat(system.expiresAt()).isAfter(Instant.now().plus(Duration.ofHours(23)));
      AccessToken user = aks(new TokenSpec.ManagedIdentity(UAMI_CLIENT));
      assertThat(claims(user)).containsEntry("appid", UAMI_CLIENT);
    }
  }

  @Test
  void anAzurePipelinesServiceConnectionGetsTheJobsIdTokenAndExchangesIt() throws Exception {
    AccessToken token =
        aks(
            new TokenSpec.AzurePipelines(
                TENANT,
                PIPELINES_APP,
                PIPELINES_CONNECTION,
                SecretValue.of(azure.pipelinesSystemAccessToken()),
                azure.pipelinesOidcRequestUri()));
    assertThat(claims(token)).containsEntry("appid", PIPELINES_APP);
  }

  @Test
  void aUserWithAPasswordGetsAUserToken() throws Exception {
    AccessToken token =
        aks(
            new TokenSpec.UsernamePassword(
                TENANT, PUBLIC_APP, alice.upn(), SecretValue.of(PASSWORD)));
    assertThat(claims(token)).containsEntry("upn", alice.upn()).containsEntry("idtyp", "user");
  }

  @Test
  void aDeviceCodeLoginShowsThePromptAndGetsATokenOnceApproved() throws Exception {
    CompletableFuture<String> prompt = new CompletableFuture<>();
    AzureTokenSource source =
        AzureTokenSources.create(
            new TokenSpec.DeviceCode(TENANT, PUBLIC_APP, prompt::complete), env);
    CompletableFuture<AccessToken> token =
        CompletableFuture.supplyAsync(() -> source.token(AKS, DEADLINE));
    String userCode = azure.awaitDeviceCode(Duration.ofSeconds(10));
    assertThat(prompt.get(10, TimeUnit.SECONDS)).contains(userCode);
    azure.approveDeviceCode(userCode, alice.upn());
    assertThat(claims(token.get(20, TimeUnit.SECONDS))).containsEntry("upn", alice.upn());
  }

  @Test
  void theAzureCliCredentialReadsWhatAzPrints() throws Exception {
    // src/test/fake-az/az (first on the PATH of the test JVM) prints this file.
    String jwt = azure.applicationToken(TENANT, SECRET_APP, AksCluster.AKS_SERVER_APP_ID);
    long exp = Instant.now().plus(Duration.ofHours(1)).getEpochSecond();
    Files.writeString(
        Path.of(System.getenv("SIGHTLINE_FAKE_AZ_OUTPUT")),
        "{\"accessToken\":\""
            + jwt
            + "\",\"expires_on\":"
            + exp
            + ",\"tokenType\":\"Bearer\","
            + "\"tenant\":\""
            + TENANT
            + "\"}");
    AccessToken token = aks(new TokenSpec.AzureCli(null));
    assertThat(token.token().reveal()).isEqualTo(jwt);
    assertThat(token.expiresAt().getEpochSecond()).isEqualTo(exp);
    assertThat(Files.readString(Path.of(System.getenv("SIGHTLINE_FAKE_AZ_OUTPUT") + ".args")))
        .contains("account get-access-token")
        .contains("--resource " + AksCluster.AKS_SERVER_APP_ID);
  }

  @Test
  void withoutASharedCacheEveryRequestGoesToEntraAndWithItOnlyTheFirst() {
    TokenSpec spec = new TokenSpec.ClientSecret(TENANT, SECRET_APP, SecretValue.of(SECRET));
    AzureTokenSource fresh = AzureTokenSources.create(spec, env);
    long before = azure.requestCount("client_credentials", SECRET_APP);
    AccessToken a = fresh.token(AKS, DEADLINE);
    AccessToken b = fresh.token(AKS, DEADLINE);
    assertThat(azure.requestCount("client_credentials", SECRET_APP)).isEqualTo(before + 2);
    assertThat(a.token().reveal()).isNotEqualTo(b.token().reveal());

    AzureTokenSource shared =
        AzureTokenSources.create(spec, env, AzureTokenSources.TokenCache.SHARED);
    AccessToken c = shared.token(AKS, DEADLINE);
    AccessToken d = shared.token(AKS, DEADLINE);
    assertThat(azure.requestCount("client_credentials", SECRET_APP)).isEqualTo(before + 3);
    assertThat(c.token().reveal()).isEqualTo(d.token().reveal());
  }

  // ---- failures ----------------------------------------------------------------------------

  @Test
  void aWrongSecretIsEntraAuthFailedWithAadsts7000215AndNeverShowsTheSecret() {
    failsWith(
        () -> aks(new TokenSpec.ClientSecret(TENANT, SECRET_APP, SecretValue.of("not-the-secret"))),
        "7000215");
    assertThatThrownBy(
            () ->
                aks(
                    new TokenSpec.ClientSecret(
                        TENANT, SECRET_APP, SecretValue.of("not-the-secret"))))
        .hasMessageContaining("the client secret is wrong")
        .hasMessageNotContaining("not-the-secret");
  }

  @Test
  void anUnknownClientIsAadsts700016() {
    failsWith(
        () ->
            aks(
                new TokenSpec.ClientSecret(
                    TENANT, "deadbeef-0000-4000-8000-000000000000", SecretValue.of(SECRET))),
        "700016");
  }

  @Test
  void aWrongUserPasswordIsAadsts50126() {
    failsWith(
        () ->
            aks(
                new TokenSpec.UsernamePassword(
                    TENANT, PUBLIC_APP, alice.upn(), SecretValue.of("wrong"))),
        "50126");
  }

  @Test
  void aCaBundleFileIsTrustedAndAnotherCaIsNot() throws Exception {
    Path bundle = azure.writeCaBundle(dir.resolve("ca.pem"));
    AzureEnvironment viaBundle =
        AzureEnvironment.builder()
            .cloud(env.cloud())
            .sslContext(AzureTls.caBundle(bundle))
            .egress(u -> "127.0.0.1".equals(u.getHost()))
            .build();
    TokenSpec spec = new TokenSpec.ClientSecret(TENANT, SECRET_APP, SecretValue.of(SECRET));
    assertThat(claims(AzureTokenSources.create(spec, viaBundle).token(AKS, DEADLINE)))
        .containsEntry("appid", SECRET_APP);

    AzureEnvironment otherCa =
        AzureEnvironment.builder()
            .cloud(env.cloud())
            .caBundlePem(io.sightline.testing.pki.TestCa.create("someone-else").certPem())
            .egress(u -> "127.0.0.1".equals(u.getHost()))
            .build();
    assertThatThrownBy(() -> AzureTokenSources.create(spec, otherCa).token(AKS, DEADLINE))
        .isInstanceOf(SightlineException.class)
        .hasMessageContaining("TLS certificate is not trusted")
        .extracting(t -> ((SightlineException) t).code())
        .isEqualTo("ENTRA_AUTH_FAILED");
    assertThatThrownBy(() -> AzureTls.caBundlePem("not a certificate"))
        .isInstanceOf(SightlineException.class)
        .hasMessageContaining("CA bundle");
  }

  @Test
  void anUnknownTenantIsAadsts90002() {
    failsWith(
        () ->
            aks(
                new TokenSpec.ClientSecret(
                    "00000000-dead-4000-8000-000000000000", SECRET_APP, SecretValue.of(SECRET))),
        "90002");
  }

  @Test
  void anExpiredCertificateIsAadsts700027() {
    assertThatThrownBy(
            () ->
                aks(
                    new TokenSpec.ClientCertificatePem(
                        TENANT, EXPIRED_CERT_APP, SecretValue.of(expiredCert.pem()))))
        .hasMessageContaining("AADSTS700027")
        .hasMessageContaining("expired");
  }

  @Test
  void aCertificateWithoutItsKeyIsRefusedBeforeAnyRequest() {
    int before = azure.requests().size();
    assertThatThrownBy(
            () ->
                AzureTokenSources.create(
                    new TokenSpec.ClientCertificatePem(
                        TENANT,
                        CERT_APP,
                        SecretValue.of(io.sightline.testing.pki.TestCa.pem(cert.certificate()))),
                    env))
        .isInstanceOf(SightlineException.class)
        .hasMessageContaining("holds no private key")
        .extracting(t -> ((SightlineException) t).code())
        .isEqualTo("ENTRA_AUTH_FAILED");
    assertThat(azure.requests()).hasSize(before);
  }

  @Test
  void aFederatedAssertionWhoseSubjectMatchesNoCredentialIsAadsts70021() {
    String other =
        ciToken(
            "sc://org/project/other",
            FederatedCredential.TOKEN_EXCHANGE_AUDIENCE,
            Duration.ofMinutes(5));
    failsWith(() -> aks(new TokenSpec.ClientAssertion(TENANT, FED_APP, () -> other)), "70021");
  }

  @Test
  void aFederatedAssertionForAnotherAudienceIsAadsts70021() {
    String other = ciToken("sc://org/project/conn", "api://something-else", Duration.ofMinutes(5));
    failsWith(() -> aks(new TokenSpec.ClientAssertion(TENANT, FED_APP, () -> other)), "70021");
  }

  @Test
  void anExpiredFederatedAssertionIsAadsts700024() {
    String expired =
        ciToken(
            "sc://org/project/conn",
            FederatedCredential.TOKEN_EXCHANGE_AUDIENCE,
            Duration.ofHours(-1));
    failsWith(() -> aks(new TokenSpec.ClientAssertion(TENANT, FED_APP, () -> expired)), "700024");
  }

  @Test
  void aStalledTokenEndpointAnswersWithinTheDeadline() {
    AzureTokenSource source =
        AzureTokenSources.create(
            new TokenSpec.ClientSecret(TENANT, SECRET_APP, SecretValue.of(SECRET)), env);
    azure.stallTokenEndpoint(true);
    long start = System.nanoTime();
    try {
      assertThatThrownBy(() -> source.token(AKS, Duration.ofMillis(1500)))
          .isInstanceOf(SightlineException.class)
          .hasMessageContaining("did not answer within 1500 ms")
          .extracting(t -> ((SightlineException) t).code())
          .isEqualTo("ENTRA_AUTH_FAILED");
    } finally {
      azure.stallTokenEndpoint(false);
    }
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
  }

  @Test
  void theDefaultCloudNeverSendsARequestWhenEgressForbidsIt() {
    AzureEnvironment locked =
        AzureEnvironment.builder().cloud(AzureCloud.AZURE_CLOUD).egress(u -> false).build();
    assertThatThrownBy(
            () ->
                AzureTokenSources.create(
                    new TokenSpec.ClientSecret(TENANT, SECRET_APP, SecretValue.of(SECRET)), locked))
        .isInstanceOf(SightlineException.class)
        .hasMessageContaining("egress to https://login.microsoftonline.com is not allowed")
        .extracting(t -> ((SightlineException) t).code())
        .isEqualTo("EGRESS_DENIED");
  }
}
