package io.sightline.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sightline.testing.kube.FakeKubeApiServer;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
 * Issue 6: the server is killed ({@code kill -9}) while many leases are being issued; the next
 * start finishes or revokes every lease left half-way, so each lease is either active and audited
 * or failed and audited, no bound Secret outlives its lease, and every token a client received
 * either still works (its lease is active) or is refused by the cluster.
 */
class LeaseCrashIT {
  static final ObjectMapper JSON = new ObjectMapper();
  static final int THREADS = 8;
  static final int ROUNDS = 3;
  static final int ANSWERS_BEFORE_KILL = 40;
  static final String HOME_NAMESPACE = "sightline-prod";

  @TempDir Path tmp;
  FakeKubeApiServer kube;
  Sightline.Server server;
  HttpClient http = newClient();
  HttpClient kubeHttp;

  /** What a client saw: a 201 with a lease id and its token. */
  record Received(String id, String token) {
    @Override
    public String toString() {
      return "lease " + id + " (token redacted)";
    }
  }

  @AfterEach
  void stop() throws Exception {
    if (server != null) {
      server.close();
    }
    if (kube != null) {
      kube.close();
    }
  }

  @Test
  @DisplayName(
      "after kill -9 mid-issuance, the restart leaves every lease active and audited or failed"
          + " and revoked, with no Secret left behind")
  void crashDuringIssuanceIsRecovered() throws Exception {
    // The token authenticator must not cache: a revoked token is refused at once.
    kube = FakeKubeApiServer.builder().version("1.30").authCache(false).start();
    kubeHttp = HttpClient.newBuilder().sslContext(kube.sslContext()).build();
    // The connection talks to the cluster through the "slow" listener, so that issuances take
    // long enough for the kill to land in the middle of some of them.
    FakeKubeApiServer.Faults faults = kube.faults();
    faults.slowDelay(Duration.ZERO);
    String adminKubeconfig =
        kube.adminKubeconfig().replace(kube.url().toString(), faults.slow().toString());
    assertThat(adminKubeconfig).contains(faults.slow().toString());

    Path data = tmp.resolve("data");
    Map<String, String> env = Sightline.env("HOME", tmp.toString());
    server = Sightline.startServer(data, env);
    String admin = Files.readString(data.resolve("admin.token")).strip();

    Map<String, Object> connection = new HashMap<>();
    connection.put("name", "prod");
    connection.put("kind", "kubernetes");
    connection.put("authorizationType", "AzureSubscription");
    connection.put("adminKubeconfig", adminKubeconfig);
    connection.put("namespaces", List.of("web"));
    connection.put("createNamespace", true);
    var created = post(server, admin, "/api/v1/connections", JSON.writeValueAsString(connection));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);

    // Each round: load, kill -9 under it, restart. H2 loses commits only when the kill lands
    // before its background writer ran, so several rounds make a lost commit likely to show.
    String leaseBody =
        "{\"target\":{\"connection\":\"prod\",\"namespace\":\"web\"},\"ttlSeconds\":900}";
    List<Received> received = new ArrayList<>();
    Map<String, String> states = new HashMap<>();
    for (int round = 1; round <= ROUNDS; round++) {
      faults.slowDelay(Duration.ofMillis(120));
      Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
      AtomicBoolean stop = new AtomicBoolean();
      CountDownLatch enough = new CountDownLatch(ANSWERS_BEFORE_KILL);
      Sightline.Server first = server;
      ExecutorService pool = Executors.newFixedThreadPool(THREADS);
      for (int t = 0; t < THREADS; t++) {
        pool.execute(
            () -> {
              while (!stop.get()) {
                try {
                  var r = post(first, admin, "/api/v1/leases", leaseBody);
                  statuses
                      .computeIfAbsent(r.statusCode(), k -> new AtomicInteger())
                      .incrementAndGet();
                  if (r.statusCode() == 201) {
                    JsonNode j = JSON.readTree(r.body());
                    synchronized (received) {
                      received.add(new Received(j.path("id").asText(), j.path("token").asText()));
                    }
                  }
                  enough.countDown();
                } catch (Exception e) {
                  // The server was killed under this request: that is the point.
                  if (!first.process.isAlive()) {
                    return;
                  }
                }
              }
            });
      }
      assertThat(enough.await(40, TimeUnit.SECONDS))
          .as("%s answers before the kill, got statuses %s", ANSWERS_BEFORE_KILL, statuses)
          .isTrue();
      first.process.destroyForcibly();
      assertThat(first.process.waitFor(10, TimeUnit.SECONDS)).isTrue();
      stop.set(true);
      pool.shutdown();
      assertThat(pool.awaitTermination(20, TimeUnit.SECONDS)).isTrue();
      // A fresh client for the restarted server: none of the connections the kill broke.
      http = newClient();
      assertThat(statuses.keySet()).as("only 201 answers before the kill").containsOnly(201);
      synchronized (received) {
        assertThat(received).hasSizeGreaterThanOrEqualTo(round * ANSWERS_BEFORE_KILL);
      }
      // Requests the dead server sent still reach the cluster for up to the delay: let them land.
      faults.slowDelay(Duration.ZERO);
      Thread.sleep(500);

      server = Sightline.startServer(data, env);

      // The startup recovery runs on the reaper's first pass: wait until nothing is issuing.
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (true) {
        states.clear();
        var list = get(server, admin, "/api/v1/leases?limit=1000");
        assertThat(list.statusCode()).as(list.body()).isEqualTo(200);
        for (JsonNode l : JSON.readTree(list.body()).path("items")) {
          states.put(l.path("id").asText(), l.path("state").asText());
        }
        if (!states.containsValue("issuing") || System.nanoTime() > deadline) {
          break;
        }
        Thread.sleep(200);
      }
      // Leases issued in the first second after a start count as leftovers of the crash (see
      // LeaseService.reap): let that second pass before the next round's load.
      Thread.sleep(1500);
    }
    List<Received> got;
    synchronized (received) {
      got = List.copyOf(received);
    }

    // (1) every lease is complete or ended; none is left issuing.
    assertThat(states).isNotEmpty();
    assertThat(new HashSet<>(states.values()))
        .as("lease states after recovery: %s", states)
        .isSubsetOf(Set.of("active", "failed", "revoked"));
    Set<String> active = new HashSet<>();
    states.forEach(
        (id, state) -> {
          if (state.equals("active")) {
            active.add(id);
          }
        });
    assertThat(active).as("the leases answered before the kill are active").isNotEmpty();
    long failed = states.values().stream().filter("failed"::equals).count();
    System.out.printf(
        "LeaseCrashIT: %d answered before the kill; after restart %d leases, %d active, %d"
            + " failed%n",
        got.size(), states.size(), active.size(), failed);
    assertThat(failed)
        .as("the kill landed in the middle of some issuances (recovered as failed)")
        .isPositive();

    // The checks below are soft: a crash bug shows all its consequences in one report.
    SoftAssertions soft = new SoftAssertions();
    // Every lease a client received is known to the restarted server.
    List<String> lost =
        got.stream().map(Received::id).filter(id -> !states.containsKey(id)).toList();
    soft.assertThat(lost)
        .as("leases answered 201 before the kill that the restarted server does not know")
        .isEmpty();

    // (2) every bound Secret left in the home namespace belongs to an active lease.
    var secrets = kube("/api/v1/namespaces/" + HOME_NAMESPACE + "/secrets", kube.adminToken());
    assertThat(secrets.statusCode()).as(secrets.body()).isEqualTo(200);
    Set<String> leaseSecrets = new HashSet<>();
    for (JsonNode s : JSON.readTree(secrets.body()).path("items")) {
      String name = s.path("metadata").path("name").asText();
      if (name.startsWith("sightline-lease-")) {
        leaseSecrets.add(name.substring("sightline-lease-".length()));
      }
    }
    soft.assertThat(leaseSecrets).as("Secrets without an active lease").isSubsetOf(active);
    soft.assertThat(active).as("active leases whose Secret is gone").isSubsetOf(leaseSecrets);

    // (3) every active lease has its lease.issue record, every failed one a lease.failed record.
    Set<String> issued = auditedLeases(admin, "lease.issue");
    Set<String> failedAudited = auditedLeases(admin, "lease.failed");
    for (var e : states.entrySet()) {
      if (e.getValue().equals("active")) {
        soft.assertThat(issued)
            .as("lease.issue of active lease %s", e.getKey())
            .contains(e.getKey());
      } else if (e.getValue().equals("failed")) {
        soft.assertThat(failedAudited)
            .as("lease.failed of failed lease %s", e.getKey())
            .contains(e.getKey());
      }
    }

    // (4) the audit chain is intact across the crash.
    var verify = get(server, admin, "/api/v1/audit/verify");
    soft.assertThat(verify.statusCode()).isEqualTo(200);
    soft.assertThat(JSON.readTree(verify.body()).path("ok").asBoolean())
        .as("audit verification: %s", verify.body())
        .isTrue();

    // (5) every token a client received works if its lease is active, and is refused otherwise.
    for (Received r : got) {
      var answer = kube("/api/v1/namespaces/web/configmaps", r.token());
      if (active.contains(r.id())) {
        soft.assertThat(answer.statusCode())
            .as("token of active lease %s", r.id())
            .isNotEqualTo(401);
      } else {
        soft.assertThat(answer.statusCode())
            .as("cluster answer to the token of lease %s (%s)", r.id(), states.get(r.id()))
            .isEqualTo(401);
      }
    }
    soft.assertAll();
  }

  private Set<String> auditedLeases(String admin, String action) throws Exception {
    Set<String> ids = new HashSet<>();
    String cursor = null;
    do {
      String path =
          "/api/v1/audit?limit=500&action="
              + URLEncoder.encode(action, StandardCharsets.UTF_8)
              + (cursor == null ? "" : "&cursor=" + cursor);
      var r = get(server, admin, path);
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

  private static HttpClient newClient() {
    return HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  }

  private HttpResponse<String> post(Sightline.Server s, String token, String path, String body)
      throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(s.url() + path))
            .timeout(Duration.ofSeconds(30))
            .header("Authorization", "Bearer " + token)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(Sightline.Server s, String token, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(s.url() + path))
            .timeout(Duration.ofSeconds(30))
            .header("Authorization", "Bearer " + token)
            .build(),
        HttpResponse.BodyHandlers.ofString());
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
