package io.sightline.bench;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Issue 2's figures: server start to ready on embedded H2 (first start — key, token, migrations —
 * and restarts), and idle resident memory with the launcher's default JVM options. The server is
 * started through {@code ./sightline}, exactly as the README says.
 */
final class ServerStartFigures {
  static final double START_TARGET_MS = 3000;
  static final double RSS_TARGET_MIB = 200;

  private ServerStartFigures() {}

  static List<Result> run(BenchContext ctx) throws Exception {
    Path dataDir = Scratch.dir("start");
    List<Double> restarts = new ArrayList<>();
    double first = startOnce(ctx, dataDir, false);
    double rss = Double.NaN;
    int n = ctx.repetitions(5);
    for (int i = 0; i < n; i++) {
      boolean measureRss = i == n - 1;
      double ms = startOnce(ctx, dataDir, measureRss);
      if (measureRss) {
        rss = lastRss;
      }
      restarts.add(ms);
    }
    Stats s = new Stats(restarts);
    List<Result> out = new ArrayList<>();
    out.add(
        Result.of(
                "server start to ready (H2, restart)",
                "≤ 3000 ms",
                s.median(),
                "ms",
                s.median() <= START_TARGET_MS)
            .with("median", s.median())
            .with("min", s.min())
            .with("max", s.max())
            .with("runs", s.count())
            .with("firstStartMs", first));
    out.add(
        Result.of("server idle resident memory", "≤ 200 MiB", rss, "MiB", rss <= RSS_TARGET_MIB)
            .with("idleSeconds", ctx.quick() ? 1 : 10));
    return out;
  }

  private static double lastRss;

  private static double startOnce(BenchContext ctx, Path dataDir, boolean measureRss)
      throws Exception {
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
            .redirectOutput(dataDir.resolve("server-" + port + ".log").toFile());
    pb.environment().put("SIGHTLINE_NO_BUILD", "1");
    pb.environment().remove("SIGHTLINE_MASTER_KEY");
    pb.environment().remove("SIGHTLINE_DB_URL");
    long t0 = System.nanoTime();
    Process p = pb.start();
    try {
      long ready =
          Processes.awaitOk(
              URI.create("http://127.0.0.1:" + port + "/readyz"), p, Duration.ofSeconds(60));
      double ms = (ready - t0) / 1e6;
      if (measureRss) {
        Thread.sleep(ctx.quick() ? 1000 : 10_000);
        lastRss = Processes.rssMiB(p.pid());
      }
      return ms;
    } finally {
      Processes.stop(p);
    }
  }
}
