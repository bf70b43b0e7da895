package io.sightline.bench;

import io.sightline.core.SecretValue;
import io.sightline.testing.kube.FakeKubeApiServer;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Issue 11's load figures: 1,000 clients each holding a lease request in flight at once, for 60 s,
 * against a server process issuing real leases from the Kubernetes emulator — on embedded H2 and on
 * PostgreSQL. Requests may queue in the server; the client gives each 30 s. The mark is zero errors
 * and zero timeouts; throughput and p99 are reported.
 *
 * <p>Java 17 has no virtual threads: one async {@link HttpClient} keeps the requests in flight, a
 * semaphore of 1,000 permits holds the number constant (a permit is returned, and the next request
 * sent, as each answer arrives).
 */
final class LoadFigures {
  static final int CLIENTS = 1000;
  static final int SECONDS = 60;
  static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(30);
  static final String TARGET = "0 errors, 0 timeouts";
  private static final String LEASE_BODY =
      "{\"target\":{\"connection\":\"prod\",\"namespace\":\"web\"},\"ttlSeconds\":900}";

  private LoadFigures() {}

  static List<Result> run(BenchContext ctx) throws Exception {
    int clients = ctx.quick() ? 20 : CLIENTS;
    int seconds = ctx.quick() ? 2 : SECONDS;
    int warmSeconds = ctx.quick() ? 0 : 5;
    List<Result> results = new ArrayList<>();
    Path work = Scratch.dir("load");
    try (FakeKubeApiServer kube = FakeKubeApiServer.builder().version("1.30").start()) {
      results.add(
          measure(ctx, work, "h2", Map.of(), kube, clients, seconds, warmSeconds, "embedded H2"));
      try (EmbeddedPostgres pg = EmbeddedPostgres.builder().setPort(Processes.freePort()).start()) {
        try (Connection c = pg.getPostgresDatabase().getConnection();
            Statement st = c.createStatement()) {
          st.execute("CREATE DATABASE sightline");
        }
        Map<String, String> env = new HashMap<>();
        env.put("SIGHTLINE_DB_URL", "jdbc:postgresql://127.0.0.1:" + pg.getPort() + "/sightline");
        env.put("SIGHTLINE_DB_USER", "postgres");
        env.put("SIGHTLINE_DB_PASSWORD", "unused");
        env.put("SIGHTLINE_MASTER_KEY", Base64.getEncoder().encodeToString(randomBytes()));
        results.add(
            measure(
                ctx, work, "pg", env, kube, clients, seconds, warmSeconds, "embedded PostgreSQL"));
      }
    }
    return results;
  }

  private static Result measure(
      BenchContext ctx,
      Path work,
      String name,
      Map<String, String> dbEnv,
      FakeKubeApiServer kube,
      int clients,
      int seconds,
      int warmSeconds,
      String store)
      throws Exception {
    SecretValue admin =
        SecretValue.of(
            "slt_" + Base64.getUrlEncoder().withoutPadding().encodeToString(randomBytes()));
    Map<String, String> env = new HashMap<>(dbEnv);
    env.put("SIGHTLINE_BOOTSTRAP_TOKEN", admin.reveal());
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
    pb.environment().put("SIGHTLINE_JAVA_OPTS", ReplicaFigures.SERVER_JAVA_OPTS);
    Process p = pb.start();
    String base = "http://127.0.0.1:" + port;
    ExecutorService callbacks = Executors.newFixedThreadPool(2);
    try {
      Processes.awaitOk(URI.create(base + "/readyz"), p, Duration.ofSeconds(90));
      HttpClient http =
          HttpClient.newBuilder()
              .version(HttpClient.Version.HTTP_1_1)
              .connectTimeout(Duration.ofSeconds(10))
              .executor(callbacks)
              .build();
      LeaseFigures.createConnection(http, base, admin, kube);
      if (warmSeconds > 0) {
        hold(http, base, admin, Math.min(clients, 100), warmSeconds);
      }
      double load =
          java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
      Phase ph = hold(http, base, admin, clients, seconds);
      boolean pass = ph.errors == 0 && ph.timeouts == 0 && ph.ok > 0;
      Result r =
          Result.of(
              clients + " clients in flight, " + seconds + " s, " + store,
              TARGET,
              ph.ok / ph.seconds,
              "/s",
              pass);
      r.with("mode", "POST /api/v1/leases, async HttpClient, " + clients + " requests in flight");
      r.with("store", store);
      r.with("seconds", round(ph.seconds));
      r.with("leases", ph.ok);
      r.with("errors", ph.errors);
      r.with("timeouts", ph.timeouts);
      r.with("first_error", ph.firstError == null ? "None" : ph.firstError);
      r.with("peak_in_flight", ph.peakInFlight);
      if (!ph.latencies.isEmpty()) {
        Stats s = new Stats(new ArrayList<>(ph.latencies));
        r.with("median_ms", round(s.median()));
        r.with("p99_ms", round(s.p99()));
        r.with("max_ms", round(s.max()));
      }
      r.with("client_timeout_s", CLIENT_TIMEOUT.toSeconds());
      r.with("server_rss_mib_after", round(Processes.rssMiB(p.pid())));
      r.with("load_average_before", round(load));
      return r;
    } finally {
      callbacks.shutdownNow();
      Processes.stop(p);
    }
  }

  /** What one phase saw. */
  private static final class Phase {
    final Queue<Double> latencies = new ConcurrentLinkedQueue<>();
    final AtomicInteger inFlight = new AtomicInteger();
    volatile int peakInFlight;
    int ok;
    int errors;
    int timeouts;
    String firstError;
    double seconds;
  }

  /**
   * Keeps {@code clients} lease requests in flight for {@code seconds}: each answer returns a
   * permit and the loop sends the next request at once; then waits for the last answers.
   */
  private static Phase hold(
      HttpClient http, String base, SecretValue admin, int clients, int seconds) throws Exception {
    Phase ph = new Phase();
    Semaphore permits = new Semaphore(clients);
    AtomicInteger ok = new AtomicInteger();
    AtomicInteger errors = new AtomicInteger();
    AtomicInteger timeouts = new AtomicInteger();
    AtomicReference<String> firstError = new AtomicReference<>();
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(base + "/api/v1/leases"))
            .timeout(CLIENT_TIMEOUT)
            .header("Authorization", "Bearer " + admin.reveal())
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(LEASE_BODY))
            .build();
    long start = System.nanoTime();
    long end = start + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < end) {
      if (!permits.tryAcquire(100, TimeUnit.MILLISECONDS)) {
        continue;
      }
      int now = ph.inFlight.incrementAndGet();
      if (now > ph.peakInFlight) {
        ph.peakInFlight = now;
      }
      long t0 = System.nanoTime();
      http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
          .whenComplete(
              (r, e) -> {
                try {
                  if (e != null) {
                    Throwable cause = e.getCause() == null ? e : e.getCause();
                    if (cause instanceof HttpTimeoutException) {
                      timeouts.incrementAndGet();
                    } else {
                      errors.incrementAndGet();
                    }
                    firstError.compareAndSet(null, cause.toString());
                  } else if (r.statusCode() != 201) {
                    errors.incrementAndGet();
                    firstError.compareAndSet(
                        null, "HTTP " + r.statusCode() + " " + LeaseFigures.errorCode(r.body()));
                  } else {
                    ok.incrementAndGet();
                    ph.latencies.add((System.nanoTime() - t0) / 1e6);
                  }
                } finally {
                  ph.inFlight.decrementAndGet();
                  permits.release();
                }
              });
    }
    // The requests still in flight count too: wait for each to answer or time out.
    if (!permits.tryAcquire(clients, CLIENT_TIMEOUT.toSeconds() + 10, TimeUnit.SECONDS)) {
      errors.incrementAndGet();
      firstError.compareAndSet(null, "requests never completed, not even by timing out");
    }
    ph.seconds = (System.nanoTime() - start) / 1e9;
    ph.ok = ok.get();
    ph.errors = errors.get();
    ph.timeouts = timeouts.get();
    ph.firstError = firstError.get();
    return ph;
  }

  private static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }

  private static byte[] randomBytes() {
    byte[] b = new byte[32];
    new SecureRandom().nextBytes(b);
    return b;
  }
}
