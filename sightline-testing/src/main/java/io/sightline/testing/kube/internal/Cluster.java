package io.sightline.testing.kube.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sightline.testing.kube.OidcConfig;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The emulated cluster's state and controllers: store, registry, token signer, authenticator, RBAC,
 * the token controller and (in 1.23 mode) the service-account token-secret controller.
 */
public final class Cluster implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Cluster.class);
  private static final String SA_TOKEN_TYPE = "kubernetes.io/service-account-token";
  private static final String SA_NAME_ANNOTATION = "kubernetes.io/service-account.name";
  private static final String SA_UID_ANNOTATION = "kubernetes.io/service-account.uid";
  private static final String NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789";
  private static final SecureRandom RANDOM = new SecureRandom();

  public final int minor;
  public final String gitVersion;
  public final Store store = new Store();
  public final Registry registry;
  public final Tokens tokens;
  public final Authenticator authenticator;
  public final Rbac rbac;
  private final String caPem;
  private final boolean tokenController;
  private final Duration tokenControllerDelay;
  private final ScheduledExecutorService controllers;

  public Cluster(
      int minor,
      String gitVersion,
      String caPem,
      boolean tokenController,
      Duration tokenControllerDelay,
      OidcConfig oidc,
      Duration authCacheTtl) {
    this.minor = minor;
    this.gitVersion = gitVersion;
    this.caPem = caPem;
    this.registry = new Registry(minor);
    this.tokens = new Tokens("https://kubernetes.default.svc.cluster.local");
    this.authenticator = new Authenticator(store, registry, tokens, minor, oidc, authCacheTtl);
    this.rbac = new Rbac(store, registry);
    this.tokenController = tokenController;
    this.tokenControllerDelay = tokenControllerDelay;
    this.controllers =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "fake-kube-controllers");
              t.setDaemon(true);
              return t;
            });
    store.addListener(this::react);
    Bootstrap.populate(this);
  }

  public ResourceType type(String group, String kind) {
    return registry.byKind(group, kind);
  }

  public String caPem() {
    return caPem;
  }

  /** A name for {@code generateName}: the prefix and five random characters. */
  public static String generateName(String prefix) {
    StringBuilder sb = new StringBuilder(prefix);
    for (int i = 0; i < 5; i++) {
      sb.append(NAME_CHARS.charAt(RANDOM.nextInt(NAME_CHARS.length())));
    }
    return sb.toString();
  }

  /** Defaults and conversions kube-apiserver applies before storing an object. */
  public void prepare(ResourceType t, ObjectNode obj, ObjectNode old) {
    ObjectNode ordered = Json.object();
    ordered.put("apiVersion", t.apiVersion());
    ordered.put("kind", t.kind());
    obj.remove("apiVersion");
    obj.remove("kind");
    ordered.setAll(obj);
    obj.removeAll();
    obj.setAll(ordered);
    ObjectNode meta = Json.with(obj, "metadata");
    switch (t.kind()) {
      case "Namespace" -> {
        Json.with(meta, "labels").put("kubernetes.io/metadata.name", meta.path("name").asText());
        if (!obj.path("spec").has("finalizers")) {
          Json.with(obj, "spec").putArray("finalizers").add("kubernetes");
        }
        Json.with(obj, "status").put("phase", "Active");
      }
      case "Secret" -> {
        JsonNode stringData = obj.remove("stringData");
        if (stringData != null && stringData.isObject()) {
          ObjectNode data = Json.with(obj, "data");
          stringData
              .properties()
              .forEach(
                  e ->
                      data.put(
                          e.getKey(),
                          Base64.getEncoder()
                              .encodeToString(
                                  e.getValue().asText().getBytes(StandardCharsets.UTF_8))));
        }
        if (obj.path("type").asText("").isEmpty()) {
          obj.put("type", old == null ? "Opaque" : old.path("type").asText("Opaque"));
        }
        if (old != null && !old.path("type").asText().equals(obj.path("type").asText())) {
          throw ApiException.invalid(
              "",
              "Secret",
              meta.path("name").asText(),
              "type",
              "Invalid value: \"" + obj.path("type").asText() + "\": field is immutable");
        }
        if (SA_TOKEN_TYPE.equals(obj.path("type").asText())
            && meta.path("annotations").path(SA_NAME_ANNOTATION).asText("").isEmpty()) {
          throw ApiException.invalid(
              "",
              "Secret",
              meta.path("name").asText(),
              "metadata.annotations[" + SA_NAME_ANNOTATION + "]",
              "Required value");
        }
      }
      case "Service" -> {
        ObjectNode spec = Json.with(obj, "spec");
        if (!spec.hasNonNull("type")) {
          spec.put("type", "ClusterIP");
        }
        if (!spec.hasNonNull("clusterIP")) {
          String ip =
              old != null && old.path("spec").has("clusterIP")
                  ? old.path("spec").path("clusterIP").asText()
                  : "10.96." + RANDOM.nextInt(256) + "." + (1 + RANDOM.nextInt(254));
          spec.put("clusterIP", ip);
          spec.putArray("clusterIPs").add(ip);
        }
        spec.put("sessionAffinity", spec.path("sessionAffinity").asText("None"));
        for (JsonNode p : spec.path("ports")) {
          ObjectNode port = (ObjectNode) p;
          port.put("protocol", port.path("protocol").asText("TCP"));
          if (!port.has("targetPort")) {
            port.set("targetPort", port.get("port"));
          }
        }
      }
      case "Deployment" -> {
        ObjectNode spec = Json.with(obj, "spec");
        if (!spec.has("replicas")) {
          spec.put("replicas", 1);
        }
        long generation = old == null ? 1 : old.path("metadata").path("generation").asLong(1);
        if (old != null && !old.path("spec").equals(spec)) {
          generation++;
        }
        meta.put("generation", generation);
        if (!obj.has("status")) {
          obj.putObject("status");
        }
      }
      case "Pod" -> {
        if (!obj.path("status").has("phase")) {
          Json.with(obj, "status").put("phase", "Pending");
        }
      }
      default -> {}
    }
  }

  private void react(Store.Event e) {
    ResourceType t = e.resource();
    ObjectNode o = e.object();
    String ns = o.path("metadata").path("namespace").asText();
    String name = o.path("metadata").path("name").asText();
    if (t.kind().equals("Secret")
        && !e.type().equals("DELETED")
        && SA_TOKEN_TYPE.equals(o.path("type").asText())
        && !o.path("data").has("token")
        && tokenController) {
      String uid = o.path("metadata").path("uid").asText();
      controllers.schedule(
          () -> fillTokenSecret(ns, name, uid),
          tokenControllerDelay.toMillis(),
          TimeUnit.MILLISECONDS);
    }
    if (t.kind().equals("ServiceAccount") && e.type().equals("ADDED") && minor <= 23) {
      createAutoTokenSecret(ns, name, o.path("metadata").path("uid").asText());
    }
    if (t.kind().equals("ServiceAccount") && e.type().equals("DELETED") && tokenController) {
      ResourceType secrets = type("", "Secret");
      for (ObjectNode s : store.list(secrets, ns)) {
        JsonNode ann = s.path("metadata").path("annotations");
        if (SA_TOKEN_TYPE.equals(s.path("type").asText())
            && name.equals(ann.path(SA_NAME_ANNOTATION).asText())) {
          store.delete(secrets, ns, s.path("metadata").path("name").asText());
        }
      }
    }
    if (t.kind().equals("Namespace") && e.type().equals("DELETED")) {
      for (ResourceType r :
          List.of(
              type("", "ServiceAccount"),
              type("", "Secret"),
              type("", "ConfigMap"),
              type("", "Pod"),
              type("", "Service"),
              type("apps", "Deployment"),
              type("rbac.authorization.k8s.io", "Role"),
              type("rbac.authorization.k8s.io", "RoleBinding"))) {
        for (ObjectNode x : store.list(r, name)) {
          store.delete(r, name, x.path("metadata").path("name").asText());
        }
      }
    }
  }

  private void createAutoTokenSecret(String ns, String saName, String saUid) {
    ResourceType secrets = type("", "Secret");
    ObjectNode secret = Json.object();
    ObjectNode meta = secret.putObject("metadata");
    meta.put("name", generateName(saName + "-token-"));
    meta.put("namespace", ns);
    ObjectNode ann = meta.putObject("annotations");
    ann.put(SA_NAME_ANNOTATION, saName);
    ann.put(SA_UID_ANNOTATION, saUid);
    secret.put("type", SA_TOKEN_TYPE);
    prepare(secrets, secret, null);
    ObjectNode created = store.create(secrets, secret);
    ResourceType sas = type("", "ServiceAccount");
    ObjectNode sa = store.get(sas, ns, saName);
    if (sa != null) {
      ObjectNode copy = sa.deepCopy();
      ArrayNode list =
          copy.has("secrets") ? (ArrayNode) copy.get("secrets") : copy.putArray("secrets");
      list.addObject().put("name", created.path("metadata").path("name").asText());
      Json.with(copy, "metadata").remove("resourceVersion");
      store.update(sas, copy);
    }
  }

  private void fillTokenSecret(String ns, String name, String uid) {
    for (int attempt = 0; attempt < 5; attempt++) {
      try {
        tryFillTokenSecret(ns, name, uid);
        return;
      } catch (ApiException e) {
        if (e.code() != 409) {
          log.warn("token controller failed for {}/{}: {}", ns, name, e.getMessage());
          return;
        }
      }
    }
  }

  private void tryFillTokenSecret(String ns, String name, String uid) {
    ResourceType secrets = type("", "Secret");
    ObjectNode secret = store.get(secrets, ns, name);
    if (secret == null
        || !secret.path("metadata").path("uid").asText().equals(uid)
        || secret.path("data").has("token")) {
      return;
    }
    String saName = secret.path("metadata").path("annotations").path(SA_NAME_ANNOTATION).asText();
    ObjectNode sa = store.get(type("", "ServiceAccount"), ns, saName);
    if (sa == null) {
      log.debug(
          "token secret {}/{} names missing service account {}; deleting it", ns, name, saName);
      store.delete(secrets, ns, name);
      return;
    }
    String saUid = sa.path("metadata").path("uid").asText();
    ObjectNode copy = secret.deepCopy();
    Json.with(Json.with(copy, "metadata"), "annotations").put(SA_UID_ANNOTATION, saUid);
    ObjectNode data = Json.with(copy, "data");
    Base64.Encoder b64 = Base64.getEncoder();
    data.put(
        "token",
        b64.encodeToString(
            tokens.mintLegacy(ns, saName, saUid, name).getBytes(StandardCharsets.UTF_8)));
    data.put("ca.crt", b64.encodeToString(caPem.getBytes(StandardCharsets.UTF_8)));
    data.put("namespace", b64.encodeToString(ns.getBytes(StandardCharsets.UTF_8)));
    store.update(secrets, copy);
  }

  @Override
  public void close() {
    controllers.shutdownNow();
  }
}
