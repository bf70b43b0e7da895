package io.sightline.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.sightline.core.SecretValue;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Issue 6's {@code sightline run -- true} overhead: the launcher ({@code ./sightline}, with its
 * class-data sharing archive for client commands) runs {@code true} under a lease from the running
 * server, whose cluster is the emulator — JVM start, identity, lease, kubeconfig files, the
 * command, revocation and exit. To say what dominates, the same run also measures a bare JVM start
 * of the same command ({@code ./sightline run --help}) and the server's own issue and revoke,
 * serially, over HTTP.
 */
final class RunFigure {
  static final double TARGET_MS = 1000;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String LEASE_BODY =
      "{\"target\":{\"connection\":\"prod\",\"namespace\":\"web\"},\"ttlSeconds\":900}";

  private RunFigure() {}

  static Result run(BenchContext ctx, String base, SecretValue admin, Path dir) throws Exception {
    Path home = Files.createDirectories(dir.resolve("run-home"));
    List<String> run =
        List.of(
            ctx.launcher().toString(), "run", "--connection", "prod", "-n", "web", "--", "true");
    List<String> help = List.of(ctx.launcher().toString(), "run", "--help");
    int warmups = ctx.quick() ? 1 : 3;
    int runs = ctx.quick() ? 2 : 20;
    int errors = 0;
    String firstError = null;
    // The first run after a build records the launcher's CDS archive; warm-ups absorb it.
    for (int i = 0; i < warmups; i++) {
      timed(run, home, base, admin);
    }
    List<Double> total = new ArrayList<>();
    List<Double> start = new ArrayList<>();
    for (int i = 0; i < runs; i++) {
      double[] r = timed(run, home, base, admin);
      if (r[1] == 0) {
        total.add(r[0]);
      } else {
        errors++;
        if (firstError == null) {
          firstError = "exit " + (int) r[1] + " (see " + home.resolve("run.log") + ")";
        }
      }
      start.add(timed(help, home, base, admin)[0]);
    }
    List<Double> issue = new ArrayList<>();
    List<Double> revoke = new ArrayList<>();
    for (int i = 0; i < Math.max(3, runs / 2); i++) {
      long t0 = System.nanoTime();
      String id = create(base, admin);
      long t1 = System.nanoTime();
      revoke(base, admin, id);
      long t2 = System.nanoTime();
      issue.add((t1 - t0) / 1e6);
      revoke.add((t2 - t1) / 1e6);
    }
    Stats t = new Stats(total.isEmpty() ? List.of(Double.NaN) : total);
    Stats s = new Stats(start);
    Stats is = new Stats(issue);
    Stats rs = new Stats(revoke);
    return Result.of(
            "sightline run -- true overhead",
            "≤ 1000 ms median",
            t.median(),
            "ms",
            t.median() <= TARGET_MS && errors == 0)
        .with("mode", "./sightline run --connection prod -n web -- true, serial, API token")
        .with("runs", runs)
        .with("median_ms", t.median())
        .with("min_ms", t.min())
        .with("max_ms", t.max())
        .with("jvm_start_median_ms", s.median())
        .with(
            "jvm_start_is", "./sightline run --help (launcher, JVM with the CDS archive, picocli)")
        .with("server_issue_median_ms", is.median())
        .with("server_revoke_median_ms", rs.median())
        .with("errors", errors)
        .with("first_error", firstError);
  }

  /** Wall time in ms and exit code of one launcher call. */
  private static double[] timed(List<String> cmd, Path home, String base, SecretValue admin)
      throws IOException, InterruptedException {
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(home.resolve("run.log").toFile()));
    Map<String, String> env = pb.environment();
    // Only the API token identifies this caller: no CI identity from the surroundings.
    env.keySet()
        .removeIf(
            k ->
                k.startsWith("ACTIONS_ID_TOKEN")
                    || k.startsWith("SYSTEM_")
                    || k.equals("SIGHTLINE_ID_TOKEN")
                    || k.equals("SIGHTLINE_JAVA_OPTS"));
    env.put("HOME", home.toString());
    env.put("SIGHTLINE_SERVER", base);
    env.put("SIGHTLINE_TOKEN", admin.reveal());
    env.put("SIGHTLINE_NO_BUILD", "1");
    long t0 = System.nanoTime();
    Process p = pb.start();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor();
      return new double[] {(System.nanoTime() - t0) / 1e6, 124};
    }
    return new double[] {(System.nanoTime() - t0) / 1e6, p.exitValue()};
  }

  private static String create(String base, SecretValue admin) throws Exception {
    PlainHttp.Response r = PlainHttp.send("POST", base + "/api/v1/leases", admin, LEASE_BODY);
    if (r.status() != 201) {
      throw new IllegalStateException(
          "lease create answered HTTP " + r.status() + " " + LeaseFigures.errorCode(r.body()));
    }
    return JSON.readTree(r.body()).path("id").asText();
  }

  private static void revoke(String base, SecretValue admin, String id) throws Exception {
    PlainHttp.Response r = PlainHttp.send("DELETE", base + "/api/v1/leases/" + id, admin, null);
    if (r.status() / 100 != 2) {
      throw new IllegalStateException(
          "lease revoke answered HTTP " + r.status() + " " + LeaseFigures.errorCode(r.body()));
    }
  }
}
