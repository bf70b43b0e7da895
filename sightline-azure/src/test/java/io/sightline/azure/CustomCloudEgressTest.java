package io.sightline.azure;

import static io.sightline.azure.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jwt.SignedJWT;
import io.sightline.core.SecretValue;
import io.sightline.core.SightlineException;
import io.sightline.kubernetes.EgressPolicy;
import io.sightline.testing.azure.AksCluster;
import io.sightline.testing.azure.ArmAction;
import io.sightline.testing.azure.EntraApp;
import io.sightline.testing.azure.FakeAzure;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A custom cloud's endpoints are user-supplied: its Entra and ARM calls go through the checked
 * OkHttp transport and obey the server's egress rules at connect time.
 */
class CustomCloudEgressTest {
  static final String RG = "rg-egress";
  static FakeAzure azure;

  @BeforeAll
  static void start() {
    EntraApp app = EntraApp.builder(TENANT, SECRET_APP).secret(SECRET).build();
    azure =
        FakeAzure.builder()
            .application(app)
            .cluster(AksCluster.builder(SUB, RG, "aks-egress").build())
            .start();
    azure.allow(app.objectId(), "/subscriptions/" + SUB, ArmAction.READ_CLUSTERS);
  }

  @AfterAll
  static void stop() {
    azure.close();
  }

  /** The emulator as a custom cloud, checked only by the given egress policy. */
  private static AzureEnvironment custom(String authority, String arm, EgressPolicy policy) {
    return AzureEnvironment.builder()
        .cloud(AzureCloud.custom(authority, arm, "https://management.azure.com/"))
        .sslContext(azure.clientSslContext())
        .egressPolicy(policy)
        .connectTimeout(Duration.ofSeconds(2))
        .build();
  }

  private static AzureTokenSource secretSource(AzureEnvironment env) {
    return AzureTokenSources.create(
        new TokenSpec.ClientSecret(TENANT, SECRET_APP, SecretValue.of(SECRET)), env);
  }

  @Test
  @DisplayName("only user-supplied endpoints count as a custom cloud")
  void customMeansUserSupplied() {
    assertThat(AzureCloud.AZURE_CLOUD.isCustom()).isFalse();
    assertThat(AzureCloud.named("AzureChinaCloud").isCustom()).isFalse();
    assertThat(AzureCloud.named("AzureUSGovernment").isCustom()).isFalse();
    assertThat(
            AzureCloud.custom(
                    "https://login.microsoftonline.com",
                    "https://management.azure.com",
                    "https://management.azure.com/")
                .isCustom())
        .as("the public cloud's endpoints given by hand are the public cloud")
        .isFalse();
    assertThat(
            AzureCloud.custom(
                    azure.authorityHost(), azure.armEndpoint(), "https://management.azure.com/")
                .isCustom())
        .isTrue();
  }

  @Test
  @DisplayName("a custom cloud on loopback works when the egress policy allows loopback")
  void allowedCustomCloudWorks() throws Exception {
    AzureEnvironment env =
        custom(
            azure.authorityHost(),
            azure.armEndpoint(),
            EgressPolicy.builder().allow("127.0.0.0/8").build());
    AccessToken t = secretSource(env).token(AksCredentialIssuer.AKS_SCOPE, Duration.ofSeconds(20));
    assertThat(SignedJWT.parse(t.token().reveal()).getJWTClaimsSet().getClaim("appid"))
        .isEqualTo(SECRET_APP);
    ArmClient arm = new ArmClient(env, secretSource(env), Duration.ofSeconds(10));
    assertThat(arm.listClusters(SUB, RG)).extracting(ManagedCluster::name).contains("aks-egress");
  }

  @Test
  @DisplayName(
      "a custom cloud the egress policy denies is refused at connect time with EGRESS_DENIED")
  void deniedCustomCloudIsRefused() {
    long before = azure.tokenRequests().size();
    AzureEnvironment env =
        custom(
            azure.authorityHost(),
            azure.armEndpoint(),
            EgressPolicy.builder().deny("127.0.0.0/8").build());
    assertThatThrownBy(
            () -> secretSource(env).token(AksCredentialIssuer.AKS_SCOPE, Duration.ofSeconds(20)))
        .isInstanceOfSatisfying(
            SightlineException.class,
            e -> {
              assertThat(e.code()).isEqualTo("EGRESS_DENIED");
              assertThat(e.getMessage())
                  .contains("egress to 127.0.0.1:")
                  .contains("the server's egress deny list refuses")
                  .doesNotContain(SECRET);
            });
    assertThat(azure.tokenRequests())
        .as("nothing reached the token endpoint")
        .hasSize((int) before);

    // ARM of a denied custom cloud: refused too, with the same diagnosis.
    AzureEnvironment armDenied =
        custom(
            azure.authorityHost(),
            azure.armEndpoint(),
            EgressPolicy.builder().deny("127.0.0.0/8").build());
    ArmClient arm =
        new ArmClient(
            armDenied,
            new AzureTokenSource() {
              @Override
              public AccessToken token(String scope, Duration deadline) {
                return new AccessToken(
                    SecretValue.of(
                        azure.applicationToken(
                            TENANT, SECRET_APP, "https://management.azure.com/")),
                    java.time.Instant.now().plusSeconds(3600));
              }

              @Override
              public String scheme() {
                return "test";
              }
            },
            Duration.ofSeconds(10),
            Duration.ZERO,
            Clock.systemUTC());
    assertThatThrownBy(() -> arm.listClusters(SUB, RG))
        .isInstanceOfSatisfying(
            SightlineException.class,
            e -> {
              assertThat(e.code()).isEqualTo("EGRESS_DENIED");
              assertThat(e.getMessage()).contains("egress to 127.0.0.1:").contains("deny list");
            });
  }

  @Test
  @DisplayName(
      "a link-local, metadata, NAT64 or IPv4-mapped authority host — literal or a name resolving"
          + " to one — is refused before any connect, even when the allow list admits everything")
  void metadataEndpointsAreAlwaysRefused() {
    EgressPolicy everything = EgressPolicy.builder().allow("0.0.0.0/0", "::/0").build();
    // First prove this environment uses the checked transport (loopback denied: refused at
    // connect), so the metadata address below is refused before any packet is sent.
    AzureEnvironment probe =
        custom(
            azure.authorityHost(),
            azure.armEndpoint(),
            EgressPolicy.builder().deny("127.0.0.0/8").build());
    assertThatThrownBy(
            () -> secretSource(probe).token(AksCredentialIssuer.AKS_SCOPE, Duration.ofSeconds(20)))
        .hasMessageContaining("egress to 127.0.0.1");
    java.util.List<java.net.InetSocketAddress> connects =
        new java.util.concurrent.CopyOnWriteArrayList<>();
    try (AutoCloseable observing =
        io.sightline.kubernetes.EgressSocketFactory.observeConnects(connects::add)) {
      for (String host :
          new String[] {
            "169.254.169.254",
            "168.63.129.16",
            "0.0.0.0",
            "100.100.100.200",
            "[fe80::1]",
            "[64:ff9b::a9fe:a9fe]",
            "[fd00:ec2::254]",
            "[::ffff:169.254.169.254]",
            "[::ffff:168.63.129.16]",
            "metadata.sightline.test",
            "linklocal.sightline.test",
            "nat64.sightline.test",
            "wireserver.sightline.test",
            "ec2v6.sightline.test"
          }) {
        AzureEnvironment env = custom("https://" + host + "/", "https://" + host + "/", everything);
        assertThatThrownBy(
                () ->
                    secretSource(env).token(AksCredentialIssuer.AKS_SCOPE, Duration.ofSeconds(20)))
            .as(host)
            .isInstanceOfSatisfying(
                SightlineException.class,
                e -> {
                  assertThat(e.code()).isEqualTo("EGRESS_DENIED");
                  assertThat(e.getMessage()).contains("which Sightline never connects to");
                });
      }
      assertThat(connects).as("the socket factory let no socket connect").isEmpty();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
