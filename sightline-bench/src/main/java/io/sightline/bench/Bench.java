package io.sightline.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The benchmark harness. {@code java -jar sightline-bench/target/sightline-bench.jar [--quick]
 * [--root DIR] [--out FILE]} runs every figure in one run, prints a table (value, target,
 * pass/short) and writes {@code target/bench.json}. {@code --quick} is the smoke run inside {@code
 * mvn verify}: it checks that the harness works, not the figures.
 */
public final class Bench {
  private Bench() {}

  /**
   * The harness's own collector. The emulator and the load generator live in this JVM; under G1's
   * default 200 ms pause goal its young collections took 40–95 ms in the open-loop lease phase (the
   * emulator's objects grow by tens of thousands of leases per phase), and every such pause stalled
   * the emulator while the server's threads sat idle waiting for it: the harness measuring its own
   * pauses. ZGC's pauses stay under a millisecond.
   */
  static final String HARNESS_GC = "-XX:+UseZGC";

  public static void main(String[] args) throws Exception {
    List<String> jvm =
        java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments();
    if (!jvm.contains(HARNESS_GC) && System.getenv("SIGHTLINE_BENCH_SAME_JVM") == null) {
      System.exit(relaunch(jvm, args));
    }
    // Ctrl-C or a kill of the harness must not leave its servers and agents running: they would
    // take the CPU of the next run's figures.
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> ProcessHandle.current().descendants().forEach(ProcessHandle::destroy)));
    boolean quick = false;
    String only = null;
    Path root = Path.of(".").toAbsolutePath().normalize();
    Path out = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--quick" -> quick = true;
        case "--root" -> root = Path.of(args[++i]).toAbsolutePath().normalize();
        case "--out" -> out = Path.of(args[++i]);
        case "--only" -> only = args[++i];
        case "-h", "--help" -> {
          System.out.println(
              "usage: java -jar sightline-bench.jar [--quick] [--root REPO] [--out FILE]"
                  + " [--only start|emulator|probe|lease|replicas|load|aks|kubelogin|agent]");
          return;
        }
        default -> {
          System.err.println("unknown argument " + args[i] + " (try --help)");
          System.exit(2);
        }
      }
    }
    if (out == null) {
      out = root.resolve("sightline-bench/target/bench.json");
    }
    List<Result> results =
        run(
            new BenchContext(root, root.resolve("sightline-cli/target/sightline.jar"), quick),
            only);
    print(results, System.out);
    write(results, out, quick);
  }

  /**
   * Runs the harness again in a JVM with {@link #HARNESS_GC} (and this JVM's other options);
   * answers its exit code. {@code SIGHTLINE_BENCH_SAME_JVM=1} skips this.
   */
  private static int relaunch(List<String> jvm, String[] args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvm);
    cmd.add(HARNESS_GC);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(Bench.class.getName());
    cmd.addAll(List.of(args));
    System.err.println(
        "bench: running in a JVM with "
            + HARNESS_GC
            + " (the emulator and the load generator run in it: their collections must not pause"
            + " what is measured; SIGHTLINE_BENCH_SAME_JVM=1 skips this)");
    Process child = new ProcessBuilder(cmd).inheritIO().start();
    Runtime.getRuntime().addShutdownHook(new Thread(child::destroy));
    return child.waitFor();
  }

  static List<Result> run(BenchContext ctx) throws Exception {
    return run(ctx, null);
  }

  /**
   * Every group of figures, or only {@code only} (start, emulator, probe, lease (with run),
   * replicas, load, aks, kubelogin) while working on one of them; a full run is what BENCHMARKS.md
   * quotes.
   */
  static List<Result> run(BenchContext ctx, String only) throws Exception {
    if (!Files.isRegularFile(ctx.jar())) {
      throw new IllegalStateException(
          ctx.jar() + " is missing: build it first (mvn -B package -DskipTests)");
    }
    List<Result> results = new ArrayList<>();
    if (only == null || only.equals("start") || only.equals("server")) {
      results.addAll(ServerStartFigures.run(ctx));
    }
    if (only == null || only.equals("emulator")) {
      results.addAll(EmulatorFigures.run(ctx));
    }
    if (only == null || only.equals("probe")) {
      results.addAll(ProbeFigures.run(ctx));
    }
    if (only == null || only.equals("lease")) {
      results.addAll(LeaseFigures.run(ctx));
    }
    if (only == null || only.equals("replicas")) {
      results.addAll(ReplicaFigures.run(ctx));
    }
    if (only == null || only.equals("load")) {
      results.addAll(LoadFigures.run(ctx));
    }
    if (only == null || only.equals("aks")) {
      results.addAll(AksFigures.run(ctx));
    }
    if (only == null || only.equals("kubelogin")) {
      results.addAll(KubeloginFigures.run(ctx));
    }
    if (only == null || only.equals("agent")) {
      results.addAll(AgentFigures.run(ctx));
    }
    return results;
  }

  static void print(List<Result> results, PrintStream out) {
    out.printf(Locale.ROOT, "%-44s %12s %-14s %s%n", "figure", "value", "target", "mark");
    for (Result r : results) {
      out.printf(
          Locale.ROOT,
          "%-44s %9.1f %-2s %-14s %s%n",
          r.name(),
          r.value(),
          r.unit(),
          r.target(),
          r.pass() ? "pass" : "SHORT");
    }
  }

  static void write(List<Result> results, Path file, boolean quick) throws Exception {
    ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    ObjectNode root = json.createObjectNode();
    root.put("at", Instant.now().toString());
    root.put("quick", quick);
    root.put("machine", machine());
    ArrayNode figures = root.putArray("figures");
    for (Result r : results) {
      ObjectNode f = figures.addObject();
      f.put("name", r.name());
      f.put("value", r.value());
      f.put("unit", r.unit());
      f.put("target", r.target());
      f.put("pass", r.pass());
      f.set("stats", json.valueToTree(r.stats()));
    }
    Files.createDirectories(file.toAbsolutePath().getParent());
    json.writeValue(file.toFile(), root);
  }

  static String machine() {
    String cpu = "unknown CPU";
    try {
      cpu =
          Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
              .filter(l -> l.startsWith("model name"))
              .map(l -> l.substring(l.indexOf(':') + 1).strip())
              .findFirst()
              .orElse(cpu);
    } catch (Exception e) {
      // not Linux
    }
    return Runtime.getRuntime().availableProcessors()
        + " cores, "
        + cpu
        + ", Java "
        + System.getProperty("java.version");
  }
}
