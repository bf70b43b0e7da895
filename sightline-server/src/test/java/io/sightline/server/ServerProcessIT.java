package io.sightline.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.net.InetAddress;
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
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code sightline server} as a real process: first start, SIGTERM, and a startup error. */
class ServerProcessIT {
  @TempDir Path tmp;

  private Process launch(Path stderr, String... args) throws Exception {
    return launch(stderr, java.util.Map.of(), args);
  }

  private Process launch(Path stderr, java.util.Map<String, String> env, String... args)
      throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(List.of("-Xms16m", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"));
    cmd.addAll(
        List.of("-cp", System.getProperty("java.class.path"), ServerCommand.class.getName()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(tmp.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("SIGHTLINE_"));
    pb.environment().putAll(env);
    pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
    pb.redirectError(stderr.toFile());
    pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    return pb.start();
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Test
  void firstStartPrintsTheTokenOnceServesWritesCheckpointsAndStopsOnSigterm() throws Exception {
    int port = freePort();
    Path err = tmp.resolve("stderr.txt");
    Path checkpoints = tmp.resolve("checkpoints.log");
    Process p =
        launch(
            err, "--port", String.valueOf(port), "--audit-checkpoint-file", checkpoints.toString());
    try {
      HttpClient http = HttpClient.newHttpClient();
      int status = 0;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (status != 200 && System.nanoTime() < deadline && p.isAlive()) {
        try {
          status =
              http.send(
                      HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/readyz"))
                          .timeout(Duration.ofSeconds(2))
                          .build(),
                      HttpResponse.BodyHandlers.discarding())
                  .statusCode();
        } catch (java.io.IOException e) {
          Thread.sleep(100);
        }
      }
      assertThat(status).as(Files.readString(err)).isEqualTo(200);
      String token = Files.readString(tmp.resolve("sightline-data/admin.token")).strip();
      String stderr = Files.readString(err, StandardCharsets.UTF_8);
      assertThat(stderr.split(token, -1)).as("token printed once").hasSize(2);
      assertThat(stderr).contains("listening on http://127.0.0.1:" + port).contains("single node");
      // The first periodic checkpoint is due 60 s after start; leave room for a loaded machine.
      long cpDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
      while (!Files.exists(checkpoints) && System.nanoTime() < cpDeadline) {
        Thread.sleep(100);
      }
      assertThat(checkpoints).as(Files.readString(err)).exists();
      assertThat(Files.readString(checkpoints)).contains("sightline-audit-checkpoint/v1 seq=1 ");
    } finally {
      p.destroy();
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("stops on SIGTERM").isTrue();
    }
  }

  @Test
  void aStartupErrorIsOneLineAndExitCode1() throws Exception {
    Files.writeString(tmp.resolve("sightline-data"), "a file");
    Path err = tmp.resolve("stderr.txt");
    Process p = launch(err, "--port", String.valueOf(freePort()));
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isEqualTo(1);
    String stderr = Files.readString(err, StandardCharsets.UTF_8).strip();
    assertThat(stderr.lines()).hasSize(1);
    assertThat(stderr)
        .startsWith("sightline server: --data-dir ./sightline-data exists and is a regular file");
  }
}
