package io.sightline.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sightline.core.SecretValue;
import io.sightline.testing.kube.FakeKubeApiServer;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Issue 9's figures: minting through an agent against minting directly, on loopback. The real
 * server ({@code ./sightline server}) and a real agent ({@code ./sightline agent}) run as
 * processes; the emulator runs in-process. Two connections provisioned on the same emulator, one
 * direct and one {@code via: {pool}}. (1) The median overhead of a lease through the agent over a
 * direct lease, one client back to back. (2) One agent's sustained leases/s, 16 clients, closed
 * loop.
 */
final class AgentFigures {
  static final double OVERHEAD_TARGET_MS = 20;
  static final double RATE_TARGET = 200;
  private static final ObjectMapper JSON = new ObjectMapper();

  private AgentFigures() {}

  static List<Result> run(BenchContext ctx) throws Exception {
    List<Result> out = new ArrayList<>();
    Path dataDir = Scratch.dir("agent");
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
      Process agent = null;
      ExecutorService pool =
          Executors.newFixedThreadPool(
              32,
              r -> {
                Thread t = new Thread(r, "bench-agent");
                t.setDaemon(true);
                return t;
              });
      try {
        String base = "http://127.0.0.1:" + port;
        Processes.awaitOk(URI.create(base + "/readyz"), server, Duration.ofSeconds(60));
        SecretValue admin =
            SecretValue.of(Files.readString(dataDir.resolve("admin.token")).strip());
        PlainHttp.Response token =
            PlainHttp.send(
                "POST", base + "/api/v1/agent-pools/bench/registration-tokens", admin, "{}");
        if (token.status() != 201) {
          throw new IllegalStateException("registration token: HTTP " + token.status());
        }
        Path tokenFile = dataDir.resolve("registration.token");
        Files.writeString(tokenFile, JSON.readTree(token.body()).get("token").asText());
        ProcessBuilder ab =
            new ProcessBuilder(
                    ctx.launcher().toString(),
                    "agent",
                    "--server",
                    base,
                    "--pool",
                    "bench",
                    "--name",
                    "bench-agent",
                    "--registration-token-file",
                    tokenFile.toString(),
                    "--state-dir",
                    dataDir.resolve("agent").toString(),
                    "--pollers",
                    "16")
                .redirectErrorStream(true)
                .redirectOutput(dataDir.resolve("agent.log").toFile());
        ab.environment().put("SIGHTLINE_NO_BUILD", "1");
        agent = ab.start();
        awaitOnline(base, admin, agent);
        createConnection(base, admin, kube, "direct", null);
        createConnection(base, admin, kube, "private", "bench");

        LeaseFigures.Work direct = () -> lease(base, admin, "direct");
        LeaseFigures.Work viaAgent = () -> lease(base, admin, "private");
        int warm = ctx.quick() ? 1 : 8;
        LeaseFigures.runClosed(8, warm, direct, pool);
        LeaseFigures.runClosed(8, warm, viaAgent, pool);
        int seconds = ctx.quick() ? 2 : 10;
        long[] pids = {server.pid(), agent.pid()};
        // What the server and the agent burn while no lease is asked for (16 waiting polls).
        double idle0 = cpuMillis(pids);
        long idleStart = System.nanoTime();
        Thread.sleep(ctx.quick() ? 500 : 3000);
        double idlePerSecond = (cpuMillis(pids) - idle0) / ((System.nanoTime() - idleStart) / 1e9);
        String loadBefore = KubeloginFigures.loadAverage();
        double cpu0 = cpuMillis(pids);
        LeaseFigures.Phase serialDirect = LeaseFigures.runClosed(1, seconds, direct, pool);
        double cpu1 = cpuMillis(pids);
        LeaseFigures.Phase serialAgent = LeaseFigures.runClosed(1, seconds, viaAgent, pool);
        double cpu2 = cpuMillis(pids);
        String loadSerial = KubeloginFigures.loadAverage();
        Stats d = LeaseFigures.stats(serialDirect.latencies());
        Stats a = LeaseFigures.stats(serialAgent.latencies());
        double overhead = a.median() - d.median();
        out.add(
            Result.of(
                    "lease through an agent, median overhead over direct",
                    "≤ 20 ms",
                    round(overhead),
                    "ms",
                    overhead <= OVERHEAD_TARGET_MS)
                .with("direct_median_ms", round(d.median()))
                .with("agent_median_ms", round(a.median()))
                .with("direct_p99_ms", round(d.p99()))
                .with("agent_p99_ms", round(a.p99()))
                .with("samples", a.count())
                .with("direct_cpu_ms_per_lease", perLease(cpu1 - cpu0, serialDirect))
                .with("agent_cpu_ms_per_lease", perLease(cpu2 - cpu1, serialAgent))
                .with("idle_cpu_ms_per_s", round(idlePerSecond))
                .with("load_average", loadBefore + "→" + loadSerial)
                .with("errors", serialDirect.errors() + serialAgent.errors())
                .with("first_error", String.valueOf(serialAgent.firstError())));

        double cpu3 = cpuMillis(pids);
        LeaseFigures.Phase sustained =
            LeaseFigures.runClosed(16, ctx.quick() ? 2 : 15, viaAgent, pool);
        double cpu4 = cpuMillis(pids);
        Stats s = LeaseFigures.stats(sustained.latencies());
        out.add(
            Result.of(
                    "one agent's sustained leases/s (16 clients)",
                    "≥ 200 /s",
                    round(sustained.rate()),
                    "/s",
                    sustained.rate() >= RATE_TARGET && sustained.errors() == 0)
                .with("median_ms", round(s.median()))
                .with("p99_ms", round(s.p99()))
                .with("errors", sustained.errors())
                .with("first_error", String.valueOf(sustained.firstError()))
                .with("agent_pollers", 16)
                .with("cpu_ms_per_lease", perLease(cpu4 - cpu3, sustained))
                .with("load_average", loadSerial + "→" + KubeloginFigures.loadAverage()));
      } finally {
        pool.shutdownNow();
        if (agent != null) {
          Processes.stop(agent);
        }
        Processes.stop(server);
      }
    }
    return out;
  }

  /**
   * CPU time (user + system) the server and agent processes used so far, in ms, from /proc (the
   * launcher execs java, so the process is the JVM); -1 where /proc is missing.
   */
  static double cpuMillis(long[] pids) {
    double total = 0;
    for (long pid : pids) {
      try {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        // fields 14 and 15 of stat (utime, stime) are 12 and 13 after the command name
        total += (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10.0; // USER_HZ = 100
      } catch (java.io.IOException | RuntimeException e) {
        return -1;
      }
    }
    return total;
  }

  private static double perLease(double cpuMillis, LeaseFigures.Phase phase) {
    int n = phase.latencies().size() + phase.errors();
    return cpuMillis < 0 || n == 0 ? -1 : round(cpuMillis / n);
  }

  private static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }

  private static void awaitOnline(String base, SecretValue admin, Process agent) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      if (!agent.isAlive()) {
        throw new IllegalStateException("the agent exited (see agent.log in the bench data dir)");
      }
      PlainHttp.Response r = PlainHttp.send("GET", base + "/api/v1/agents?pool=bench", admin, null);
      if (r.status() == 200 && r.body().contains("\"online\"")) {
        Thread.sleep(500); // let every poller connect
        return;
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException("the agent did not come online in 60 s");
  }

  private static String lease(String base, SecretValue admin, String connection) throws Exception {
    PlainHttp.Response r =
        PlainHttp.send(
            "POST",
            base + "/api/v1/leases",
            admin,
            "{\"target\":{\"connection\":\""
                + connection
                + "\",\"namespace\":\"web\"},\"ttlSeconds\":900}");
    if (r.status() == 201) {
      return null;
    }
    return "HTTP " + r.status() + " " + LeaseFigures.errorCode(r.body());
  }

  private static void createConnection(
      String base, SecretValue admin, FakeKubeApiServer kube, String name, String pool)
      throws Exception {
    ObjectNode b = JSON.createObjectNode();
    b.put("name", name).put("kind", "kubernetes").put("authorizationType", "AzureSubscription");
    b.put("adminKubeconfig", kube.adminKubeconfig());
    b.putArray("namespaces").add("web");
    b.put("createNamespace", true);
    b.put("homeNamespace", "sightline-" + name);
    if (pool != null) {
      b.putObject("via").put("pool", pool);
    }
    PlainHttp.Response r =
        PlainHttp.send("POST", base + "/api/v1/connections?timeout=30s", admin, b.toString());
    if (r.status() != 201) {
      throw new IllegalStateException(
          "creating connection " + name + ": HTTP " + r.status() + " " + r.body());
    }
  }
}
