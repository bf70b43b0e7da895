package io.sightline.kubernetes.provision.internal;

import static io.sightline.kubernetes.provision.ProvisionNames.*;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import io.fabric8.kubernetes.api.model.rbac.SubjectBuilder;
import io.sightline.kubernetes.provision.ProvisionNames;
import io.sightline.kubernetes.provision.ProvisionSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds every object provisioning creates, from the spec alone (no cluster access). */
public final class Manifests {
  public static final String SERVICE_ACCOUNT_TOKEN_TYPE = "kubernetes.io/service-account-token";
  public static final String SERVICE_ACCOUNT_NAME_ANNOTATION = "kubernetes.io/service-account.name";

  static final List<String> FULL =
      List.of("get", "list", "watch", "create", "update", "patch", "delete");
  static final List<String> READ = List.of("get", "list", "watch");

  private Manifests() {}

  /** Every object, in creation order; target namespaces only when {@code createNamespace}. */
  public static List<HasMetadata> all(ProvisionSpec spec) {
    List<HasMetadata> objects = new ArrayList<>();
    objects.add(homeNamespace(spec));
    if (spec.createNamespace()) {
      spec.targetNamespaces().forEach(ns -> objects.add(targetNamespace(spec, ns)));
    }
    if (spec.deployerRole().isSightlineDeploy() && !spec.clusterAdmin()) {
      objects.add(deployClusterRole());
    }
    objects.add(minterServiceAccount(spec));
    spec.targetNamespaces().forEach(ns -> objects.add(deployerServiceAccount(spec, ns)));
    objects.add(minterRole(spec));
    objects.add(minterRoleBinding(spec));
    if (spec.clusterAdmin()) {
      objects.add(clusterAdminBinding(spec));
    } else {
      spec.targetNamespaces().forEach(ns -> objects.add(deployerRoleBinding(spec, ns)));
    }
    objects.add(minterTokenSecret(spec));
    return objects;
  }

  public static Map<String, String> labels(ProvisionSpec spec, String component) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(LABEL_MANAGED_BY, MANAGED_BY);
    labels.put(LABEL_CONNECTION, connectionLabel(spec.connection()));
    if (component != null) {
      labels.put(LABEL_COMPONENT, component);
    }
    return labels;
  }

  public static Namespace homeNamespace(ProvisionSpec spec) {
    return new NamespaceBuilder()
        .withNewMetadata()
        .withName(spec.homeNamespace())
        .withLabels(labels(spec, "home"))
        .endMetadata()
        .build();
  }

  public static Namespace targetNamespace(ProvisionSpec spec, String ns) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(LABEL_MANAGED_BY, MANAGED_BY);
    return new NamespaceBuilder()
        .withNewMetadata()
        .withName(ns)
        .withLabels(labels)
        .endMetadata()
        .build();
  }

  /** The rules of {@code sightline-deploy}: what kubectl apply, rollout status and helm need. */
  public static List<PolicyRule> deployRules() {
    return List.of(
        rule("apps", List.of("deployments", "statefulsets", "daemonsets"), FULL),
        rule("batch", List.of("jobs", "cronjobs"), FULL),
        rule("", List.of("services", "configmaps", "secrets"), FULL),
        rule("networking.k8s.io", List.of("ingresses", "networkpolicies"), FULL),
        rule("autoscaling", List.of("horizontalpodautoscalers"), FULL),
        rule("policy", List.of("poddisruptionbudgets"), FULL),
        rule("apps", List.of("replicasets"), READ),
        rule("", List.of("pods", "pods/log", "events"), READ),
        rule("events.k8s.io", List.of("events"), READ));
  }

  public static ClusterRole deployClusterRole() {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(LABEL_MANAGED_BY, MANAGED_BY);
    labels.put(LABEL_COMPONENT, "deployer-role");
    return new ClusterRoleBuilder()
        .withNewMetadata()
        .withName(DEPLOY_CLUSTER_ROLE)
        .withLabels(labels)
        .addToAnnotations(
            "sightline.io/description",
            "What a Sightline task may do in its target namespace: apply workloads and watch"
                + " their rollout. No RBAC, no serviceaccounts/token, no impersonate.")
        .endMetadata()
        .withRules(deployRules())
        .build();
  }

  public static ServiceAccount minterServiceAccount(ProvisionSpec spec) {
    return new ServiceAccountBuilder()
        .withNewMetadata()
        .withName(MINTER_SERVICE_ACCOUNT)
        .withNamespace(spec.homeNamespace())
        .withLabels(labels(spec, "minter"))
        .endMetadata()
        .withAutomountServiceAccountToken(false)
        .build();
  }

  public static ServiceAccount deployerServiceAccount(ProvisionSpec spec, String targetNamespace) {
    Map<String, String> labels = labels(spec, "deployer");
    labels.put(LABEL_TARGET_NAMESPACE, targetNamespace);
    return new ServiceAccountBuilder()
        .withNewMetadata()
        .withName(ProvisionNames.deployer(targetNamespace))
        .withNamespace(spec.homeNamespace())
        .withLabels(labels)
        .endMetadata()
        .withAutomountServiceAccountToken(false)
        .build();
  }

  /** The minter's rules: short-lived tokens for its deployers, lease Secrets; nothing else. */
  public static List<PolicyRule> minterRules(ProvisionSpec spec) {
    List<String> deployers =
        spec.targetNamespaces().stream().map(ProvisionNames::deployer).toList();
    return List.of(
        new PolicyRuleBuilder()
            .withApiGroups("")
            .withResources("serviceaccounts/token")
            .withResourceNames(deployers)
            .withVerbs("create")
            .build(),
        rule("", List.of("secrets"), List.of("create", "delete")));
  }

  public static Role minterRole(ProvisionSpec spec) {
    return new RoleBuilder()
        .withNewMetadata()
        .withName(MINTER_ROLE)
        .withNamespace(spec.homeNamespace())
        .withLabels(labels(spec, "minter"))
        .endMetadata()
        .withRules(minterRules(spec))
        .build();
  }

  public static RoleBinding minterRoleBinding(ProvisionSpec spec) {
    return new RoleBindingBuilder()
        .withNewMetadata()
        .withName(MINTER_ROLE_BINDING)
        .withNamespace(spec.homeNamespace())
        .withLabels(labels(spec, "minter"))
        .endMetadata()
        .withNewRoleRef("rbac.authorization.k8s.io", "Role", MINTER_ROLE)
        .withSubjects(serviceAccount(spec.homeNamespace(), MINTER_SERVICE_ACCOUNT))
        .build();
  }

  public static RoleBinding deployerRoleBinding(ProvisionSpec spec, String targetNamespace) {
    Map<String, String> labels = labels(spec, "deployer");
    labels.put(LABEL_TARGET_NAMESPACE, targetNamespace);
    return new RoleBindingBuilder()
        .withNewMetadata()
        .withName(ProvisionNames.deployerRoleBinding(spec.connection()))
        .withNamespace(targetNamespace)
        .withLabels(labels)
        .endMetadata()
        .withNewRoleRef(
            "rbac.authorization.k8s.io", "ClusterRole", spec.deployerRole().clusterRole())
        .withSubjects(
            serviceAccount(spec.homeNamespace(), ProvisionNames.deployer(targetNamespace)))
        .build();
  }

  public static ClusterRoleBinding clusterAdminBinding(ProvisionSpec spec) {
    Map<String, String> labels = labels(spec, "deployer");
    labels.put(LABEL_ALL_POWERFUL, "true");
    return new ClusterRoleBindingBuilder()
        .withNewMetadata()
        .withName(ProvisionNames.clusterAdminBinding(spec.connection()))
        .withLabels(labels)
        .addToAnnotations(
            "sightline.io/warning",
            "clusterAdmin: every task of connection "
                + spec.connection()
                + " is all-powerful in this cluster")
        .endMetadata()
        .withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", "cluster-admin")
        .withSubjects(
            spec.targetNamespaces().stream()
                .map(ns -> serviceAccount(spec.homeNamespace(), ProvisionNames.deployer(ns)))
                .toList())
        .build();
  }

  public static Secret minterTokenSecret(ProvisionSpec spec) {
    return new SecretBuilder()
        .withNewMetadata()
        .withName(MINTER_TOKEN_SECRET)
        .withNamespace(spec.homeNamespace())
        .withLabels(labels(spec, "minter"))
        .addToAnnotations(SERVICE_ACCOUNT_NAME_ANNOTATION, MINTER_SERVICE_ACCOUNT)
        .endMetadata()
        .withType(SERVICE_ACCOUNT_TOKEN_TYPE)
        .build();
  }

  static Subject serviceAccount(String namespace, String name) {
    return new SubjectBuilder()
        .withKind("ServiceAccount")
        .withName(name)
        .withNamespace(namespace)
        .build();
  }

  static PolicyRule rule(String group, List<String> resources, List<String> verbs) {
    return new PolicyRuleBuilder()
        .withApiGroups(group)
        .withResources(resources)
        .withVerbs(verbs)
        .build();
  }
}
