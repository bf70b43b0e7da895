package io.sightline.kubernetes.provision;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs the real {@code kubectl} (at {@code /usr/bin/kubectl}, ≥ 1.28) with a private kubeconfig
 * (inline token and CA) and a private HOME and KUBECACHEDIR, so nothing of the machine's own
 * configuration is read or written. A missing or too old kubectl fails the test: never skipped.
 */
public final class Kubectl implements AutoCloseable {
  public static final Path BINARY = Path.of("/usr/bin/kubectl");

  /** What one kubectl run answered. */
  public record Result(int exitCode, String stdout, String stderr) {}

  private final Path dir;
  private final Path kubeconfig;

  private Kubectl(Path dir, Path kubeconfig) {
    this.dir = dir;
    this.kubeconfig = kubeconfig;
  }

  /** A kubectl that uses {@code kubeconfigYaml} (written with mode 0600 to a temp dir). */
  public static Kubectl with(String kubeconfigYaml) {
    requireKubectl();
    try {
      Path dir = Files.createTempDirectory("sightline-kubectl-");
      Path file = dir.resolve("kubeconfig");
      Files.writeString(file, kubeconfigYaml, StandardCharsets.UTF_8);
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
      return new Kubectl(dir, file);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Fails (never skips) unless {@code /usr/bin/kubectl} runs and is at least 1.28. */
  public static void requireKubectl() {
    if (!Files.isExecutable(BINARY)) {
      fail(
          "these tests need the real kubectl >= 1.28 at "
              + BINARY
              + " (README prerequisites); it is missing");
    }
    Result r;
    try (Kubectl scratch = new Kubectl(Files.createTempDirectory("sightline-kubectl-"), null)) {
      r = exec(scratch.dir, List.of(BINARY.toString(), "version", "--client", "-o", "json"));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    Matcher m = Pattern.compile("\"minor\"\\s*:\\s*\"(\\d+)").matcher(r.stdout());
    if (r.exitCode() != 0 || !m.find()) {
      fail("could not read the version of " + BINARY + ": " + r.stderr());
    }
    int minor = Integer.parseInt(m.group(1));
    if (minor < 28) {
      fail("these tests need kubectl >= 1.28 at " + BINARY + "; found 1." + minor);
    }
  }

  /** Deletes the private directory and its kubeconfig (which holds a token). */
  @Override
  public void close() {
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code kubectl ARGS…} with this kubeconfig. */
  public Result run(String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(BINARY.toString());
    cmd.add("--kubeconfig");
    cmd.add(kubeconfig.toString());
    cmd.addAll(List.of(args));
    return exec(dir, cmd);
  }

  /**
   * {@code kubectl auth can-i VERB RESOURCE [-n NS]}: true for "yes", false for "no"; anything else
   * fails the test.
   */
  public boolean canI(String verb, String resource, String namespace, String... extra) {
    List<String> args = new ArrayList<>(List.of("auth", "can-i", verb, resource));
    if (namespace != null) {
      args.add("-n");
      args.add(namespace);
    }
    args.addAll(List.of(extra));
    Result r = run(args.toArray(String[]::new));
    String out = r.stdout().trim();
    if (r.exitCode() == 0 && out.startsWith("yes")) {
      return true;
    }
    if (r.exitCode() == 1 && out.startsWith("no")) {
      return false;
    }
    return fail(
        "kubectl auth can-i "
            + String.join(" ", args)
            + " answered exit "
            + r.exitCode()
            + ", stdout '"
            + out
            + "', stderr '"
            + r.stderr().trim()
            + "'");
  }

  private static Result exec(Path home, List<String> cmd) {
    try {
      Path cache = home.resolve("cache");
      Files.createDirectories(cache);
      ProcessBuilder pb = new ProcessBuilder(cmd);
      pb.environment().remove("KUBECONFIG");
      pb.environment().put("HOME", home.toString());
      pb.environment().put("KUBECACHEDIR", cache.toString());
      Path out = home.resolve("stdout");
      Path err = home.resolve("stderr");
      pb.redirectOutput(out.toFile());
      pb.redirectError(err.toFile());
      Process p = pb.start();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        fail("kubectl did not finish within 60 s: " + String.join(" ", cmd.subList(1, cmd.size())));
      }
      return new Result(
          p.exitValue(),
          Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
