package io.sightline.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sightline.core.SecretValue;
import io.sightline.testing.kube.FakeKubeApiServer;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Issue 12's figures: lease throughput on one real PostgreSQL (zonky embedded) with one server
 * replica, then with two replicas sharing the database and the load — the same closed-loop workload
 * and client count ({@link LeaseFigures#CLIENTS}), client {@code c} on replica {@code c % 2}. Both
 * replicas are the built jar started through {@code ./sightline server}, as in {@code ReplicasIT},
 * against the in-process Kubernetes emulator. Afterwards every answered lease must be in the
 * database and active, and the audit chain both replicas wrote must verify ({@code GET
 * /api/v1/audit/verify} on each).
 */
final class ReplicaFigures {
  static final double SCALE_TARGET = 0.9;

  /**
   * The launcher's server JVM options without its class-data-sharing archive: two servers exiting
   * together would both write the one archive file.
   */
  static final String SERVER_JAVA_OPTS =
      "-XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Xms160m -Xmx256m -XX:MetaspaceSize=64m -XX:MaxMetaspaceSize=160m -XX:ReservedCodeCacheSize=64m"
          + " -Xss512k -XX:+ExitOnOutOfMemoryError";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String LEASE_BODY =
      "{\"target\":{\"connection\":\"prod\",\"namespace\":\"web\"},\"ttlSeconds\":900}";

  private ReplicaFigures() {}

  /** A server process and its base URL. */
  private record Replica(String name, Process process, String base) {}

  static List<Result> run(BenchContext ctx) throws Exception {
    int warmSeconds = ctx.quick() ? 0 : 5;
    int phaseSeconds = ctx.quick() ? 1 : 20;
    List<Replica> replicas = new ArrayList<>();
    ExecutorService pool =
        Executors.newFixedThreadPool(
            LeaseFigures.CLIENTS,
            r -> {
              Thread t = new Thread(r, "bench-replicas");
              t.setDaemon(true);
              return t;
            });
    Path work = Scratch.dir("replicas");
    try (EmbeddedPostgres pg = EmbeddedPostgres.builder().setPort(Processes.freePort()).start();
        FakeKubeApiServer kube = FakeKubeApiServer.builder().version("1.30").start()) {
      Map<String, String> pgSettings = new HashMap<>();
      try (Connection c = pg.getPostgresDatabase().getConnection();
          Statement st = c.createStatement()) {
        st.execute("CREATE DATABASE sightline");
        for (String setting : List.of("server_version", "synchronous_commit", "fsync")) {
          try (ResultSet rs = st.executeQuery("SHOW " + setting)) {
            rs.next();
            pgSettings.put(setting, rs.getString(1));
          }
        }
      }
      SecretValue admin = randomToken();
      Map<String, String> env = new HashMap<>();
      env.put("SIGHTLINE_DB_URL", "jdbc:postgresql://127.0.0.1:" + pg.getPort() + "/sightline");
      env.put("SIGHTLINE_DB_USER", "postgres");
      env.put("SIGHTLINE_DB_PASSWORD", "unused");
      env.put("SIGHTLINE_MASTER_KEY", Base64.getEncoder().encodeToString(randomBytes()));
      env.put("SIGHTLINE_BOOTSTRAP_TOKEN", admin.reveal());

      Replica a = start(ctx, work, env, "a");
      replicas.add(a);
      HttpClient http =
          HttpClient.newBuilder()
              .version(HttpClient.Version.HTTP_1_1)
              .connectTimeout(Duration.ofSeconds(5))
              .build();
      LeaseFigures.createConnection(http, a.base(), admin, kube);

      // One replica: warm it up, then the measured phase.
      Map<String, Boolean> oneIds = new ConcurrentHashMap<>();
      LeaseFigures.runClosed(
          LeaseFigures.CLIENTS, warmSeconds, c -> () -> lease(a.base(), admin, oneIds), pool);
      oneIds.clear();
      double loadOne = loadAverage();
      LeaseFigures.Phase one =
          LeaseFigures.runClosed(
              LeaseFigures.CLIENTS, phaseSeconds, c -> () -> lease(a.base(), admin, oneIds), pool);

      // Two replicas on the same database: the second joins, both warm up, then the same load
      // split across them.
      Replica b = start(ctx, work, env, "b");
      replicas.add(b);
      List<Replica> both = List.of(a, b);
      Map<String, Boolean> twoIds = new ConcurrentHashMap<>();
      LeaseFigures.runClosed(
          LeaseFigures.CLIENTS,
          warmSeconds,
          c -> () -> lease(both.get(c % 2).base(), admin, twoIds),
          pool);
      twoIds.clear();
      AtomicInteger[] perReplica = {new AtomicInteger(), new AtomicInteger()};
      double loadTwo = loadAverage();
      LeaseFigures.Phase two =
          LeaseFigures.runClosed(
              LeaseFigures.CLIENTS,
              phaseSeconds,
              c ->
                  () -> {
                    String err = lease(both.get(c % 2).base(), admin, twoIds);
                    if (err == null) {
                      perReplica[c % 2].incrementAndGet();
                    }
                    return err;
                  },
              pool);

      // Nothing lost: every answered lease is a row in state active; the chain verifies.
      Map<String, String> states = leaseStates(pg);
      int lostOne = lost(oneIds.keySet(), states);
      int lostTwo = lost(twoIds.keySet(), states);
      Map<String, Boolean> verified = new HashMap<>();
      Map<String, Long> records = new HashMap<>();
      for (Replica r : both) {
        PlainHttp.Response v =
            PlainHttp.send("GET", r.base() + "/api/v1/audit/verify", admin, null);
        JsonNode j = v.status() == 200 ? JSON.readTree(v.body()) : JSON.createObjectNode();
        verified.put(r.name(), j.path("ok").asBoolean(false));
        records.put(r.name(), j.path("checked").asLong(-1));
      }
      boolean verifyOk = !verified.containsValue(false);

      Stats os = LeaseFigures.stats(one.latencies());
      Stats ts = LeaseFigures.stats(two.latencies());
      double ratio = two.rate() / one.rate();
      String mode =
          "closed loop, "
              + LeaseFigures.CLIENTS
              + " clients, "
              + phaseSeconds
              + " s, embedded PostgreSQL "
              + pgSettings.get("server_version");
      System.out.printf(
          Locale.ROOT,
          "replicas: one %.1f leases/s (median %.1f ms, p99 %.1f ms, %d errors, load %.2f);"
              + " two %.1f leases/s (median %.1f ms, p99 %.1f ms, %d errors, load %.2f);"
              + " two/one %.2f; lost %d/%d; audit verify %s%n",
          one.rate(),
          os.median(),
          os.p99(),
          one.errors(),
          loadOne,
          two.rate(),
          ts.median(),
          ts.p99(),
          two.errors(),
          loadTwo,
          two.rate() / one.rate(),
          lostOne,
          lostTwo,
          verified);

      List<Result> out = new ArrayList<>();
      out.add(
          Result.of(
                  "lease throughput, PostgreSQL, 1 replica",
                  "report, 0 errors",
                  one.rate(),
                  "/s",
                  one.errors() == 0)
              .with("mode", mode)
              .with("leases", one.latencies().size())
              .with("median_ms", os.median())
              .with("p99_ms", os.p99())
              .with("max_ms", os.max())
              .with("errors", one.errors())
              .with("first_error", one.firstError())
              .with("lost", lostOne)
              .with("load_average_before", loadOne)
              .with("postgres", pgSettings));
      out.add(
          Result.of(
                  "lease throughput, PostgreSQL, 2 replicas",
                  "report, 0 errors",
                  two.rate(),
                  "/s",
                  two.errors() == 0)
              .with("mode", mode + ", client c on replica c % 2")
              .with("leases", two.latencies().size())
              .with("leases_by_replica_a", perReplica[0].get())
              .with("leases_by_replica_b", perReplica[1].get())
              .with("median_ms", ts.median())
              .with("p99_ms", ts.p99())
              .with("max_ms", ts.max())
              .with("errors", two.errors())
              .with("first_error", two.firstError())
              .with("lost", lostTwo)
              .with("load_average_before", loadTwo));
      out.add(
          Result.of(
                  "two replicas do not slow down (2 vs 1)",
                  "≥ 0.9× one",
                  ratio,
                  "×",
                  ratio >= SCALE_TARGET)
              .with("one_per_second", one.rate())
              .with("two_per_second", two.rate())
              .with("cores", Runtime.getRuntime().availableProcessors()));
      int checked = oneIds.size() + twoIds.size();
      out.add(
          Result.of(
                  "two replicas lose nothing (leases checked)",
                  "0 lost, 0 errors, verify ok",
                  checked,
                  "",
                  lostOne + lostTwo == 0 && one.errors() + two.errors() == 0 && verifyOk)
              .with("lost_one_replica", lostOne)
              .with("lost_two_replicas", lostTwo)
              .with("errors", one.errors() + two.errors())
              .with("lease_rows", states.size())
              .with("audit_verify_ok", verified)
              .with("audit_records_checked", records));
      return out;
    } finally {
      pool.shutdownNow();
      for (Replica r : replicas) {
        Processes.stop(r.process());
      }
    }
  }

  /** {@code ./sightline server} on the shared database, its own data dir; waits for /readyz. */
  private static Replica start(BenchContext ctx, Path work, Map<String, String> env, String name)
      throws Exception {
    Path dataDir = Files.createDirectories(work.resolve("data-" + name));
    int port = Processes.freePort();
    ProcessBuilder pb =
        new ProcessBuilder(
                ctx.launcher().toString(),
                "server",
                "--port",
                Integer.toString(port),
                "--data-dir",
                dataDir.toString())
            .redirectErrorStream(true)
            .redirectOutput(dataDir.resolve("server.log").toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("SIGHTLINE_"));
    pb.environment().putAll(env);
    pb.environment().put("SIGHTLINE_NO_BUILD", "1");
    pb.environment().put("SIGHTLINE_JAVA_OPTS", SERVER_JAVA_OPTS);
    Process p = pb.start();
    String base = "http://127.0.0.1:" + port;
    try {
      Processes.awaitOk(URI.create(base + "/readyz"), p, Duration.ofSeconds(90));
    } catch (Exception e) {
      Processes.stop(p);
      throw new IllegalStateException(
          "replica " + name + " did not become ready: see " + dataDir.resolve("server.log"), e);
    }
    return new Replica(name, p, base);
  }

  /**
   * POST /api/v1/leases; on 201 remembers the lease id (only the id is read from the answer, which
   * also holds the token).
   */
  private static String lease(String base, SecretValue admin, Map<String, Boolean> ids)
      throws Exception {
    PlainHttp.Response r = PlainHttp.send("POST", base + "/api/v1/leases", admin, LEASE_BODY);
    if (r.status() != 201) {
      return "HTTP " + r.status() + " " + LeaseFigures.errorCode(r.body());
    }
    String id = JSON.readTree(r.body()).path("id").asText("");
    if (id.isEmpty()) {
      return "201 without a lease id";
    }
    ids.put(id, Boolean.TRUE);
    return null;
  }

  /** Every lease row's state, read from PostgreSQL directly. */
  private static Map<String, String> leaseStates(EmbeddedPostgres pg) throws Exception {
    Map<String, String> states = new HashMap<>();
    try (Connection c = pg.getDatabase("postgres", "sightline").getConnection();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT id, state FROM leases")) {
      while (rs.next()) {
        states.put(rs.getString(1), rs.getString(2));
      }
    }
    return states;
  }

  /** Answered leases that are not in the database as active. */
  private static int lost(Set<String> answered, Map<String, String> states) {
    return (int) answered.stream().filter(id -> !"active".equals(states.get(id))).count();
  }

  private static double loadAverage() {
    return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }

  private static byte[] randomBytes() {
    byte[] b = new byte[32];
    new SecureRandom().nextBytes(b);
    return b;
  }

  private static SecretValue randomToken() {
    return SecretValue.of(
        "slt_" + Base64.getUrlEncoder().withoutPadding().encodeToString(randomBytes()));
  }
}
