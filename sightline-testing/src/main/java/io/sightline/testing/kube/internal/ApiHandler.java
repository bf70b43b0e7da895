package io.sightline.testing.kube.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpsExchange;
import io.sightline.testing.kube.RequestLogEntry;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP face of the emulator: authentication, request attributes, RBAC, then routing to
 * discovery, objects, TokenRequest and reviews. Every answer is logged in the request log.
 */
public final class ApiHandler implements HttpHandler {

  private static final Logger log = LoggerFactory.getLogger(ApiHandler.class);

  private final Cluster cluster;
  private final RequestLog requestLog;
  private volatile String serverAddress = "127.0.0.1:443";

  public ApiHandler(Cluster cluster, RequestLog requestLog) {
    this.cluster = cluster;
    this.requestLog = requestLog;
  }

  public void serverAddress(String hostPort) {
    this.serverAddress = hostPort;
  }

  /** A handler that reads the request and answers 401 to everything (a fault mode). */
  public static HttpHandler alwaysUnauthorized() {
    return ex -> {
      try (InputStream in = ex.getRequestBody()) {
        in.readAllBytes();
      }
      send(ex, 401, "application/json", Json.bytes(ApiException.unauthorized().body()));
    };
  }

  /** A response: status, content type and body. */
  private record Response(int status, String contentType, byte[] body) {
    static Response json(int status, JsonNode body) {
      return new Response(status, "application/json", Json.bytes(body));
    }
  }

  @Override
  public void handle(HttpExchange ex) throws IOException {
    byte[] body;
    try (InputStream in = ex.getRequestBody()) {
      body = in.readAllBytes();
    }
    String method = ex.getRequestMethod();
    String rawPath = ex.getRequestURI().getRawPath();
    String path = URLDecoder.decode(rawPath, StandardCharsets.UTF_8);
    String query = ex.getRequestURI().getRawQuery();
    Map<String, String> params = parseQuery(query);
    UserInfo user = null;
    String verb = method.toLowerCase(java.util.Locale.ROOT);
    Response r;
    WatchPlan watch = null;
    try {
      user =
          cluster.authenticator.authenticate(
              ex.getRequestHeaders().getFirst("Authorization"), peerCertificates(ex));
      Attributes attrs = attributes(method, path, params);
      verb = attrs.verb();
      if (!cluster.rbac.allowed(user, attrs)) {
        ObjectNode details =
            attrs.resourceRequest()
                ? Json.details(attrs.name(), attrs.group(), attrs.resource())
                : Json.object();
        throw new ApiException(
            403, Json.status(403, "Forbidden", attrs.forbiddenMessage(user.username()), details));
      }
      if (attrs.verb().equals("watch")
          && "websocket".equalsIgnoreCase(ex.getRequestHeaders().getFirst("Upgrade"))) {
        // No WebSocket watches: answering 200 without switching protocols makes clients
        // (fabric8) fall back to a plain HTTP watch.
        r = new Response(200, "application/json", new byte[0]);
      } else if (attrs.verb().equals("watch")) {
        watch = startWatch(attrs, params);
        r = null;
      } else {
        r = route(method, path, params, body, ex, user, attrs);
      }
    } catch (ApiException e) {
      r = Response.json(e.code(), e.body());
    } catch (RuntimeException e) {
      log.warn("emulator failed on {} {}", method, path, e);
      r =
          Response.json(
              500, Json.status(500, "InternalError", "Internal error occurred: " + e, null));
    }
    int status = r == null ? 200 : r.status();
    requestLog.add(
        new RequestLogEntry(
            Instant.now(),
            status == 401 ? null : user == null ? null : user.username(),
            verb,
            method,
            path,
            query,
            status));
    if (watch != null) {
      stream(ex, watch);
      return;
    }
    send(ex, r.status(), r.contentType(), r.body());
  }

  /** A registered watch and what its events must match. */
  private record WatchPlan(
      Store.Watch watch,
      ResourceType type,
      String namespace,
      String name,
      Predicate<JsonNode> labels,
      Predicate<JsonNode> fields,
      long timeoutSeconds) {

    boolean matches(Store.Event e) {
      if (!e.resource().storeKey().equals(type.storeKey())) {
        return false;
      }
      JsonNode meta = e.object().path("metadata");
      return (namespace.isEmpty() || namespace.equals(meta.path("namespace").asText()))
          && (name.isEmpty() || name.equals(meta.path("name").asText()))
          && labels.test(e.object())
          && fields.test(e.object());
    }
  }

  private WatchPlan startWatch(Attributes a, Map<String, String> params) {
    if (!cluster.registry.servesGroupVersion(a.group(), a.version())) {
      throw ApiException.pathNotFound();
    }
    ResourceType t = cluster.registry.find(a.group(), a.version(), a.resource());
    if (t == null || !t.stored() || !a.subresource().isEmpty()) {
      throw ApiException.pathNotFound();
    }
    String ns = t.namespaced() ? a.namespace() : "";
    String name = a.name();
    Predicate<JsonNode> labels = Selectors.labels(params.get("labelSelector"));
    Predicate<JsonNode> fields = Selectors.fields(params.get("fieldSelector"));
    long timeout = 1800;
    if (params.containsKey("timeoutSeconds")) {
      try {
        timeout = Long.parseLong(params.get("timeoutSeconds"));
      } catch (NumberFormatException e) {
        throw ApiException.badRequest("invalid timeoutSeconds: " + params.get("timeoutSeconds"));
      }
    }
    String rv = params.get("resourceVersion");
    if (rv != null && !rv.isEmpty() && !rv.matches("[0-9]+")) {
      throw ApiException.badRequest("invalid resource version: " + rv);
    }
    return new WatchPlan(cluster.store.watch(t, rv), t, ns, name, labels, fields, timeout);
  }

  /** Streams watch events, one JSON object per line, until the timeout or the client leaves. */
  private void stream(HttpExchange ex, WatchPlan plan) {
    try {
      ex.getResponseHeaders().set("Content-Type", "application/json");
      ex.getResponseHeaders().set("Cache-Control", "no-cache, private");
      ex.sendResponseHeaders(200, 0);
      java.io.OutputStream out = ex.getResponseBody();
      if (plan.watch().expired()) {
        ObjectNode ev = Json.object();
        ev.put("type", "ERROR");
        ev.set("object", Json.status(410, "Expired", "too old resource version", null));
        out.write(Json.bytes(ev));
        out.write('\n');
        return;
      }
      for (Store.Event e : plan.watch().initial()) {
        if (plan.matches(e)) {
          writeEvent(out, e);
        }
      }
      out.flush();
      long deadline = System.nanoTime() + plan.timeoutSeconds() * 1_000_000_000L;
      while (System.nanoTime() - deadline < 0) {
        Store.Event e = plan.watch().queue().poll(1, java.util.concurrent.TimeUnit.SECONDS);
        if (e != null && plan.matches(e)) {
          writeEvent(out, e);
          out.flush();
        }
      }
    } catch (IOException e) {
      log.debug("watch client went away: {}", e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      cluster.store.unwatch(plan.watch());
      ex.close();
    }
  }

  private static void writeEvent(java.io.OutputStream out, Store.Event e) throws IOException {
    ObjectNode ev = Json.object();
    ev.put("type", e.type());
    ev.set("object", e.object());
    out.write(Json.bytes(ev));
    out.write('\n');
  }

  private static void send(HttpExchange ex, int status, String contentType, byte[] body)
      throws IOException {
    ex.getResponseHeaders().set("Content-Type", contentType);
    ex.getResponseHeaders().set("Cache-Control", "no-cache, private");
    if (body.length == 0) {
      ex.sendResponseHeaders(status, -1);
    } else {
      ex.sendResponseHeaders(status, body.length);
      ex.getResponseBody().write(body);
    }
    ex.close();
  }

  private static X509Certificate[] peerCertificates(HttpExchange ex) {
    if (!(ex instanceof HttpsExchange https)) {
      return null;
    }
    SSLSession session = https.getSSLSession();
    try {
      Certificate[] certs = session.getPeerCertificates();
      return Arrays.stream(certs).map(X509Certificate.class::cast).toArray(X509Certificate[]::new);
    } catch (SSLPeerUnverifiedException e) {
      return null;
    }
  }

  static Map<String, String> parseQuery(String raw) {
    Map<String, String> out = new HashMap<>();
    if (raw == null) {
      return out;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      String k = eq < 0 ? pair : pair.substring(0, eq);
      String v = eq < 0 ? "" : pair.substring(eq + 1);
      out.put(
          URLDecoder.decode(k, StandardCharsets.UTF_8),
          URLDecoder.decode(v, StandardCharsets.UTF_8));
    }
    return out;
  }

  /** kube-apiserver's RequestInfoFactory: what the request does, for RBAC and routing. */
  static Attributes attributes(String method, String path, Map<String, String> params) {
    String[] all = Arrays.stream(path.split("/")).filter(s -> !s.isEmpty()).toArray(String[]::new);
    String httpVerb = method.toLowerCase(java.util.Locale.ROOT);
    if (httpVerb.equals("head")) {
      httpVerb = "get";
    }
    String group;
    String version;
    int i;
    if (all.length >= 2 && all[0].equals("api")) {
      group = "";
      version = all[1];
      i = 2;
    } else if (all.length >= 3 && all[0].equals("apis")) {
      group = all[1];
      version = all[2];
      i = 3;
    } else {
      return Attributes.nonResource(httpVerb, path);
    }
    List<String> parts = new ArrayList<>(Arrays.asList(all).subList(i, all.length));
    if (parts.isEmpty()) {
      return Attributes.nonResource(httpVerb, path);
    }
    boolean watch = false;
    if (parts.get(0).equals("watch")) {
      watch = true;
      parts.remove(0);
    }
    String namespace = "";
    if (parts.size() >= 2 && parts.get(0).equals("namespaces")) {
      namespace = parts.get(1);
      if (parts.size() > 2) {
        parts = parts.subList(2, parts.size());
      }
    }
    String resource = parts.get(0);
    String name = parts.size() >= 2 ? parts.get(1) : "";
    String sub = parts.size() >= 3 ? parts.get(2) : "";
    if (parts.size() > 3) {
      sub = String.join("/", parts.subList(2, parts.size()));
    }
    if ("true".equals(params.get("watch")) || "1".equals(params.get("watch"))) {
      watch = true;
    }
    String verb =
        switch (method) {
          case "POST" -> "create";
          case "PUT" -> "update";
          case "PATCH" -> "patch";
          case "DELETE" -> name.isEmpty() ? "deletecollection" : "delete";
          default -> watch ? "watch" : name.isEmpty() ? "list" : "get";
        };
    return new Attributes(true, verb, group, version, resource, sub, namespace, name, path);
  }

  private Response route(
      String method,
      String path,
      Map<String, String> params,
      byte[] body,
      HttpExchange ex,
      UserInfo user,
      Attributes a)
      throws IOException {
    if (!a.resourceRequest()) {
      return nonResource(method, path);
    }
    if (!cluster.registry.servesGroupVersion(a.group(), a.version())) {
      throw ApiException.pathNotFound();
    }
    ResourceType t = cluster.registry.find(a.group(), a.version(), a.resource());
    if (t == null) {
      throw ApiException.pathNotFound();
    }
    if (!t.namespaced() && !a.namespace().isEmpty() && !t.plural().equals("namespaces")) {
      throw ApiException.pathNotFound();
    }
    if (a.verb().equals("watch")) {
      throw ApiException.methodNotAllowed();
    }
    if (!t.stored()) {
      if (!method.equals("POST") || !a.name().isEmpty()) {
        throw ApiException.methodNotAllowed();
      }
      return Response.json(
          201, Reviews.review(cluster, t, a, parseObject(body, ex, t.kind()), user));
    }
    if (!a.subresource().isEmpty()) {
      if (t.plural().equals("serviceaccounts") && a.subresource().equals("token")) {
        if (!method.equals("POST")) {
          throw ApiException.methodNotAllowed();
        }
        return Response.json(
            201, Reviews.tokenRequest(cluster, a, parseObject(body, ex, "TokenRequest")));
      }
      if (!a.subresource().equals("status")) {
        throw ApiException.pathNotFound();
      }
    }
    String ns = t.namespaced() ? (t.plural().equals("namespaces") ? "" : a.namespace()) : "";
    boolean table = accept(ex).contains("as=Table");
    switch (a.verb()) {
      case "get" -> {
        ObjectNode o = cluster.store.get(t, ns, a.name());
        if (o == null) {
          throw ApiException.notFound(t.group(), t.plural(), a.name());
        }
        return table
            ? Response.json(
                200, Tables.table(t, List.of(o), cluster.store.currentResourceVersion()))
            : Response.json(200, o);
      }
      case "list" -> {
        List<ObjectNode> items = filtered(t, ns, params);
        if (table) {
          return Response.json(200, Tables.table(t, items, cluster.store.currentResourceVersion()));
        }
        ObjectNode list = Json.object();
        list.put("kind", t.kind() + "List");
        list.put("apiVersion", t.apiVersion());
        list.putObject("metadata").put("resourceVersion", cluster.store.currentResourceVersion());
        ArrayNode arr = list.putArray("items");
        for (ObjectNode o : items) {
          ObjectNode copy = o.deepCopy();
          copy.remove("kind");
          copy.remove("apiVersion");
          arr.add(copy);
        }
        return Response.json(200, list);
      }
      case "create" -> {
        return Response.json(201, create(t, ns, parseObject(body, ex, t.kind()), params));
      }
      case "update" -> {
        ObjectNode obj = parseObject(body, ex, t.kind());
        checkNameAndNamespace(t, obj, ns, a.name());
        ObjectNode old = cluster.store.get(t, ns, a.name());
        if (old == null) {
          throw ApiException.notFound(t.group(), t.plural(), a.name());
        }
        cluster.prepare(t, obj, old);
        if (dryRun(params)) {
          return Response.json(200, obj);
        }
        return Response.json(200, cluster.store.update(t, obj));
      }
      case "patch" -> {
        return patch(t, ns, a.name(), ex, body, params);
      }
      case "delete" -> {
        ObjectNode old = cluster.store.get(t, ns, a.name());
        if (old == null) {
          throw ApiException.notFound(t.group(), t.plural(), a.name());
        }
        if (dryRun(params)) {
          return Response.json(200, old);
        }
        ObjectNode removed = cluster.store.delete(t, ns, a.name());
        if (removed == null) {
          throw ApiException.notFound(t.group(), t.plural(), a.name());
        }
        if (t.kind().equals("Namespace")) {
          ObjectNode copy = removed.deepCopy();
          Json.with(copy, "status").put("phase", "Terminating");
          Json.with(copy, "metadata").put("deletionTimestamp", Json.now());
          return Response.json(200, copy);
        }
        return Response.json(200, removed);
      }
      case "deletecollection" -> {
        List<ObjectNode> items = filtered(t, ns, params);
        ObjectNode list = Json.object();
        list.put("kind", t.kind() + "List");
        list.put("apiVersion", t.apiVersion());
        list.putObject("metadata");
        ArrayNode arr = list.putArray("items");
        for (ObjectNode o : items) {
          ObjectNode removed =
              cluster.store.delete(
                  t,
                  o.path("metadata").path("namespace").asText(null),
                  o.path("metadata").path("name").asText());
          if (removed != null) {
            arr.add(removed);
          }
        }
        return Response.json(200, list);
      }
      default -> throw ApiException.methodNotAllowed();
    }
  }

  private List<ObjectNode> filtered(ResourceType t, String ns, Map<String, String> params) {
    Predicate<JsonNode> labels = Selectors.labels(params.get("labelSelector"));
    Predicate<JsonNode> fields = Selectors.fields(params.get("fieldSelector"));
    List<ObjectNode> out = new ArrayList<>();
    for (ObjectNode o : cluster.store.list(t, ns.isEmpty() ? null : ns)) {
      if (labels.test(o) && fields.test(o)) {
        out.add(o);
      }
    }
    return out;
  }

  private static boolean dryRun(Map<String, String> params) {
    return "All".equals(params.get("dryRun"));
  }

  private static String accept(HttpExchange ex) {
    String a = ex.getRequestHeaders().getFirst("Accept");
    return a == null ? "" : a;
  }

  private static ObjectNode parseObject(byte[] body, HttpExchange ex, String kind) {
    if (Protobuf.isProtobuf(ex.getRequestHeaders().getFirst("Content-Type"))) {
      return Protobuf.toJson(body, kind);
    }
    try {
      JsonNode n = Json.parse(body);
      if (n instanceof ObjectNode o) {
        return o;
      }
    } catch (IOException e) {
      throw ApiException.badRequest("the body of the request was in an unknown format");
    }
    throw ApiException.badRequest("the body of the request was in an unknown format");
  }

  private void checkNameAndNamespace(ResourceType t, ObjectNode obj, String ns, String urlName) {
    ObjectNode meta = Json.with(obj, "metadata");
    if (t.namespaced()) {
      String bodyNs = meta.path("namespace").asText("");
      if (!bodyNs.isEmpty() && !bodyNs.equals(ns)) {
        throw ApiException.badRequest(
            "the namespace of the provided object does not match the namespace sent on the"
                + " request");
      }
      meta.put("namespace", ns);
    } else {
      meta.remove("namespace");
    }
    if (urlName != null) {
      String bodyName = meta.path("name").asText("");
      if (!bodyName.equals(urlName)) {
        throw ApiException.badRequest(
            "the name of the object ("
                + bodyName
                + ") does not match the name on the URL ("
                + urlName
                + ")");
      }
    }
  }

  /** POST of a new object (also used by server-side apply of a missing object). */
  private ObjectNode create(ResourceType t, String ns, ObjectNode obj, Map<String, String> params) {
    if (t.namespaced() && ns.isEmpty()) {
      throw ApiException.pathNotFound();
    }
    ObjectNode meta = Json.with(obj, "metadata");
    if (meta.path("name").asText("").isEmpty() && meta.hasNonNull("generateName")) {
      meta.put("name", Cluster.generateName(meta.path("generateName").asText()));
    }
    String name = meta.path("name").asText("");
    if (name.isEmpty()) {
      throw ApiException.invalid(
          t.group(),
          t.kind(),
          "",
          "metadata.name",
          "Required value: name or generateName is required");
    }
    if (!name.matches("[a-z0-9]([-a-z0-9.:]*[a-z0-9])?") || name.length() > 253) {
      throw ApiException.invalid(
          t.group(),
          t.kind(),
          name,
          "metadata.name",
          "Invalid value: \""
              + name
              + "\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric"
              + " characters, '-' or '.', and must start and end with an alphanumeric character");
    }
    checkNameAndNamespace(t, obj, ns, null);
    if (t.namespaced() && cluster.store.get(cluster.type("", "Namespace"), null, ns) == null) {
      throw ApiException.notFound("", "namespaces", ns);
    }
    meta.remove("uid");
    meta.remove("resourceVersion");
    meta.remove("creationTimestamp");
    cluster.prepare(t, obj, null);
    if (dryRun(params)) {
      if (cluster.store.get(t, ns, name) != null) {
        throw ApiException.alreadyExists(t.group(), t.plural(), name);
      }
      return obj;
    }
    return cluster.store.create(t, obj);
  }

  private Response patch(
      ResourceType t,
      String ns,
      String name,
      HttpExchange ex,
      byte[] body,
      Map<String, String> params)
      throws IOException {
    String contentType = ex.getRequestHeaders().getFirst("Content-Type");
    String ct = contentType == null ? "" : contentType.split(";")[0].trim();
    if (!List.of(
            "application/apply-patch+yaml",
            "application/merge-patch+json",
            "application/strategic-merge-patch+json",
            "application/json-patch+json")
        .contains(ct)) {
      throw new ApiException(
          415,
          Json.status(
              415,
              "UnsupportedMediaType",
              "the body of the request was in an unknown format - accepted media types include:"
                  + " application/json-patch+json, application/merge-patch+json,"
                  + " application/apply-patch+yaml, application/strategic-merge-patch+json",
              null));
    }
    JsonNode patch;
    try {
      patch = Json.parse(body);
    } catch (IOException e) {
      throw ApiException.badRequest("the body of the request was in an unknown format");
    }
    // Like kube-apiserver's GuaranteedUpdate: a patch that names no resourceVersion is re-applied
    // to the newest object when another write got in between.
    boolean preconditioned = new String(body, StandardCharsets.UTF_8).contains("resourceVersion");
    for (int attempt = 0; ; attempt++) {
      ObjectNode old = cluster.store.get(t, ns, name);
      if (ct.equals("application/apply-patch+yaml")) {
        if (old == null) {
          ObjectNode obj = (ObjectNode) patch.deepCopy();
          return Response.json(201, create(t, ns, obj, params));
        }
      } else if (old == null) {
        throw ApiException.notFound(t.group(), t.plural(), name);
      }
      JsonNode result =
          switch (ct) {
            case "application/merge-patch+json", "application/apply-patch+yaml" ->
                Patches.mergePatch(old, patch);
            case "application/strategic-merge-patch+json" -> Patches.strategicMerge(old, patch);
            case "application/json-patch+json" -> Patches.jsonPatch(old, patch);
            default -> throw new IllegalStateException("unreachable: " + ct);
          };
      if (!(result instanceof ObjectNode obj)) {
        throw ApiException.badRequest("patch did not produce an object");
      }
      checkNameAndNamespace(t, obj, ns, name);
      cluster.prepare(t, obj, old);
      if (dryRun(params)) {
        return Response.json(200, obj);
      }
      try {
        return Response.json(200, cluster.store.update(t, obj));
      } catch (ApiException e) {
        if (preconditioned || e.code() != 409 || attempt >= 10) {
          throw e;
        }
      }
    }
  }

  private Response nonResource(String method, String path) {
    if (!method.equals("GET") && !method.equals("HEAD")) {
      throw ApiException.methodNotAllowed();
    }
    String p =
        path.endsWith("/") && path.length() > 1 ? path.substring(0, path.length() - 1) : path;
    String[] parts = Arrays.stream(p.split("/")).filter(s -> !s.isEmpty()).toArray(String[]::new);
    switch (p) {
      case "/version" -> {
        return Response.json(200, version());
      }
      case "/healthz", "/livez", "/readyz" -> {
        return new Response(
            200, "text/plain; charset=utf-8", "ok".getBytes(StandardCharsets.UTF_8));
      }
      case "/api" -> {
        return Response.json(200, cluster.registry.coreVersions(serverAddress));
      }
      case "/apis" -> {
        return Response.json(200, cluster.registry.groupList());
      }
      case "/.well-known/openid-configuration" -> {
        ObjectNode o = Json.object();
        o.put("issuer", cluster.tokens.issuer());
        o.put("jwks_uri", "https://" + serverAddress + "/openid/v1/jwks");
        o.putArray("response_types_supported").add("id_token");
        o.putArray("subject_types_supported").add("public");
        o.putArray("id_token_signing_alg_values_supported").add("ES256");
        return Response.json(200, o);
      }
      case "/openid/v1/jwks" -> {
        return new Response(
            200,
            "application/jwk-set+json",
            cluster.tokens.jwksJson().getBytes(StandardCharsets.UTF_8));
      }
      default -> {}
    }
    ObjectNode doc = null;
    if (parts.length == 2 && parts[0].equals("api")) {
      doc = cluster.registry.resourceList("", parts[1]);
    } else if (parts.length == 2 && parts[0].equals("apis")) {
      doc = cluster.registry.group(parts[1]);
    } else if (parts.length == 3 && parts[0].equals("apis")) {
      doc = cluster.registry.resourceList(parts[1], parts[2]);
    }
    if (doc == null) {
      return new Response(
          404,
          "text/plain; charset=utf-8",
          "404 page not found\n".getBytes(StandardCharsets.UTF_8));
    }
    return Response.json(200, doc);
  }

  private ObjectNode version() {
    ObjectNode v = Json.object();
    v.put("major", "1");
    v.put("minor", Integer.toString(cluster.minor));
    v.put("gitVersion", cluster.gitVersion);
    v.put("gitCommit", "0000000000000000000000000000000000000000");
    v.put("gitTreeState", "clean");
    v.put("buildDate", "2026-01-01T00:00:00Z");
    v.put("goVersion", "go1.22.0");
    v.put("compiler", "gc");
    v.put("platform", "linux/amd64");
    return v;
  }
}
