package io.sightline.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sightline.testing.kube.FakeKubeApiServer;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12: two server processes (the built jar) on one real PostgreSQL share the lease load; one
 * is killed ({@code kill -9}) mid-load. Clients retry on the survivor with the same
 * Idempotency-Key: a lease that was issued comes back the same; an issuance the kill interrupted is
 * failed and revoked by the survivor's reaper (leadership moved to it), after which the client asks
 * again with a new key. No lease is lost, no Secret outlives its lease, every received token of an
 * active lease works, and the audit chain written by both processes verifies.
 */
class ReplicasIT {
  static final ObjectMapper JSON = new ObjectMapper();
  static final int THREADS = 8;
  static final int ANSWERS_BEFORE_KILL = 40;
  static final int TASKS_AFTER_KILL = 30;
  static final String HOME_NAMESPACE = "sightline-prod";
  static final String LEASE_BODY =
      "{\"target\":{\"connection\":\"prod\",\"namespace\":\"web\"},\"ttlSeconds\":900}";

  @TempDir Path tmp;
  EmbeddedPostgres pg;
  FakeKubeApiServer kube;
  final List<Sightline.Server> servers = new ArrayList<>();
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  HttpClient kubeHttp;

  /** One task's outcome: the lease it ended with and how many requests that took. */
  record Task(int n, String key, String id, String token, int attempts, boolean newKey) {
    @Override
    public String toString() {
      return "task " + n + " lease " + id + " (token redacted)";
    }
  }

  @AfterEach
  void stop() throws Exception {
    for (Sightline.Server s : servers) {
      s.close();
    }
    if (kube != null) {
      kube.close();
    }
    if (pg != null) {
      pg.close();
    }
  }

  @Test
  @DisplayName(
      "two servers on one PostgreSQL, one killed mid-load: retries on the survivor lose no lease,"
          + " the reaper moves, and the audit chain verifies")
  void killOneReplicaUnderLeaseLoad() throws Exception {
    pg = EmbeddedPostgres.builder().setPort(Sightline.freePort()).start();
    try (Connection c = pg.getPostgresDatabase().getConnection();
        Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE sightline");
    }
    kube = FakeKubeApiServer.builder().version("1.30").authCache(false).start();
    kubeHttp = HttpClient.newBuilder().sslContext(kube.sslContext()).build();
    FakeKubeApiServer.Faults faults = kube.faults();
    faults.slowDelay(Duration.ZERO);
    String adminKubeconfig =
        kube.adminKubeconfig().replace(kube.url().toString(), faults.slow().toString());

    SecureRandom random = new SecureRandom();
    byte[] key = new byte[32];
    random.nextBytes(key);
    byte[] token = new byte[32];
    random.nextBytes(token);
    String admin = "slt_" + Base64.getUrlEncoder().withoutPadding().encodeToString(token);
    Map<String, String> env =
        Sightline.env(
            "HOME",
            tmp.toString(),
            "SIGHTLINE_DB_URL",
            "jdbc:postgresql://127.0.0.1:" + pg.getPort() + "/sightline",
            "SIGHTLINE_DB_USER",
            "postgres",
            "SIGHTLINE_DB_PASSWORD",
            "unused",
            "SIGHTLINE_MASTER_KEY",
            Base64.getEncoder().encodeToString(key),
            "SIGHTLINE_BOOTSTRAP_TOKEN",
            admin,
            "SIGHTLINE_LEASE_REAP_INTERVAL",
            "1s");
    Sightline.Server a = start(env, "a");
    Sightline.Server b = start(env, "b");
    await(() -> leaders().size() == 1, Duration.ofSeconds(20), "one leader among the replicas");
    assertThat(leaders()).as("exactly one replica leads").hasSize(1);
    Sightline.Server leader = leaders().get(0);
    Sightline.Server survivor = leader == a ? b : a;
    assertThat(a.stderrText() + b.stderrText())
        .as("nothing is generated or printed with an external database")
        .doesNotContain(admin)
        .doesNotContain("shown only this once");

    Map<String, Object> connection = new HashMap<>();
    connection.put("name", "prod");
    connection.put("kind", "kubernetes");
    connection.put("authorizationType", "AzureSubscription");
    connection.put("adminKubeconfig", adminKubeconfig);
    connection.put("namespaces", List.of("web"));
    connection.put("createNamespace", true);
    var created =
        post(survivor, admin, "/api/v1/connections", JSON.writeValueAsString(connection), null);
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);

    // A retry on the other replica with the same Idempotency-Key answers the same lease.
    String k0 = UUID.randomUUID().toString();
    var first = post(leader, admin, "/api/v1/leases", LEASE_BODY, k0);
    assertThat(first.statusCode()).as(first.body()).isEqualTo(201);
    var again = post(survivor, admin, "/api/v1/leases", LEASE_BODY, k0);
    assertThat(again.statusCode()).as(again.body()).isEqualTo(201);
    assertThat(again.headers().firstValue("Idempotent-Replayed")).hasValue("true");
    assertThat(JSON.readTree(again.body()).path("id").asText())
        .isEqualTo(JSON.readTree(first.body()).path("id").asText());
    assertThat(JSON.readTree(again.body()).path("token").asText())
        .as("the same token, not a second one")
        .isEqualTo(JSON.readTree(first.body()).path("token").asText());

    // Load on both replicas; the leader is killed under it.
    faults.slowDelay(Duration.ofMillis(100));
    List<Task> tasks = new ArrayList<>();
    List<String[]> answeredByLeader = new ArrayList<>(); // {key, id, token}
    Map<String, AtomicInteger> outcomes = new ConcurrentHashMap<>();
    AtomicInteger next = new AtomicInteger();
    AtomicInteger afterKill = new AtomicInteger();
    AtomicBoolean killed = new AtomicBoolean();
    CountDownLatch enough = new CountDownLatch(ANSWERS_BEFORE_KILL);
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    List<java.util.concurrent.Future<?>> workers = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      workers.add(
          pool.submit(
              () -> {
                while (!killed.get() || afterKill.getAndIncrement() < TASKS_AFTER_KILL) {
                  int n = next.getAndIncrement();
                  Task done = runTask(n, n % 2 == 0 ? leader : survivor, survivor, admin, outcomes);
                  synchronized (tasks) {
                    tasks.add(done);
                  }
                  enough.countDown();
                }
                return null;
              }));
    }
    assertThat(enough.await(90, TimeUnit.SECONDS))
        .as("%s tasks done before the kill (outcomes %s)", ANSWERS_BEFORE_KILL, outcomes)
        .isTrue();
    synchronized (tasks) {
      for (Task t : tasks) {
        if (t.attempts() == 1 && t.n() % 2 == 0) {
          answeredByLeader.add(new String[] {t.key(), t.id(), t.token()});
        }
      }
    }
    leader.process.destroyForcibly();
    assertThat(leader.process.waitFor(10, TimeUnit.SECONDS)).isTrue();
    killed.set(true);
    long killedAt = System.nanoTime();
    // Leadership (and with it the reaper) moves to the survivor within seconds, under load.
    await(() -> isLeader(survivor), Duration.ofSeconds(20), "the survivor leads");
    long movedMs = (System.nanoTime() - killedAt) / 1_000_000;
    assertThat(survivor.stderrText()).contains("leadership acquired");
    for (var w : workers) {
      w.get(6, TimeUnit.MINUTES);
    }
    pool.shutdown();
    faults.slowDelay(Duration.ZERO);

    // Clients that never saw the dead replica's answer retry on the survivor: same lease.
    assertThat(answeredByLeader).as("the killed replica answered some tasks").isNotEmpty();
    for (String[] r : answeredByLeader) {
      var retry = post(survivor, admin, "/api/v1/leases", LEASE_BODY, r[0]);
      assertThat(retry.statusCode()).as(retry.body()).isEqualTo(201);
      JsonNode j = JSON.readTree(retry.body());
      assertThat(j.path("id").asText()).isEqualTo(r[1]);
      assertThat(j.path("token").asText()).as("same token for lease %s", r[1]).isEqualTo(r[2]);
    }

    // The survivor's reaper ends what the kill interrupted: nothing stays issuing.
    Map<String, String> states = new HashMap<>();
    await(
        () -> {
          states.clear();
          states.putAll(leaseStates(survivor, admin));
          return !states.containsValue("issuing");
        },
        Duration.ofMinutes(4),
        "no lease left issuing");

    List<Task> got;
    synchronized (tasks) {
      got = List.copyOf(tasks);
    }
    long interrupted = got.stream().filter(Task::newKey).count();
    long failed = states.values().stream().filter("failed"::equals).count();
    System.out.printf(
        "ReplicasIT: %d tasks (%d answered by the killed replica and retried on the survivor, %d"
            + " interrupted mid-issuance and retried with a new key); %d leases, %d failed;"
            + " leadership moved in %d ms; outcomes %s%n",
        got.size(), answeredByLeader.size(), interrupted, states.size(), failed, movedMs, outcomes);

    SoftAssertions soft = new SoftAssertions();
    // (1) every task ended with one active lease whose token works; none is lost.
    Set<String> active = new HashSet<>();
    states.forEach(
        (id, s) -> {
          if (s.equals("active")) active.add(id);
        });
    soft.assertThat(got).hasSizeGreaterThanOrEqualTo(ANSWERS_BEFORE_KILL + TASKS_AFTER_KILL);
    for (Task t : got) {
      soft.assertThat(states.get(t.id())).as("state of %s", t).isEqualTo("active");
      var answer = kube("/api/v1/namespaces/web/configmaps", t.token());
      soft.assertThat(answer.statusCode())
          .as("cluster answer to the token of %s", t)
          .isNotEqualTo(401);
    }
    soft.assertThat(new HashSet<>(states.values()))
        .as("lease states: %s", states)
        .isSubsetOf(Set.of("active", "failed", "revoked"));
    // (2) no bound Secret without an active lease, no active lease without its Secret.
    Set<String> leaseSecrets = leaseSecrets();
    soft.assertThat(leaseSecrets).as("Secrets without an active lease").isSubsetOf(active);
    soft.assertThat(active).as("active leases whose Secret is gone").isSubsetOf(leaseSecrets);
    // (3) each lease has its audit record; interrupted ones were ended by the survivor's reaper.
    Set<String> issued = auditedLeases(survivor, admin, "lease.issue");
    Set<String> failedAudited = auditedLeases(survivor, admin, "lease.failed");
    states.forEach(
        (id, s) -> {
          if (s.equals("active")) {
            soft.assertThat(issued).as("lease.issue of %s", id).contains(id);
          } else if (s.equals("failed")) {
            soft.assertThat(failedAudited).as("lease.failed of %s", id).contains(id);
          }
        });
    if (failed > 0) {
      soft.assertThat(auditedLeases(survivor, admin, "lease.reap"))
          .as("the survivor's reaper revoked the interrupted issuances")
          .isNotEmpty();
    }
    // (4) the chain both processes wrote verifies, through the API and the CLI.
    var verify = get(survivor, admin, "/api/v1/audit/verify");
    soft.assertThat(JSON.readTree(verify.body()).path("ok").asBoolean())
        .as("audit verification: %s", verify.body())
        .isTrue();
    Sightline.Run cli =
        Sightline.cli(
            Sightline.env(
                "HOME",
                tmp.toString(),
                "SIGHTLINE_SERVER",
                survivor.url(),
                "SIGHTLINE_TOKEN",
                admin),
            "",
            "audit",
            "verify");
    soft.assertThat(cli.exit()).as("sightline audit verify: %s %s", cli.out(), cli.err()).isZero();
    soft.assertAll();
  }

  /**
   * One task as a client with retries does it: ask {@code first}; when the answer does not come
   * (the replica died) or is a 5xx, ask {@code other} with the same Idempotency-Key; when told the
   * first attempt failed (LEASE_FAILED: the kill interrupted it), ask again with a new key.
   */
  private Task runTask(
      int n,
      Sightline.Server first,
      Sightline.Server other,
      String admin,
      Map<String, AtomicInteger> outcomes)
      throws Exception {
    String key = UUID.randomUUID().toString();
    Sightline.Server target = first;
    boolean newKey = false;
    for (int attempt = 1; attempt <= 40; attempt++) {
      String outcome;
      try {
        var r = post(target, admin, "/api/v1/leases", LEASE_BODY, key);
        JsonNode j = JSON.readTree(r.body());
        outcome = r.statusCode() + " " + j.path("code").asText("");
        if (r.statusCode() == 201) {
          count(outcomes, outcome);
          return new Task(n, key, j.path("id").asText(), j.path("token").asText(), attempt, newKey);
        }
        if (r.statusCode() == 409 && "LEASE_FAILED".equals(j.path("code").asText())) {
          key = UUID.randomUUID().toString();
          newKey = true;
        } else if (r.statusCode() < 500) {
          throw new AssertionError("task " + n + ": unexpected " + r.statusCode() + " " + r.body());
        }
      } catch (IOException e) {
        outcome = "no answer";
      }
      count(outcomes, outcome);
      target = other;
      Thread.sleep(200);
    }
    throw new AssertionError("task " + n + " got no lease in 40 attempts");
  }

  private static void count(Map<String, AtomicInteger> outcomes, String outcome) {
    outcomes.computeIfAbsent(outcome, k -> new AtomicInteger()).incrementAndGet();
  }

  private Sightline.Server start(Map<String, String> env, String name) throws Exception {
    Sightline.Server s =
        Sightline.startServer(tmp.resolve("data-" + name), env, "--log-format", "text");
    servers.add(s);
    return s;
  }

  private List<Sightline.Server> leaders() {
    return servers.stream().filter(s -> s.process.isAlive()).filter(this::isLeader).toList();
  }

  private boolean isLeader(Sightline.Server s) {
    try {
      var r = get(s, null, "/metrics");
      return r.statusCode() == 200
          && r.body().lines().anyMatch(l -> l.equals("sightline_leader 1.0"));
    } catch (Exception e) {
      return false;
    }
  }

  private interface Check {
    boolean ok() throws Exception;
  }

  private static void await(Check check, Duration max, String what) throws Exception {
    long deadline = System.nanoTime() + max.toNanos();
    while (!check.ok()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + max + ": " + what);
      }
      Thread.sleep(250);
    }
  }

  private Map<String, String> leaseStates(Sightline.Server s, String admin) throws Exception {
    Map<String, String> states = new HashMap<>();
    var r = get(s, admin, "/api/v1/leases?limit=1000");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    for (JsonNode l : JSON.readTree(r.body()).path("items")) {
      states.put(l.path("id").asText(), l.path("state").asText());
    }
    return states;
  }

  private Set<String> leaseSecrets() throws Exception {
    var secrets = kube("/api/v1/namespaces/" + HOME_NAMESPACE + "/secrets", kube.adminToken());
    assertThat(secrets.statusCode()).as(secrets.body()).isEqualTo(200);
    Set<String> ids = new HashSet<>();
    for (JsonNode s : JSON.readTree(secrets.body()).path("items")) {
      String name = s.path("metadata").path("name").asText();
      if (name.startsWith("sightline-lease-")) {
        ids.add(name.substring("sightline-lease-".length()));
      }
    }
    return ids;
  }

  private Set<String> auditedLeases(Sightline.Server s, String admin, String action)
      throws Exception {
    Set<String> ids = new HashSet<>();
    String cursor = null;
    do {
      String path =
          "/api/v1/audit?limit=500&action="
              + URLEncoder.encode(action, StandardCharsets.UTF_8)
              + (cursor == null ? "" : "&cursor=" + cursor);
      var r = get(s, admin, path);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      JsonNode page = JSON.readTree(r.body());
      for (JsonNode rec : page.path("items")) {
        String target = rec.path("target").asText();
        if (target.startsWith("lease/")) {
          ids.add(target.substring("lease/".length()));
        }
      }
      cursor = page.path("nextCursor").isTextual() ? page.path("nextCursor").asText() : null;
    } while (cursor != null);
    return ids;
  }

  private HttpResponse<String> post(
      Sightline.Server s, String token, String path, String body, String idempotencyKey)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(s.url() + path))
            .timeout(Duration.ofSeconds(45))
            .header("Authorization", "Bearer " + token)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (idempotencyKey != null) {
      b.header("Idempotency-Key", idempotencyKey);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(Sightline.Server s, String token, String path) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(s.url() + path)).timeout(Duration.ofSeconds(30));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> kube(String path, String token) throws Exception {
    return kubeHttp.send(
        HttpRequest.newBuilder(kube.url().resolve(path))
            .timeout(Duration.ofSeconds(10))
            .header("Authorization", "Bearer " + token)
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
