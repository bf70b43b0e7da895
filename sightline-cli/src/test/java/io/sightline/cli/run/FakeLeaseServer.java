package io.sightline.cli.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The lease routes of the REST API as the contract describes them, on 127.0.0.1: create (with
 * idempotency keys), renew and revoke by handle. Records what it was asked.
 */
final class FakeLeaseServer implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String CA_PEM_B64 =
      Base64.getEncoder()
          .encodeToString(
              "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n"
                  .getBytes(StandardCharsets.UTF_8));

  record Request(
      String method, String path, String authorization, String idempotencyKey, JsonNode body) {}

  final List<Request> requests = new CopyOnWriteArrayList<>();
  final Map<String, String> tokensById = new ConcurrentHashMap<>();
  final List<String> issued = new CopyOnWriteArrayList<>();
  final Map<String, Boolean> revoked = new ConcurrentHashMap<>();
  final Map<String, ObjectNode> byKey = new ConcurrentHashMap<>();
  final AtomicInteger failCreates = new AtomicInteger();
  volatile long expiresInMillis = 900_000;
  volatile boolean maxLifetimeReached;
  volatile boolean refuseRevoke;
  volatile String callerToken = "caller-token-0123456789";
  volatile String kubeServer = "https://127.0.0.1:6443";
  private final AtomicInteger seq = new AtomicInteger();
  private final HttpServer server;

  FakeLeaseServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::handle);
    server.start();
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  static String handle(String id) {
    return "slh_handle_of_" + id + "_abcdefgh";
  }

  long count(String method, String pathPart) {
    return requests.stream()
        .filter(r -> r.method().equals(method) && r.path().contains(pathPart))
        .count();
  }

  private void handle(HttpExchange ex) throws IOException {
    byte[] raw = ex.getRequestBody().readAllBytes();
    JsonNode body = raw.length == 0 ? null : JSON.readTree(raw);
    String path = ex.getRequestURI().getPath();
    String auth = ex.getRequestHeaders().getFirst("Authorization");
    String key = ex.getRequestHeaders().getFirst("Idempotency-Key");
    requests.add(new Request(ex.getRequestMethod(), path, auth, key, body));
    String bearer = auth == null ? "" : auth.replaceFirst("^Bearer ", "");
    if (ex.getRequestMethod().equals("POST") && path.equals("/api/v1/leases")) {
      if (failCreates.getAndDecrement() > 0) {
        send(ex, 503, "{\"code\":\"UNAVAILABLE\",\"detail\":\"try again\"}");
        return;
      }
      if (!bearer.equals(callerToken)) {
        send(ex, 401, "{\"code\":\"UNAUTHORIZED\",\"detail\":\"unauthorized\"}");
        return;
      }
      ObjectNode lease =
          byKey.computeIfAbsent(key == null ? "none" + seq.get() : key, k -> mint(body));
      send(ex, 201, lease.toString());
      return;
    }
    String[] parts = path.split("/");
    if (parts.length >= 5 && path.startsWith("/api/v1/leases/")) {
      String id = parts[4];
      if (!bearer.equals(handle(id))) {
        send(ex, 401, "{\"code\":\"UNAUTHORIZED\",\"detail\":\"unauthorized\"}");
        return;
      }
      if (ex.getRequestMethod().equals("DELETE")) {
        if (refuseRevoke) {
          send(ex, 403, "{\"code\":\"FORBIDDEN\",\"detail\":\"not today\"}");
          return;
        }
        revoked.put(id, true);
        ex.sendResponseHeaders(204, -1);
        ex.close();
        return;
      }
      if (ex.getRequestMethod().equals("POST") && path.endsWith("/renew")) {
        if (maxLifetimeReached) {
          send(
              ex,
              409,
              "{\"code\":\"LEASE_MAX_LIFETIME\",\"detail\":\"the lease reached its maximum"
                  + " lifetime\"}");
          return;
        }
        ObjectNode lease = answer(id, "renewed-" + seq.incrementAndGet() + "-token-xyz", null);
        lease.remove("handle");
        send(ex, 200, lease.toString());
        return;
      }
    }
    send(ex, 404, "{\"code\":\"NOT_FOUND\",\"detail\":\"no route\"}");
  }

  private ObjectNode mint(JsonNode body) {
    String id = "lease-" + seq.incrementAndGet();
    ObjectNode a = answer(id, "eyJhbGciOiJSUzI1NiJ9.lease" + id + "TOKENbody.sig" + id, body);
    return a;
  }

  private ObjectNode answer(String id, String token, JsonNode body) {
    tokensById.put(id, token);
    issued.add(token);
    ObjectNode a = JSON.createObjectNode();
    a.put("id", id);
    a.put("credential", "token-request");
    a.put("token", token);
    a.put("server", kubeServer);
    a.put("certificateAuthorityData", CA_PEM_B64);
    a.put("namespace", "web");
    a.put("expiresAt", Instant.now().plusMillis(expiresInMillis).toString());
    a.put("maxExpiresAt", Instant.now().plusSeconds(43200).toString());
    a.put("ttlSeconds", expiresInMillis / 1000);
    a.putArray("warnings");
    a.put("handle", handle(id));
    a.put("connectionId", "3f0c1c9e-1111-4222-8333-444455556666");
    if (body != null) {
      a.set("target", body.get("target"));
    }
    return a;
  }

  private static void send(HttpExchange ex, int status, String json) throws IOException {
    byte[] b = json.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, b.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(b);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
