package io.sightline.kubernetes.provision;

import static io.sightline.kubernetes.provision.ProvisionNames.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.sightline.core.SightlineException;
import io.sightline.testing.kube.FakeKubeApiServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Provisioning against the Kubernetes emulator in ≥ 1.24 mode (1.30). */
class ProvisionerTest {
  static FakeKubeApiServer kube;
  static KubernetesClient admin;
  final Provisioner provisioner = new Provisioner();

  @BeforeAll
  static void start() {
    kube = FakeKubeApiServer.builder().version("1.30").start();
    admin = TestClusters.admin(kube);
    for (String ns : List.of("web", "api", "shop", "blog", "rb-web", "gone-web", "keep-web")) {
      namespace(ns);
    }
  }

  @AfterAll
  static void stop() {
    admin.close();
    kube.close();
  }

  static void namespace(String name) {
    admin
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build())
        .create();
  }

  @Test
  @DisplayName("provisioning creates the documented objects and answers a working minter token")
  void provisionCreatesTheDocumentedObjects() {
    ProvisionSpec spec = ProvisionSpec.of("prod", List.of("web", "api"));

    ProvisionResult result = provisioner.provision(admin, spec);

    assertThat(result.homeNamespace()).isEqualTo("sightline-prod");
    assertThat(result.minterServiceAccount()).isEqualTo("sightline-minter");
    assertThat(result.minterTokenSecret()).isEqualTo("sightline-minter-token");
    assertThat(result.deployers())
        .containsExactlyInAnyOrderEntriesOf(Map.of("web", "deployer-web", "api", "deployer-api"));
    assertThat(result.caPem()).isEqualTo(kube.caCertPem());
    assertThat(result.kubernetesVersion()).isEqualTo("1.30");
    // Everything of the plan, in order; sightline-deploy is shared, another test may have made it.
    assertThat(result.created().stream().map(ObjectRef::toString))
        .containsExactlyElementsOf(
            provisioner.plan(spec).refs().stream()
                .map(ObjectRef::toString)
                .filter(
                    r -> !r.equals("clusterrole/sightline-deploy") || result.created().size() == 10)
                .toList());
    assertThat(admin.rbac().clusterRoles().withName("sightline-deploy").get().getRules())
        .containsExactlyInAnyOrderElementsOf(
            io.sightline.kubernetes.provision.internal.Manifests.deployRules());
    assertThat(result.warnings()).isEmpty();
    assertThat(result.toString()).doesNotContain(result.minterToken().reveal());

    assertThat(Whoami.of(admin, result.minterToken()))
        .isEqualTo("system:serviceaccount:sightline-prod:sightline-minter");
    assertThat(admin.namespaces().withName("sightline-prod").get().getMetadata().getLabels())
        .containsEntry("app.kubernetes.io/managed-by", "sightline")
        .containsEntry("sightline.io/connection", "prod");

    Role minterRole =
        admin.rbac().roles().inNamespace("sightline-prod").withName(MINTER_ROLE).get();
    assertThat(minterRole.getRules())
        .containsExactlyInAnyOrder(
            new PolicyRuleBuilder()
                .withApiGroups("")
                .withResources("serviceaccounts/token")
                .withResourceNames("deployer-api", "deployer-web")
                .withVerbs("create")
                .build(),
            new PolicyRuleBuilder()
                .withApiGroups("")
                .withResources("secrets")
                .withVerbs("create", "delete")
                .build());

    RoleBinding web =
        admin.rbac().roleBindings().inNamespace("web").withName("sightline-prod-deployer").get();
    assertThat(web.getRoleRef().getKind()).isEqualTo("ClusterRole");
    assertThat(web.getRoleRef().getName()).isEqualTo("sightline-deploy");
    assertThat(web.getSubjects())
        .singleElement()
        .satisfies(
            s -> {
              assertThat(s.getKind()).isEqualTo("ServiceAccount");
              assertThat(s.getNamespace()).isEqualTo("sightline-prod");
              assertThat(s.getName()).isEqualTo("deployer-web");
            });
    assertThat(admin.serviceAccounts().inNamespace("sightline-prod").withName("deployer-api").get())
        .isNotNull();
  }

  @Test
  @DisplayName(
      "a target namespace that does not exist is refused by name before anything is created")
  void missingTargetNamespaceIsRefusedFirst() {
    ProvisionSpec spec = ProvisionSpec.of("nons", List.of("web", "no-such-ns", "nor-this"));

    assertThatThrownBy(() -> provisioner.provision(admin, spec))
        .isInstanceOfSatisfying(
            SightlineException.class,
            e -> {
              assertThat(e.code()).isEqualTo("NAMESPACE_NOT_FOUND");
              assertThat(e.status()).isEqualTo(400);
              assertThat(e.getMessage())
                  .contains("no-such-ns, nor-this")
                  .contains("createNamespace");
            });
    assertThat(admin.namespaces().withName("sightline-nons").get()).isNull();
    assertThat(
            admin
                .rbac()
                .roleBindings()
                .inNamespace("web")
                .withName("sightline-nons-deployer")
                .get())
        .isNull();
  }

  @Test
  @DisplayName("createNamespace creates missing target namespaces")
  void createNamespaceCreatesMissingTargets() {
    ProvisionSpec spec =
        ProvisionSpec.of("fresh", List.of("fresh-target")).withCreateNamespace(true);

    ProvisionResult result = provisioner.provision(admin, spec);

    assertThat(result.created()).contains(new ObjectRef("Namespace", null, "fresh-target"));
    assertThat(admin.namespaces().withName("fresh-target").get()).isNotNull();
    assertThat(
            admin
                .rbac()
                .roleBindings()
                .inNamespace("fresh-target")
                .withName("sightline-fresh-deployer")
                .get())
        .isNotNull();
  }

  @Test
  @DisplayName(
      "provisioning again converges: missing parts return, dropped namespaces lose their deployer, the token stays unless rotated")
  void reprovisionConverges() {
    ProvisionSpec both = ProvisionSpec.of("conv", List.of("shop", "blog"));
    ProvisionResult first = provisioner.provision(admin, both);
    admin.serviceAccounts().inNamespace("sightline-conv").withName("deployer-shop").delete();

    ProvisionResult second = provisioner.provision(admin, both);
    assertThat(second.created())
        .containsExactly(new ObjectRef("ServiceAccount", "sightline-conv", "deployer-shop"));
    assertThat(second.minterToken()).isEqualTo(first.minterToken());

    ProvisionResult third = provisioner.provision(admin, ProvisionSpec.of("conv", List.of("shop")));
    assertThat(third.deleted())
        .containsExactlyInAnyOrder(
            new ObjectRef("RoleBinding", "blog", "sightline-conv-deployer"),
            new ObjectRef("ServiceAccount", "sightline-conv", "deployer-blog"));
    assertThat(third.updated()).contains(new ObjectRef("Role", "sightline-conv", MINTER_ROLE));
    assertThat(
            admin
                .rbac()
                .roles()
                .inNamespace("sightline-conv")
                .withName(MINTER_ROLE)
                .get()
                .getRules()
                .get(0)
                .getResourceNames())
        .containsExactly("deployer-shop");
    assertThat(
            admin
                .rbac()
                .roleBindings()
                .inNamespace("blog")
                .withName("sightline-conv-deployer")
                .get())
        .isNull();
    assertThat(Whoami.of(admin, third.minterToken())).isNotNull();
  }

  @Test
  @DisplayName(
      "rotating the minter token replaces it: the old token is rejected, the new one works")
  void rotateMinterToken() {
    ProvisionSpec spec = ProvisionSpec.of("rot", List.of("web"));
    ProvisionResult first = provisioner.provision(admin, spec);

    ProvisionResult rotated = provisioner.provision(admin, spec.withRotateMinterToken(true));

    assertThat(rotated.minterToken()).isNotEqualTo(first.minterToken());
    assertThat(Whoami.of(admin, first.minterToken())).isNull();
    assertThat(Whoami.of(admin, rotated.minterToken()))
        .isEqualTo("system:serviceaccount:sightline-rot:sightline-minter");
  }

  @Test
  @DisplayName(
      "clusterAdmin binds the deployers to cluster-admin with one ClusterRoleBinding labelled all-powerful")
  void clusterAdmin() {
    ProvisionSpec spec = ProvisionSpec.of("god", List.of("web")).withClusterAdmin(true);

    ProvisionResult result = provisioner.provision(admin, spec);

    ClusterRoleBinding crb =
        admin.rbac().clusterRoleBindings().withName("sightline-god-cluster-admin").get();
    assertThat(crb.getRoleRef().getName()).isEqualTo("cluster-admin");
    assertThat(crb.getMetadata().getLabels()).containsEntry("sightline.io/all-powerful", "true");
    assertThat(crb.getSubjects()).extracting(s -> s.getName()).containsExactly("deployer-web");
    assertThat(
            admin.rbac().roleBindings().inNamespace("web").withName("sightline-god-deployer").get())
        .isNull();
    assertThat(result.warnings()).anyMatch(w -> w.contains("all-powerful"));
  }

  @Test
  @DisplayName("a failure part-way rolls back what this run created and keeps what existed before")
  void rollbackOnInjectedFailure() {
    // Another connection made sightline-deploy exist before this run.
    provisioner.provision(admin, ProvisionSpec.of("earlier", List.of("keep-web")));
    // An admin that may do everything provisioning needs except create Secrets: the last step
    // (the minter token Secret) fails.
    String token = "limited-admin-token-rollback";
    kube.addStaticToken(token, "limited-admin");
    grant(
        "limited-admin",
        List.of(
            rule("", List.of("namespaces", "serviceaccounts"), List.of("*")),
            rule("", List.of("secrets"), List.of("get", "list", "watch", "delete")),
            rule("rbac.authorization.k8s.io", List.of("*"), List.of("*"))));
    ProvisionSpec spec = ProvisionSpec.of("rb", List.of("rb-web"));

    try (KubernetesClient limited = TestClusters.client(kube, token)) {
      assertThatThrownBy(() -> provisioner.provision(limited, spec))
          .isInstanceOfSatisfying(
              SightlineException.class,
              e -> {
                assertThat(e.code()).isEqualTo("PROVISION_FORBIDDEN");
                assertThat(e.getMessage())
                    .contains("create secret/sightline-rb/sightline-minter-token");
              });
    }

    assertThat(admin.namespaces().withName("sightline-rb").get()).isNull();
    assertThat(admin.serviceAccounts().inNamespace("sightline-rb").list().getItems()).isEmpty();
    assertThat(
            admin
                .rbac()
                .roleBindings()
                .inNamespace("rb-web")
                .withName("sightline-rb-deployer")
                .get())
        .isNull();
    assertThat(admin.namespaces().withName("rb-web").get()).isNotNull();
    assertThat(admin.rbac().clusterRoles().withName("sightline-deploy").get()).isNotNull();
  }

  @Test
  @DisplayName("a failure in the middle deletes what was created, newest first, and nothing else")
  void rollbackInTheMiddleRunsInReverse() {
    // May do everything except bind roles in namespaces it was not given: the home namespace's
    // minter RoleBinding (step 7) fails after namespace, ServiceAccounts and Role were created.
    String token = "limited-admin-token-middle";
    String user = "no-home-rolebindings";
    kube.addStaticToken(token, user);
    grant(
        user,
        List.of(
            rule("", List.of("namespaces", "serviceaccounts", "secrets"), List.of("*")),
            rule(
                "rbac.authorization.k8s.io",
                List.of("roles", "clusterroles", "clusterrolebindings"),
                List.of("*")),
            rule("rbac.authorization.k8s.io", List.of("rolebindings"), List.of("get", "list"))));
    ProvisionSpec spec = ProvisionSpec.of("mid", List.of("shop"));
    kube.clearRequestLog();

    try (KubernetesClient limited = TestClusters.client(kube, token)) {
      assertThatThrownBy(() -> provisioner.provision(limited, spec))
          .isInstanceOfSatisfying(
              SightlineException.class,
              e ->
                  assertThat(e.getMessage())
                      .contains("create rolebinding/sightline-mid/sightline-minter"));
    }

    List<String> writes =
        kube
            .requestLog(
                r ->
                    user.equals(r.user())
                        && (r.verb().equals("create") || r.verb().equals("delete"))
                        && r.status() < 300)
            .stream()
            .map(r -> r.verb() + " " + r.path())
            .toList();
    assertThat(writes)
        .containsExactly(
            "create /api/v1/namespaces",
            "create /api/v1/namespaces/sightline-mid/serviceaccounts",
            "create /api/v1/namespaces/sightline-mid/serviceaccounts",
            "create /apis/rbac.authorization.k8s.io/v1/namespaces/sightline-mid/roles",
            "delete /apis/rbac.authorization.k8s.io/v1/namespaces/sightline-mid/roles/sightline-minter",
            "delete /api/v1/namespaces/sightline-mid/serviceaccounts/deployer-shop",
            "delete /api/v1/namespaces/sightline-mid/serviceaccounts/sightline-minter",
            "delete /api/v1/namespaces/sightline-mid");
    assertThat(admin.namespaces().withName("shop").get()).isNotNull();
  }

  @Test
  @DisplayName(
      "deprovisioning an unreachable cluster lists everything as left behind, within seconds")
  void deprovisionUnreachable() {
    ProvisionSpec spec = ProvisionSpec.of("far", List.of("web"));
    long start = System.nanoTime();
    DeprovisionResult out;
    try (KubernetesClient nowhere =
        io.sightline.kubernetes.KubernetesClients.create(
            io.sightline.kubernetes.ClusterAccess.ofToken(
                kube.faults().refused().toString(),
                kube.caCertPem(),
                io.sightline.core.SecretValue.of(kube.adminToken())),
            io.sightline.kubernetes.EgressSocketFactory.of(
                io.sightline.kubernetes.EgressPolicy.defaults()),
            new io.sightline.kubernetes.KubernetesClients.Settings(
                Duration.ofSeconds(2), Duration.ofSeconds(2), 0, null, null))) {
      out = provisioner.deprovision(nowhere, spec);
    }

    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
    assertThat(out.complete()).isFalse();
    assertThat(out.deleted()).isEmpty();
    assertThat(out.leftBehind())
        .anyMatch(
            l ->
                l.startsWith(
                    "clusterrolebinding/sightline-far-cluster-admin: cluster not reachable"))
        .anyMatch(
            l -> l.startsWith("rolebinding/web/sightline-far-deployer: cluster not reachable"))
        .anyMatch(l -> l.startsWith("namespace/sightline-far: cluster not reachable"));
  }

  @Test
  @DisplayName(
      "deprovisioning removes the connection's objects, keeps target namespaces, and keeps sightline-deploy while another connection binds it")
  void deprovision() {
    provisioner.provision(admin, ProvisionSpec.of("other", List.of("keep-web")));
    ProvisionSpec spec = ProvisionSpec.of("gone", List.of("gone-web"));
    ProvisionResult result = provisioner.provision(admin, spec);

    DeprovisionResult out = provisioner.deprovision(admin, spec);

    assertThat(out.complete()).isTrue();
    assertThat(out.deleted())
        .contains(
            new ObjectRef("RoleBinding", "gone-web", "sightline-gone-deployer"),
            new ObjectRef("Secret", "sightline-gone", MINTER_TOKEN_SECRET),
            new ObjectRef("Namespace", null, "sightline-gone"));
    assertThat(out.warnings()).anyMatch(w -> w.contains("sightline-deploy") && w.contains("other"));
    assertThat(admin.namespaces().withName("sightline-gone").get()).isNull();
    assertThat(admin.namespaces().withName("gone-web").get()).isNotNull();
    assertThat(admin.rbac().clusterRoles().withName("sightline-deploy").get()).isNotNull();
    assertThat(Whoami.of(admin, result.minterToken())).isNull();
  }

  @Test
  @DisplayName("deprovisioning with too few rights lists what it left behind")
  void deprovisionListsLeftovers() {
    ProvisionSpec spec = ProvisionSpec.of("stuck", List.of("api"));
    provisioner.provision(admin, spec);
    String token = "limited-admin-token-deprovision";
    kube.addStaticToken(token, "no-rolebinding-delete");
    grant(
        "no-rolebinding-delete",
        List.of(
            rule("", List.of("namespaces", "serviceaccounts", "secrets"), List.of("*")),
            rule(
                "rbac.authorization.k8s.io",
                List.of("roles", "clusterroles", "clusterrolebindings"),
                List.of("*")),
            rule("rbac.authorization.k8s.io", List.of("rolebindings"), List.of("get", "list"))));

    DeprovisionResult out;
    try (KubernetesClient limited = TestClusters.client(kube, token)) {
      out = provisioner.deprovision(limited, spec);
    }

    assertThat(out.complete()).isFalse();
    assertThat(out.leftBehind())
        .anyMatch(l -> l.startsWith("rolebinding/api/sightline-stuck-deployer: forbidden (403)"));
    assertThat(
            admin
                .rbac()
                .roleBindings()
                .inNamespace("api")
                .withName("sightline-stuck-deployer")
                .get())
        .isNotNull();
  }

  static PolicyRule rule(String group, List<String> resources, List<String> verbs) {
    return new PolicyRuleBuilder()
        .withApiGroups(group)
        .withResources(resources)
        .withVerbs(verbs)
        .build();
  }

  static void grant(String user, List<PolicyRule> rules) {
    admin
        .rbac()
        .clusterRoles()
        .resource(
            new ClusterRoleBuilder()
                .withNewMetadata()
                .withName(user)
                .endMetadata()
                .withRules(rules)
                .build())
        .create();
    admin
        .rbac()
        .clusterRoleBindings()
        .resource(
            new ClusterRoleBindingBuilder()
                .withNewMetadata()
                .withName(user)
                .endMetadata()
                .withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", user)
                .addNewSubject()
                .withKind("User")
                .withApiGroup("rbac.authorization.k8s.io")
                .withName(user)
                .endSubject()
                .build())
        .create();
  }
}
