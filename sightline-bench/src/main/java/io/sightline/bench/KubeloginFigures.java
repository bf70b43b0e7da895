package io.sightline.bench;

import io.sightline.testing.azure.AksCluster;
import io.sightline.testing.azure.EntraApp;
import io.sightline.testing.azure.FakeAzure;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Issue 7's figures: {@code sightline kubelogin get-token} as a whole process, as kubectl runs it,
 * with the JVM options the launcher gives CLI calls. Warm: a cached token (target ≤ 250 ms median).
 * Cold: a service principal sign-in against the Entra emulator with an empty cache (target ≤ 2 s).
 * Beside them, what dominates: the same JVM printing the plugin's help (start-up and our few
 * classes, no token), the number of classes each path loads, the launcher script's own overhead,
 * and the emulator's token answer time.
 */
final class KubeloginFigures {
  private static final String TENANT = "8f3c2a10-5d1e-4b7a-9c2e-1f0a6b7c8d90";
  private static final String APP = "0a1b2c3d-1111-4111-8111-000000000001";
  private static final List<String> JVM =
      List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-Xss512k");

  private KubeloginFigures() {}

  static List<Result> run(BenchContext ctx) throws Exception {
    String secret = "bench-" + Long.toHexString(System.nanoTime());
    Path tmp = Scratch.dir("kubelogin");
    try (FakeAzure azure =
        FakeAzure.builder()
            .application(EntraApp.builder(TENANT, APP).secret(secret).build())
            .start()) {
      Path ca = azure.writeCaBundle(tmp.resolve("ca.pem"));
      Map<String, String> env = new HashMap<>();
      env.put("PATH", System.getenv("PATH"));
      env.put("HOME", tmp.toString());
      env.put("SSL_CERT_FILE", ca.toString());
      env.put("AZURE_AUTHORITY_HOST", azure.authorityHost());
      env.put("AZURE_CLIENT_SECRET", secret);
      List<String> args =
          List.of(
              "kubelogin",
              "get-token",
              "-l",
              "spn",
              "--server-id",
              AksCluster.AKS_SERVER_APP_ID,
              "--client-id",
              APP,
              "--tenant-id",
              TENANT);
      List<String> java = new ArrayList<>();
      java.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      java.addAll(JVM);
      java.add("-jar");
      java.add(ctx.jar().toString());

      // cold: a new cache directory each time
      int coldRuns = ctx.quick() ? 1 : 10;
      List<Double> cold = new ArrayList<>();
      CPU.clear();
      for (int i = 0; i < coldRuns; i++) {
        env.put("KUBECACHEDIR", tmp.resolve("cold-" + i).toString());
        cold.add(time(concat(java, args), env));
      }
      // warm: one cache, filled once
      env.put("KUBECACHEDIR", tmp.resolve("warm").toString());
      time(concat(java, args), env);
      List<Double> coldCpu = new ArrayList<>(CPU);
      int warmRuns = ctx.quick() ? 2 : 30;
      List<Double> warm = new ArrayList<>();
      CPU.clear();
      for (int i = 0; i < warmRuns; i++) {
        warm.add(time(concat(java, args), env));
      }
      List<Double> warmCpu = new ArrayList<>(CPU);
      List<Double> help = new ArrayList<>();
      for (int i = 0; i < (ctx.quick() ? 1 : 15); i++) {
        help.add(time(concat(java, List.of("kubelogin", "get-token", "--help")), env));
      }
      List<Double> launcher = new ArrayList<>();
      if (Files.isExecutable(ctx.launcher())) {
        Map<String, String> lenv = new HashMap<>(env);
        lenv.put("SIGHTLINE_NO_BUILD", "1");
        for (int i = 0; i < (ctx.quick() ? 1 : 15); i++) {
          launcher.add(time(concat(List.of(ctx.launcher().toString()), args), lenv));
        }
      }
      // what a class-data-sharing archive recorded on a cold call would give the cold path
      List<Double> coldCds = new ArrayList<>();
      if (!ctx.quick()) {
        Path jsa = tmp.resolve("cold.jsa");
        List<String> record = new ArrayList<>(java);
        record.add(1, "-XX:ArchiveClassesAtExit=" + jsa);
        record.add(2, "-Xlog:cds=off");
        record.add(3, "-Xlog:cds+dynamic=off");
        env.put("KUBECACHEDIR", tmp.resolve("cold-record").toString());
        time(concat(record, args), env);
        List<String> use = new ArrayList<>(java);
        use.add(1, "-XX:SharedArchiveFile=" + jsa);
        use.add(2, "-Xlog:cds=off");
        for (int i = 0; i < 5; i++) {
          env.put("KUBECACHEDIR", tmp.resolve("cold-cds-" + i).toString());
          coldCds.add(time(concat(use, args), env));
        }
      }
      env.put("KUBECACHEDIR", tmp.resolve("warm").toString());
      int warmClasses = classes(java, args, env, tmp.resolve("warm-classes.log"));
      env.put("KUBECACHEDIR", tmp.resolve("cold-classes").toString());
      int coldClasses = classes(java, args, env, tmp.resolve("cold-classes.log"));

      Stats w = new Stats(warm);
      Stats c = new Stats(cold);
      Stats h = new Stats(help);
      Result warmResult =
          Result.of(
                  "kubelogin get-token, warm cache (process)",
                  "≤ 250 ms median",
                  w.median(),
                  "ms",
                  w.median() <= 250)
              .with("median_ms", w.median())
              .with("p99_ms", w.p99())
              .with("jvm_and_help_median_ms", h.median())
              .with("cpu_median_ms", warmCpu.isEmpty() ? -1 : new Stats(warmCpu).median())
              .with("load_average", loadAverage())
              .with("classes_loaded", warmClasses);
      if (!launcher.isEmpty()) {
        warmResult.with("via_launcher_median_ms", new Stats(launcher).median());
      }
      Result coldResult =
          Result.of(
                  "kubelogin get-token, cold spn (process)",
                  "≤ 2000 ms median",
                  c.median(),
                  "ms",
                  c.median() <= 2000)
              .with("median_ms", c.median())
              .with("max_ms", c.max())
              .with("cpu_median_ms", coldCpu.isEmpty() ? -1 : new Stats(coldCpu).median())
              .with("classes_loaded", coldClasses)
              .with(
                  "with_cds_archive_median_ms",
                  coldCds.isEmpty() ? -1 : new Stats(coldCds).median())
              .with("token_requests", azure.requestCount("client_credentials", APP));
      return List.of(warmResult, coldResult);
    } finally {
      try (var s = Files.walk(tmp)) {
        s.sorted(java.util.Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
      }
    }
  }

  static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim().split(" ")[0];
    } catch (Exception e) {
      return "unknown";
    }
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }

  /** CPU seconds (user + system) of the last timed process, when /usr/bin/time is there. */
  private static final List<Double> CPU = new ArrayList<>();

  private static final boolean GNU_TIME = Files.isExecutable(Path.of("/usr/bin/time"));

  private static double time(List<String> cmd, Map<String, String> env) throws Exception {
    if (GNU_TIME) {
      List<String> timed = new ArrayList<>(List.of("/usr/bin/time", "-f", "CPU %U %S"));
      timed.addAll(cmd);
      cmd = timed;
    }
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().clear();
    pb.environment().putAll(env);
    pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
    Path err = Files.createTempFile("bench-kubelogin-", ".err");
    pb.redirectError(err.toFile());
    long t0 = System.nanoTime();
    Process p = pb.start();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException(cmd + " did not finish in 60 s");
    }
    double ms = (System.nanoTime() - t0) / 1e6;
    String e = Files.readString(err, StandardCharsets.UTF_8);
    Files.deleteIfExists(err);
    if (p.exitValue() != 0) {
      throw new IllegalStateException("get-token failed: " + e);
    }
    for (String line : e.split("\n")) {
      if (line.startsWith("CPU ")) {
        String[] f = line.split(" ");
        CPU.add((Double.parseDouble(f[1]) + Double.parseDouble(f[2])) * 1000);
      }
    }
    return ms;
  }

  private static int classes(
      List<String> java, List<String> args, Map<String, String> env, Path log) throws Exception {
    List<String> cmd = new ArrayList<>(java);
    cmd.add(1, "-Xlog:class+load=info:file=" + log);
    cmd.addAll(args);
    time(cmd, env);
    return Files.readAllLines(log).size();
  }
}
