package io.sightline.testing.kube;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the machine's real kubectl with a given kubeconfig, a private HOME and discovery cache, and
 * a timeout. A missing kubectl, or one older than 1.28, is an error with a message saying so: the
 * suite never skips.
 */
final class Kubectl {

  /** Exit code and output of one kubectl run. */
  record Result(int exit, String out, String err) {
    String all() {
      return out + err;
    }
  }

  private final Path work;
  private int runs;

  Kubectl(Path work) {
    this.work = work;
  }

  /** Fails with a clear message unless a kubectl ≥ 1.28 is on the PATH. */
  static void requireKubectl128(Path work) {
    Result r;
    try {
      r = new Kubectl(work).run(null, "version", "--client", "-o", "json");
    } catch (IllegalStateException e) {
      throw new AssertionError(
          "kubectl ≥ 1.28 is required on the PATH for the emulator's kubectl suite (Debian's"
              + " kubectl 1.20 is too old; this machine's /usr/bin/kubectl 1.32 works): "
              + e.getMessage(),
          e);
    }
    JsonNode v;
    try {
      v = KubeHttp.MAPPER.readTree(r.out()).path("clientVersion");
    } catch (IOException e) {
      throw new AssertionError("cannot read `kubectl version --client -o json`: " + r.all(), e);
    }
    int minor = Integer.parseInt(v.path("minor").asText("0").replaceAll("[^0-9].*$", ""));
    if (r.exit() != 0 || !v.path("major").asText().equals("1") || minor < 28) {
      throw new AssertionError(
          "kubectl ≥ 1.28 is required (for `create token` and `auth whoami`), found "
              + v.path("gitVersion").asText("none")
              + " — install a newer kubectl; the test suite does not skip");
    }
  }

  /** Runs {@code kubectl --kubeconfig <file> args...}; a null kubeconfig passes none. */
  Result run(String kubeconfig, String... args) {
    try {
      Path dir = Files.createDirectories(work.resolve("run-" + (++runs)));
      List<String> cmd = new ArrayList<>(List.of("kubectl"));
      if (kubeconfig != null) {
        Path file = dir.resolve("kubeconfig");
        Files.writeString(file, kubeconfig, StandardCharsets.UTF_8);
        cmd.add("--kubeconfig=" + file);
      }
      cmd.addAll(List.of(args));
      ProcessBuilder pb = new ProcessBuilder(cmd);
      pb.environment().remove("KUBECONFIG");
      pb.environment().put("HOME", dir.toString());
      pb.environment().put("KUBECACHEDIR", dir.resolve("cache").toString());
      pb.redirectOutput(dir.resolve("stdout").toFile());
      pb.redirectError(dir.resolve("stderr").toFile());
      Process p = pb.start();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("kubectl " + String.join(" ", args) + " did not finish in 60 s");
      }
      return new Result(
          p.exitValue(),
          Files.readString(dir.resolve("stdout")),
          Files.readString(dir.resolve("stderr")));
    } catch (IOException e) {
      throw new IllegalStateException("cannot run kubectl: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Runs kubectl with {@code -f FILE} appended, the file holding {@code fileContent}. */
  Result runWithFile(String kubeconfig, String fileContent, String... argsBeforeFile) {
    try {
      Path manifest = Files.createTempFile(work, "manifest", ".yaml");
      Files.writeString(manifest, fileContent, StandardCharsets.UTF_8);
      List<String> args = new ArrayList<>(List.of(argsBeforeFile));
      args.add("-f");
      args.add(manifest.toString());
      return run(kubeconfig, args.toArray(String[]::new));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
