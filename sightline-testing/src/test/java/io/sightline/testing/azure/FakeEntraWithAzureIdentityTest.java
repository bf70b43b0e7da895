package io.sightline.testing.azure;

import static io.sightline.testing.azure.TestIdentities.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import com.azure.identity.ClientAssertionCredentialBuilder;
import com.azure.identity.ClientCertificateCredentialBuilder;
import com.azure.identity.ClientSecretCredentialBuilder;
import com.azure.identity.DeviceCodeCredentialBuilder;
import com.azure.identity.ManagedIdentityCredentialBuilder;
import com.azure.identity.UsernamePasswordCredentialBuilder;
import com.nimbusds.jwt.SignedJWT;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real azure-identity credentials obtain tokens from the emulated Entra ID, or its AADSTS errors.
 */
class FakeEntraWithAzureIdentityTest {
  static final TokenRequestContext AKS = new TokenRequestContext().addScopes(FakeAzure.AKS_SCOPE);

  static TestIdentities.Identity cert;
  static TestIdentities.Identity unregisteredCert;
  static TestIdentities.Identity expiredCert;
  static final String EXPIRED_CERT_APP = "0a1b2c3d-aaaa-4aaa-8aaa-00000000000a";
  static final String CI_TENANT = "2c2c2c2c-0000-4000-8000-00000000c1c1";

  /** The third-party issuer (a CI system): another emulator, over HTTPS with its own CA. */
  static FakeAzure issuer;

  static String issuerUrl;
  static FakeAzure azure;
  static EntraApp secretApp;
  static EntraApp fedApp;
  static EntraUser alice;

  @TempDir static Path dir;

  @BeforeAll
  static void start() throws Exception {
    cert = certificate("sightline-test-client");
    unregisteredCert = certificate("someone-else");
    expiredCert =
        certificate(
            "expired",
            Instant.now().minus(Duration.ofDays(30)),
            Instant.now().minus(Duration.ofDays(1)));
    issuer = FakeAzure.builder().tenant(CI_TENANT).start();
    issuerUrl = issuer.issuerV2(CI_TENANT);
    secretApp = EntraApp.builder(TENANT, SECRET_APP).secret(SECRET).groups(GROUP).build();
    fedApp =
        EntraApp.builder(TENANT, FED_APP)
            .federatedCredential(FederatedCredential.of(issuerUrl, "sc://org/project/conn"))
            .federatedCredential(
                FederatedCredential.of(
                    "https://127.0.0.1:1/placeholder/v2.0", "replaced-below-never-matches"))
            .build();
    alice = EntraUser.of(TENANT, "alice@contoso.example", PASSWORD, GROUP);
    azure =
        FakeAzure.builder()
            .application(secretApp)
            .application(EntraApp.builder(TENANT, CERT_APP).certificate(cert.certificate()).build())
            .application(
                EntraApp.builder(TENANT, EXPIRED_CERT_APP)
                    .certificate(expiredCert.certificate())
                    .build())
            .application(fedApp)
            .application(EntraApp.builder(TENANT, PUBLIC_APP).publicClient().build())
            .user(alice)
            .managedIdentity(ManagedIdentity.of(TENANT, MI_CLIENT))
            .managedIdentity(
                new ManagedIdentity(
                    TENANT,
                    UAMI_CLIENT,
                    null,
                    "/subscriptions/" + SUB + "/resourceGroups/rg/providers/uami"))
            .tenant(OTHER_TENANT)
            .trustIssuerCa(issuer.caCertificate())
            .start();
  }

  static final String PIPELINES_APP = "0a1b2c3d-9999-4999-8999-000000000009";
  static final String PIPELINES_CONNECTION = "3f3f3f3f-0000-4000-8000-00000000c0c0";
  static final String PIPELINES_SUBJECT =
      "/eid1/c/pub/t/abc/a/def/sc/org-id/" + PIPELINES_CONNECTION;

  @BeforeAll
  static void pipelines() {
    // Newer Azure DevOps issues its ID tokens under the Entra v2.0 issuer: here, this emulator.
    azure.addApplication(
        EntraApp.builder(TENANT, PIPELINES_APP)
            .federatedCredential(FederatedCredential.of(azure.issuerV2(TENANT), PIPELINES_SUBJECT))
            .build());
    azure.addPipelinesServiceConnection(TENANT, PIPELINES_CONNECTION, PIPELINES_SUBJECT);
  }

  @AfterAll
  static void stop() {
    assertThat(OFF_LOOPBACK).as("requests that left 127.0.0.1").isEmpty();
    azure.close();
    issuer.close();
  }

  private static <B extends com.azure.identity.AadCredentialBuilderBase<B>> B aad(
      B builder, String tenant, String clientId) {
    return builder
        .authorityHost(azure.authorityHost())
        .tenantId(tenant)
        .clientId(clientId)
        .disableInstanceDiscovery()
        .httpClient(httpClient(azure))
        .maxRetry(0);
  }

  private static Map<String, Object> claims(AccessToken token) throws Exception {
    return SignedJWT.parse(token.getToken()).getJWTClaimsSet().getClaims();
  }

  /** The messages of a failure and its causes: azure-identity wraps MSAL's AADSTS answer. */
  static String chain(Throwable t) {
    StringBuilder sb = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause()) {
      sb.append(c.getMessage()).append('\n');
    }
    return sb.toString();
  }

  /** A CI system's ID token: signed by the third-party issuer, valid for five minutes. */
  static String ciToken(String subject, String audience) {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("iss", issuerUrl);
    c.put("sub", subject);
    c.put("aud", audience);
    c.put("iat", Instant.now());
    c.put("exp", Instant.now().plus(Duration.ofMinutes(5)));
    return issuer.sign(c);
  }

  private static AccessToken aksToken(TokenCredential c) {
    return c.getTokenSync(AKS);
  }

  @Test
  void clientSecretCredentialGetsAnAksTokenWithTheAppsClaims() throws Exception {
    int before = azure.requests().size();
    AccessToken token =
        aksToken(
            aad(new ClientSecretCredentialBuilder(), TENANT, SECRET_APP)
                .clientSecret(SECRET)
                .build());

    Map<String, Object> c = claims(token);
    assertThat(c.get("aud")).isEqualTo(List.of(AksCluster.AKS_SERVER_APP_ID));
    assertThat(c)
        .containsEntry("iss", "https://sts.windows.net/" + TENANT + "/")
        .containsEntry("tid", TENANT)
        .containsEntry("appid", SECRET_APP)
        .containsEntry("oid", secretApp.objectId())
        .containsEntry("idtyp", "app")
        .containsEntry("ver", "1.0")
        .containsEntry("groups", List.of(GROUP));
    assertThat(token.getExpiresAt().toInstant())
        .isBetween(
            Instant.now().plus(Duration.ofMinutes(60)), Instant.now().plus(Duration.ofMinutes(90)));
    assertThat(azure.requestCount("client_credentials", SECRET_APP)).isEqualTo(1);
    // disableInstanceDiscovery(): MSAL asks for nothing but the token.
    assertThat(azure.requests().subList(before, azure.requests().size()))
        .containsExactly("POST /" + TENANT + "/oauth2/v2.0/token");
  }

  @Test
  void clientCertificateCredentialWithAPemFileGetsAToken() throws Exception {
    Path pem = pemFile(cert, dir);
    AccessToken token =
        aksToken(
            aad(new ClientCertificateCredentialBuilder(), TENANT, CERT_APP)
                .pemCertificate(pem.toString())
                .build());
    assertThat(claims(token)).containsEntry("appid", CERT_APP).containsEntry("appidacr", "2");
  }

  @Test
  void clientCertificateCredentialWithAPfxFileGetsAToken() throws Exception {
    Path pfx = pfxFile(cert, dir);
    AccessToken token =
        aksToken(
            aad(new ClientCertificateCredentialBuilder(), TENANT, CERT_APP)
                .pfxCertificate(pfx.toString())
                .clientCertificatePassword(PFX_PASSWORD)
                .sendCertificateChain(true)
                .build());
    assertThat(claims(token)).containsEntry("appid", CERT_APP);
  }

  @Test
  void clientAssertionCredentialExchangesAThirdPartyIssuersTokenForAnAksToken() throws Exception {
    String assertion =
        ciToken("sc://org/project/conn", FederatedCredential.TOKEN_EXCHANGE_AUDIENCE);
    AccessToken token =
        aksToken(
            aad(new ClientAssertionCredentialBuilder(), TENANT, FED_APP)
                .clientAssertion(() -> assertion)
                .build());
    assertThat(claims(token))
        .containsEntry("appid", FED_APP)
        .containsEntry("oid", fedApp.objectId());
  }

  @Test
  void usernamePasswordCredentialGetsAUserTokenWithUpnAndGroups() throws Exception {
    int before = azure.requests().size();
    AccessToken token =
        aksToken(
            aad(new UsernamePasswordCredentialBuilder(), TENANT, PUBLIC_APP)
                .username(alice.upn())
                .password(PASSWORD)
                .build());
    assertThat(claims(token))
        .containsEntry("upn", alice.upn())
        .containsEntry("oid", alice.objectId())
        .containsEntry("groups", List.of(GROUP))
        .containsEntry("idtyp", "user")
        .containsEntry("appid", PUBLIC_APP);
    // MSAL asks the user realm (Managed, not federated) before the password grant.
    assertThat(azure.requests().subList(before, azure.requests().size()))
        .containsExactly(
            "GET /common/userrealm/" + alice.upn(), "POST /" + TENANT + "/oauth2/v2.0/token");
  }

  @Test
  void deviceCodeCredentialGetsATokenOnceTheTestApprovesTheCode() throws Exception {
    CompletableFuture<String> shown = new CompletableFuture<>();
    TokenCredential credential =
        aad(new DeviceCodeCredentialBuilder(), TENANT, PUBLIC_APP)
            .challengeConsumer(info -> shown.complete(info.getUserCode()))
            .build();
    CompletableFuture<AccessToken> token =
        CompletableFuture.supplyAsync(() -> aksToken(credential));

    String userCode = azure.awaitDeviceCode(Duration.ofSeconds(10));
    assertThat(shown.get(10, TimeUnit.SECONDS)).isEqualTo(userCode);
    Thread.sleep(1500); // let the client poll at least once: authorization_pending
    assertThat(token).isNotDone();
    azure.approveDeviceCode(userCode, alice.upn());

    Map<String, Object> c = claims(token.get(20, TimeUnit.SECONDS));
    assertThat(c).containsEntry("upn", alice.upn()).containsEntry("oid", alice.objectId());
    assertThat(azure.requestCount("device_code", PUBLIC_APP)).isGreaterThanOrEqualTo(2);
  }

  @Test
  void managedIdentityCredentialUsesTheAppServiceEndpointAndNeverImds() throws Exception {
    try (MsalEnvironment env = MsalEnvironment.install(azure.managedIdentityEnvironment())) {
      // MSAL picks the App Service source from these variables, so it never probes IMDS.
      assertThat(com.microsoft.aad.msal4j.ManagedIdentityApplication.getManagedIdentitySource())
          .isEqualTo(com.microsoft.aad.msal4j.ManagedIdentitySourceType.APP_SERVICE);
      AccessToken token =
          new ManagedIdentityCredentialBuilder()
              .httpClient(httpClient(azure))
              .maxRetry(0)
              .build()
              .getTokenSync(AKS);
      Map<String, Object> c = claims(token);
      assertThat(c).containsEntry("appid", MI_CLIENT).containsEntry("tid", TENANT);
      assertThat(token.getExpiresAt().toInstant())
          .isAfter(Instant.now().plus(Duration.ofHours(23)));

      AccessToken user =
          new ManagedIdentityCredentialBuilder()
              .clientId(UAMI_CLIENT)
              .httpClient(httpClient(azure))
              .maxRetry(0)
              .build()
              .getTokenSync(
                  new TokenRequestContext().addScopes("https://management.azure.com/.default"));
      assertThat(claims(user))
          .containsEntry("appid", UAMI_CLIENT)
          .containsEntry("aud", List.of("https://management.azure.com")); // MSAL drops the slash
    }
    assertThat(azure.requestCount("managed_identity", "")).isEqualTo(1);
    assertThat(azure.requestCount("managed_identity", UAMI_CLIENT)).isEqualTo(1);
  }

  @Test
  void workloadIdentityCredentialExchangesTheProjectedTokenFile() throws Exception {
    Path file = dir.resolve("azure-identity-token");
    java.nio.file.Files.writeString(
        file, ciToken("sc://org/project/conn", FederatedCredential.TOKEN_EXCHANGE_AUDIENCE));
    AccessToken token =
        aksToken(
            aad(new com.azure.identity.WorkloadIdentityCredentialBuilder(), TENANT, FED_APP)
                .tokenFilePath(file.toString())
                .build());
    assertThat(claims(token)).containsEntry("appid", FED_APP);
  }

  @Test
  void azurePipelinesCredentialGetsTheJobsIdTokenAndExchangesIt() throws Exception {
    com.azure.core.util.Configuration env =
        new com.azure.core.util.ConfigurationBuilder(
                source -> Map.of(),
                source -> Map.of(),
                source -> Map.of("SYSTEM_OIDCREQUESTURI", azure.pipelinesOidcRequestUri()))
            .build();
    AccessToken token =
        aksToken(
            // configuration(...) resets the authority host from AZURE_AUTHORITY_HOST (default
            // login.microsoftonline.com): it must come before authorityHost(...).
            aad(
                    new com.azure.identity.AzurePipelinesCredentialBuilder().configuration(env),
                    TENANT,
                    PIPELINES_APP)
                .serviceConnectionId(PIPELINES_CONNECTION)
                .systemAccessToken(azure.pipelinesSystemAccessToken())
                .build());
    assertThat(claims(token)).containsEntry("appid", PIPELINES_APP);

    TokenCredential wrongConnection =
        aad(
                new com.azure.identity.AzurePipelinesCredentialBuilder().configuration(env),
                TENANT,
                PIPELINES_APP)
            .serviceConnectionId("no-such-connection")
            .systemAccessToken(azure.pipelinesSystemAccessToken())
            .build();
    assertThatThrownBy(() -> aksToken(wrongConnection))
        .satisfies(
            t ->
                assertThat(chain(t))
                    .contains("Service connection no-such-connection could not be found"));
  }

  @Test
  void theAksClientApplicationOfAksKubeconfigsIsAFirstPartyPublicClient() throws Exception {
    AccessToken token =
        aksToken(
            aad(new UsernamePasswordCredentialBuilder(), TENANT, AksCluster.AKS_CLIENT_APP_ID)
                .username(alice.upn())
                .password(PASSWORD)
                .build());
    assertThat(claims(token)).containsEntry("appid", AksCluster.AKS_CLIENT_APP_ID);
  }

  // ---- failures: each surfaces Entra's AADSTS code through azure-identity ----------------

  @Test
  void aWrongSecretFailsWithAadsts7000215() {
    assertThatThrownBy(
            () ->
                aksToken(
                    aad(new ClientSecretCredentialBuilder(), TENANT, SECRET_APP)
                        .clientSecret("not-the-secret")
                        .build()))
        .satisfies(t -> assertThat(chain(t)).contains("AADSTS7000215"))
        .satisfies(t -> assertThat(chain(t)).doesNotContain("not-the-secret"));
  }

  @Test
  void anUnknownClientFailsWithAadsts700016() {
    assertThatThrownBy(
            () ->
                aksToken(
                    aad(
                            new ClientSecretCredentialBuilder(),
                            TENANT,
                            "deadbeef-0000-4000-8000-000000000000")
                        .clientSecret(SECRET)
                        .build()))
        .satisfies(t -> assertThat(chain(t)).contains("AADSTS700016"));
  }

  @Test
  void anUnknownTenantFailsWithAadsts90002() {
    assertThatThrownBy(
            () ->
                aksToken(
                    aad(
                            new ClientSecretCredentialBuilder(),
                            "00000000-dead-4000-8000-000000000000",
                            SECRET_APP)
                        .clientSecret(SECRET)
                        .build()))
        .satisfies(t -> assertThat(chain(t)).contains("AADSTS90002"));
  }

  @Test
  void anExpiredFederatedAssertionFailsWithAadsts700024() {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("iss", issuerUrl);
    c.put("sub", "sc://org/project/conn");
    c.put("aud", FederatedCredential.TOKEN_EXCHANGE_AUDIENCE);
    c.put("iat", Instant.now().minus(Duration.ofHours(2)));
    c.put("exp", Instant.now().minus(Duration.ofHours(1)));
    String expired = azure.sign(c);
    assertThatThrownBy(
            () ->
                aksToken(
                    aad(new ClientAssertionCredentialBuilder(), TENANT, FED_APP)
                        .clientAssertion(() -> expired)
                        .build()))
        .satisfies(t -> assertThat(chain(t)).contains("AADSTS700024"));
  }

  @Test
  void aFederatedSubjectThatMatchesNoCredentialFailsWithAadsts70021() {
    String other =
        ciToken("sc://org/project/another-connection", FederatedCredential.TOKEN_EXCHANGE_AUDIENCE);
    assertThatThrownBy(
            () ->
                aksToken(
                    aad(new ClientAssertionCredentialBuilder(), TENANT, FED_APP)
                        .clientAssertion(() -> other)
                        .build()))
        .satisfies(t -> assertThat(chain(t)).contains("AADSTS70021"))
        .satisfies(t -> assertThat(chain(t)).contains("sc://org/project/another-connection"));
  }

  @Test
  void aFederatedAssertionWithTheWrongAudienceFailsWithAadsts70021() {
    String wrongAud = ciToken("sc://org/project/conn", "api://something-else");
    assertThatThrownBy(
            () ->
                aksToken(
                    aad(new ClientAssertionCredentialBuilder(), TENANT, FED_APP)
                        .clientAssertion(() -> wrongAud)
                        .build()))
        .satisfies(t -> assertThat(chain(t)).contains("AADSTS70021"));
  }

  @Test
  void aFederatedAssertionNotSignedByTheIssuerFailsWithAadsts700027() {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("iss", issuerUrl);
    c.put("sub", "sc://org/project/conn");
    c.put("aud", FederatedCredential.TOKEN_EXCHANGE_AUDIENCE);
    c.put("iat", Instant.now());
    c.put("exp", Instant.now().plus(Duration.ofMinutes(5)));
    String forged = azure.sign(c); // right claims, wrong key
    assertThatThrownBy(
            () ->
                aksToken(
                    aad(new ClientAssertionCredentialBuilder(), TENANT, FED_APP)
                        .clientAssertion(() -> forged)
                        .build()))
        .satisfies(t -> assertThat(chain(t)).contains("AADSTS700027"));
  }

  @Test
  void aCertificateTheAppDoesNotKnowFailsWithAadsts700027() throws Exception {
    Path pem = pemFile(unregisteredCert, dir);
    assertThatThrownBy(
            () ->
                aksToken(
                    aad(new ClientCertificateCredentialBuilder(), TENANT, CERT_APP)
                        .pemCertificate(pem.toString())
                        .build()))
        .satisfies(t -> assertThat(chain(t)).contains("AADSTS700027"));
  }

  @Test
  void anExpiredCertificateFailsWithAadsts700027() throws Exception {
    Path pem = pemFile(expiredCert, dir);
    assertThatThrownBy(
            () ->
                aksToken(
                    aad(new ClientCertificateCredentialBuilder(), TENANT, EXPIRED_CERT_APP)
                        .pemCertificate(pem.toString())
                        .build()))
        .satisfies(t -> assertThat(chain(t)).contains("AADSTS700027").contains("expired"));
  }

  @Test
  void aWrongPasswordFailsWithAadsts50126() {
    assertThatThrownBy(
            () ->
                aksToken(
                    aad(new UsernamePasswordCredentialBuilder(), TENANT, PUBLIC_APP)
                        .username(alice.upn())
                        .password("wrong")
                        .build()))
        .satisfies(t -> assertThat(chain(t)).contains("AADSTS50126"));
  }

  @Test
  void aDeclinedDeviceCodeFailsWithAuthorizationDeclined() throws Exception {
    TokenCredential credential =
        aad(new DeviceCodeCredentialBuilder(), TENANT, PUBLIC_APP)
            .challengeConsumer(i -> {})
            .build();
    CompletableFuture<AccessToken> token =
        CompletableFuture.supplyAsync(() -> aksToken(credential));
    azure.declineDeviceCode(azure.awaitDeviceCode(Duration.ofSeconds(10)));
    assertThatThrownBy(() -> token.get(20, TimeUnit.SECONDS))
        .satisfies(t -> assertThat(chain(t)).contains("AADSTS70000: The user declined"));
  }

  @Test
  void anExpiredDeviceCodeFailsWithExpiredToken() throws Exception {
    TokenCredential credential =
        aad(new DeviceCodeCredentialBuilder(), TENANT, PUBLIC_APP)
            .challengeConsumer(i -> {})
            .build();
    CompletableFuture<AccessToken> token =
        CompletableFuture.supplyAsync(() -> aksToken(credential));
    azure.expireDeviceCode(azure.awaitDeviceCode(Duration.ofSeconds(10)));
    assertThatThrownBy(() -> token.get(20, TimeUnit.SECONDS))
        .satisfies(t -> assertThat(chain(t)).contains("AADSTS70020"));
  }
}
