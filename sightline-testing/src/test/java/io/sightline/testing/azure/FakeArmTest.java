package io.sightline.testing.azure;

import static io.sightline.testing.azure.TestIdentities.*;
import static org.assertj.core.api.Assertions.assertThat;

import com.azure.core.credential.TokenRequestContext;
import com.azure.identity.ClientSecretCredentialBuilder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sightline.testing.kube.FakeKubeApiServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** ARM's managedClusters API over plain JDK HttpClient, with tokens from the emulated Entra. */
class FakeArmTest {
  static final String READER = "0a1b2c3d-7777-4777-8777-000000000007";
  static final String NOBODY = "0a1b2c3d-8888-4888-8888-000000000008";
  static final String RG = "rg-prod";
  static final ObjectMapper JSON = new ObjectMapper();

  static FakeAzure azure;
  static FakeKubeApiServer kube;
  static EntraApp reader;
  static EntraApp nobody;
  static HttpClient http;
  static String readerToken;

  @BeforeAll
  static void start() {
    reader = EntraApp.builder(TENANT, READER).secret(SECRET).groups(GROUP).build();
    nobody = EntraApp.builder(TENANT, NOBODY).secret(SECRET).build();
    azure =
        FakeAzure.builder()
            .application(reader)
            .application(nobody)
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
    kube = FakeKubeApiServer.builder().oidc(azure.aksOidc(TENANT)).start();
    azure.addCluster(
        AksCluster.builder(SUB, RG, "aks1").backedBy(kube).localAccountsDisabled().build());
    azure.addCluster(AksCluster.builder(SUB, RG, "aks-static").backedBy(kube).withoutAad().build());
    http =
        HttpClient.newBuilder()
            .sslContext(azure.clientSslContext())
            .proxy(HttpClient.Builder.NO_PROXY)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    readerToken = armToken(READER);
  }

  @AfterAll
  static void stop() {
    assertThat(OFF_LOOPBACK).as("requests that left 127.0.0.1").isEmpty();
    kube.close();
    azure.close();
  }

  /** A real ARM token: azure-identity's client credentials against the emulated Entra. */
  static String armToken(String clientId) {
    return new ClientSecretCredentialBuilder()
        .authorityHost(azure.authorityHost())
        .tenantId(TENANT)
        .clientId(clientId)
        .clientSecret(SECRET)
        .disableInstanceDiscovery()
        .httpClient(httpClient(azure))
        .build()
        .getTokenSync(new TokenRequestContext().addScopes("https://management.azure.com/.default"))
        .getToken();
  }

  record Answer(int status, JsonNode body) {}

  static Answer call(String method, String path, String token) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(azure.armEndpoint() + path))
            .timeout(Duration.ofSeconds(10))
            .method(method, HttpRequest.BodyPublishers.noBody());
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    return new Answer(r.statusCode(), JSON.readTree(r.body()));
  }

  static String cluster(String rg, String name) {
    return "/subscriptions/"
        + SUB
        + "/resourceGroups/"
        + rg
        + "/providers/Microsoft.ContainerService/managedClusters/"
        + name;
  }

  static final String API = "?api-version=2024-05-01";

  static String kubeconfig(Answer a) {
    return new String(
        Base64.getDecoder().decode(a.body().at("/kubeconfigs/0/value").asText()),
        StandardCharsets.UTF_8);
  }

  static List<String> names(Answer a) {
    List<String> names = new java.util.ArrayList<>();
    a.body().get("value").forEach(c -> names.add(c.get("name").asText()));
    return names;
  }

  @Test
  void listsTheSubscriptionsClustersAndThoseOfOneResourceGroup() throws Exception {
    Answer all =
        call(
            "GET",
            "/subscriptions/" + SUB + "/providers/Microsoft.ContainerService/managedClusters" + API,
            readerToken);
    assertThat(all.status()).isEqualTo(200);
    assertThat(names(all)).containsExactlyInAnyOrder("aks1", "aks-static", "aks-private");

    Answer one =
        call(
            "GET",
            "/subscriptions/"
                + SUB
                + "/resourceGroups/"
                + RG
                + "/providers/Microsoft.ContainerService/managedClusters"
                + API,
            readerToken);
    assertThat(names(one)).containsExactlyInAnyOrder("aks1", "aks-static");
  }

  @Test
  void getsAClusterWithTheFactsThatDecideWhichPathWorks() throws Exception {
    Answer a = call("GET", cluster(RG, "aks1") + API, readerToken);
    assertThat(a.status()).isEqualTo(200);
    JsonNode p = a.body().get("properties");
    assertThat(a.body().get("id").asText()).isEqualToIgnoringCase(cluster(RG, "aks1"));
    assertThat(p.get("fqdn").asText()).isEqualTo("127.0.0.1");
    assertThat(p.at("/aadProfile/managed").asBoolean()).isTrue();
    assertThat(p.at("/aadProfile/enableAzureRBAC").asBoolean()).isFalse();
    assertThat(p.get("disableLocalAccounts").asBoolean()).isTrue();
    assertThat(p.get("enableRBAC").asBoolean()).isTrue();
    assertThat(p.at("/apiServerAccessProfile/enablePrivateCluster").asBoolean()).isFalse();
    assertThat(p.get("kubernetesVersion").asText()).isEqualTo("1.30.6");

    JsonNode priv = call("GET", cluster("rg-private", "aks-private") + API, readerToken).body();
    assertThat(priv.at("/properties/privateFQDN").asText()).isEqualTo("127.0.0.1");
    assertThat(priv.at("/properties/fqdn").isMissingNode()).isTrue();
    assertThat(priv.at("/properties/apiServerAccessProfile/enablePrivateCluster").asBoolean())
        .isTrue();
    assertThat(priv.at("/properties/aadProfile/enableAzureRBAC").asBoolean()).isTrue();
    assertThat(priv.at("/properties/kubernetesVersion").asText()).isEqualTo("1.29.9");

    JsonNode plain = call("GET", cluster(RG, "aks-static") + API, readerToken).body();
    assertThat(plain.at("/properties/aadProfile").isMissingNode()).isTrue();
  }

  @Test
  void userCredentialsOfAnEntraClusterRunKubeloginAgainstTheBackingApiServer() throws Exception {
    Answer a = call("POST", cluster(RG, "aks1") + "/listClusterUserCredential" + API, readerToken);
    assertThat(a.status()).isEqualTo(200);
    assertThat(a.body().at("/kubeconfigs/0/name").asText()).isEqualTo("clusterUser");
    String yaml = kubeconfig(a);
    assertThat(yaml)
        .contains("server: " + kube.url())
        .contains(
            "certificate-authority-data: "
                + Base64.getEncoder()
                    .encodeToString(kube.caCertPem().getBytes(StandardCharsets.UTF_8)))
        .contains("command: kubelogin")
        .contains("- get-token")
        .contains("- --server-id\n      - " + AksCluster.AKS_SERVER_APP_ID)
        .contains("- --tenant-id\n      - " + TENANT)
        .contains("- --login\n      - devicecode");

    String legacy =
        kubeconfig(
            call(
                "POST",
                cluster(RG, "aks1") + "/listClusterUserCredential" + API + "&format=azure",
                readerToken));
    assertThat(legacy)
        .contains("name: azure")
        .contains("apiserver-id: " + AksCluster.AKS_SERVER_APP_ID)
        .contains("tenant-id: " + TENANT)
        .doesNotContain("kubelogin");
  }

  @Test
  void adminCredentialsOfAClusterWithLocalAccountsDisabledAreRefusedAsArmDoes() throws Exception {
    Answer a = call("POST", cluster(RG, "aks1") + "/listClusterAdminCredential" + API, readerToken);
    assertThat(a.status()).isEqualTo(400);
    assertThat(a.body().get("code").asText()).isEqualTo("BadRequest");
    assertThat(a.body().get("message").asText())
        .isEqualTo(
            "Getting static credential is not allowed because this cluster is set to disable"
                + " local accounts.");
  }

  @Test
  void aClusterWithoutEntraIdGivesStaticClientCertificateCredentials() throws Exception {
    for (String op : List.of("/listClusterUserCredential", "/listClusterAdminCredential")) {
      Answer a = call("POST", cluster(RG, "aks-static") + op + API, readerToken);
      assertThat(a.status()).isEqualTo(200);
      assertThat(kubeconfig(a))
          .contains("server: " + kube.url())
          .contains("client-certificate-data: ")
          .contains("client-key-data: ")
          .contains("token: " + kube.adminToken())
          .doesNotContain("kubelogin");
    }
    assertThat(
            kubeconfig(
                call(
                    "POST",
                    cluster(RG, "aks-static") + "/listClusterAdminCredential" + API,
                    readerToken)))
        .contains("name: clusterAdmin_" + RG + "_aks-static");
  }

  @Test
  void aMissingOrInvalidTokenIs401WithArmsCodes() throws Exception {
    Answer none = call("GET", cluster(RG, "aks1") + API, null);
    assertThat(none.status()).isEqualTo(401);
    assertThat(none.body().at("/error/code").asText()).isEqualTo("AuthenticationFailed");

    Answer garbage = call("GET", cluster(RG, "aks1") + API, "not-a-jwt");
    assertThat(garbage.status()).isEqualTo(401);
    assertThat(garbage.body().at("/error/code").asText()).isEqualTo("InvalidAuthenticationToken");

    String aksToken = azure.applicationToken(TENANT, READER, AksCluster.AKS_SERVER_APP_ID);
    Answer wrongAudience = call("GET", cluster(RG, "aks1") + API, aksToken);
    assertThat(wrongAudience.status()).isEqualTo(401);
    assertThat(wrongAudience.body().at("/error/code").asText())
        .isEqualTo("InvalidAuthenticationTokenAudience");
    assertThat(wrongAudience.body().at("/error/message").asText())
        .contains(AksCluster.AKS_SERVER_APP_ID);

    Map<String, Object> claims = new LinkedHashMap<>();
    claims.put("aud", "https://management.azure.com/");
    claims.put("iss", azure.issuerV1(TENANT));
    claims.put("oid", reader.objectId());
    claims.put("tid", TENANT);
    claims.put("iat", Instant.now().minus(Duration.ofHours(2)));
    claims.put("exp", Instant.now().minus(Duration.ofHours(1)));
    Answer expired = call("GET", cluster(RG, "aks1") + API, azure.sign(claims));
    assertThat(expired.status()).isEqualTo(401);
    assertThat(expired.body().at("/error/code").asText()).isEqualTo("ExpiredAuthenticationToken");
  }

  @Test
  void aPrincipalWithoutARoleAssignmentIs403NamingTheClientAndTheAction() throws Exception {
    String token = armToken(NOBODY);
    Answer a = call("POST", cluster(RG, "aks1") + "/listClusterUserCredential" + API, token);
    assertThat(a.status()).isEqualTo(403);
    assertThat(a.body().at("/error/code").asText()).isEqualTo("AuthorizationFailed");
    assertThat(a.body().at("/error/message").asText())
        .contains("The client '" + NOBODY + "' with object id '" + nobody.objectId() + "'")
        .contains(
            "perform action"
                + " 'Microsoft.ContainerService/managedClusters/listClusterUserCredential/action'")
        .contains("over scope '" + cluster(RG, "aks1") + "'");

    Answer list =
        call(
            "GET",
            "/subscriptions/" + SUB + "/providers/Microsoft.ContainerService/managedClusters" + API,
            token);
    assertThat(list.status()).isEqualTo(403);
  }

  @Test
  void unknownClustersAndResourceGroupsAre404LikeArms() throws Exception {
    Answer cluster = call("GET", cluster(RG, "nope") + API, readerToken);
    assertThat(cluster.status()).isEqualTo(404);
    assertThat(cluster.body().at("/error/code").asText()).isEqualTo("ResourceNotFound");
    assertThat(cluster.body().at("/error/message").asText())
        .startsWith(
            "The Resource 'Microsoft.ContainerService/managedClusters/nope' under resource group"
                + " '"
                + RG
                + "' was not found.");

    Answer group = call("GET", cluster("rg-missing", "aks1") + API, readerToken);
    assertThat(group.status()).isEqualTo(404);
    assertThat(group.body().at("/error/code").asText()).isEqualTo("ResourceGroupNotFound");
    assertThat(group.body().at("/error/message").asText())
        .isEqualTo("Resource group 'rg-missing' could not be found.");

    Answer sub =
        call(
            "GET",
            "/subscriptions/99999999-0000-4000-8000-000000000000/providers/"
                + "Microsoft.ContainerService/managedClusters"
                + API,
            readerToken);
    assertThat(sub.status()).isEqualTo(404);
    assertThat(sub.body().at("/error/code").asText()).isEqualTo("SubscriptionNotFound");

    Answer noVersion = call("GET", cluster(RG, "aks1"), readerToken);
    assertThat(noVersion.status()).isEqualTo(400);
    assertThat(noVersion.body().at("/error/code").asText()).isEqualTo("MissingApiVersionParameter");

    Answer empty =
        call(
            "GET",
            "/subscriptions/"
                + SUB
                + "/resourceGroups/rg-empty/providers/Microsoft.ContainerService/managedClusters"
                + API,
            readerToken);
    assertThat(empty.status()).isEqualTo(200);
    assertThat(empty.body().get("value")).isEmpty();
  }

  @Test
  void aStalledArmAcceptsAndNeverAnswersUntilReleasedAndRequestsAreRecorded() throws Exception {
    int before = azure.armRequests().size();
    azure.stallArm(true);
    try {
      HttpRequest req =
          HttpRequest.newBuilder(URI.create(azure.armEndpoint() + cluster(RG, "aks1") + API))
              .timeout(Duration.ofMillis(700))
              .header("Authorization", "Bearer " + readerToken)
              .build();
      org.assertj.core.api.Assertions.assertThatThrownBy(
              () -> http.send(req, HttpResponse.BodyHandlers.ofString()))
          .isInstanceOf(java.net.http.HttpTimeoutException.class);
    } finally {
      azure.stallArm(false);
    }
    assertThat(call("GET", cluster(RG, "aks1") + API, readerToken).status()).isEqualTo(200);
    assertThat(azure.armRequests().subList(before, azure.armRequests().size()))
        .containsExactly("GET " + cluster(RG, "aks1"), "GET " + cluster(RG, "aks1"));
  }

  @Test
  void anEntraTokenForTheAksServerAppAuthenticatesAtTheBackingApiServer() throws Exception {
    String token = azure.applicationToken(TENANT, READER, AksCluster.AKS_SERVER_APP_ID);
    HttpClient kubeHttp = HttpClient.newBuilder().sslContext(kube.sslContext()).build();
    HttpResponse<String> r =
        kubeHttp.send(
            HttpRequest.newBuilder(
                    URI.create(kube.url() + "/apis/authentication.k8s.io/v1/selfsubjectreviews"))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"SelfSubjectReview\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(201);
    JsonNode user = JSON.readTree(r.body()).at("/status/userInfo");
    assertThat(user.get("username").asText()).isEqualTo(reader.objectId());
    List<String> groups = new java.util.ArrayList<>();
    user.get("groups").forEach(g -> groups.add(g.asText()));
    assertThat(groups).contains(GROUP);
  }
}
