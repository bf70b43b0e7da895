package io.sightline.testing.kube;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class RbacTest {

  static final String DEPLOYMENT =
      "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"%s\"},"
          + "\"spec\":{\"selector\":{\"matchLabels\":{\"app\":\"x\"}},\"template\":{\"metadata\":"
          + "{\"labels\":{\"app\":\"x\"}},\"spec\":{\"containers\":[{\"name\":\"x\",\"image\":\"x\"}]}}}}";

  static FakeKubeApiServer kube;
  static KubeHttp admin;

  @BeforeAll
  static void start() {
    kube = FakeKubeApiServer.builder().start();
    admin = KubeHttp.admin(kube);
    for (String ns : new String[] {"web", "other", "home"}) {
      admin.post("/api/v1/namespaces", "{\"metadata\":{\"name\":\"" + ns + "\"}}");
    }
    admin.post("/api/v1/namespaces/home/serviceaccounts", "{\"metadata\":{\"name\":\"deployer\"}}");
    admin.post("/api/v1/namespaces/home/serviceaccounts", "{\"metadata\":{\"name\":\"idle\"}}");
  }

  @AfterAll
  static void stop() {
    kube.close();
  }

  static KubeHttp as(String sa) {
    return KubeHttp.withToken(kube, kube.serviceAccountToken("home", sa, Duration.ofHours(1)));
  }

  @Test
  void aServiceAccountWithoutBindingsIsForbiddenWithTheRealMessage() {
    KubeHttp.Resp r =
        as("idle").post("/apis/apps/v1/namespaces/web/deployments", DEPLOYMENT.formatted("a"));
    assertThat(r.status()).isEqualTo(403);
    assertThat(r.json().path("reason").asText()).isEqualTo("Forbidden");
    assertThat(r.message())
        .isEqualTo(
            "deployments.apps is forbidden: User \"system:serviceaccount:home:idle\" cannot"
                + " create resource \"deployments\" in API group \"apps\" in the namespace \"web\"");
    assertThat(r.json().path("details").path("group").asText()).isEqualTo("apps");
    assertThat(r.json().path("details").path("kind").asText()).isEqualTo("deployments");
  }

  @Test
  void aRoleBindingToEditGrantsItsNamespaceOnly() {
    admin.post(
        "/apis/rbac.authorization.k8s.io/v1/namespaces/web/rolebindings",
        "{\"metadata\":{\"name\":\"deployer-edit\"},\"roleRef\":{\"apiGroup\":"
            + "\"rbac.authorization.k8s.io\",\"kind\":\"ClusterRole\",\"name\":\"edit\"},"
            + "\"subjects\":[{\"kind\":\"ServiceAccount\",\"name\":\"deployer\","
            + "\"namespace\":\"home\"}]}");
    KubeHttp deployer = as("deployer");
    assertThat(
            deployer
                .post("/apis/apps/v1/namespaces/web/deployments", DEPLOYMENT.formatted("b"))
                .status())
        .isEqualTo(201);
    KubeHttp.Resp other =
        deployer.post("/apis/apps/v1/namespaces/other/deployments", DEPLOYMENT.formatted("b"));
    assertThat(other.status()).isEqualTo(403);
    KubeHttp.Resp rbac = deployer.get("/apis/rbac.authorization.k8s.io/v1/namespaces/web/roles");
    assertThat(rbac.status()).isEqualTo(403);
    KubeHttp.Resp token =
        deployer.post("/api/v1/namespaces/home/serviceaccounts/deployer/token", "{}");
    assertThat(token.message())
        .isEqualTo(
            "serviceaccounts \"deployer\" is forbidden: User"
                + " \"system:serviceaccount:home:deployer\" cannot create resource"
                + " \"serviceaccounts/token\" in API group \"\" in the namespace \"home\"");
  }

  @Test
  void resourceNamesAndSubresourcesRestrictARule() {
    admin.post(
        "/apis/rbac.authorization.k8s.io/v1/namespaces/home/roles",
        "{\"metadata\":{\"name\":\"minter\"},\"rules\":[{\"apiGroups\":[\"\"],\"resources\":"
            + "[\"serviceaccounts/token\"],\"resourceNames\":[\"deployer\"],\"verbs\":[\"create\"]}]}");
    admin.post("/api/v1/namespaces/home/serviceaccounts", "{\"metadata\":{\"name\":\"minter\"}}");
    admin.post(
        "/apis/rbac.authorization.k8s.io/v1/namespaces/home/rolebindings",
        "{\"metadata\":{\"name\":\"minter\"},\"roleRef\":{\"apiGroup\":"
            + "\"rbac.authorization.k8s.io\",\"kind\":\"Role\",\"name\":\"minter\"},"
            + "\"subjects\":[{\"kind\":\"ServiceAccount\",\"name\":\"minter\"}]}");
    KubeHttp minter = as("minter");
    String spec = "{\"expirationSeconds\":600}";
    assertThat(minter.createToken("home", "deployer", spec)).isNotEmpty();
    assertThat(minter.post("/api/v1/namespaces/home/serviceaccounts/idle/token", "{}").status())
        .isEqualTo(403);
    assertThat(minter.get("/api/v1/namespaces/home/serviceaccounts/deployer").status())
        .as("the subresource grants nothing on the resource itself")
        .isEqualTo(403);
  }

  @Test
  void aClusterRoleBindingToAGroupAppliesInEveryNamespace() {
    admin.post(
        "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
        "{\"metadata\":{\"name\":\"auditors-view\"},\"roleRef\":{\"apiGroup\":"
            + "\"rbac.authorization.k8s.io\",\"kind\":\"ClusterRole\",\"name\":\"view\"},"
            + "\"subjects\":[{\"kind\":\"Group\",\"name\":\"auditors\"}]}");
    KubeHttp auditor = KubeHttp.withCertificate(kube, kube.clientCertificate("amy", "auditors"));
    assertThat(auditor.get("/apis/apps/v1/namespaces/other/deployments").status()).isEqualTo(200);
    assertThat(auditor.get("/api/v1/namespaces").status()).isEqualTo(200);
    assertThat(auditor.get("/api/v1/namespaces/other/secrets").status())
        .as("view does not read secrets")
        .isEqualTo(403);
    assertThat(auditor.delete("/apis/apps/v1/namespaces/other/deployments/x").status())
        .isEqualTo(403);
  }

  @Test
  void deletingABindingRevokesAtOnce() {
    admin.post("/api/v1/namespaces/home/serviceaccounts", "{\"metadata\":{\"name\":\"brief\"}}");
    admin.post(
        "/apis/rbac.authorization.k8s.io/v1/namespaces/other/rolebindings",
        "{\"metadata\":{\"name\":\"brief\"},\"roleRef\":{\"apiGroup\":"
            + "\"rbac.authorization.k8s.io\",\"kind\":\"ClusterRole\",\"name\":\"view\"},"
            + "\"subjects\":[{\"kind\":\"ServiceAccount\",\"name\":\"brief\",\"namespace\":\"home\"}]}");
    KubeHttp brief = as("brief");
    assertThat(brief.get("/api/v1/namespaces/other/configmaps").status()).isEqualTo(200);
    admin.delete("/apis/rbac.authorization.k8s.io/v1/namespaces/other/rolebindings/brief");
    assertThat(brief.get("/api/v1/namespaces/other/configmaps").status()).isEqualTo(403);
  }

  @Test
  void systemMastersBypassesRbac() {
    kube.addStaticToken("root-token", "root", "system:masters");
    assertThat(KubeHttp.withToken(kube, "root-token").get("/api/v1/secrets").status())
        .isEqualTo(200);
  }
}
