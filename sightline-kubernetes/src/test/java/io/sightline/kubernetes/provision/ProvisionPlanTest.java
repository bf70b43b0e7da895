package io.sightline.kubernetes.provision;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ProvisionPlanTest {
  final Provisioner provisioner = new Provisioner();

  @Test
  @DisplayName("the plan lists every object in creation order, named from the connection")
  void planOrder() {
    ProvisionPlan plan = provisioner.plan(ProvisionSpec.of("prod", List.of("web", "api")));

    assertThat(plan.refs().stream().map(ObjectRef::toString))
        .containsExactly(
            "namespace/sightline-prod",
            "clusterrole/sightline-deploy",
            "serviceaccount/sightline-prod/sightline-minter",
            "serviceaccount/sightline-prod/deployer-api",
            "serviceaccount/sightline-prod/deployer-web",
            "role/sightline-prod/sightline-minter",
            "rolebinding/sightline-prod/sightline-minter",
            "rolebinding/api/sightline-prod-deployer",
            "rolebinding/web/sightline-prod-deployer",
            "secret/sightline-prod/sightline-minter-token");
  }

  @Test
  @DisplayName(
      "sightline-deploy grants workloads and rollout reads, never tokens, impersonation or RBAC")
  void deployRoleIsNarrow() {
    ClusterRole role =
        (ClusterRole)
            find(provisioner.plan(ProvisionSpec.of("prod", List.of("web"))), "ClusterRole");
    List<PolicyRule> rules = role.getRules();

    assertThat(rules)
        .flatExtracting(PolicyRule::getResources)
        .contains(
            "deployments",
            "statefulsets",
            "daemonsets",
            "jobs",
            "cronjobs",
            "services",
            "configmaps",
            "secrets",
            "ingresses",
            "horizontalpodautoscalers",
            "poddisruptionbudgets",
            "networkpolicies",
            "replicasets",
            "pods",
            "pods/log",
            "events")
        .doesNotContain("serviceaccounts", "serviceaccounts/token", "*")
        .noneMatch(r -> r.contains("role"));
    assertThat(rules)
        .flatExtracting(PolicyRule::getApiGroups)
        .doesNotContain("rbac.authorization.k8s.io", "*");
    assertThat(rules)
        .flatExtracting(PolicyRule::getVerbs)
        .doesNotContain("impersonate", "escalate", "bind", "*");
    assertThat(rules)
        .filteredOn(
            r -> r.getResources().contains("pods") || r.getResources().contains("replicasets"))
        .allSatisfy(r -> assertThat(r.getVerbs()).containsExactly("get", "list", "watch"));
  }

  @Test
  @DisplayName(
      "the minter may create tokens only for its deployers and create/delete Secrets, and never read them")
  void minterRoleIsNarrow() {
    Role role =
        (Role) find(provisioner.plan(ProvisionSpec.of("prod", List.of("web", "api"))), "Role");

    assertThat(role.getMetadata().getNamespace()).isEqualTo("sightline-prod");
    assertThat(role.getRules()).hasSize(2);
    PolicyRule tokens = role.getRules().get(0);
    assertThat(tokens.getResources()).containsExactly("serviceaccounts/token");
    assertThat(tokens.getResourceNames()).containsExactly("deployer-api", "deployer-web");
    assertThat(tokens.getVerbs()).containsExactly("create");
    PolicyRule secrets = role.getRules().get(1);
    assertThat(secrets.getResources()).containsExactly("secrets");
    assertThat(secrets.getVerbs()).containsExactly("create", "delete");
  }

  @Test
  @DisplayName(
      "clusterAdmin replaces the per-namespace RoleBindings with one ClusterRoleBinding labelled all-powerful")
  void clusterAdminPlan() {
    ProvisionPlan plan =
        provisioner.plan(ProvisionSpec.of("prod", List.of("web")).withClusterAdmin(true));

    ClusterRoleBinding crb = (ClusterRoleBinding) find(plan, "ClusterRoleBinding");
    assertThat(crb.getRoleRef().getName()).isEqualTo("cluster-admin");
    assertThat(crb.getMetadata().getLabels()).containsEntry("sightline.io/all-powerful", "true");
    assertThat(plan.refs())
        .noneMatch(r -> r.kind().equals("RoleBinding") && r.namespace().equals("web"));
    assertThat(plan.refs()).noneMatch(r -> r.kind().equals("ClusterRole"));
  }

  @Test
  @DisplayName("another deployer role binds that ClusterRole and does not create sightline-deploy")
  void namedRole() {
    ProvisionPlan plan =
        provisioner.plan(
            ProvisionSpec.of("prod", List.of("web")).withDeployerRole(DeployerRole.EDIT));

    assertThat(plan.toYaml())
        .contains("name: \"edit\"")
        .doesNotContain("name: \"sightline-deploy\"");
  }

  @Test
  @DisplayName(
      "the YAML is a multi-document stream kubectl can apply, and the token Secret carries no token")
  void yamlAndJson() {
    ProvisionPlan plan = provisioner.plan(ProvisionSpec.of("prod", List.of("web")));
    String yaml = plan.toYaml();

    assertThat(yaml.split("(?m)^---$")).hasSize(plan.objects().size() + 1);
    assertThat(yaml)
        .contains("kind: \"Namespace\"")
        .contains("kubernetes.io/service-account.name: \"sightline-minter\"")
        .contains("type: \"kubernetes.io/service-account-token\"")
        .contains("app.kubernetes.io/managed-by: \"sightline\"");
    Secret secret = (Secret) find(plan, "Secret");
    assertThat(secret.getData()).isNullOrEmpty();
    assertThat(plan.toJson()).startsWith("{").contains("\"kind\":\"List\"");
  }

  private static HasMetadata find(ProvisionPlan plan, String kind) {
    return plan.objects().stream().filter(o -> o.getKind().equals(kind)).findFirst().orElseThrow();
  }
}
