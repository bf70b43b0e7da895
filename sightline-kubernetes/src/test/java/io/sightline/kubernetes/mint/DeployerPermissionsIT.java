package io.sightline.kubernetes.mint;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.sightline.core.SecretValue;
import io.sightline.kubernetes.provision.Kubectl;
import io.sightline.kubernetes.provision.ProvisionResult;
import io.sightline.kubernetes.provision.ProvisionSpec;
import io.sightline.kubernetes.provision.Provisioner;
import io.sightline.kubernetes.provision.TestClusters;
import io.sightline.testing.kube.FakeKubeApiServer;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What a lease token (deployer {@code deployer-web} of connection {@code prod}, targets {@code web}
 * and {@code api}) and the minter may do, asked of the emulator with the real {@code kubectl}.
 */
class DeployerPermissionsIT {
  static final String HOME = "sightline-prod";
  static FakeKubeApiServer kube;
  static KubernetesClient admin;
  static KubernetesClient minterClient;
  static Kubectl deployer;
  static Kubectl minter;
  static SecretValue leaseToken;

  @BeforeAll
  static void provisionAndMint() {
    Kubectl.requireKubectl();
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
    MintedToken lease =
        new TokenMinter(minterClient)
            .mint(MintRequest.of("perm-1", HOME, "deployer-web", Duration.ofMinutes(10)));
    leaseToken = lease.token();
    deployer = Kubectl.with(kube.kubeconfigForToken(lease.token().reveal()));
    minter = Kubectl.with(kube.kubeconfigForToken(p.minterToken().reveal()));
  }

  @AfterAll
  static void stop() {
    if (minterClient != null) {
      deployer.close();
      minter.close();
      minterClient.close();
      admin.close();
      kube.close();
    }
  }

  @Test
  @DisplayName("kubectl auth whoami with the lease token names the deployer")
  void whoamiIsTheDeployer() {
    Kubectl.Result r = deployer.run("auth", "whoami", "-o", "jsonpath={.status.userInfo.username}");
    assertThat(r.exitCode()).as(r.stderr()).isZero();
    assertThat(r.stdout()).isEqualTo("system:serviceaccount:sightline-prod:deployer-web");
  }

  @ParameterizedTest(name = "deployer: can-i {0} {1} -n {2} → {3}")
  @DisplayName("the deployer may deploy in its own target namespace and nothing else")
  @CsvSource({
    // What kubectl apply, rollout status and helm upgrade --wait need, in its own namespace.
    "create, deployments.apps, web, true",
    "patch, deployments.apps, web, true",
    "get, deployments.apps, web, true",
    "watch, deployments.apps, web, true",
    "create, services, web, true",
    "create, configmaps, web, true",
    "create, secrets, web, true",
    "list, pods, web, true",
    "get, pods/log, web, true",
    "delete, pods, web, false",
    // Not another target namespace of the same connection, nor any other namespace.
    "create, deployments.apps, api, false",
    "get, secrets, api, false",
    "list, pods, api, false",
    "create, deployments.apps, default, false",
    // Not the minter's token, nor anything in the home namespace.
    "get, secret/sightline-minter-token, sightline-prod, false",
    "get, secrets, sightline-prod, false",
    "list, secrets, sightline-prod, false",
    "delete, secrets, sightline-prod, false",
    // No tokens for any ServiceAccount.
    "create, serviceaccounts/token, web, false",
    "create, serviceaccounts/token, api, false",
    "create, serviceaccounts/token, sightline-prod, false",
    "create, serviceaccounts/token, default, false",
    // No RBAC changes.
    "create, rolebindings.rbac.authorization.k8s.io, web, false",
    "create, roles.rbac.authorization.k8s.io, web, false",
    "bind, clusterroles.rbac.authorization.k8s.io, web, false",
    "escalate, roles.rbac.authorization.k8s.io, web, false",
    "patch, rolebindings.rbac.authorization.k8s.io, web, false",
    // No impersonation.
    "impersonate, serviceaccounts, web, false",
    "impersonate, serviceaccounts, sightline-prod, false",
  })
  void deployerMatrix(String verb, String resource, String namespace, boolean expected) {
    assertThat(canI(deployer, verb, resource, namespace)).isEqualTo(expected);
  }

  /**
   * Kinds the emulator does not list in its discovery documents, so kubectl cannot map them to
   * their API group: asked with the same SelfSubjectAccessReview kubectl sends, with the group.
   */
  @ParameterizedTest(name = "deployer: SelfSubjectAccessReview {0} {2}.{1} -n {3} → {4}")
  @DisplayName(
      "the deployer may manage the other workload kinds and read rollout state, only in its namespace")
  @CsvSource({
    "create, networking.k8s.io, ingresses, web, true",
    "create, networking.k8s.io, networkpolicies, web, true",
    "update, autoscaling, horizontalpodautoscalers, web, true",
    "create, policy, poddisruptionbudgets, web, true",
    "create, batch, jobs, web, true",
    "delete, batch, cronjobs, web, true",
    "create, apps, statefulsets, web, true",
    "patch, apps, daemonsets, web, true",
    "watch, apps, replicasets, web, true",
    "create, apps, replicasets, web, false",
    "list, '', events, web, true",
    "watch, events.k8s.io, events, web, true",
    "create, '', events, web, false",
    "create, networking.k8s.io, ingresses, api, false",
    "create, batch, jobs, api, false",
    "watch, apps, replicasets, api, false",
  })
  void deployerReviewMatrix(
      String verb, String group, String resource, String namespace, boolean expected) {
    try (KubernetesClient task = TestClusters.client(kube, leaseToken)) {
      SelfSubjectAccessReview review =
          task.authorization()
              .v1()
              .selfSubjectAccessReview()
              .create(
                  new SelfSubjectAccessReviewBuilder()
                      .withNewSpec()
                      .withNewResourceAttributes()
                      .withVerb(verb)
                      .withGroup(group)
                      .withResource(resource)
                      .withNamespace(namespace)
                      .endResourceAttributes()
                      .endSpec()
                      .build());
      assertThat(review.getStatus().getAllowed()).isEqualTo(expected);
    }
  }

  @Test
  @DisplayName("the deployer may not create cluster-wide RBAC or impersonate users")
  void deployerClusterScope() {
    assertThat(deployer.canI("create", "clusterrolebindings.rbac.authorization.k8s.io", null))
        .isFalse();
    assertThat(deployer.canI("create", "clusterroles.rbac.authorization.k8s.io", null)).isFalse();
    assertThat(deployer.canI("impersonate", "users", null)).isFalse();
    assertThat(deployer.canI("impersonate", "groups", null)).isFalse();
    assertThat(deployer.canI("create", "namespaces", null)).isFalse();
  }

  @ParameterizedTest(name = "minter: can-i {0} {1} -n {2} → {3}")
  @DisplayName(
      "the minter may create tokens for its deployers and create/delete Secrets in its home namespace, nothing else")
  @CsvSource({
    "create, secrets, sightline-prod, true",
    "delete, secrets, sightline-prod, true",
    "get, secrets, sightline-prod, false",
    "list, secrets, sightline-prod, false",
    "watch, secrets, sightline-prod, false",
    "get, secret/sightline-minter-token, sightline-prod, false",
    "update, secrets, sightline-prod, false",
    "create, serviceaccounts/deployer-web, sightline-prod, true",
    "create, serviceaccounts/deployer-api, sightline-prod, true",
    "create, serviceaccounts/sightline-minter, sightline-prod, false",
    "create, serviceaccounts/default, sightline-prod, false",
    "create, serviceaccounts, sightline-prod, false",
    "create, secrets, web, false",
    "create, deployments.apps, web, false",
    "create, rolebindings.rbac.authorization.k8s.io, sightline-prod, false",
  })
  void minterMatrix(String verb, String resource, String namespace, boolean expected) {
    // serviceaccounts/NAME rows ask about the token subresource of that ServiceAccount.
    boolean tokenOf = resource.startsWith("serviceaccounts/");
    boolean answer =
        tokenOf
            ? minter.canI(verb, resource, namespace, "--subresource=token")
            : minter.canI(verb, resource, namespace);
    assertThat(answer).isEqualTo(expected);
  }

  @Test
  @DisplayName(
      "real attempts: the deployer deploys in web, and is refused the minter token, tokens, RBAC and api")
  void realAttempts() {
    Kubectl.Result cm =
        deployer.run("-n", "web", "create", "configmap", "app-config", "--from-literal=a=b");
    assertThat(cm.exitCode()).as(cm.stderr()).isZero();
    Kubectl.Result svc =
        deployer.run("-n", "web", "create", "service", "clusterip", "app", "--tcp=80:8080");
    assertThat(svc.exitCode()).as(svc.stderr()).isZero();

    assertForbidden(deployer.run("-n", HOME, "get", "secret", "sightline-minter-token"));
    assertForbidden(deployer.run("-n", HOME, "create", "token", "deployer-api"));
    assertForbidden(deployer.run("-n", "web", "create", "token", "default"));
    assertForbidden(
        deployer.run(
            "-n",
            "web",
            "create",
            "rolebinding",
            "widen",
            "--clusterrole=admin",
            "--serviceaccount=" + HOME + ":deployer-web"));
    assertForbidden(deployer.run("-n", "api", "create", "configmap", "x", "--from-literal=a=b"));

    assertForbidden(minter.run("-n", HOME, "get", "secret", "sightline-minter-token"));
    assertForbidden(minter.run("-n", HOME, "get", "secrets"));
  }

  @Test
  @DisplayName(
      "kubectl apply of a Deployment, Service and ConfigMap succeeds in web and is refused in api")
  void kubectlApply() throws java.io.IOException {
    java.nio.file.Path manifest = java.nio.file.Files.createTempFile("sightline-app-", ".yaml");
    manifest.toFile().deleteOnExit();
    java.nio.file.Files.writeString(
        manifest,
        """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: app-settings}
        data: {mode: blue}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: app-web}
        spec:
          selector: {app: app}
          ports: [{port: 80, targetPort: 8080}]
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: app}
        spec:
          replicas: 1
          selector: {matchLabels: {app: app}}
          template:
            metadata: {labels: {app: app}}
            spec:
              containers: [{name: app, image: "registry.example/app:1"}]
        """);

    Kubectl.Result ok =
        deployer.run("-n", "web", "apply", "--validate=false", "-f", manifest.toString());
    assertThat(ok.exitCode()).as(ok.stderr()).isZero();
    assertThat(ok.stdout())
        .contains("configmap/app-settings created")
        .contains("service/app-web created")
        .contains("deployment.apps/app created");
    Kubectl.Result again =
        deployer.run("-n", "web", "apply", "--validate=false", "-f", manifest.toString());
    assertThat(again.exitCode()).as(again.stderr()).isZero();

    Kubectl.Result refused =
        deployer.run("-n", "api", "apply", "--validate=false", "-f", manifest.toString());
    assertThat(refused.exitCode()).isNotZero();
    assertThat(refused.stderr()).containsIgnoringCase("forbidden");
    assertThat(admin.apps().deployments().inNamespace("api").withName("app").get()).isNull();
  }

  private static void assertForbidden(Kubectl.Result r) {
    assertThat(r.exitCode()).isNotZero();
    assertThat(r.stderr()).containsIgnoringCase("forbidden").contains("cannot");
  }

  private static boolean canI(Kubectl k, String verb, String resource, String namespace) {
    if (resource.contains("/") && !resource.startsWith("secret/")) {
      String[] parts = resource.split("/", 2);
      return k.canI(verb, parts[0], namespace, "--subresource=" + parts[1]);
    }
    return k.canI(verb, resource, namespace);
  }
}
