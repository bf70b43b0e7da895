package io.sightline.testing.kube.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The resources the emulator serves for one Kubernetes minor version, and their discovery. */
public final class Registry {

  private final Map<String, ResourceType> byGvr = new LinkedHashMap<>();
  private final Map<String, List<String>> versionsByGroup = new LinkedHashMap<>();

  public Registry(int minor) {
    List<String> crud = ResourceType.CRUD;
    List<String> create = ResourceType.CREATE_ONLY;
    add("", "v1", "Namespace", "namespaces", List.of("ns"), false, crud, true);
    add("", "v1", "ServiceAccount", "serviceaccounts", List.of("sa"), true, crud, true);
    add("", "v1", "Secret", "secrets", List.of(), true, crud, true);
    add("", "v1", "ConfigMap", "configmaps", List.of("cm"), true, crud, true);
    add("", "v1", "Pod", "pods", List.of("po"), true, crud, true);
    add("", "v1", "Service", "services", List.of("svc"), true, crud, true);
    add("apps", "v1", "Deployment", "deployments", List.of("deploy"), true, crud, true);
    String rbac = "rbac.authorization.k8s.io";
    add(rbac, "v1", "Role", "roles", List.of(), true, crud, true);
    add(rbac, "v1", "ClusterRole", "clusterroles", List.of(), false, crud, true);
    add(rbac, "v1", "RoleBinding", "rolebindings", List.of(), true, crud, true);
    add(rbac, "v1", "ClusterRoleBinding", "clusterrolebindings", List.of(), false, crud, true);
    String authn = "authentication.k8s.io";
    add(authn, "v1", "TokenReview", "tokenreviews", List.of(), false, create, false);
    if (minor >= 28) {
      add(authn, "v1", "SelfSubjectReview", "selfsubjectreviews", List.of(), false, create, false);
    }
    if (minor >= 27) {
      add(
          authn,
          "v1beta1",
          "SelfSubjectReview",
          "selfsubjectreviews",
          List.of(),
          false,
          create,
          false);
    }
    String authz = "authorization.k8s.io";
    add(
        authz,
        "v1",
        "SubjectAccessReview",
        "subjectaccessreviews",
        List.of(),
        false,
        create,
        false);
    add(
        authz,
        "v1",
        "SelfSubjectAccessReview",
        "selfsubjectaccessreviews",
        List.of(),
        false,
        create,
        false);
    add(
        authz,
        "v1",
        "SelfSubjectRulesReview",
        "selfsubjectrulesreviews",
        List.of(),
        false,
        create,
        false);
    add(
        authz,
        "v1",
        "LocalSubjectAccessReview",
        "localsubjectaccessreviews",
        List.of(),
        true,
        create,
        false);
  }

  private void add(
      String group,
      String version,
      String kind,
      String plural,
      List<String> shortNames,
      boolean namespaced,
      List<String> verbs,
      boolean stored) {
    ResourceType t =
        new ResourceType(
            group,
            version,
            kind,
            plural,
            kind.toLowerCase(java.util.Locale.ROOT),
            namespaced,
            shortNames,
            verbs,
            stored);
    byGvr.put(group + "/" + version + "/" + plural, t);
    versionsByGroup.computeIfAbsent(group, g -> new ArrayList<>());
    if (!versionsByGroup.get(group).contains(version)) {
      versionsByGroup.get(group).add(version);
    }
  }

  /** The resource served at {@code group/version/plural}, or null. */
  public ResourceType find(String group, String version, String plural) {
    return byGvr.get(group + "/" + version + "/" + plural);
  }

  /** The stored resource type of a kind in a group (its preferred version), or null. */
  public ResourceType byKind(String group, String kind) {
    for (ResourceType t : byGvr.values()) {
      if (t.group().equals(group) && t.kind().equals(kind)) {
        return t;
      }
    }
    return null;
  }

  public boolean servesGroupVersion(String group, String version) {
    List<String> v = versionsByGroup.get(group);
    return v != null && v.contains(version);
  }

  /** {@code /api}. */
  public ObjectNode coreVersions(String serverAddress) {
    ObjectNode o = Json.object();
    o.put("kind", "APIVersions");
    o.putArray("versions").add("v1");
    ObjectNode cidr = o.putArray("serverAddressByClientCIDRs").addObject();
    cidr.put("clientCIDR", "0.0.0.0/0");
    cidr.put("serverAddress", serverAddress);
    return o;
  }

  /** {@code /apis}. */
  public ObjectNode groupList() {
    ObjectNode o = Json.object();
    o.put("kind", "APIGroupList");
    o.put("apiVersion", "v1");
    ArrayNode groups = o.putArray("groups");
    versionsByGroup.forEach(
        (group, versions) -> {
          if (!group.isEmpty()) {
            groups.add(group(group));
          }
        });
    return o;
  }

  /** {@code /apis/{group}}, or null if not served. */
  public ObjectNode group(String group) {
    List<String> versions = versionsByGroup.get(group);
    if (versions == null || group.isEmpty()) {
      return null;
    }
    ObjectNode g = Json.object();
    g.put("kind", "APIGroup");
    g.put("apiVersion", "v1");
    g.put("name", group);
    ArrayNode vs = g.putArray("versions");
    for (String v : versions) {
      ObjectNode gv = vs.addObject();
      gv.put("groupVersion", group + "/" + v);
      gv.put("version", v);
    }
    ObjectNode pref = g.putObject("preferredVersion");
    pref.put("groupVersion", group + "/" + versions.get(0));
    pref.put("version", versions.get(0));
    return g;
  }

  /** {@code /api/v1} or {@code /apis/{group}/{version}}, or null if not served. */
  public ObjectNode resourceList(String group, String version) {
    if (!servesGroupVersion(group, version)) {
      return null;
    }
    ObjectNode o = Json.object();
    o.put("kind", "APIResourceList");
    o.put("apiVersion", "v1");
    o.put("groupVersion", group.isEmpty() ? version : group + "/" + version);
    ArrayNode resources = o.putArray("resources");
    for (ResourceType t : byGvr.values()) {
      if (!t.group().equals(group) || !t.version().equals(version)) {
        continue;
      }
      ObjectNode r = resources.addObject();
      r.put("name", t.plural());
      r.put("singularName", t.singular());
      r.put("namespaced", t.namespaced());
      r.put("kind", t.kind());
      ArrayNode verbs = r.putArray("verbs");
      t.verbs().forEach(verbs::add);
      if (List.of("pods", "services", "deployments").contains(t.plural())) {
        r.putArray("categories").add("all");
      }
      if (!t.shortNames().isEmpty()) {
        ArrayNode sn = r.putArray("shortNames");
        t.shortNames().forEach(sn::add);
      }
      if (t.plural().equals("serviceaccounts")) {
        ObjectNode token = resources.addObject();
        token.put("name", "serviceaccounts/token");
        token.put("singularName", "");
        token.put("namespaced", true);
        token.put("group", "authentication.k8s.io");
        token.put("version", "v1");
        token.put("kind", "TokenRequest");
        token.putArray("verbs").add("create");
      }
    }
    return o;
  }
}
