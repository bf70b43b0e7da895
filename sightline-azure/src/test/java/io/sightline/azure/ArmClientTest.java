package io.sightline.azure;

import static io.sightline.azure.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sightline.core.SecretValue;
import io.sightline.core.SightlineException;
import io.sightline.testing.azure.AksCluster;
import io.sightline.testing.azure.ArmAction;
import io.sightline.testing.azure.EntraApp;
import io.sightline.testing.azure.FakeAzure;
import io.sightline.testing.kube.FakeKubeApiServer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The thin ARM client against the emulated ARM: typed answers, mapped errors, deadlines. */
class ArmClientTest {
  static final String RG = "rg-prod";
  static final String LIMITED_APP = "0a1b2c3d-7777-4777-8777-000000000007";
  static FakeAzure azure;
  static FakeKubeApiServer kube;
  static EntraApp reader;
  static AzureEnvironment env;
  static ArmClient arm;

  @BeforeAll
  static void start() {
    reader = EntraApp.builder(TENANT, SECRET_APP).secret(SECRET).groups(GROUP).build();
    EntraApp limited = EntraApp.builder(TENANT, LIMITED_APP).secret(SECRET).build();
    azure =
        FakeAzure.builder()
            .application(reader)
            .application(EntraApp.builder(TENANT, NOBODY_APP).secret(SECRET).build())
            .application(limited)
            .resourceGroup(SUB, "rg-empty")
            .cluster(
                AksCluster.builder(SUB, "rg-private", "aks-private")
                    .privateCluster()
                    .azureRbac()
                    .kubernetesVersion("1.29.9")
                    .build())
            .allow(
                reader.objectId(),
                "/subscriptions/" + SUB,
                ArmAction.READ_CLUSTERS,
                ArmAction.LIST_USER_CREDENTIAL,
                ArmAction.LIST_ADMIN_CREDENTIAL)
            .start();
    azure.allow(limited.objectId(), "/subscriptions/" + SUB, ArmAction.READ_CLUSTERS);
    kube = FakeKubeApiServer.builder().oidc(azure.aksOidc(TENANT)).start();
    azure.addCluster(
        AksCluster.builder(SUB, RG, "aks1").backedBy(kube).localAccountsDisabled().build());
    azure.addCluster(AksCluster.builder(SUB, RG, "aks-static").backedBy(kube).withoutAad().build());
    env = env(azure);
    arm = arm(SECRET_APP, Duration.ofSeconds(10), Duration.ofMinutes(5));
  }

  static ArmClient arm(String clientId, Duration deadline, Duration ttl) {
    return new ArmClient(
        env,
        AzureTokenSources.create(
            new TokenSpec.ClientSecret(TENANT, clientId, SecretValue.of(SECRET)), env),
        deadline,
        ttl,
        Clock.systemUTC());
  }

  @AfterAll
  static void stop() {
    assertThat(OFF_LOOPBACK).as("requests that left 127.0.0.1").isEmpty();
    kube.close();
    azure.close();
  }

  static SightlineException failure(Runnable r) {
    try {
      r.run();
    } catch (SightlineException e) {
      return e;
    }
    throw new AssertionError("no failure");
  }

  @Test
  void listsTheClustersOfASubscriptionAndOfOneResourceGroup() {
    assertThat(arm.listClusters(SUB))
        .extracting(ManagedCluster::name)
        .containsExactlyInAnyOrder("aks1", "aks-static", "aks-private");
    assertThat(arm.listClusters(SUB, RG))
        .extracting(ManagedCluster::name)
        .containsExactlyInAnyOrder("aks1", "aks-static");
    assertThat(arm.listClusters(SUB, "rg-empty")).isEmpty();
  }

  @Test
  void getsTheFactsThatDecideWhichPathWorks() {
    ManagedCluster aks1 = arm.getCluster(SUB, RG, "aks1");
    assertThat(aks1.resourceGroup()).isEqualTo(RG);
    assertThat(aks1.fqdn()).isEqualTo("127.0.0.1");
    assertThat(aks1.aadManaged()).isTrue();
    assertThat(aks1.localAccountsDisabled()).isTrue();
    assertThat(aks1.rbacEnabled()).isTrue();
    assertThat(aks1.privateCluster()).isFalse();
    assertThat(aks1.kubernetesVersion()).isEqualTo("1.30.6");

    ManagedCluster priv = arm.getCluster(SUB, "rg-private", "aks-private");
    assertThat(priv.privateCluster()).isTrue();
    assertThat(priv.privateFqdn()).isEqualTo("127.0.0.1");
    assertThat(priv.fqdn()).isNull();
    assertThat(priv.azureRbac()).isTrue();

    AksFacts facts = AksFacts.of(priv);
    assertThat(facts.privateCluster()).isTrue();
    assertThat(facts.recommendation())
        .contains("Use an azurerm target")
        .contains("agent with line of sight")
        .contains("Azure RBAC");
    assertThat(AksFacts.of(aks1).recommendation())
        .contains("the only way, since local accounts are disabled")
        .contains("AzureSubscription connection cannot provision it");
    assertThat(AksFacts.of(arm.getCluster(SUB, RG, "aks-static")).recommendation())
        .contains("no Entra ID integration");
  }

  @Test
  void theUserCredentialGivesTheServerAndCaAndIsCachedBriefly() {
    ArmClient fresh = arm(SECRET_APP, Duration.ofSeconds(10), Duration.ofMinutes(5));
    int before = azure.armRequests().size();
    ClusterEndpoint e = fresh.clusterEndpoint(SUB, RG, "aks1");
    assertThat(e.server()).isEqualTo(kube.url().toString());
    assertThat(
            new String(
                Base64.getDecoder().decode(e.certificateAuthorityData()), StandardCharsets.UTF_8))
        .isEqualTo(kube.caCertPem());
    assertThat(e.entra()).isTrue();
    assertThat(e.staticKubeconfig()).isNull();
    assertThat(fresh.clusterEndpoint(SUB, RG, "aks1")).isEqualTo(e);
    assertThat(azure.armRequests().subList(before, azure.armRequests().size()))
        .containsExactly(
            "POST /subscriptions/"
                + SUB
                + "/resourceGroups/"
                + RG
                + "/providers/Microsoft.ContainerService/managedClusters/aks1/listClusterUserCredential");

    ClusterEndpoint plain = fresh.clusterEndpoint(SUB, RG, "aks-static");
    assertThat(plain.entra()).isFalse();
    assertThat(plain.staticKubeconfig().reveal()).contains("client-certificate-data");
  }

  @Test
  void adminCredentialsOfAClusterWithLocalAccountsDisabledAreLocalAccountsDisabled() {
    SightlineException e = failure(() -> arm.listClusterAdminCredential(SUB, RG, "aks1"));
    assertThat(e.code()).isEqualTo("LOCAL_ACCOUNTS_DISABLED");
    assertThat(e.getMessage())
        .contains("local accounts")
        .contains("use the cluster through an azurerm connection instead");
    assertThat(arm.listClusterAdminCredential(SUB, RG, "aks-static").reveal())
        .contains("client-key-data");
  }

  @Test
  void aPrincipalWithoutARoleIsArmForbiddenNamingTheAction() {
    ArmClient nobody = arm(NOBODY_APP, Duration.ofSeconds(10), Duration.ZERO);
    SightlineException e = failure(() -> nobody.getCluster(SUB, RG, "aks1"));
    assertThat(e.code()).isEqualTo("ARM_FORBIDDEN");
    assertThat(e.getMessage()).contains("AuthorizationFailed").contains("managedClusters/read");

    ArmClient limited = arm(LIMITED_APP, Duration.ofSeconds(10), Duration.ZERO);
    assertThat(limited.getCluster(SUB, RG, "aks1").name()).isEqualTo("aks1");
    SightlineException creds = failure(() -> limited.listClusterUserCredential(SUB, RG, "aks1"));
    assertThat(creds.code()).isEqualTo("ARM_FORBIDDEN");
    assertThat(creds.getMessage())
        .contains("Microsoft.ContainerService/managedClusters/listClusterUserCredential/action");
  }

  @Test
  void unknownClustersAndResourceGroupsAreArmNotFound() {
    SightlineException cluster = failure(() -> arm.getCluster(SUB, RG, "nope"));
    assertThat(cluster.code()).isEqualTo("ARM_NOT_FOUND");
    assertThat(cluster.status()).isEqualTo(404);
    assertThat(cluster.getMessage())
        .contains("ResourceNotFound")
        .contains("managedClusters/nope")
        .contains("check the subscription, resource group and cluster name");
    SightlineException group = failure(() -> arm.listClusters(SUB, "rg-missing"));
    assertThat(group.code()).isEqualTo("ARM_NOT_FOUND");
    assertThat(group.getMessage()).contains("ResourceGroupNotFound");
  }

  @Test
  void aStalledArmAnswersWithinTheDeadline() {
    ArmClient quick = arm(SECRET_APP, Duration.ofMillis(1500), Duration.ZERO);
    quick.listClusters(SUB, RG); // the ARM token is in hand; ARM itself stalls next
    azure.stallArm(true);
    long start = System.nanoTime();
    SightlineException e;
    try {
      e = failure(() -> quick.getCluster(SUB, RG, "aks1"));
    } finally {
      azure.stallArm(false);
    }
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
    assertThat(e.code()).isEqualTo("PROBE_DEADLINE_EXCEEDED");
    assertThat(e.getMessage()).contains("did not answer").contains("within 1500 ms");
  }

  @Test
  void aStalledEntraBehindArmAnswersWithinTheDeadline() {
    ArmClient quick = arm(SECRET_APP, Duration.ofMillis(1500), Duration.ZERO);
    azure.stallTokenEndpoint(true);
    long start = System.nanoTime();
    SightlineException e;
    try {
      e = failure(() -> quick.listClusters(SUB));
    } finally {
      azure.stallTokenEndpoint(false);
    }
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
    assertThat(e.code()).isEqualTo("ENTRA_AUTH_FAILED");
  }

  @Test
  void namesWithSlashesAreRefusedBeforeAnyRequest() {
    int before = azure.armRequests().size();
    SightlineException e = failure(() -> arm.getCluster(SUB, "rg/../other", "aks1"));
    assertThat(e.status()).isEqualTo(400);
    assertThat(azure.armRequests()).hasSize(before);
  }

  @Test
  void theCloudsAreNamedAsAzureDevOpsNamesThem() {
    assertThat(AzureCloud.named("AzureChinaCloud").armScope())
        .isEqualTo("https://management.chinacloudapi.cn/.default");
    assertThat(AzureCloud.named("azureusgovernment").authorityHostString())
        .isEqualTo("https://login.microsoftonline.us");
    assertThat(AzureCloud.named(null)).isEqualTo(AzureCloud.AZURE_CLOUD);
    assertThat(List.of(AzureCloud.AZURE_CLOUD.armScope()))
        .containsExactly("https://management.azure.com/.default");
    assertThatThrownBy(() -> AzureCloud.named("Mars"))
        .hasMessageContaining("unknown Azure environment 'Mars'");
  }
}
