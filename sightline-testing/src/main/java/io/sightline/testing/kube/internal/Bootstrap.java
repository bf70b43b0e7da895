package io.sightline.testing.kube.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/** What a fresh cluster holds: system namespaces, default ServiceAccounts, bootstrap RBAC. */
final class Bootstrap {

  private static final String RBAC = "rbac.authorization.k8s.io";
  private static final List<String> READ = List.of("get", "list", "watch");
  private static final List<String> WRITE =
      List.of("create", "delete", "deletecollection", "patch", "update");
  private static final List<String> CORE_READ =
      List.of(
          "configmaps",
          "endpoints",
          "persistentvolumeclaims",
          "persistentvolumeclaims/status",
          "pods",
          "replicationcontrollers",
          "replicationcontrollers/scale",
          "serviceaccounts",
          "services",
          "services/status",
          "bindings",
          "events",
          "limitranges",
          "namespaces/status",
          "pods/log",
          "pods/status",
          "replicationcontrollers/status",
          "resourcequotas",
          "resourcequotas/status",
          "namespaces");
  private static final List<String> APPS =
      List.of(
          "controllerrevisions",
          "daemonsets",
          "daemonsets/status",
          "deployments",
          "deployments/scale",
          "deployments/status",
          "replicasets",
          "replicasets/scale",
          "replicasets/status",
          "statefulsets",
          "statefulsets/scale",
          "statefulsets/status");
  private static final List<String> CORE_WRITE =
      List.of(
          "pods",
          "pods/attach",
          "pods/exec",
          "pods/portforward",
          "pods/proxy",
          "pods/eviction",
          "configmaps",
          "endpoints",
          "persistentvolumeclaims",
          "replicationcontrollers",
          "replicationcontrollers/scale",
          "secrets",
          "serviceaccounts",
          "services",
          "services/proxy");

  private Bootstrap() {}

  static void populate(Cluster c) {
    ResourceType ns = c.type("", "Namespace");
    ResourceType sa = c.type("", "ServiceAccount");
    for (String n : List.of("default", "kube-system", "kube-public", "kube-node-lease")) {
      ObjectNode o = Json.object();
      o.putObject("metadata").put("name", n);
      c.prepare(ns, o, null);
      c.store.create(ns, o);
      ObjectNode s = Json.object();
      s.putObject("metadata").put("name", "default").put("namespace", n);
      c.prepare(sa, s, null);
      c.store.create(sa, s);
    }

    ObjectNode clusterAdmin = clusterRole(c, "cluster-admin");
    rule(clusterAdmin, List.of("*"), List.of("*"), List.of("*"));
    nonResource(clusterAdmin, List.of("*"), List.of("*"));
    save(c, clusterAdmin);

    ObjectNode view = clusterRole(c, "view");
    addView(view);
    save(c, view);

    ObjectNode edit = clusterRole(c, "edit");
    addEdit(edit);
    addView(edit);
    save(c, edit);

    ObjectNode admin = clusterRole(c, "admin");
    rule(admin, List.of(RBAC), List.of("rolebindings", "roles"), concat(READ, WRITE));
    rule(
        admin,
        List.of("authorization.k8s.io"),
        List.of("localsubjectaccessreviews"),
        List.of("create"));
    addEdit(admin);
    addView(admin);
    save(c, admin);

    ObjectNode basic = clusterRole(c, "system:basic-user");
    rule(
        basic,
        List.of("authorization.k8s.io"),
        List.of("selfsubjectaccessreviews", "selfsubjectrulesreviews"),
        List.of("create"));
    rule(basic, List.of("authentication.k8s.io"), List.of("selfsubjectreviews"), List.of("create"));
    save(c, basic);

    ObjectNode discovery = clusterRole(c, "system:discovery");
    nonResource(
        discovery,
        List.of(
            "/api",
            "/api/*",
            "/apis",
            "/apis/*",
            "/healthz",
            "/livez",
            "/openapi",
            "/openapi/*",
            "/readyz",
            "/version",
            "/version/"),
        List.of("get"));
    save(c, discovery);

    ObjectNode publicInfo = clusterRole(c, "system:public-info-viewer");
    nonResource(
        publicInfo,
        List.of("/healthz", "/livez", "/readyz", "/version", "/version/"),
        List.of("get"));
    save(c, publicInfo);

    ObjectNode delegator = clusterRole(c, "system:auth-delegator");
    rule(delegator, List.of("authentication.k8s.io"), List.of("tokenreviews"), List.of("create"));
    rule(
        delegator,
        List.of("authorization.k8s.io"),
        List.of("subjectaccessreviews"),
        List.of("create"));
    save(c, delegator);

    bind(c, "cluster-admin", "cluster-admin", "system:masters");
    bind(c, "system:basic-user", "system:basic-user", "system:authenticated");
    bind(c, "system:discovery", "system:discovery", "system:authenticated");
    bind(
        c,
        "system:public-info-viewer",
        "system:public-info-viewer",
        "system:authenticated",
        "system:unauthenticated");
  }

  private static void addView(ObjectNode role) {
    rule(role, List.of(""), CORE_READ, READ);
    rule(role, List.of("apps"), APPS, READ);
    rule(
        role,
        List.of("autoscaling"),
        List.of("horizontalpodautoscalers", "horizontalpodautoscalers/status"),
        READ);
    rule(
        role,
        List.of("batch"),
        List.of("cronjobs", "cronjobs/status", "jobs", "jobs/status"),
        READ);
    rule(
        role,
        List.of("networking.k8s.io"),
        List.of("ingresses", "ingresses/status", "networkpolicies"),
        READ);
    rule(
        role,
        List.of("policy"),
        List.of("poddisruptionbudgets", "poddisruptionbudgets/status"),
        READ);
    rule(role, List.of("discovery.k8s.io"), List.of("endpointslices"), READ);
  }

  private static void addEdit(ObjectNode role) {
    rule(role, List.of(""), CORE_WRITE, WRITE);
    rule(role, List.of(""), List.of("secrets"), READ);
    rule(role, List.of(""), List.of("serviceaccounts"), List.of("impersonate"));
    rule(role, List.of(""), List.of("serviceaccounts/token"), List.of("create"));
    rule(
        role,
        List.of("apps"),
        List.of(
            "daemonsets",
            "deployments",
            "deployments/rollback",
            "deployments/scale",
            "replicasets",
            "replicasets/scale",
            "statefulsets",
            "statefulsets/scale"),
        WRITE);
    rule(role, List.of("autoscaling"), List.of("horizontalpodautoscalers"), WRITE);
    rule(role, List.of("batch"), List.of("cronjobs", "jobs"), WRITE);
    rule(role, List.of("networking.k8s.io"), List.of("ingresses", "networkpolicies"), WRITE);
    rule(role, List.of("policy"), List.of("poddisruptionbudgets"), WRITE);
  }

  private static List<String> concat(List<String> a, List<String> b) {
    return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
  }

  private static ObjectNode clusterRole(Cluster c, String name) {
    ObjectNode o = Json.object();
    ObjectNode meta = o.putObject("metadata");
    meta.put("name", name);
    meta.putObject("labels").put("kubernetes.io/bootstrapping", "rbac-defaults");
    o.putArray("rules");
    return o;
  }

  private static void rule(
      ObjectNode role, List<String> groups, List<String> resources, List<String> verbs) {
    ObjectNode r = ((ArrayNode) role.get("rules")).addObject();
    groups.forEach(r.putArray("apiGroups")::add);
    resources.forEach(r.putArray("resources")::add);
    verbs.forEach(r.putArray("verbs")::add);
  }

  private static void nonResource(ObjectNode role, List<String> urls, List<String> verbs) {
    ObjectNode r = ((ArrayNode) role.get("rules")).addObject();
    urls.forEach(r.putArray("nonResourceURLs")::add);
    verbs.forEach(r.putArray("verbs")::add);
  }

  private static void save(Cluster c, ObjectNode role) {
    ResourceType t = c.type(RBAC, "ClusterRole");
    c.prepare(t, role, null);
    c.store.create(t, role);
  }

  private static void bind(Cluster c, String name, String role, String... groups) {
    ResourceType t = c.type(RBAC, "ClusterRoleBinding");
    ObjectNode b = Json.object();
    ObjectNode meta = b.putObject("metadata");
    meta.put("name", name);
    meta.putObject("labels").put("kubernetes.io/bootstrapping", "rbac-defaults");
    ObjectNode ref = b.putObject("roleRef");
    ref.put("apiGroup", RBAC);
    ref.put("kind", "ClusterRole");
    ref.put("name", role);
    ArrayNode subjects = b.putArray("subjects");
    for (String g : groups) {
      ObjectNode s = subjects.addObject();
      s.put("apiGroup", RBAC);
      s.put("kind", "Group");
      s.put("name", g);
    }
    c.prepare(t, b, null);
    c.store.create(t, b);
  }
}
