package io.sightline.testing.kube;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The emulator held honest by the real kubectl. */
class KubectlIT {

  static final String MANIFEST =
      """
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: web
        labels: {app: web}
      spec:
        replicas: 2
        selector:
          matchLabels: {app: web}
        template:
          metadata:
            labels: {app: web}
          spec:
            containers:
            - name: web
              image: nginx:IMAGE_TAG
              ports:
              - containerPort: 80
      ---
      apiVersion: v1
      kind: Service
      metadata:
        name: web
      spec:
        selector: {app: web}
        ports:
        - port: 80
          targetPort: 80
      """;

  @TempDir static Path work;
  static FakeKubeApiServer kube;
  static Kubectl kubectl;
  static String admin;

  @BeforeAll
  static void start() {
    Kubectl.requireKubectl128(work);
    kube = FakeKubeApiServer.builder().version("1.30").start();
    kubectl = new Kubectl(work);
    admin = kube.adminKubeconfig();
  }

  @AfterAll
  static void stop() {
    if (kube != null) {
      kube.close();
    }
  }

  static void createNamespace(String ns) {
    Kubectl.Result r = kubectl.run(admin, "create", "namespace", ns);
    assertThat(r.exit()).as(r.all()).isZero();
  }

  static String serviceAccountKubeconfig(String ns, String sa) {
    kubectl.run(admin, "create", "serviceaccount", sa, "-n", ns);
    Kubectl.Result token = kubectl.run(admin, "create", "token", sa, "-n", ns, "--duration", "10m");
    assertThat(token.exit()).as(token.all()).isZero();
    return kube.kubeconfigForToken(token.out().trim());
  }

  @Test
  void adminListsNamespaces() {
    Kubectl.Result r = kubectl.run(admin, "get", "ns");
    assertThat(r.exit()).as(r.all()).isZero();
    assertThat(r.out())
        .contains("NAME", "STATUS", "default", "kube-system", "kube-public", "Active");
  }

  @Test
  void adminWhoamiShowsSystemMasters() {
    Kubectl.Result r = kubectl.run(admin, "auth", "whoami");
    assertThat(r.exit()).as(r.all()).isZero();
    assertThat(r.out()).contains("kubernetes-admin", "system:masters");
  }

  @Test
  void adminCanCreateDeploymentsAnywhere() {
    Kubectl.Result r = kubectl.run(admin, "auth", "can-i", "create", "deployments", "-n", "x");
    assertThat(r.exit()).as(r.all()).isZero();
    assertThat(r.out().trim()).isEqualTo("yes");
  }

  @Test
  void createTokenMintsATenMinuteTokenAndRefusesFiveMinutes() {
    createNamespace("tokens");
    kubectl.run(admin, "create", "serviceaccount", "deployer", "-n", "tokens");
    Kubectl.Result r =
        kubectl.run(admin, "create", "token", "deployer", "-n", "tokens", "--duration", "10m");
    assertThat(r.exit()).as(r.all()).isZero();
    var claims = KubeHttp.claims(r.out().trim());
    assertThat(claims.path("sub").asText()).isEqualTo("system:serviceaccount:tokens:deployer");
    assertThat(claims.path("exp").asLong() - claims.path("iat").asLong()).isEqualTo(600);
    Kubectl.Result tooShort =
        kubectl.run(admin, "create", "token", "deployer", "-n", "tokens", "--duration", "5m");
    assertThat(tooShort.exit()).isNotZero();
    assertThat(tooShort.err())
        .contains(
            "spec.expirationSeconds: Invalid value: 300: may not specify a duration less than 10"
                + " minutes");
  }

  @Test
  void adminAppliesADeploymentAndServiceAndReappliesAChange() {
    createNamespace("apply");
    Kubectl.Result first =
        kubectl.runWithFile(
            admin,
            MANIFEST.replace("IMAGE_TAG", "1.27"),
            "apply",
            "--validate=false",
            "-n",
            "apply");
    assertThat(first.exit()).as(first.all()).isZero();
    assertThat(first.out()).contains("deployment.apps/web created", "service/web created");
    Kubectl.Result second =
        kubectl.runWithFile(
            admin,
            MANIFEST.replace("IMAGE_TAG", "1.28"),
            "apply",
            "--validate=false",
            "-n",
            "apply");
    assertThat(second.exit()).as(second.all()).isZero();
    assertThat(second.out()).contains("deployment.apps/web configured", "service/web unchanged");
    assertThat(
            kube.getObject("apps/v1", "Deployment", "apply", "web")
                .path("spec")
                .path("template")
                .path("spec")
                .path("containers")
                .get(0)
                .path("image")
                .asText())
        .isEqualTo("nginx:1.28");
    Kubectl.Result get = kubectl.run(admin, "get", "deploy,svc", "-n", "apply");
    assertThat(get.out()).contains("web");
  }

  @Test
  void aClientCertificateUserIsForbiddenUntilBoundThenAllowed() {
    String jane = kube.kubeconfigForCertificate(kube.clientCertificate("jane", "devs"));
    Kubectl.Result whoami = kubectl.run(jane, "auth", "whoami");
    assertThat(whoami.exit()).as(whoami.all()).isZero();
    assertThat(whoami.out()).contains("jane", "devs");
    Kubectl.Result denied = kubectl.run(jane, "get", "ns");
    assertThat(denied.exit()).isNotZero();
    assertThat(denied.err())
        .contains(
            "namespaces is forbidden: User \"jane\" cannot list resource \"namespaces\" in API"
                + " group \"\" at the cluster scope");
    Kubectl.Result bind =
        kubectl.run(
            admin,
            "create",
            "clusterrolebinding",
            "devs-view",
            "--clusterrole=view",
            "--group=devs");
    assertThat(bind.exit()).as(bind.all()).isZero();
    Kubectl.Result allowed = kubectl.run(jane, "get", "ns");
    assertThat(allowed.exit()).as(allowed.all()).isZero();
    assertThat(allowed.out()).contains("kube-system");
  }

  @Test
  void aServiceAccountWithoutRightsIsRefusedAndWithEditCanApply() {
    createNamespace("sa-home");
    createNamespace("sa-target");
    String sa = serviceAccountKubeconfig("sa-home", "deployer");
    Kubectl.Result who = kubectl.run(sa, "auth", "whoami");
    assertThat(who.out()).contains("system:serviceaccount:sa-home:deployer");
    Kubectl.Result cannot =
        kubectl.run(sa, "auth", "can-i", "create", "deployments", "-n", "sa-target");
    assertThat(cannot.exit()).isEqualTo(1);
    assertThat(cannot.out().trim()).isEqualTo("no");
    Kubectl.Result refused =
        kubectl.runWithFile(
            sa,
            MANIFEST.replace("IMAGE_TAG", "1.27"),
            "apply",
            "--validate=false",
            "-n",
            "sa-target");
    assertThat(refused.exit()).isNotZero();
    assertThat(refused.err())
        .contains(
            "deployments.apps \"web\" is forbidden: User \"system:serviceaccount:sa-home:deployer\""
                + " cannot get resource \"deployments\" in API group \"apps\" in the namespace"
                + " \"sa-target\"");
    Kubectl.Result bind =
        kubectl.run(
            admin,
            "create",
            "rolebinding",
            "deployer-edit",
            "--clusterrole=edit",
            "--serviceaccount=sa-home:deployer",
            "-n",
            "sa-target");
    assertThat(bind.exit()).as(bind.all()).isZero();
    Kubectl.Result can =
        kubectl.run(sa, "auth", "can-i", "create", "deployments", "-n", "sa-target");
    assertThat(can.out().trim()).isEqualTo("yes");
    Kubectl.Result applied =
        kubectl.runWithFile(
            sa,
            MANIFEST.replace("IMAGE_TAG", "1.27"),
            "apply",
            "--validate=false",
            "-n",
            "sa-target");
    assertThat(applied.exit()).as(applied.all()).isZero();
    assertThat(applied.out()).contains("deployment.apps/web created", "service/web created");
  }

  @Test
  void inVersion123ModeKubectlCreatesObjectsAndTokensButHasNoWhoami() {
    // The dispatcher picks an older kubectl for a 1.23 server; it sends protobuf bodies.
    try (FakeKubeApiServer old = FakeKubeApiServer.builder().version("1.23").start()) {
      String kubeconfig = old.adminKubeconfig();
      for (String[] cmd :
          new String[][] {
            {"create", "namespace", "legacy"},
            {"create", "serviceaccount", "ci", "-n", "legacy"},
            {"create", "secret", "generic", "lease", "-n", "legacy", "--from-literal=k=v"},
            {"create", "configmap", "cm", "-n", "legacy", "--from-literal=a=b"},
            {
              "create",
              "rolebinding",
              "ci-edit",
              "--clusterrole=edit",
              "--serviceaccount=legacy:ci",
              "-n",
              "legacy"
            },
          }) {
        Kubectl.Result r = kubectl.run(kubeconfig, cmd);
        assertThat(r.exit()).as(String.join(" ", cmd) + ": " + r.all()).isZero();
      }
      assertThat(old.getObject("v1", "Secret", "legacy", "lease").path("data").path("k").asText())
          .isEqualTo("dg==");
      Kubectl.Result sa =
          kubectl.run(
              kubeconfig,
              "get",
              "serviceaccount",
              "ci",
              "-n",
              "legacy",
              "-o",
              "jsonpath={.secrets[0].name}");
      assertThat(sa.out()).startsWith("ci-token-");
      Kubectl.Result token =
          kubectl.run(
              kubeconfig,
              "create",
              "token",
              "ci",
              "-n",
              "legacy",
              "--duration",
              "10m",
              "--bound-object-kind",
              "Secret",
              "--bound-object-name",
              "lease");
      assertThat(token.exit()).as(token.all()).isZero();
      assertThat(
              KubeHttp.claims(token.out().trim())
                  .path("kubernetes.io")
                  .path("secret")
                  .path("name")
                  .asText())
          .isEqualTo("lease");
      Kubectl.Result can =
          kubectl.run(
              old.kubeconfigForToken(token.out().trim()),
              "auth",
              "can-i",
              "create",
              "deployments",
              "-n",
              "legacy");
      assertThat(can.out().trim()).isEqualTo("yes");
      Kubectl.Result whoami = kubectl.run(kubeconfig, "auth", "whoami");
      assertThat(whoami.exit()).isNotZero();
      assertThat(whoami.err()).contains("the selfsubjectreviews API is not enabled in the cluster");
    }
  }

  @Test
  void aBoundTokenWhoseSecretWasDeletedMakesKubectlFailUnauthorized() {
    createNamespace("leases");
    kubectl.run(admin, "create", "serviceaccount", "deployer", "-n", "leases");
    kubectl.run(admin, "create", "secret", "generic", "lease-1", "-n", "leases");
    Kubectl.Result token =
        kubectl.run(
            admin,
            "create",
            "token",
            "deployer",
            "-n",
            "leases",
            "--duration",
            "10m",
            "--bound-object-kind",
            "Secret",
            "--bound-object-name",
            "lease-1");
    assertThat(token.exit()).as(token.all()).isZero();
    String lease = kube.kubeconfigForToken(token.out().trim());
    Kubectl.Result before = kubectl.run(lease, "auth", "whoami");
    assertThat(before.exit()).as(before.all()).isZero();
    Kubectl.Result revoke = kubectl.run(admin, "delete", "secret", "lease-1", "-n", "leases");
    assertThat(revoke.exit()).as(revoke.all()).isZero();
    Kubectl.Result after = kubectl.run(lease, "auth", "whoami");
    assertThat(after.exit()).isNotZero();
    assertThat(after.err()).contains("Unauthorized");
  }
}
