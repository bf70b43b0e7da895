package io.sightline.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.authentication.BoundObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequest;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.sightline.core.SecretValue;
import io.sightline.kubernetes.ClusterAccess;
import io.sightline.kubernetes.EgressPolicy;
import io.sightline.kubernetes.KubernetesClients;
import io.sightline.kubernetes.mint.MintRequest;
import io.sightline.kubernetes.mint.TokenMinter;
import io.sightline.testing.kube.FakeKubeApiServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Issue 6's figures: lease issuance through the real server (started with {@code ./sightline
 * server}) against the in-process Kubernetes emulator. (1) Peak throughput, closed loop. (2) p99 at
 * a fixed offered rate, open loop, latency from each request's scheduled start (no coordinated
 * omission). (3) The server's own time per lease (its request timer, one client back to back, with
 * its issuance phases from /metrics) against the minimum work — a Secret and a TokenRequest bound
 * to it, with fabric8 directly, same emulator, back to back; the closed-loop ratio as a detail. (4)
 * The server's resident memory right after the peak-throughput run.
 */
final class LeaseFigures {
  static final int CLIENTS = 16;
  static final double PEAK_TARGET = 300;
  static final int OFFERED_RATE = 200;
  static final double P99_TARGET_MS = 50;
  static final double COST_TARGET = 1.5;
  static final int MAX_IN_FLIGHT = OFFERED_RATE / 2;
  static final String HOME_NS = "sightline-prod";
  static final String DEPLOYER = "deployer-web";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String LEASE_BODY =
      "{\"target\":{\"connection\":\"prod\",\"namespace\":\"web\"},\"ttlSeconds\":900}";

  private LeaseFigures() {}

  /** One phase's outcome: latencies in ms, errors, and the first error seen. */
  record Phase(List<Double> latencies, int errors, String firstError, double seconds) {
    double rate() {
      return latencies.size() / seconds;
    }
  }

  static List<Result> run(BenchContext ctx) throws Exception {
    List<Result> out = new ArrayList<>();
    Path dataDir = Scratch.dir("lease");
    try (FakeKubeApiServer kube = FakeKubeApiServer.builder().version("1.30").start()) {
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
      pb.environment().put("SIGHTLINE_NO_BUILD", "1");
      pb.environment().remove("SIGHTLINE_MASTER_KEY");
      pb.environment().remove("SIGHTLINE_DB_URL");
      Process server = pb.start();
      ExecutorService pool =
          Executors.newFixedThreadPool(
              160,
              r -> {
                Thread t = new Thread(r, "bench-lease");
                t.setDaemon(true);
                return t;
              });
      double loadAverage =
          java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
      try {
        String base = "http://127.0.0.1:" + port;
        Processes.awaitOk(URI.create(base + "/readyz"), server, Duration.ofSeconds(60));
        SecretValue admin =
            SecretValue.of(Files.readString(dataDir.resolve("admin.token")).strip());
        HttpClient http =
            HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .executor(
                    Executors.newFixedThreadPool(
                        8,
                        r -> {
                          Thread t = new Thread(r, "bench-lease-http");
                          t.setDaemon(true);
                          return t;
                        }))
                .connectTimeout(Duration.ofSeconds(5))
                .build();
        createConnection(http, base, admin, kube);

        // Warm-up: JIT, DB pool, the server's cached cluster client.
        runClosed(CLIENTS, ctx.quick() ? 1 : 10, () -> lease(base, admin), pool);
        // One client, back to back: the server's own cost per lease without queueing for CPU.
        ServerTimers beforeSerial = ServerTimers.read(base, admin);
        Phase serial = runClosed(1, ctx.quick() ? 1 : 10, () -> lease(base, admin), pool);
        ServerTimers afterSerial = ServerTimers.read(base, admin);
        double serverSerialMs =
            afterSerial.meanMsSince(
                beforeSerial,
                "http_server_requests_seconds",
                "method=\"POST\"",
                "route=\"/api/v1/leases\"",
                "status=\"201\"");
        java.util.Map<String, Double> phaseMs = new java.util.LinkedHashMap<>();
        for (String phase : ServerTimers.LEASE_PHASES) {
          phaseMs.put(
              phase,
              afterSerial.meanMsSince(
                  beforeSerial, "sightline_lease_issue_phase_seconds", "phase=\"" + phase + "\""));
        }

        double serverCpu0 = Processes.cpuMillis(server.pid());
        double benchCpu0 = Processes.ownCpuMillis();
        Phase peak = runClosed(CLIENTS, ctx.quick() ? 2 : 20, () -> lease(base, admin), pool);
        double rss = Processes.rssMiB(server.pid());
        int leases = Math.max(1, peak.latencies().size());
        double serverCpuPerLease = (Processes.cpuMillis(server.pid()) - serverCpu0) / leases;
        double benchCpuPerLease = (Processes.ownCpuMillis() - benchCpu0) / leases;
        Stats ps = stats(peak.latencies());
        out.add(
            Result.of(
                    "lease issuance peak throughput",
                    "≥ 300 leases/s",
                    peak.rate(),
                    "/s",
                    peak.rate() >= PEAK_TARGET && peak.errors() == 0)
                .with(
                    "mode",
                    "closed loop, " + CLIENTS + " clients, HTTP/1.1 keep-alive (HttpURLConnection)")
                .with("seconds", peak.seconds())
                .with("leases", peak.latencies().size())
                .with("median_ms", ps.median())
                .with("p99_ms", ps.p99())
                .with("min_ms", ps.min())
                .with("max_ms", ps.max())
                .with("errors", peak.errors())
                .with("first_error", peak.firstError())
                .with("server_cpu_ms_per_lease", serverCpuPerLease)
                .with("load_average_before", loadAverage));

        // Baseline, right after: the same minimum work with fabric8, same concurrency.
        // The minter's own token, so the emulator authenticates and authorizes both sides alike.
        SecretValue minter = minterToken(kube);
        String identity = minter == null ? "admin token (no minter token found)" : "minter token";
        ClusterAccess access =
            ClusterAccess.ofToken(
                kube.url().toString(),
                kube.caCertPem(),
                minter == null ? SecretValue.of(kube.adminToken()) : minter);
        Phase raw;
        Phase rawSerial;
        Phase minterSerial;
        double minterOtherProcessMs;
        double rawCpuPerOp;
        try (KubernetesClient client = KubernetesClients.create(access, EgressPolicy.defaults())) {
          AtomicLong seq = new AtomicLong();
          runClosed(CLIENTS, ctx.quick() ? 1 : 3, () -> raw(client, seq.incrementAndGet()), pool);
          rawSerial =
              runClosed(1, ctx.quick() ? 1 : 10, () -> raw(client, seq.incrementAndGet()), pool);
          // The server's own minting code (TokenMinter: labelled Secret, TokenRequest, claims
          // parsed, a log line) on the same client in this process: what the code adds to the
          // raw pair, apart from the process boundary and the server's other work.
          TokenMinter minterCode = new TokenMinter(client);
          minterSerial =
              runClosed(
                  1,
                  ctx.quick() ? 1 : 5,
                  () -> {
                    minterCode.mint(
                        new MintRequest(
                            "bench-" + seq.incrementAndGet(),
                            HOME_NS,
                            DEPLOYER,
                            Duration.ofSeconds(900),
                            List.of(),
                            null));
                    return null;
                  },
                  pool);
          minterOtherProcessMs = minterInOtherProcess(kube, access, ctx.quick() ? 1 : 5);
          double cpu0 = Processes.ownCpuMillis();
          raw =
              runClosed(
                  CLIENTS, ctx.quick() ? 2 : 20, () -> raw(client, seq.incrementAndGet()), pool);
          rawCpuPerOp = (Processes.ownCpuMillis() - cpu0) / Math.max(1, raw.latencies().size());
        }
        Stats rs = stats(raw.latencies());
        double closedRatio = ps.median() / rs.median();
        double rawSerialMean = mean(rawSerial.latencies());
        double ratio = serverSerialMs / rawSerialMean;
        Result cost =
            Result.of(
                    "lease server-side cost vs raw Secret+TokenRequest",
                    "≤ 1.5× raw",
                    ratio,
                    "×",
                    ratio <= COST_TARGET && raw.errors() == 0)
                .with(
                    "mode",
                    "one client back to back: the server's own time per lease (its"
                        + " http.server.requests timer, mean) over the raw pair's mean")
                .with("raw", "one shared fabric8 client, " + identity)
                .with("server_side_serial_mean_ms", serverSerialMs)
                .with("raw_serial_mean_ms", rawSerialMean)
                .with("token_minter_serial_mean_ms", mean(minterSerial.latencies()))
                .with("token_minter_other_process_mean_ms", minterOtherProcessMs);
        for (var e : phaseMs.entrySet()) {
          cost.with("phase_" + e.getKey() + "_ms", e.getValue());
        }
        out.add(
            cost.with("closed_loop_ratio", closedRatio)
                .with("closed_loop_mode", "median latency, " + CLIENTS + " clients, back to back")
                .with("lease_median_ms", ps.median())
                .with("lease_p99_ms", ps.p99())
                .with("raw_median_ms", rs.median())
                .with("raw_p99_ms", rs.p99())
                .with("raw_per_second", raw.rate())
                .with("raw_errors", raw.errors())
                .with("raw_first_error", raw.firstError())
                // CPU per operation moves far less with the machine's other load than latency:
                // the lease side is the server plus this process (emulator and HTTP client), the
                // raw side this process alone (emulator and fabric8 client).
                .with("server_cpu_ms_per_lease", serverCpuPerLease)
                .with("bench_cpu_ms_per_lease", benchCpuPerLease)
                .with("raw_cpu_ms_per_op", rawCpuPerOp)
                .with("cpu_ratio", (serverCpuPerLease + benchCpuPerLease) / rawCpuPerOp)
                .with("serial_lease_median_ms", stats(serial.latencies()).median())
                .with("serial_raw_median_ms", stats(rawSerial.latencies()).median())
                .with(
                    "serial_ratio",
                    stats(serial.latencies()).median() / stats(rawSerial.latencies()).median()));

        out.add(
            Result.of(
                    "server resident memory under lease load",
                    "≤ 200 MiB (report)",
                    rss,
                    "MiB",
                    rss <= ServerStartFigures.RSS_TARGET_MIB)
                .with("when", "VmRSS at the end of the peak-throughput run")
                .with("leases_issued_before", peak.latencies().size()));

        double openCpu0 = Processes.cpuMillis(server.pid());
        Phase open = runOpen(ctx.quick() ? 2 : 60, () -> lease(base, admin), pool);
        double openCpuPerLease =
            (Processes.cpuMillis(server.pid()) - openCpu0) / Math.max(1, open.latencies().size());
        double openRss = Processes.rssMiB(server.pid());
        Stats os = stats(open.latencies());
        out.add(
            Result.of(
                    "lease issuance at 200/s offered, p99",
                    "≤ 50 ms, 0 errors",
                    os.p99(),
                    "ms",
                    os.p99() <= P99_TARGET_MS && open.errors() == 0)
                .with("mode", "open loop, latency from scheduled start")
                .with("offered_per_second", OFFERED_RATE)
                .with("achieved_per_second", open.rate())
                .with("seconds", open.seconds())
                .with("median_ms", os.median())
                .with("p99_ms", os.p99())
                .with("max_ms", os.max())
                .with("errors", open.errors())
                .with("first_error", open.firstError())
                .with("server_cpu_ms_per_lease", openCpuPerLease)
                .with("server_rss_mib_after", openRss));

        out.add(RunFigure.run(ctx, base, admin, dataDir));
      } finally {
        pool.shutdownNow();
        Processes.stop(server);
      }
    }
    return out;
  }

  /** One unit of work; answers null on success or a short description of the failure. */
  @FunctionalInterface
  interface Work {
    String call() throws Exception;
  }

  /** {@code clients} threads, each issuing back to back for {@code seconds}. */
  static Phase runClosed(int clients, int seconds, Work work, ExecutorService pool)
      throws Exception {
    return runClosed(clients, seconds, c -> work, pool);
  }

  /** {@code clients} threads, client {@code c} doing {@code work.apply(c)} back to back. */
  static Phase runClosed(
      int clients, int seconds, java.util.function.IntFunction<Work> work, ExecutorService pool)
      throws Exception {
    List<Double> latencies = Collections.synchronizedList(new ArrayList<>());
    AtomicInteger errors = new AtomicInteger();
    AtomicReference<String> firstError = new AtomicReference<>();
    long t0 = System.nanoTime();
    long end = t0 + TimeUnit.SECONDS.toNanos(seconds);
    List<java.util.concurrent.Future<?>> threads = new ArrayList<>();
    for (int c = 0; c < clients; c++) {
      Work mine = work.apply(c);
      threads.add(
          pool.submit(
              () -> {
                while (System.nanoTime() < end) {
                  long s = System.nanoTime();
                  String err = attempt(mine);
                  record(latencies, errors, firstError, err, s);
                }
              }));
    }
    for (var t : threads) {
      t.get();
    }
    return new Phase(latencies, errors.get(), firstError.get(), (System.nanoTime() - t0) / 1e9);
  }

  /**
   * Starts fire at a fixed rate whatever the completions; each latency counts from the request's
   * scheduled start, so a slow answer cannot hide the requests queued behind it.
   */
  private static Phase runOpen(int seconds, Work work, ExecutorService pool) throws Exception {
    List<Double> latencies = Collections.synchronizedList(new ArrayList<>());
    AtomicInteger errors = new AtomicInteger();
    AtomicReference<String> firstError = new AtomicReference<>();
    long interval = TimeUnit.SECONDS.toNanos(1) / OFFERED_RATE;
    int total = seconds * OFFERED_RATE;
    List<java.util.concurrent.Future<?>> sent = new ArrayList<>(total);
    AtomicInteger inFlight = new AtomicInteger();
    long t0 = System.nanoTime();
    for (int i = 0; i < total; i++) {
      if (inFlight.get() > MAX_IN_FLIGHT) {
        // The server fell behind by more than half a second of offered load: stop offering, and
        // count what was not sent as errors, so the phase ends in bounded time.
        errors.addAndGet(total - i);
        firstError.compareAndSet(null, "backlog over " + MAX_IN_FLIGHT + " in flight");
        break;
      }
      long scheduled = t0 + i * interval;
      long wait = scheduled - System.nanoTime();
      if (wait > 0) {
        TimeUnit.NANOSECONDS.sleep(wait);
      }
      inFlight.incrementAndGet();
      sent.add(
          pool.submit(
              () -> {
                String err = attempt(work);
                record(latencies, errors, firstError, err, scheduled);
                inFlight.decrementAndGet();
              }));
    }
    for (var f : sent) {
      f.get();
    }
    return new Phase(latencies, errors.get(), firstError.get(), (System.nanoTime() - t0) / 1e9);
  }

  /** The arithmetic mean of {@code samples}; NaN when there are none. */
  static double mean(List<Double> samples) {
    synchronized (samples) {
      return samples.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }
  }

  /** Order statistics of {@code samples}; NaN throughout when nothing succeeded. */
  static Stats stats(List<Double> samples) {
    return new Stats(samples.isEmpty() ? List.of(Double.NaN) : samples);
  }

  private static String attempt(Work work) {
    try {
      return work.call();
    } catch (Exception e) {
      return e.getClass().getSimpleName();
    }
  }

  private static void record(
      List<Double> latencies,
      AtomicInteger errors,
      AtomicReference<String> firstError,
      String err,
      long start) {
    if (err == null) {
      latencies.add((System.nanoTime() - start) / 1e6);
    } else {
      errors.incrementAndGet();
      firstError.compareAndSet(null, err);
    }
  }

  /** POST /api/v1/leases; the answer holds a token, so only its status and error code are read. */
  static String lease(String base, SecretValue admin) throws Exception {
    PlainHttp.Response r = PlainHttp.send("POST", base + "/api/v1/leases", admin, LEASE_BODY);
    if (r.status() == 201) {
      return null;
    }
    return "HTTP " + r.status() + " " + errorCode(r.body());
  }

  static String errorCode(String body) {
    try {
      JsonNode n = JSON.readTree(body);
      JsonNode code = n.findValue("code");
      return code == null ? "" : code.asText();
    } catch (Exception e) {
      return "";
    }
  }

  /** The minimum a lease needs on the cluster: a Secret, and a TokenRequest bound to it. */
  private static String raw(KubernetesClient client, long n) {
    String name = "bench-raw-" + n;
    Secret secret =
        client
            .secrets()
            .inNamespace(HOME_NS)
            .resource(
                new SecretBuilder()
                    .withNewMetadata()
                    .withName(name)
                    .withNamespace(HOME_NS)
                    .endMetadata()
                    .build())
            .create();
    TokenRequest answer =
        client
            .serviceAccounts()
            .inNamespace(HOME_NS)
            .withName(DEPLOYER)
            .tokenRequest(
                new TokenRequestBuilder()
                    .withNewSpec()
                    .withExpirationSeconds(900L)
                    .withBoundObjectRef(
                        new BoundObjectReferenceBuilder()
                            .withApiVersion("v1")
                            .withKind("Secret")
                            .withName(name)
                            .withUid(secret.getMetadata().getUid())
                            .build())
                    .endSpec()
                    .build());
    boolean ok =
        answer.getStatus() != null
            && answer.getStatus().getToken() != null
            && !answer.getStatus().getToken().isEmpty();
    return ok ? null : "TokenRequest without a token";
  }

  /**
   * The mean time of TokenMinter's mint, one at a time, in a JVM of its own ({@link MinterProbe})
   * with the same identity: whether the server's mint phase is slower than the same code in this
   * process because a call crosses between processes (it is not: both measure alike) or because of
   * something in the server.
   */
  private static double minterInOtherProcess(
      FakeKubeApiServer kube, ClusterAccess access, int seconds) throws Exception {
    Process p =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                MinterProbe.class.getName())
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    ObjectNode in = JSON.createObjectNode();
    in.put("url", kube.url().toString()).put("ca", kube.caCertPem());
    in.put("token", access.bearerToken().reveal()).put("seconds", seconds);
    try (var stdin = p.getOutputStream()) {
      stdin.write(in.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    String out =
        new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    if (!p.waitFor(2L * seconds + 60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      return Double.NaN;
    }
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("mean_ms=([0-9.]+)").matcher(out);
    return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
  }

  /** The token the connection's provisioning stored for the minter service account. */
  private static SecretValue minterToken(FakeKubeApiServer kube) {
    JsonNode secret = kube.getObject("v1", "Secret", HOME_NS, "sightline-minter-token");
    JsonNode token = secret == null ? null : secret.path("data").get("token");
    if (token == null) {
      return null;
    }
    return SecretValue.ofUtf8(java.util.Base64.getDecoder().decode(token.asText()));
  }

  static void createConnection(
      HttpClient http, String base, SecretValue admin, FakeKubeApiServer kube) throws Exception {
    ObjectNode b = JSON.createObjectNode();
    b.put("name", "prod").put("kind", "kubernetes").put("authorizationType", "AzureSubscription");
    b.put("adminKubeconfig", kube.adminKubeconfig());
    b.putArray("namespaces").add("web");
    b.put("createNamespace", true);
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "/api/v1/connections"))
                .timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + admin.reveal())
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(b.toString()))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 201) {
      throw new IllegalStateException(
          "creating the connection answered HTTP "
              + r.statusCode()
              + " "
              + errorCode(r.body())
              + " (see the server log in the bench's temporary data dir)");
    }
  }
}
