package io.sightline.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs the built {@code sightline.jar} as a user would: a server process and CLI processes. */
final class Sightline {
  static final Path JAR =
      Path.of(System.getProperty("sightline.jar", "../sightline-cli/target/sightline.jar"))
          .toAbsolutePath()
          .normalize();

  record Run(int exit, String out, String err) {}

  /** A running {@code sightline server}. */
  static final class Server implements AutoCloseable {
    final Process process;
    final int port;
    final Path stderr;

    Server(Process process, int port, Path stderr) {
      this.process = process;
      this.port = port;
      this.stderr = stderr;
    }

    String url() {
      return "http://127.0.0.1:" + port;
    }

    String stderrText() throws IOException {
      return Files.readString(stderr, StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws Exception {
      process.destroy();
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
      }
    }
  }

  private Sightline() {}

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  static ProcessBuilder java(Map<String, String> env, List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-XX:+UseSerialGC");
    cmd.add("-XX:TieredStopAtLevel=1");
    cmd.add("-jar");
    cmd.add(JAR.toString());
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().keySet().removeIf(k -> k.startsWith("SIGHTLINE_"));
    pb.environment().putAll(env);
    return pb;
  }

  /** Starts a server and waits until {@code /readyz} answers 200. */
  static Server startServer(Path dataDir, Map<String, String> env, String... extra)
      throws Exception {
    int port = freePort();
    List<String> args =
        new ArrayList<>(List.of("server", "--port", "" + port, "--data-dir", dataDir.toString()));
    args.addAll(List.of(extra));
    Path err = Files.createTempFile("sightline-server", ".err");
    Process p =
        java(env, args)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(err.toFile())
            .start();
    Server server = new Server(p, port, err);
    HttpClient http = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) {
        throw new AssertionError(
            "server exited with " + p.exitValue() + ":\n" + server.stderrText());
      }
      try {
        var r =
            http.send(
                HttpRequest.newBuilder(URI.create(server.url() + "/readyz")).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          return server;
        }
      } catch (IOException e) {
        // not yet listening
      }
      Thread.sleep(50);
    }
    server.close();
    throw new AssertionError("server not ready in 90 s:\n" + server.stderrText());
  }

  /** Runs the server command expecting it to fail at startup; answers its exit and stderr. */
  static Run startServerExpectingFailure(Path dataDir, Map<String, String> env, String... extra)
      throws Exception {
    List<String> args =
        new ArrayList<>(
            List.of("server", "--port", "" + freePort(), "--data-dir", dataDir.toString()));
    args.addAll(List.of(extra));
    return run(java(env, args), "");
  }

  /** Runs one CLI command to completion. */
  static Run cli(Map<String, String> env, String stdin, String... args) throws Exception {
    return run(java(env, List.of(args)), stdin);
  }

  private static Run run(ProcessBuilder pb, String stdin) throws Exception {
    Path out = Files.createTempFile("sightline-cli", ".out");
    Path err = Files.createTempFile("sightline-cli", ".err");
    Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    assertThat(p.waitFor(90, TimeUnit.SECONDS)).as("command finished in 90 s").isTrue();
    return new Run(
        p.exitValue(),
        Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }

  static Map<String, String> env(String... kv) {
    Map<String, String> m = new HashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    return m;
  }
}
