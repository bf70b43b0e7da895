package io.sightline.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sightline.store.Stores;
import io.sightline.testing.kube.FakeKubeApiServer;
import io.sightline.testing.oidc.FakeOidcIssuer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Environments end to end (issue 8): one server in-process on the embedded store, the Kubernetes
 * emulator as the cluster with a provisioned connection (deployers for web and api).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EnvironmentApiTest {
  Harness h;
  FakeKubeApiServer kube;
  FakeOidcIssuer ci;
  HttpClient kubeHttp;
  String admin;
  String creator;
  String user;
  String alice;
  String ops1;
  String ops2;
  int seq;

  @BeforeAll
  void start(@TempDir Path tmp) throws Exception {
    kube = FakeKubeApiServer.builder().version("1.30").start();
    kubeHttp =
        HttpClient.newBuilder()
            .sslContext(kube.sslContext())
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    ci = FakeOidcIssuer.start();
    Path bundle = tmp.resolve("issuers-ca.pem");
    Files.writeString(bundle, ci.caPem(), StandardCharsets.UTF_8);
    h = new Harness(tmp);
    h.opener = Stores::open;
    h.flags.put(ServerConfig.PROBE_RATE, "10000");
    h.flags.put(ServerConfig.TRUST_CA_FILE, bundle.toString());
    h.clock.advance(Duration.between(h.clock.instant(), Instant.now()));
    h.start();
    admin = h.adminToken();
    creator = h.token("creator");
    user = token("ci-bot", "user");
    alice = token("alice", "reader", "ops-leads");
    ops1 = token("bob", "user", "ops-leads");
    ops2 = token("carol", "reader", "ops-leads");
    Harness.Response r =
        post(
            "/api/v1/connections?timeout=10s",
            creator,
            ConnectionProvisioningTest.azureBody("prod", kube.adminKubeconfig(), "web", "api")
                .toString());
    assertThat(r.status()).as("%s", r).isEqualTo(201);
    Harness.Response t = post("/api/v1/trust", admin, TrustApiTest.githubTrust(ci.issuer()));
    assertThat(t.status()).as("%s", t).isEqualTo(201);
    Harness.Response p =
        send(
            "PUT",
            "/api/v1/connections/prod/pipeline-permissions",
            creator,
            "{\"pipelines\":[\"github:org/app@**\"]}",
            null);
    assertThat(p.status()).as("%s", p).isEqualTo(200);
  }

  @AfterAll
  void stop() {
    h.close();
    kube.close();
    ci.close();
  }

  String token(String name, String role, String... groups) throws Exception {
    ObjectNode b = Harness.JSON.createObjectNode().put("name", name).put("role", role);
    var g = b.putArray("groups");
    for (String x : groups) {
      g.add(x);
    }
    Harness.Response r = post("/api/v1/tokens", h.adminToken(), b.toString());
    assertThat(r.status()).as("%s", r).isEqualTo(201);
    return r.json().get("token").asText();
  }

  Harness.Response post(String path, String token, String body) throws Exception {
    return send("POST", path, token, body, null);
  }

  Harness.Response send(String method, String path, String token, String body, String idem)
      throws Exception {
    HttpRequest.Builder b =
        h.req(path, token)
            .timeout(Duration.ofSeconds(60))
            .header("Content-Type", "application/json")
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (idem != null) {
      b.header("Idempotency-Key", idem);
    }
    return h.send(b.build());
  }

  /** A fresh environment with resources web and api and the given checks. */
  String env(String... checks) throws Exception {
    String name = "env-" + (++seq);
    String body =
        "{\"name\":\""
            + name
            + "\",\"resources\":[{\"name\":\"web\",\"tags\":[\"eu\"],\"target\":{\"connection\":"
            + "\"prod\",\"namespace\":\"web\"}},{\"name\":\"api\",\"target\":{\"connection\":"
            + "\"prod\",\"namespace\":\"api\"}}]}";
    Harness.Response r = post("/api/v1/environments", creator, body);
    assertThat(r.status()).as("%s", r).isEqualTo(201);
    for (String c : checks) {
      Harness.Response cr = post("/api/v1/environments/" + name + "/checks", creator, c);
      assertThat(cr.status()).as("%s", cr).isEqualTo(201);
    }
    return name;
  }

  Harness.Response deploy(String env, String resource, String token) throws Exception {
    return post(
        "/api/v1/environments/" + env + "/deployments",
        token,
        "{\"resource\":\""
            + resource
            + "\",\"task\":{\"pipeline\":\"app\",\"run\":\"7\",\"commit\":\"abc\"}}");
  }

  JsonNode get(String path, String token) throws Exception {
    Harness.Response r = h.get(path, token);
    assertThat(r.status()).as("%s", r).isEqualTo(200);
    return r.json();
  }

  Harness.Response decide(String approval, String token, String decision, String comment)
      throws Exception {
    return post(
        "/api/v1/approvals/" + approval,
        token,
        "{\"decision\":\"" + decision + "\",\"comment\":\"" + comment + "\"}");
  }

  static final String APPROVAL_2 =
      "{\"type\":\"approval\",\"approvers\":[\"group:ops-leads\"],\"minApprovers\":2,"
          + "\"requesterCannotApprove\":true,\"instructions\":\"check the canary\","
          + "\"timeoutSeconds\":3600}";

  @Test
  @DisplayName(
      "an approval needs minApprovers approvers from its group, not the requester; then the run"
          + " claims the lease and the approvers are in the lease's audit record")
  void approvalThenClaim() throws Exception {
    String env = env(APPROVAL_2);
    // ops1 asks: requesterCannotApprove keeps them from approving their own deployment
    Harness.Response created = deploy(env, "web", ops1);
    assertThat(created.status()).as("%s", created).isEqualTo(201);
    JsonNode d = created.json();
    String id = d.get("id").asText();
    String claim = d.get("claimHandle").asText();
    assertThat(claim).startsWith("sld_");
    assertThat(d.get("state").asText()).isEqualTo("waiting");
    assertThat(d.get("connectionType").asText()).isEqualTo("Kubernetes Service Connection");
    assertThat(d.get("waitingFor").asText())
        .isEqualTo("approval: 0 of 2, by ops-leads — 60 min left");
    String approval = d.get("approvals").get(0).get("id").asText();

    // the pending list shows it, with its instructions
    JsonNode pending = get("/api/v1/approvals?pending=true&mine=true", alice);
    assertThat(pending.get("items").findValuesAsText("id")).contains(approval);

    // claiming now is refused: checks pending
    Harness.Response early = post("/api/v1/deployments/" + id + "/claim", claim, "");
    assertThat(early.status()).as("%s", early).isEqualTo(409);
    assertThat(early.json().get("code").asText()).isEqualTo("CHECKS_PENDING");
    assertThat(early.json().get("detail").asText()).contains("approval: 0 of 2, by ops-leads");

    Harness.Response own = decide(approval, ops1, "approve", "mine");
    assertThat(own.status()).as("%s", own).isEqualTo(403);
    assertThat(own.json().get("code").asText()).isEqualTo("REQUESTER_CANNOT_APPROVE");
    Harness.Response stranger = decide(approval, user, "approve", "lgtm");
    assertThat(stranger.status()).isEqualTo(403);
    assertThat(stranger.json().get("code").asText()).isEqualTo("NOT_AN_APPROVER");

    h.clock.advance(Duration.ofMinutes(8));
    get("/api/v1/deployments/" + id, claim); // the run looks every few seconds
    h.clock.advance(Duration.ofMinutes(8));
    Harness.Response first = decide(approval, alice, "approve", "canary is green");
    assertThat(first.status()).as("%s", first).isEqualTo(200);
    assertThat(first.json().get("approved").asInt()).isEqualTo(1);
    assertThat(first.json().get("state").asText()).isEqualTo("pending");
    JsonNode half = get("/api/v1/deployments/" + id, claim);
    assertThat(half.get("waitingFor").asText())
        .isEqualTo("approval: 1 of 2, by ops-leads — 44 min left");
    assertThat(decide(approval, alice, "approve", "again").status()).isEqualTo(409);

    Harness.Response second = decide(approval, ops2, "approve", "ok");
    assertThat(second.json().get("state").asText()).isEqualTo("approved");
    JsonNode ready = get("/api/v1/deployments/" + id, claim);
    assertThat(ready.get("state").asText()).isEqualTo("ready");
    assertThat(ready.get("approvers").toString()).contains("alice").contains("carol");

    // the claim handle takes the lease, even though no other credential is presented
    Harness.Response lease = post("/api/v1/deployments/" + id + "/claim", claim, "");
    assertThat(lease.status()).as("%s", lease).isEqualTo(200);
    String leaseId = lease.json().get("id").asText();
    assertThat(lease.json().get("namespace").asText()).isEqualTo("web");
    // a retry answers the same lease, never a second one
    Harness.Response again = post("/api/v1/deployments/" + id + "/claim", claim, "");
    assertThat(again.json().get("id").asText()).isEqualTo(leaseId);

    JsonNode audit = get("/api/v1/audit?action=lease.issue&limit=50", admin);
    JsonNode rec = null;
    for (JsonNode x : audit.get("items")) {
      if (x.get("target").asText().equals("lease/" + leaseId)) {
        rec = x;
      }
    }
    assertThat(rec).as("the lease's audit record").isNotNull();
    assertThat(rec.at("/details/deployment/approvers").toString())
        .contains("alice")
        .contains("carol");
    assertThat(rec.at("/details/deployment/environment").asText()).isEqualTo(env);
    assertThat(rec.get("actor").asText()).isEqualTo("bob");

    Harness.Response fin =
        post(
            "/api/v1/deployments/" + id + "/finish",
            claim,
            "{\"result\":\"succeeded\",\"exitCode\":0}");
    assertThat(fin.status()).as("%s", fin).isEqualTo(200);
    JsonNode hist = get("/api/v1/environments/" + env + "/deployments?resource=web", user);
    JsonNode last = hist.get("items").get(0);
    assertThat(last.get("id").asText()).isEqualTo(id);
    assertThat(last.get("result").asText()).isEqualTo("succeeded");
    assertThat(last.get("exitCode").asInt()).isZero();
    assertThat(last.get("leaseId").asText()).isEqualTo(leaseId);
    assertThat(last.get("startedAt").isNull()).isFalse();
    assertThat(last.get("finishedAt").isNull()).isFalse();
    assertThat(
            get("/api/v1/environments/" + env + "/resources/web/deployments?result=succeeded", user)
                .get("items"))
        .hasSize(1);
    assertThat(get("/api/v1/environments/" + env + "/deployments?resource=api", user).get("items"))
        .isEmpty();
  }

  @Test
  @DisplayName("a rejection ends the deployment: it cannot be claimed, and history says rejected")
  void rejection() throws Exception {
    String env = env(APPROVAL_2);
    JsonNode d = deploy(env, "web", user).json();
    String approval = d.get("approvals").get(0).get("id").asText();
    Harness.Response r = decide(approval, alice, "reject", "not today");
    assertThat(r.status()).as("%s", r).isEqualTo(200);
    assertThat(r.json().get("state").asText()).isEqualTo("rejected");
    JsonNode after = get("/api/v1/deployments/" + d.get("id").asText(), user);
    assertThat(after.get("state").asText()).isEqualTo("finished");
    assertThat(after.get("result").asText()).isEqualTo("rejected");
    assertThat(after.get("failure").asText()).contains("alice").contains("not today");
    Harness.Response claim =
        post(
            "/api/v1/deployments/" + d.get("id").asText() + "/claim",
            d.get("claimHandle").asText(),
            "");
    assertThat(claim.status()).isEqualTo(409);
    assertThat(claim.json().get("code").asText()).isEqualTo("DEPLOYMENT_FINISHED");
    assertThat(decide(approval, ops2, "approve", "late").status()).isEqualTo(409);
  }

  @Test
  @DisplayName("an approval that times out ends the deployment as timed-out")
  void approvalTimeout() throws Exception {
    String env = env(APPROVAL_2);
    JsonNode d = deploy(env, "web", user).json();
    String id = d.get("id").asText();
    Instant real = h.clock.instant();
    try {
      for (int i = 0; i < 5; i++) {
        h.clock.advance(Duration.ofMinutes(10));
        assertThat(
                get("/api/v1/deployments/" + id, d.get("claimHandle").asText())
                    .get("state")
                    .asText())
            .isEqualTo("waiting");
      }
      h.clock.advance(Duration.ofMinutes(11));
      JsonNode after = get("/api/v1/deployments/" + id, user);
      assertThat(after.get("result").asText()).isEqualTo("timed-out");
      assertThat(after.get("approvals").get(0).get("state").asText()).isEqualTo("timed-out");
      assertThat(get("/api/v1/approvals?pending=true", user).get("items").findValuesAsText("id"))
          .doesNotContain(d.get("approvals").get(0).get("id").asText());
    } finally {
      h.clock.set(real);
    }
  }

  @Test
  @DisplayName("business hours: waits outside them (with when they open), passes inside")
  void businessHours() throws Exception {
    Instant real = h.clock.instant();
    String env =
        env(
            "{\"type\":\"businessHours\",\"days\":[\"mon\",\"tue\",\"wed\",\"thu\",\"fri\"],"
                + "\"start\":\"09:00\",\"end\":\"17:00\",\"timeZone\":\"Europe/Berlin\"}");
    try {
      // Saturday 2026-11-28 12:00 in Berlin (11:00 UTC): closed until Monday 09:00
      h.clock.set(Instant.parse("2026-11-28T11:00:00Z"));
      JsonNode weekend = deploy(env, "web", user).json();
      assertThat(weekend.get("state").asText()).isEqualTo("waiting");
      assertThat(weekend.get("waitingFor").asText())
          .startsWith("business hours: outside mon,tue,wed,thu,fri 09:00-17:00 Europe/Berlin")
          .contains("opens Mon 09:00 — 45 h 0 min left");
      // Monday 2026-11-30 08:50 Berlin (07:50 UTC): 10 minutes to go
      h.clock.set(Instant.parse("2026-11-30T07:50:00Z"));
      JsonNode d = deploy(env, "web", user).json();
      String path = "/api/v1/deployments/" + d.get("id").asText();
      String claim = d.get("claimHandle").asText();
      assertThat(d.get("waitingFor").asText()).endsWith("opens Mon 09:00 — 10 min left");
      h.clock.advance(Duration.ofMinutes(11));
      JsonNode open = get(path, claim);
      assertThat(open.get("state").asText()).isEqualTo("ready");
      assertThat(open.get("checks").get(0).get("status").asText()).isEqualTo("passed");
      post(path + "/cancel", claim, "");
      // Monday 16:58 Berlin, then 17:01: closed again, until Tuesday
      h.clock.set(Instant.parse("2026-11-30T15:58:00Z"));
      JsonNode late = deploy(env, "web", user).json();
      assertThat(late.get("state").asText()).isEqualTo("ready");
      h.clock.advance(Duration.ofMinutes(3));
      JsonNode closed = get("/api/v1/deployments/" + late.get("id").asText(), user);
      assertThat(closed.get("state").asText()).isEqualTo("waiting");
      assertThat(closed.get("waitingFor").asText()).contains("opens Tue 09:00");
      post("/api/v1/deployments/" + late.get("id").asText() + "/cancel", creator, "");
    } finally {
      h.clock.set(real);
    }
  }

  @Test
  @DisplayName(
      "exclusive lock: concurrent deployments queue in arrival order; each gets the lock only"
          + " when the one before it has finished")
  void lockOrdering() throws Exception {
    String env = env("{\"type\":\"exclusiveLock\"}");
    int n = 6;
    ExecutorService pool = Executors.newFixedThreadPool(n);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<JsonNode>> futures = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      futures.add(
          pool.submit(
              () -> {
                go.await();
                Harness.Response r = deploy(env, "web", user);
                assertThat(r.status()).as("%s", r).isEqualTo(201);
                return r.json();
              }));
    }
    go.countDown();
    Map<String, String> claims = new ConcurrentHashMap<>();
    for (Future<JsonNode> f : futures) {
      JsonNode d = f.get();
      claims.put(d.get("id").asText(), d.get("claimHandle").asText());
    }
    pool.shutdown();
    // arrival order as the server recorded it (history is newest first)
    List<String> order = new ArrayList<>();
    for (JsonNode x : get("/api/v1/environments/" + env + "/deployments", user).get("items")) {
      order.add(0, x.get("id").asText());
    }
    assertThat(order).hasSize(n);
    for (int i = 0; i < n; i++) {
      for (int j = i; j < n; j++) {
        JsonNode d = get("/api/v1/deployments/" + order.get(j), user);
        assertThat(d.get("queuePosition").asInt())
            .as("deployment %d at round %d", j, i)
            .isEqualTo(j - i);
        if (j == i) {
          assertThat(d.get("state").asText()).isEqualTo("ready");
        } else {
          assertThat(d.get("state").asText()).isEqualTo("waiting");
          assertThat(d.get("waitingFor").asText())
              .isEqualTo("the exclusive lock: " + ordinal(j - i + 1) + " in queue");
          Harness.Response early =
              post("/api/v1/deployments/" + order.get(j) + "/claim", claims.get(order.get(j)), "");
          assertThat(early.status()).isEqualTo(409);
        }
      }
      String id = order.get(i);
      Harness.Response lease = post("/api/v1/deployments/" + id + "/claim", claims.get(id), "");
      assertThat(lease.status()).as("%s", lease).isEqualTo(200);
      assertThat(
              post(
                      "/api/v1/deployments/" + id + "/finish",
                      claims.get(id),
                      "{\"result\":\"failed\",\"exitCode\":3}")
                  .status())
          .isEqualTo(200);
    }
  }

  static String ordinal(int n) {
    return n + (n == 2 ? "nd" : n == 3 ? "rd" : n == 1 ? "st" : "th");
  }

  @Test
  @DisplayName("exclusive lock with failFast refuses a second deployment at once, and records it")
  void lockFailFast() throws Exception {
    String env = env("{\"type\":\"exclusiveLock\",\"failFast\":true}");
    JsonNode first = deploy(env, "web", user).json();
    Harness.Response second = deploy(env, "api", user);
    assertThat(second.status()).as("%s", second).isEqualTo(409);
    assertThat(second.json().get("code").asText()).isEqualTo("LOCK_HELD");
    assertThat(second.json().get("detail").asText()).contains(first.get("id").asText());
    JsonNode refused =
        get("/api/v1/environments/" + env + "/deployments?result=refused", user).get("items");
    assertThat(refused).hasSize(1);
    assertThat(refused.get(0).get("id").asText())
        .isEqualTo(second.json().get("deployment").asText());
    // cancelling the first frees the lock
    Harness.Response cancel =
        post(
            "/api/v1/deployments/" + first.get("id").asText() + "/cancel",
            first.get("claimHandle").asText(),
            "");
    assertThat(cancel.json().get("result").asText()).isEqualTo("cancelled");
    assertThat(deploy(env, "api", user).status()).isEqualTo(201);
  }

  @Test
  @DisplayName("cancelling a waiting deployment withdraws its approval request")
  void cancelWithdraws() throws Exception {
    String env = env(APPROVAL_2);
    JsonNode d = deploy(env, "web", user).json();
    String approval = d.get("approvals").get(0).get("id").asText();
    Harness.Response c =
        post(
            "/api/v1/deployments/" + d.get("id").asText() + "/cancel",
            d.get("claimHandle").asText(),
            "");
    assertThat(c.status()).as("%s", c).isEqualTo(200);
    assertThat(c.json().get("result").asText()).isEqualTo("cancelled");
    assertThat(get("/api/v1/approvals/" + approval, user).get("state").asText())
        .isEqualTo("withdrawn");
    assertThat(get("/api/v1/approvals?pending=true", user).get("items").findValuesAsText("id"))
        .doesNotContain(approval);
    assertThat(decide(approval, alice, "approve", "too late").status()).isEqualTo(409);
  }

  @Test
  @DisplayName("branch control refuses a caller without a ref (an API token), naming why")
  void branchControlDeniesApiTokens() throws Exception {
    String env = env("{\"type\":\"branchControl\",\"allowedRefs\":[\"refs/heads/main\"]}");
    Harness.Response r = deploy(env, "web", user);
    assertThat(r.status()).as("%s", r).isEqualTo(403);
    assertThat(r.json().get("code").asText()).isEqualTo("BRANCH_NOT_ALLOWED");
    assertThat(r.json().get("detail").asText()).contains("no ref");
  }

  @Test
  @DisplayName(
      "a lease for one resource cannot act in another resource's namespace (deployers per"
          + " namespace)")
  void resourceLeaseStaysInItsNamespace() throws Exception {
    String env = env();
    JsonNode d = deploy(env, "web", user).json();
    assertThat(d.get("state").asText()).isEqualTo("ready");
    Harness.Response lease =
        post(
            "/api/v1/deployments/" + d.get("id").asText() + "/claim",
            d.get("claimHandle").asText(),
            "");
    assertThat(lease.status()).as("%s", lease).isEqualTo(200);
    String token = lease.json().get("token").asText();
    assertThat(createConfigMap(token, "web")).isEqualTo(201);
    assertThat(createConfigMap(token, "api")).isEqualTo(403);
    post(
        "/api/v1/deployments/" + d.get("id").asText() + "/finish",
        d.get("claimHandle").asText(),
        "{\"result\":\"succeeded\",\"exitCode\":0}");
  }

  int createConfigMap(String token, String ns) throws Exception {
    HttpResponse<String> r =
        kubeHttp.send(
            HttpRequest.newBuilder(
                    URI.create(kube.url() + "/api/v1/namespaces/" + ns + "/configmaps"))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cm-"
                            + (++seq)
                            + "\"},\"data\":{\"a\":\"b\"}}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    return r.statusCode();
  }

  @Test
  @DisplayName("bad input is refused with a 4xx naming the field")
  void badInput() throws Exception {
    String env = env();
    Object[][] cases = {
      {"/api/v1/environments", "{\"name\":\"Bad Name\"}", "name"},
      {
        "/api/v1/environments",
        "{\"name\":\"x1\",\"resources\":[{\"name\":\"web\",\"target\":{\"connection\":\"nope\","
            + "\"namespace\":\"web\"}}]}",
        "resources[0].target.connection"
      },
      {
        "/api/v1/environments/" + env + "/resources",
        "{\"name\":\"db\",\"target\":{\"connection\":\"prod\",\"namespace\":\"db\"}}",
        "target.namespace"
      },
      {"/api/v1/environments/" + env + "/resources", "{\"name\":\"db\"}", "target"},
      {"/api/v1/environments/" + env + "/checks", "{\"type\":\"vote\"}", "type"},
      {"/api/v1/environments/" + env + "/checks", "{\"type\":\"approval\"}", "approvers"},
      {
        "/api/v1/environments/" + env + "/checks",
        "{\"type\":\"approval\",\"approvers\":[\"a\"],\"minApprovers\":2}",
        "minApprovers"
      },
      {
        "/api/v1/environments/" + env + "/checks",
        "{\"type\":\"businessHours\",\"start\":\"9am\",\"end\":\"17:00\"}",
        "start"
      },
      {
        "/api/v1/environments/" + env + "/checks",
        "{\"type\":\"businessHours\",\"start\":\"09:00\",\"end\":\"17:00\",\"timeZone\":\"Mars\"}",
        "timeZone"
      },
      {
        "/api/v1/environments/" + env + "/checks",
        "{\"type\":\"exclusiveLock\",\"approvers\":[\"a\"]}",
        "approvers"
      },
      {"/api/v1/connections/prod/checks", "{\"type\":\"exclusiveLock\"}", "type"},
      {"/api/v1/environments/" + env + "/deployments", "{}", "resource"},
      {"/api/v1/environments/" + env + "/deployments", "{\"resource\":\"db\"}", "resource"},
    };
    for (Object[] c : cases) {
      String token = ((String) c[0]).endsWith("/deployments") ? user : creator;
      if (((String) c[0]).startsWith("/api/v1/connections")) {
        token = admin;
      }
      Harness.Response r = post((String) c[0], token, (String) c[1]);
      assertThat(r.status()).as("%s → %s", c[1], r).isBetween(400, 404);
      assertThat(r.json().path("field").asText()).as("%s → %s", c[1], r).isEqualTo(c[2]);
    }
    Harness.Response decision = post("/api/v1/approvals/nope", alice, "{\"decision\":\"maybe\"}");
    assertThat(decision.status()).isEqualTo(400);
    assertThat(decision.json().get("field").asText()).isEqualTo("decision");
    assertThat(h.get("/api/v1/environments/" + env + "/deployments?result=great", user).status())
        .isEqualTo(400);
    assertThat(post("/api/v1/environments", user, "{\"name\":\"mine\"}").status())
        .as("creating needs creator")
        .isEqualTo(403);
    assertThat(
            post("/api/v1/environments/" + env + "/checks", user, "{\"type\":\"exclusiveLock\"}")
                .status())
        .as("changing checks needs creator")
        .isEqualTo(403);
  }

  @Test
  @DisplayName("a claim handle reads, claims, finishes and cancels only its own deployment")
  void claimHandleScope() throws Exception {
    String env = env(APPROVAL_2);
    JsonNode a = deploy(env, "web", user).json();
    JsonNode b = deploy(env, "web", user).json();
    String claimA = a.get("claimHandle").asText();
    assertThat(h.get("/api/v1/deployments/" + a.get("id").asText(), claimA).status())
        .isEqualTo(200);
    assertThat(h.get("/api/v1/deployments/" + b.get("id").asText(), claimA).status())
        .isEqualTo(401);
    assertThat(h.get("/api/v1/environments", claimA).status()).isEqualTo(401);
    assertThat(h.get("/api/v1/leases", claimA).status()).isEqualTo(401);
    // and an API token cannot claim: only the handle can
    assertThat(post("/api/v1/deployments/" + a.get("id").asText() + "/claim", admin, "").status())
        .isEqualTo(403);
    assertThat(get("/api/v1/deployments/" + a.get("id").asText(), user).has("claimHandle"))
        .isFalse();
    for (JsonNode x : List.of(a, b)) {
      post("/api/v1/deployments/" + x.get("id").asText() + "/cancel", creator, "");
    }
  }

  @Test
  @DisplayName("environments list and show their resources, connectionType and checks")
  void crud() throws Exception {
    String env = env(APPROVAL_2);
    JsonNode e = get("/api/v1/environments/" + env, user);
    assertThat(e.get("resources").get(1).get("name").asText()).isEqualTo("web");
    assertThat(e.get("resources").get(1).get("tags").get(0).asText()).isEqualTo("eu");
    assertThat(e.get("resources").get(1).get("target").get("connection").asText())
        .isEqualTo("prod");
    assertThat(e.get("resources").get(1).get("connectionType").asText())
        .isEqualTo("Kubernetes Service Connection");
    assertThat(e.get("checks").get(0).get("minApprovers").asInt()).isEqualTo(2);
    assertThat(get("/api/v1/environments", user).get("items").findValuesAsText("name"))
        .contains(env);
    // an empty environment may name an azurerm resource, added later
    Harness.Response empty =
        post("/api/v1/environments", creator, "{\"name\":\"later-" + env + "\"}");
    assertThat(empty.status()).as("%s", empty).isEqualTo(201);
    assertThat(empty.json().get("resources")).isEmpty();
    Harness.Response rm = h.delete("/api/v1/environments/" + env + "/resources/api", creator);
    assertThat(rm.status()).isEqualTo(204);
    String check = e.get("checks").get(0).get("id").asText();
    assertThat(h.delete("/api/v1/environments/" + env + "/checks/" + check, creator).status())
        .isEqualTo(204);
    assertThat(get("/api/v1/environments/" + env + "/checks", user).get("items")).isEmpty();
    Harness.Response put =
        send(
            "PUT",
            "/api/v1/environments/" + env,
            creator,
            "{\"description\":\"prod\",\"roles\":[{\"member\":\"group:deployers\",\"role\":\"user\"}]}",
            null);
    assertThat(put.status()).as("%s", put).isEqualTo(200);
    Harness.Response noRole = deploy(env, "web", user);
    assertThat(noRole.status()).as("%s", noRole).isEqualTo(403);
    assertThat(noRole.json().get("code").asText()).isEqualTo("ENVIRONMENT_ROLE_REQUIRED");
    assertThat(h.delete("/api/v1/environments/" + env, creator).status()).isEqualTo(204);
    assertThat(h.get("/api/v1/environments/" + env, user).status()).isEqualTo(404);
    JsonNode audit = get("/api/v1/audit?limit=200", admin);
    assertThat(audit.get("items").findValuesAsText("action"))
        .contains(
            "environment.create",
            "environment.update",
            "environment.delete",
            "environment.resource.remove",
            "check.add",
            "check.remove");
  }

  String idToken(String ref) {
    return ci.token(
        "repo:org/app:ref:" + ref,
        TrustApiTest.AUD,
        Map.of("repository", "org/app", "ref", ref, "run_id", "4711", "actor", "octocat"));
  }

  @Test
  @DisplayName(
      "branch control reads the ref from the pipeline's ID token: main deploys, a feature branch"
          + " is refused; the claim handle takes the lease after the ID token has expired")
  void branchControlWithIdTokens() throws Exception {
    String env = env("{\"type\":\"branchControl\",\"allowedRefs\":[\"refs/heads/main\"]}");
    Harness.Response unpermitted = deploy(env, "web", idToken("refs/heads/main"));
    assertThat(unpermitted.status()).as("%s", unpermitted).isEqualTo(403);
    assertThat(unpermitted.json().get("code").asText()).isEqualTo("PIPELINE_NOT_PERMITTED");
    assertThat(unpermitted.json().get("detail").asText()).contains(env);
    assertThat(
            send(
                    "PUT",
                    "/api/v1/environments/" + env,
                    creator,
                    "{\"pipelinePermissions\":{\"pipelines\":[\"github:org/app@**\"]}}",
                    null)
                .status())
        .isEqualTo(200);

    Harness.Response feature = deploy(env, "web", idToken("refs/heads/feature/x"));
    assertThat(feature.status()).as("%s", feature).isEqualTo(403);
    assertThat(feature.json().get("code").asText()).isEqualTo("BRANCH_NOT_ALLOWED");
    assertThat(feature.json().get("detail").asText())
        .contains("refs/heads/feature/x is not one of refs/heads/main");

    String token = idToken("refs/heads/main");
    Harness.Response main = deploy(env, "web", token);
    assertThat(main.status()).as("%s", main).isEqualTo(201);
    JsonNode d = main.json();
    assertThat(d.get("state").asText()).isEqualTo("ready");
    assertThat(d.get("requester").asText()).isEqualTo("github:org/app@refs/heads/main");
    assertThat(d.at("/pipelineIdentity/claims/ref").asText()).isEqualTo("refs/heads/main");
    // an ID token is accepted only where it is meant to be
    assertThat(h.get("/api/v1/environments", token).status()).isEqualTo(401);

    Instant real = h.clock.instant();
    h.clock.advance(Duration.ofMinutes(10));
    try {
      assertThat(deploy(env, "web", token).status()).as("the ID token has expired").isEqualTo(401);
      Harness.Response lease =
          post(
              "/api/v1/deployments/" + d.get("id").asText() + "/claim",
              d.get("claimHandle").asText(),
              "");
      assertThat(lease.status()).as("%s", lease).isEqualTo(200);
    } finally {
      h.clock.set(real);
    }
    JsonNode leaseView =
        get(
            "/api/v1/leases/"
                + get("/api/v1/deployments/" + d.get("id").asText(), user).get("leaseId").asText(),
            user);
    assertThat(leaseView.get("principal").asText()).isEqualTo("github:org/app@refs/heads/main");
    assertThat(leaseView.at("/pipelineIdentity/claims/ref").asText()).isEqualTo("refs/heads/main");
    post(
        "/api/v1/deployments/" + d.get("id").asText() + "/finish",
        d.get("claimHandle").asText(),
        "{\"result\":\"succeeded\",\"exitCode\":0}");
  }

  @Test
  @DisplayName(
      "checks cannot be bypassed with a direct lease: a namespace that is a resource of an"
          + " environment with checks, or a connection with checks, refuses POST /api/v1/leases")
  void directLeasesAreGated() throws Exception {
    Harness.Response stage =
        post(
            "/api/v1/connections?timeout=10s",
            creator,
            ConnectionProvisioningTest.azureBody("stage", kube.adminKubeconfig(), "web", "api")
                .toString());
    assertThat(stage.status()).as("%s", stage).isEqualTo(201);
    Harness.Response free = post("/api/v1/leases", user, LeaseApiTest.body("stage", "web", null));
    assertThat(free.status()).as("no checks yet: %s", free).isEqualTo(201);

    String env = "gated-" + (++seq);
    assertThat(
            post(
                    "/api/v1/environments",
                    creator,
                    "{\"name\":\""
                        + env
                        + "\",\"resources\":[{\"name\":\"web\",\"target\":{\"connection\":"
                        + "\"stage\",\"namespace\":\"web\"}}]}")
                .status())
        .isEqualTo(201);
    post(
        "/api/v1/environments/" + env + "/checks",
        creator,
        "{\"type\":\"approval\",\"approvers\":[\"alice\"]}");
    Harness.Response gated = post("/api/v1/leases", admin, LeaseApiTest.body("stage", "web", null));
    assertThat(gated.status()).as("%s", gated).isEqualTo(403);
    assertThat(gated.json().get("code").asText()).isEqualTo("CHECKS_REQUIRED");
    assertThat(gated.json().get("detail").asText())
        .contains("resource web of environment " + env)
        .contains("sightline run --environment");
    assertThat(post("/api/v1/leases", user, LeaseApiTest.body("stage", "api", null)).status())
        .as("the other namespace is no environment's resource")
        .isEqualTo(201);

    Harness.Response check =
        post(
            "/api/v1/connections/stage/checks",
            admin,
            "{\"type\":\"approval\",\"approvers\":[\"group:ops-leads\"]}");
    assertThat(check.status()).as("%s", check).isEqualTo(201);
    assertThat(check.json().get("scope").asText()).isEqualTo("connection");
    Harness.Response api = post("/api/v1/leases", user, LeaseApiTest.body("stage", "api", null));
    assertThat(api.status()).isEqualTo(403);
    assertThat(api.json().get("detail").asText()).contains("connection stage has checks");

    // a deployment goes through both the environment's and the connection's checks
    JsonNode d = deploy(env, "web", user).json();
    assertThat(d.get("checks")).hasSize(2);
    assertThat(d.get("checks").findValuesAsText("scope"))
        .containsExactly("environment", "connection");
    assertThat(d.get("approvals")).hasSize(2);
    for (JsonNode a : d.get("approvals")) {
      assertThat(decide(a.get("id").asText(), alice, "approve", "ok").status()).isEqualTo(200);
    }
    JsonNode ready = get("/api/v1/deployments/" + d.get("id").asText(), user);
    assertThat(ready.get("state").asText()).isEqualTo("ready");
    Harness.Response lease =
        post(
            "/api/v1/deployments/" + d.get("id").asText() + "/claim",
            d.get("claimHandle").asText(),
            "");
    assertThat(lease.status()).as("%s", lease).isEqualTo(200);
    assertThat(get("/api/v1/audit?action=lease.refused&limit=20", admin).toString())
        .contains("CHECKS_REQUIRED");
  }

  @Test
  @DisplayName(
      "a waiting deployment whose run stopped looking for 15 minutes is withdrawn and frees the"
          + " exclusive lock's queue")
  void unwatchedDeploymentLeavesTheQueue() throws Exception {
    String env = env("{\"type\":\"exclusiveLock\"}");
    JsonNode gone = deploy(env, "web", user).json();
    JsonNode next = deploy(env, "web", user).json();
    String nextPath = "/api/v1/deployments/" + next.get("id").asText();
    String nextClaim = next.get("claimHandle").asText();
    assertThat(get(nextPath, nextClaim).get("waitingFor").asText())
        .isEqualTo("the exclusive lock: 2nd in queue");
    Instant real = h.clock.instant();
    try {
      for (int i = 0; i < 4; i++) {
        h.clock.advance(Duration.ofMinutes(4));
        get(nextPath, nextClaim); // the run keeps looking; the first one's does not
      }
      JsonNode first = get("/api/v1/deployments/" + gone.get("id").asText(), user);
      assertThat(first.get("result").asText()).isEqualTo("cancelled");
      assertThat(first.get("failure").asText()).contains("stopped watching");
      JsonNode ready = get(nextPath, nextClaim);
      assertThat(ready.get("state").asText()).isEqualTo("ready");
      assertThat(ready.get("queuePosition").asInt()).isZero();
      post(nextPath + "/cancel", nextClaim, "");
    } finally {
      h.clock.set(real);
    }
  }

  @Test
  @DisplayName("a restart of the server while a deployment waits for approval loses nothing")
  void restartWhileWaiting() throws Exception {
    String env = env(APPROVAL_2);
    JsonNode d = deploy(env, "web", user).json();
    String id = d.get("id").asText();
    String claim = d.get("claimHandle").asText();
    String approval = d.get("approvals").get(0).get("id").asText();
    assertThat(decide(approval, alice, "approve", "one").status()).isEqualTo(200);
    h.restart();
    JsonNode after = get("/api/v1/deployments/" + id, claim);
    assertThat(after.get("state").asText()).isEqualTo("waiting");
    assertThat(after.get("waitingFor").asText()).startsWith("approval: 1 of 2, by ops-leads");
    assertThat(decide(approval, ops2, "approve", "two").status()).isEqualTo(200);
    Harness.Response lease = post("/api/v1/deployments/" + id + "/claim", claim, "");
    assertThat(lease.status()).as("%s", lease).isEqualTo(200);
    post(
        "/api/v1/deployments/" + id + "/finish",
        claim,
        "{\"result\":\"succeeded\",\"exitCode\":0}");
  }
}
