package io.sightline.testing.azure;

import static io.sightline.testing.azure.TestIdentities.*;
import static org.assertj.core.api.Assertions.assertThat;

import com.azure.core.credential.TokenRequestContext;
import com.azure.identity.UsernamePasswordCredentialBuilder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sightline.testing.kube.FakeKubeApiServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real kubectl lists namespaces on an emulated AKS cluster with local accounts disabled, using the
 * kubeconfig ARM returns with its kubelogin user replaced by an Entra token: the path Sightline's
 * per-task AKS credential takes.
 */
class FakeAksKubectlIT {
  static final String RG = "rg-aks";
  static FakeAzure azure;
  static FakeKubeApiServer kube;
  static EntraUser alice;

  @TempDir static Path dir;

  @BeforeAll
  static void start() {
    alice = EntraUser.of(TENANT, "alice@contoso.example", PASSWORD, GROUP);
    azure =
        FakeAzure.builder()
            .application(EntraApp.builder(TENANT, PUBLIC_APP).publicClient().build())
            .user(alice)
            .allow(
                alice.objectId(),
                "/subscriptions/" + SUB + "/resourceGroups/" + RG,
                ArmAction.READ_CLUSTERS,
                ArmAction.LIST_USER_CREDENTIAL)
            .start();
    kube = FakeKubeApiServer.builder().oidc(azure.aksOidc(TENANT)).start();
    azure.addCluster(
        AksCluster.builder(SUB, RG, "aks1").backedBy(kube).localAccountsDisabled().build());
    kube.createObject(
        "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"ClusterRoleBinding\","
            + "\"metadata\":{\"name\":\"aad-readers\"},"
            + "\"roleRef\":{\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"ClusterRole\","
            + "\"name\":\"view\"},"
            + "\"subjects\":[{\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"Group\","
            + "\"name\":\""
            + GROUP
            + "\"}]}");
  }

  @AfterAll
  static void stop() {
    assertThat(OFF_LOOPBACK).as("requests that left 127.0.0.1").isEmpty();
    kube.close();
    azure.close();
  }

  static String token(String scope) {
    return new UsernamePasswordCredentialBuilder()
        .authorityHost(azure.authorityHost())
        .tenantId(TENANT)
        .clientId(PUBLIC_APP)
        .username(alice.upn())
        .password(PASSWORD)
        .disableInstanceDiscovery()
        .httpClient(httpClient(azure))
        .build()
        .getTokenSync(new TokenRequestContext().addScopes(scope))
        .getToken();
  }

  static String userKubeconfig() throws Exception {
    HttpClient http = HttpClient.newBuilder().sslContext(azure.clientSslContext()).build();
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(
                    URI.create(
                        azure.armEndpoint()
                            + "/subscriptions/"
                            + SUB
                            + "/resourceGroups/"
                            + RG
                            + "/providers/Microsoft.ContainerService/managedClusters/aks1"
                            + "/listClusterUserCredential?api-version=2024-05-01"))
                .header("Authorization", "Bearer " + token("https://management.azure.com/.default"))
                .POST(HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode body = new ObjectMapper().readTree(r.body());
    return new String(
        Base64.getDecoder().decode(body.at("/kubeconfigs/0/value").asText()),
        StandardCharsets.UTF_8);
  }

  /** Replaces the kubelogin exec user with a static token, keeping the user's name. */
  static String withToken(String kubeconfig, String token) {
    int users = kubeconfig.indexOf("users:\n");
    String userName =
        kubeconfig.substring(kubeconfig.indexOf("- name: ", users) + 8).split("\n", 2)[0];
    return kubeconfig.substring(0, users)
        + "users:\n- name: "
        + userName
        + "\n  user:\n    token: "
        + token
        + "\n";
  }

  static String kubectl(Path kubeconfig, String... args) throws Exception {
    List<String> cmd =
        new java.util.ArrayList<>(List.of("kubectl", "--kubeconfig", kubeconfig.toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("kubectl finished").isTrue();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as("kubectl %s: %s", args, out).isZero();
    return out;
  }

  @Test
  void kubectlListsNamespacesWithTheArmKubeconfigAndAnEntraToken() throws Exception {
    String fromArm = userKubeconfig();
    assertThat(fromArm).contains("command: kubelogin");

    Path kubeconfig = dir.resolve("aks1.yaml");
    Files.writeString(kubeconfig, withToken(fromArm, token(FakeAzure.AKS_SCOPE)));

    assertThat(kubectl(kubeconfig, "get", "namespaces", "-o", "name"))
        .contains("namespace/default")
        .contains("namespace/kube-system");
    assertThat(kubectl(kubeconfig, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"))
        .isEqualTo(alice.objectId());
  }
}
