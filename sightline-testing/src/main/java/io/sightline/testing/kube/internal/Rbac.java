package io.sightline.testing.kube.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * RBAC evaluated from the Role, ClusterRole, RoleBinding and ClusterRoleBinding objects in the
 * store on every request (no caching, so a changed binding applies at once). {@code system:masters}
 * bypasses it, as in kube-apiserver.
 */
public final class Rbac {

  private static final String GROUP = "rbac.authorization.k8s.io";

  private final Store store;
  private final ResourceType roles;
  private final ResourceType clusterRoles;
  private final ResourceType roleBindings;
  private final ResourceType clusterRoleBindings;

  public Rbac(Store store, Registry registry) {
    this.store = store;
    this.roles = registry.byKind(GROUP, "Role");
    this.clusterRoles = registry.byKind(GROUP, "ClusterRole");
    this.roleBindings = registry.byKind(GROUP, "RoleBinding");
    this.clusterRoleBindings = registry.byKind(GROUP, "ClusterRoleBinding");
  }

  public boolean allowed(UserInfo user, Attributes a) {
    if (user.inGroup(UserInfo.MASTERS)) {
      return true;
    }
    for (ObjectNode b : store.list(clusterRoleBindings, null)) {
      if (bindingApplies(b, user, null) && roleAllows(b, null, a)) {
        return true;
      }
    }
    if (a.resourceRequest() && !a.namespace().isEmpty()) {
      for (ObjectNode b : store.list(roleBindings, a.namespace())) {
        if (bindingApplies(b, user, a.namespace()) && roleAllows(b, a.namespace(), a)) {
          return true;
        }
      }
    }
    return false;
  }

  /** Every rule that applies to {@code user} in {@code namespace} (SelfSubjectRulesReview). */
  public java.util.List<JsonNode> rulesFor(UserInfo user, String namespace) {
    java.util.List<JsonNode> rules = new java.util.ArrayList<>();
    for (ObjectNode b : store.list(clusterRoleBindings, null)) {
      if (bindingApplies(b, user, null)) {
        addRules(b, null, rules);
      }
    }
    if (!namespace.isEmpty()) {
      for (ObjectNode b : store.list(roleBindings, namespace)) {
        if (bindingApplies(b, user, namespace)) {
          addRules(b, namespace, rules);
        }
      }
    }
    return rules;
  }

  private void addRules(ObjectNode binding, String bindingNs, java.util.List<JsonNode> out) {
    JsonNode ref = binding.path("roleRef");
    ObjectNode role =
        ref.path("kind").asText().equals("ClusterRole")
            ? store.get(clusterRoles, null, ref.path("name").asText())
            : bindingNs == null ? null : store.get(roles, bindingNs, ref.path("name").asText());
    if (role != null) {
      role.path("rules").forEach(out::add);
    }
  }

  private static boolean bindingApplies(ObjectNode binding, UserInfo user, String bindingNs) {
    for (JsonNode s : binding.path("subjects")) {
      String kind = s.path("kind").asText();
      String name = s.path("name").asText();
      switch (kind) {
        case "User" -> {
          if (name.equals(user.username())) {
            return true;
          }
        }
        case "Group" -> {
          if (user.inGroup(name)) {
            return true;
          }
        }
        case "ServiceAccount" -> {
          String ns = s.path("namespace").asText("");
          if (ns.isEmpty() && bindingNs != null) {
            ns = bindingNs;
          }
          if (user.username().equals("system:serviceaccount:" + ns + ":" + name)) {
            return true;
          }
        }
        default -> {}
      }
    }
    return false;
  }

  private boolean roleAllows(ObjectNode binding, String bindingNs, Attributes a) {
    JsonNode ref = binding.path("roleRef");
    String kind = ref.path("kind").asText();
    String name = ref.path("name").asText();
    ObjectNode role =
        kind.equals("ClusterRole")
            ? store.get(clusterRoles, null, name)
            : bindingNs == null ? null : store.get(roles, bindingNs, name);
    if (role == null) {
      return false;
    }
    for (JsonNode rule : role.path("rules")) {
      if (ruleAllows(rule, a)) {
        return true;
      }
    }
    return false;
  }

  static boolean ruleAllows(JsonNode rule, Attributes a) {
    if (!contains(rule.path("verbs"), a.verb())) {
      return false;
    }
    if (!a.resourceRequest()) {
      for (JsonNode u : rule.path("nonResourceURLs")) {
        String p = u.asText();
        if (p.equals("*")
            || p.equals(a.path())
            || (p.endsWith("*") && a.path().startsWith(p.substring(0, p.length() - 1)))) {
          return true;
        }
      }
      return false;
    }
    if (!contains(rule.path("apiGroups"), a.group())) {
      return false;
    }
    boolean resourceMatch = false;
    for (JsonNode r : rule.path("resources")) {
      String res = r.asText();
      if (res.equals("*")
          || res.equals(a.resourceWithSub())
          || (!a.subresource().isEmpty() && res.equals("*/" + a.subresource()))) {
        resourceMatch = true;
      }
    }
    if (!resourceMatch) {
      return false;
    }
    JsonNode names = rule.path("resourceNames");
    if (names.isArray() && !names.isEmpty()) {
      return !a.name().isEmpty() && contains(names, a.name());
    }
    return true;
  }

  private static boolean contains(JsonNode array, String value) {
    for (JsonNode v : array) {
      if (v.asText().equals("*") || v.asText().equals(value)) {
        return true;
      }
    }
    return false;
  }
}
