package io.sightline.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Issue 3's figure: the Kubernetes API emulator must not be the bottleneck of later benchmarks — at
 * least 800 TokenRequests/s from 16 concurrent clients. Runs the emulator's own load driver ({@code
 * TokenRequestBench} in {@code fake-kube.jar}) in a separate JVM.
 */
final class EmulatorFigures {
  static final double TARGET_PER_SECOND = 800;
  private static final Pattern LINE =
      Pattern.compile("([0-9.]+) req/s, median ([0-9.]+) ms, p99 ([0-9.]+) ms");

  private EmulatorFigures() {}

  static List<Result> run(BenchContext ctx) throws Exception {
    Path jar = ctx.root().resolve("sightline-testing/target/fake-kube.jar");
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(
          jar + " is missing: build it first (mvn -B package -DskipTests)");
    }
    int seconds = ctx.quick() ? 2 : 15;
    Process p =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                jar.toString(),
                "io.sightline.testing.kube.bench.TokenRequestBench",
                "16",
                Integer.toString(seconds))
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(seconds + 120L, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("TokenRequestBench failed:\n" + out);
    }
    Matcher m = LINE.matcher(out);
    if (!m.find()) {
      throw new IllegalStateException("unexpected TokenRequestBench output:\n" + out);
    }
    double perSecond = Double.parseDouble(m.group(1));
    return List.of(
        Result.of(
                "emulator TokenRequests/s (16 clients)",
                "≥ 800 /s",
                perSecond,
                "/s",
                perSecond >= TARGET_PER_SECOND)
            .with("median_ms", Double.parseDouble(m.group(2)))
            .with("p99_ms", Double.parseDouble(m.group(3)))
            .with("seconds", seconds));
  }
}
