package io.sightline.testing.kube;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * {@code java -jar fake-kube.jar --dir DIR [--port N] [--version 1.30]}: runs the emulator until
 * killed and writes {@code DIR/admin.kubeconfig}, {@code DIR/ca.crt} and {@code DIR/server-url}.
 */
public final class FakeKubeMain {

  private FakeKubeMain() {}

  public static void main(String[] args) throws IOException, InterruptedException {
    if (System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", "fake-kube-logback.xml");
    }
    Path dir = null;
    int port = 0;
    String version = "1.30";
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      String value = i + 1 < args.length ? args[i + 1] : null;
      switch (a) {
        case "--dir" -> dir = Path.of(require(a, value));
        case "--port" -> port = Integer.parseInt(require(a, value));
        case "--version" -> version = require(a, value);
        case "-h", "--help" -> {
          usage();
          return;
        }
        default -> {
          System.err.println("unknown option " + a);
          usage();
          System.exit(2);
        }
      }
      i++;
    }
    if (dir == null) {
      System.err.println("--dir is required");
      usage();
      System.exit(2);
    }
    Files.createDirectories(dir);
    FakeKubeApiServer kube = FakeKubeApiServer.builder().version(version).port(port).start();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  kube.close();
                  stopped.countDown();
                }));
    Path kubeconfig = dir.resolve("admin.kubeconfig");
    Files.writeString(kubeconfig, kube.adminKubeconfig(), StandardCharsets.UTF_8);
    kubeconfig.toFile().setReadable(false, false);
    kubeconfig.toFile().setReadable(true, true);
    Files.writeString(dir.resolve("ca.crt"), kube.caCertPem(), StandardCharsets.UTF_8);
    Files.writeString(dir.resolve("server-url"), kube.url() + "\n", StandardCharsets.UTF_8);
    System.out.println(
        "fake-kube v1."
            + kube.minorVersion()
            + " listening on "
            + kube.url()
            + "; kubeconfig: "
            + kubeconfig.toAbsolutePath());
    stopped.await();
  }

  private static String require(String option, String value) {
    if (value == null) {
      System.err.println(option + " needs a value");
      System.exit(2);
    }
    return value;
  }

  private static void usage() {
    System.err.println(
        "usage: java -jar fake-kube.jar --dir DIR [--port N] [--version 1.30]\n"
            + "  Runs a Kubernetes API server emulator on 127.0.0.1 until killed and writes\n"
            + "  DIR/admin.kubeconfig (system:masters), DIR/ca.crt and DIR/server-url.");
  }
}
