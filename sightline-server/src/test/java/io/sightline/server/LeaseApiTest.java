package io.sightline.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sightline.store.Leases;
import io.sightline.store.MasterKeys;
import io.sightline.store.Store;
import io.sightline.store.StoreConfig;
import io.sightline.store.StoreTx;
import io.sightline.store.Stores;
import io.sightline.testing.kube.FakeKubeApiServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Leases end to end: server in-process, real store, the Kubernetes emulator as the cluster. */
class LeaseApiTest {
  @TempDir Path tmp;
  Harness h;
  FakeKubeApiServer kube;
  HttpClient kubeHttp;
  String creator;
  String user;
  String reader;
  String deployerWeb;

  @BeforeEach
  void start() throws Exception {
    kube = FakeKubeApiServer.builder().version("1.30").start();
    kubeHttp =
        HttpClient.newBuilder()
            .sslContext(kube.sslContext())
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    h = new Harness(tmp);
    h.opener = Stores::open;
    h.flags.put(ServerConfig.PROBE_RATE, "10000");
    // The emulator's tokens live in real time: run the server's clock from now.
    h.clock.advance(Duration.between(h.clock.instant(), Instant.now()));
    h.start();
    creator = h.token("creator");
    user = h.token("user");
    reader = h.token("reader");
    Harness.Response r =
        h.post(
            "/api/v1/connections?timeout=10s",
            creator,
            ConnectionProvisioningTest.azureBody("prod", kube.adminKubeconfig(), "web", "api")
                .toString());
    assertThat(r.status()).as("%s", r).isEqualTo(201);
    deployerWeb = r.json().get("deployers").get("web").asText();
  }

  @AfterEach
  void stop() {
    h.close();
    kube.close();
  }

  Harness.Response lease(String token, String body, String idempotencyKey) throws Exception {
    HttpRequest.Builder b =
        h.req("/api/v1/leases", token)
            .timeout(Duration.ofSeconds(60))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (idempotencyKey != null) {
      b.header("Idempotency-Key", idempotencyKey);
    }
    return h.send(b.build());
  }

  static String body(String connection, String namespace, Integer ttl) {
    ObjectNode b = Harness.JSON.createObjectNode();
    ObjectNode t = b.putObject("target").put("connection", connection);
    if (namespace != null) {
      t.put("namespace", namespace);
    }
    if (ttl != null) {
      b.put("ttlSeconds", ttl);
    }
    b.putObject("task")
        .put("pipeline", "app")
        .put("run", "42")
        .put("job", "deploy")
        .put("task", "kubectl")
        .put("attempt", 1)
        .put("commit", "abc123")
        .put("url", "https://ci.example/app/42");
    return b.toString();
  }

  Harness.Response post(String path, String token, String body) throws Exception {
    return h.send(
        h.req(path, token)
            .timeout(Duration.ofSeconds(60))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build());
  }

  /** Asks the emulator who {@code token} is: [status, username]. */
  Object[] whoami(String token) throws Exception {
    HttpResponse<String> r =
        kubeHttp.send(
            HttpRequest.newBuilder(
                    URI.create(kube.url() + "/apis/authentication.k8s.io/v1/selfsubjectreviews"))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"SelfSubjectReview\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    String user =
        r.statusCode() < 300
            ? Harness.JSON.readTree(r.body()).at("/status/userInfo/username").asText()
            : null;
    return new Object[] {r.statusCode(), user};
  }

  static JsonNode claims(String jwt) throws Exception {
    String payload = jwt.split("\\.")[1];
    return Harness.JSON.readTree(Base64.getUrlDecoder().decode(payload));
  }

  long tokenRequests() {
    return kube.requestLog(
            e -> e.method().equals("POST") && e.path().endsWith("/token") && e.status() < 300)
        .size();
  }

  ObjectNode leaseSecret(String id) {
    return kube.getObject("v1", "Secret", "sightline-prod", "sightline-lease-" + id);
  }

  String audit(String action) throws Exception {
    Harness.Response r = h.get("/api/v1/audit?action=" + action + "&limit=100", h.adminToken());
    assertThat(r.status()).as("%s", r).isEqualTo(200);
    return r.body();
  }

  @Test
  @DisplayName(
      "a lease's token authenticates as the namespace's deployer until revoked; nothing else shows it")
  void issueAndRevoke() throws Exception {
    try (LogCapture logs = new LogCapture()) {
      Harness.Response r = lease(user, body("prod", "web", null), null);
      assertThat(r.status()).as("%s", r).isEqualTo(201);
      JsonNode l = r.json();
      String id = l.get("id").asText();
      String token = l.get("token").asText();
      assertThat(l.get("credential").asText()).isEqualTo("token-request");
      assertThat(l.get("namespace").asText()).isEqualTo("web");
      assertThat(l.get("ttlSeconds").asLong()).isEqualTo(900);
      assertThat(l.get("handle").asText()).startsWith("slh_");
      assertThat(l.get("server").asText()).isEqualTo(kube.url().toString().replaceAll("/$", ""));
      assertThat(new String(Base64.getDecoder().decode(l.get("certificateAuthorityData").asText())))
          .isEqualTo(kube.caCertPem());
      assertThat(l.get("kubeconfig").asText())
          .contains("token: \"" + token + "\"")
          .contains("certificate-authority-data: ")
          .contains("namespace: \"web\"");
      io.sightline.kubernetes.ClusterAccess parsed =
          io.sightline.kubernetes.KubeconfigParser.parse(l.get("kubeconfig").asText(), null);
      assertThat(parsed.bearerToken().reveal()).isEqualTo(token);
      assertThat(parsed.caPem()).isEqualTo(kube.caCertPem());
      assertThat(parsed.namespace()).isEqualTo("web");
      assertThat(l.get("target").get("connection").asText()).isEqualTo("prod");
      assertThat(l.get("connectionId").asText()).isNotBlank();
      assertThat(l.get("warnings")).isEmpty();

      assertThat(whoami(token))
          .containsExactly(201, "system:serviceaccount:sightline-prod:" + deployerWeb);
      JsonNode c = claims(token);
      long exp = c.get("exp").asLong();
      assertThat(exp - Instant.now().getEpochSecond()).isBetween(800L, 900L);
      assertThat(Instant.parse(l.get("expiresAt").asText()).getEpochSecond()).isEqualTo(exp);
      assertThat(leaseSecret(id)).isNotNull();

      Harness.Response got = h.get("/api/v1/leases/" + id, reader);
      assertThat(got.status()).as("%s", got).isEqualTo(200);
      assertThat(got.json().get("state").asText()).isEqualTo("active");
      assertThat(got.json().get("jti").asText()).isEqualTo(c.get("jti").asText());
      assertThat(got.json().get("principal").asText()).isEqualTo("t-user");
      assertThat(got.json().get("task").get("commit").asText()).isEqualTo("abc123");
      assertThat(got.json().get("revocable").asBoolean()).isTrue();
      assertThat(got.json().has("revokedAt")).isTrue();
      assertThat(got.body()).doesNotContain(token).doesNotContain(l.get("handle").asText());
      Harness.Response active = h.get("/api/v1/leases?active=true", reader);
      assertThat(active.json().get("items").get(0).get("id").asText()).isEqualTo(id);

      assertThat(h.delete("/api/v1/leases/" + id, user).status()).isEqualTo(204);
      assertThat(whoami(token)[0]).as("the API server refuses a revoked token").isEqualTo(401);
      assertThat(leaseSecret(id)).isNull();
      assertThat(h.delete("/api/v1/leases/" + id, user).status()).as("idempotent").isEqualTo(204);
      assertThat(h.delete("/api/v1/leases/nosuchlease", user).status()).isEqualTo(404);
      JsonNode after = h.get("/api/v1/leases/" + id, reader).json();
      assertThat(after.get("state").asText()).isEqualTo("revoked");
      assertThat(after.get("revokedBy").asText()).isEqualTo("t-user");
      assertThat(h.get("/api/v1/leases?active=true", reader).json().get("items")).isEmpty();

      String issued = audit("lease.issue");
      assertThat(issued).contains(id).contains(c.get("jti").asText()).contains("abc123");
      assertThat(audit("lease.revoke")).contains(id);
      String everything = h.get("/api/v1/audit?limit=1000", h.adminToken()).body();
      assertThat(everything).doesNotContain(token).doesNotContain(l.get("handle").asText());
      assertThat(logs.text()).doesNotContain(token).doesNotContain(l.get("handle").asText());
    }
  }

  @Test
  @DisplayName("a reader may not take a lease, and a namespace outside the connection is refused")
  void refusals() throws Exception {
    assertThat(lease(reader, body("prod", "web", null), null).status()).isEqualTo(403);
    Harness.Response r = lease(user, body("prod", "kube-system", null), null);
    assertThat(r.status()).as("%s", r).isEqualTo(403);
    assertThat(r.json().get("code").asText()).isEqualTo("NAMESPACE_NOT_ALLOWED");
    assertThat(r.json().get("detail").asText()).contains("api, web");
    assertThat(audit("lease.refused")).contains("NAMESPACE_NOT_ALLOWED");
    Harness.Response none = lease(user, body("nope", "web", null), null);
    assertThat(none.status()).isEqualTo(404);
    Harness.Response azure =
        lease(
            user,
            "{\"target\":{\"azureConnection\":\"arm\",\"resourceGroup\":\"rg\",\"cluster\":\"aks1\","
                + "\"namespace\":\"web\",\"useClusterAdmin\":false}}",
            null);
    assertThat(azure.status()).as("%s", azure).isEqualTo(404);
    assertThat(azure.json().get("field").asText()).isEqualTo("target.azureConnection");
    assertThat(azure.json().get("detail").asText()).contains("no connection named arm");
  }

  @Test
  @DisplayName(
      "the same Idempotency-Key returns the same lease and token, minted once, also concurrently")
  void idempotency() throws Exception {
    long before = tokenRequests();
    Harness.Response a = lease(user, body("prod", "web", null), "key-1");
    Harness.Response b = lease(user, body("prod", "web", null), "key-1");
    assertThat(a.status()).isEqualTo(201);
    assertThat(b.status()).as("%s", b).isEqualTo(201);
    assertThat(b.json().get("id").asText()).isEqualTo(a.json().get("id").asText());
    assertThat(b.json().get("token").asText()).isEqualTo(a.json().get("token").asText());
    assertThat(b.json().get("handle").asText()).isEqualTo(a.json().get("handle").asText());
    assertThat(b.header("Idempotent-Replayed")).isEqualTo("true");
    assertThat(tokenRequests() - before).isEqualTo(1);

    Harness.Response other = lease(user, body("prod", "api", null), "key-1");
    assertThat(other.status()).isEqualTo(409);
    assertThat(other.json().get("code").asText()).isEqualTo("IDEMPOTENCY_KEY_REUSED");

    long mid = tokenRequests();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Harness.Response>> futures = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        futures.add(pool.submit(() -> lease(user, body("prod", "web", null), "key-2")));
      }
      Set<String> ids = new HashSet<>();
      Set<String> tokens = new HashSet<>();
      for (Future<Harness.Response> f : futures) {
        Harness.Response r = f.get();
        assertThat(r.status()).as("%s", r).isEqualTo(201);
        ids.add(r.json().get("id").asText());
        tokens.add(r.json().get("token").asText());
      }
      assertThat(ids).hasSize(1);
      assertThat(tokens).hasSize(1);
    } finally {
      pool.shutdownNow();
    }
    assertThat(tokenRequests() - mid)
        .as("one TokenRequest for four concurrent retries")
        .isEqualTo(1);
  }

  @Test
  @DisplayName(
      "a TTL below Kubernetes' minimum is raised and one above the server's maximum capped, with warnings")
  void ttlCaps() throws Exception {
    Harness.Response low = lease(user, body("prod", "web", 60), null);
    assertThat(low.status()).isEqualTo(201);
    assertThat(low.json().get("ttlSeconds").asLong()).isEqualTo(600);
    assertThat(low.json().get("warnings").toString()).contains("raised to 600");
    Harness.Response high = lease(user, body("prod", "web", 7200), null);
    assertThat(high.status()).isEqualTo(201);
    assertThat(high.json().get("ttlSeconds").asLong()).isEqualTo(3600);
    assertThat(high.json().get("warnings").toString()).contains("capped to 3600");
    long exp = claims(high.json().get("token").asText()).get("exp").asLong();
    assertThat(exp - Instant.now().getEpochSecond()).isBetween(3500L, 3600L);
  }

  @Test
  @DisplayName("renewal mints a new token on the same Secret, and stops at the maximum lifetime")
  void renewal() throws Exception {
    h.flags.put(ServerConfig.LEASE_MAX_TTL, "20m");
    h.flags.put(ServerConfig.LEASE_MAX_LIFETIME, "25m");
    h.restart();
    Harness.Response r = lease(user, body("prod", "web", 600), null);
    assertThat(r.status()).as("%s", r).isEqualTo(201);
    String id = r.json().get("id").asText();
    String handle = r.json().get("handle").asText();
    Instant firstExpiry = Instant.parse(r.json().get("expiresAt").asText());
    Instant max = Instant.parse(r.json().get("maxExpiresAt").asText());
    assertThat(Duration.between(h.clock.instant(), max).toMinutes()).isBetween(24L, 25L);

    Harness.Response renewed =
        post("/api/v1/leases/" + id + "/renew", handle, "{\"ttlSeconds\":1500}");
    assertThat(renewed.status()).as("%s", renewed).isEqualTo(200);
    assertThat(renewed.json().get("id").asText()).isEqualTo(id);
    assertThat(renewed.json().has("handle")).as("no new handle").isFalse();
    assertThat(renewed.json().get("warnings").toString()).contains("capped to 1200");
    String newToken = renewed.json().get("token").asText();
    assertThat(newToken).isNotEqualTo(r.json().get("token").asText());
    assertThat(whoami(newToken)[1])
        .isEqualTo("system:serviceaccount:sightline-prod:" + deployerWeb);
    assertThat(whoami(r.json().get("token").asText())[0])
        .as("the first token is bound to the same Secret and still valid")
        .isEqualTo(201);
    Instant renewedExpiry = Instant.parse(renewed.json().get("expiresAt").asText());
    assertThat(Duration.between(firstExpiry, renewedExpiry).toSeconds()).isBetween(550L, 650L);
    assertThat(claims(newToken).get("exp").asLong()).isEqualTo(renewedExpiry.getEpochSecond());
    assertThat(h.get("/api/v1/leases/" + id, reader).json().get("jti").asText())
        .isEqualTo(claims(newToken).get("jti").asText());
    assertThat(audit("lease.renew")).contains(id).doesNotContain(newToken);

    h.clock.advance(Duration.ofMinutes(16)); // 9 minutes left: less than Kubernetes' 10
    Harness.Response refused = post("/api/v1/leases/" + id + "/renew", user, "{}");
    assertThat(refused.status()).as("%s", refused).isEqualTo(409);
    assertThat(refused.json().get("code").asText()).isEqualTo("LEASE_MAX_LIFETIME");

    assertThat(h.delete("/api/v1/leases/" + id, handle).status()).isEqualTo(204);
    assertThat(whoami(newToken)[0]).isEqualTo(401);
  }

  @Test
  @DisplayName(
      "another user can neither renew nor revoke my lease; a creator may revoke it, never renew it")
  void onlyTheHolderRenews() throws Exception {
    JsonNode mine = lease(user, body("prod", "web", null), null).json();
    String id = mine.get("id").asText();
    Harness.Response t =
        h.post("/api/v1/tokens", h.adminToken(), "{\"name\":\"t-user2\",\"role\":\"user\"}");
    assertThat(t.status()).as("%s", t).isEqualTo(201);
    String otherUser = t.json().get("token").asText();

    Harness.Response renew = post("/api/v1/leases/" + id + "/renew", otherUser, "{}");
    assertThat(renew.status()).as("%s", renew).isEqualTo(403);
    assertThat(renew.json().get("code").asText()).isEqualTo("LEASE_NOT_YOURS");
    assertThat(renew.json().get("detail").asText()).contains("t-user", "lease handle");
    assertThat(h.delete("/api/v1/leases/" + id, otherUser).status()).isEqualTo(403);
    assertThat(post("/api/v1/leases/" + id + "/renew", creator, "{}").status())
        .as("a creator cannot take over a lease's credential either")
        .isEqualTo(403);
    assertThat(whoami(mine.get("token").asText())[0]).as("still valid").isEqualTo(201);

    assertThat(post("/api/v1/leases/" + id + "/renew", user, "{}").status())
        .as("the caller it was issued to")
        .isEqualTo(200);
    assertThat(h.delete("/api/v1/leases/" + id, creator).status()).isEqualTo(204);
    assertThat(whoami(mine.get("token").asText())[0]).isEqualTo(401);
  }

  @Test
  @DisplayName("a lease handle reads, renews and revokes its own lease, and nothing else")
  void handleScope() throws Exception {
    JsonNode mine = lease(user, body("prod", "web", null), null).json();
    JsonNode other = lease(user, body("prod", "api", null), null).json();
    String handle = mine.get("handle").asText();
    String id = mine.get("id").asText();
    String otherId = other.get("id").asText();

    assertThat(h.get("/api/v1/leases/" + id, handle).status()).isEqualTo(200);
    assertThat(h.get("/api/v1/leases/" + otherId, handle).status()).isEqualTo(401);
    assertThat(h.delete("/api/v1/leases/" + otherId, handle).status()).isEqualTo(401);
    assertThat(post("/api/v1/leases/" + otherId + "/renew", handle, "{}").status()).isEqualTo(401);
    assertThat(h.get("/api/v1/leases", handle).status()).isEqualTo(401);
    assertThat(lease(handle, body("prod", "web", null), null).status()).isEqualTo(401);
    assertThat(h.get("/api/v1/me", handle).status()).isEqualTo(401);
    assertThat(h.get("/api/v1/connections", handle).status()).isEqualTo(401);
    assertThat(post("/api/v1/leases/" + id + "/renew", handle, "{}").status()).isEqualTo(200);
    assertThat(h.delete("/api/v1/leases/" + id, handle).status()).isEqualTo(204);
    JsonNode after = h.get("/api/v1/leases/" + id, handle).json();
    assertThat(after.get("state").asText()).isEqualTo("revoked");
    assertThat(after.get("revokedBy").asText()).isEqualTo("lease-handle:" + id);
    assertThat(h.get("/api/v1/leases/" + otherId, reader).json().get("state").asText())
        .isEqualTo("active");
  }

  @Test
  @DisplayName("the reaper deletes the Secret of an expired lease by name and marks it expired")
  void reaper() throws Exception {
    JsonNode l = lease(user, body("prod", "web", 600), null).json();
    String id = l.get("id").asText();
    String token = l.get("token").asText();
    assertThat(h.server.leases().reap(false)).isZero();
    assertThat(leaseSecret(id)).isNotNull();

    h.clock.advance(Duration.ofMinutes(11));
    assertThat(h.get("/api/v1/leases/" + id, reader).json().get("state").asText())
        .isEqualTo("expired");
    assertThat(h.server.leases().reap(false)).isEqualTo(1);
    assertThat(leaseSecret(id)).isNull();
    assertThat(whoami(token)[0]).isEqualTo(401);
    assertThat(audit("lease.expire")).contains(id);
    assertThat(audit("lease.reap")).contains(id);
    assertThat(h.server.leases().reap(false)).as("nothing left").isZero();
  }

  @Test
  @DisplayName(
      "after a crash mid-issuance the next start deletes the bound Secret and marks the lease failed")
  void startupRecovery() throws Exception {
    h.server.stop();
    String id = "crashed0lease";
    StoreConfig sc = StoreConfig.embedded(h.dataDir);
    try (Store store = Stores.open(sc, MasterKeys.resolve(sc, Map.of()), h.clock)) {
      store.transact(
          (StoreTx tx) -> {
            var conn = tx.connections().find("prod").orElseThrow();
            Instant now = h.clock.instant();
            tx.leases()
                .create(
                    new Leases.NewLease(
                        id,
                        conn.id(),
                        "prod",
                        "token-request",
                        Leases.State.ISSUING,
                        "web",
                        "sightline-prod",
                        deployerWeb,
                        Map.of("connection", "prod", "namespace", "web"),
                        Map.of(),
                        "t-user",
                        null,
                        900,
                        List.of(),
                        "0".repeat(64),
                        now.plusSeconds(900),
                        now.plusSeconds(3600),
                        true));
            return null;
          });
    }
    kube.createObject(
        "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"sightline-lease-"
            + id
            + "\",\"namespace\":\"sightline-prod\"},\"type\":\"Opaque\"}");
    assertThat(leaseSecret(id)).isNotNull();
    h.start();
    Instant deadline = Instant.now().plusSeconds(20);
    String state = null;
    while (Instant.now().isBefore(deadline)) {
      state = h.get("/api/v1/leases/" + id, reader).json().get("state").asText();
      if (state.equals("failed")) {
        break;
      }
      Thread.sleep(100);
    }
    assertThat(state).isEqualTo("failed");
    assertThat(leaseSecret(id)).isNull();
    assertThat(audit("lease.failed")).contains(id).contains("ISSUANCE_INTERRUPTED");
    assertThat(audit("lease.reap")).contains(id);
  }

  @Test
  @DisplayName(
      "an unreachable cluster answers 503 with the reason, and the lease is recorded as failed")
  void unreachableCluster() throws Exception {
    kube.close();
    Harness.Response r = lease(user, body("prod", "web", null), null);
    assertThat(r.status()).as("%s", r).isEqualTo(503);
    assertThat(r.json().get("code").asText()).isEqualTo("CLUSTER_UNREACHABLE");
    JsonNode items = h.get("/api/v1/leases", reader).json().get("items");
    assertThat(items).hasSize(1);
    assertThat(items.get(0).get("state").asText()).isEqualTo("failed");
    assertThat(audit("lease.failed")).contains("CLUSTER_UNREACHABLE");
  }

  @Test
  @DisplayName(
      "a connection without a deployer gives a static lease with a warning, unless refused")
  void staticLeases() throws Exception {
    ObjectNode conn = Harness.JSON.createObjectNode();
    conn.put("name", "plain").put("kind", "kubernetes").put("authorizationType", "Kubeconfig");
    conn.put("kubeconfig", kube.adminKubeconfig());
    assertThat(h.post("/api/v1/connections", creator, conn.toString()).status()).isEqualTo(201);
    Harness.Response r = lease(user, body("plain", "default", null), null);
    assertThat(r.status()).as("%s", r).isEqualTo(201);
    assertThat(r.json().get("credential").asText()).isEqualTo("static");
    assertThat(r.json().get("warnings").toString())
        .contains("long-lived")
        .contains("cannot be revoked");
    assertThat(r.json().get("kubeconfig").asText()).contains("namespace: \"default\"");
    assertThat(whoami(r.json().get("token").asText())[1]).isEqualTo(FakeKubeApiServer.ADMIN_USER);
    String id = r.json().get("id").asText();
    assertThat(h.get("/api/v1/leases/" + id, reader).json().get("revocable").asBoolean()).isFalse();
    assertThat(audit("lease.issue")).contains(id).doesNotContain(kube.adminToken());

    h.flags.put(ServerConfig.LEASE_ALLOW_STATIC, "false");
    h.restart();
    Harness.Response refused = lease(user, body("plain", "default", null), null);
    assertThat(refused.status()).as("%s", refused).isEqualTo(403);
    assertThat(refused.json().get("code").asText()).isEqualTo("STATIC_LEASE_REFUSED");
    assertThat(lease(user, body("prod", "web", null), null).status())
        .as("token-request leases are unaffected")
        .isEqualTo(201);
  }
}
