package io.sightline.it.run;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sightline.it.ServerFixture;
import io.sightline.testing.kube.FakeKubeApiServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sightline run --environment … --resource …} from the built jar: a real server process, the
 * Kubernetes emulator, real {@code kubectl}, and {@code sightline approve} from another process.
 */
class EnvironmentRunIT {
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path tmp;
  static FakeKubeApiServer kube;
  static Process server;
  static String serverUrl;
  static String adminToken;
  static String deployer;
  static int port;
  static String ciToken;
  static String aliceToken;
  static final HttpClient http = HttpClient.newHttpClient();

  record Result(int exit, String out, String err) {}

  @BeforeAll
  static void start() throws Exception {
    kube = FakeKubeApiServer.builder().version("1.30").start();
    port = ServerFixture.freePort();
    ServerFixture.Started s =
        ServerFixture.start(
            jar(
                List.of(
                    "server", "--port", "" + port, "--data-dir", tmp.resolve("data").toString())),
            port,
            tmp.resolve("server.err"),
            http);
    server = s.process();
    serverUrl = s.url();
    adminToken = s.adminToken();
    deployer = ServerFixture.createProd(http, s, kube);
    ciToken = token("ci-bot", "user");
    aliceToken = token("alice", "reader", "ops-leads");
    cli(adminToken, "env", "create", "production", "--description", "live");
    cli(
        adminToken,
        "env",
        "add-resource",
        "production",
        "--name",
        "web",
        "--connection",
        "prod",
        "-n",
        "web",
        "--tag",
        "eu");
    cli(
        adminToken,
        "env",
        "add-check",
        "production",
        "approval",
        "--approver",
        "group:ops-leads",
        "--requester-cannot-approve",
        "--timeout",
        "1h",
        "--instructions",
        "check the canary");
  }

  @AfterAll
  static void stop() throws Exception {
    ServerFixture.stop(server, kube);
  }

  static String token(String name, String role, String... groups) throws Exception {
    List<String> args = new ArrayList<>(List.of("token", "create", "--name", name, "--role", role));
    for (String g : groups) {
      args.add("--group");
      args.add(g);
    }
    return cli(adminToken, args.toArray(new String[0])).out().strip();
  }

  static ProcessBuilder jar(List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-XX:+UseSerialGC");
    cmd.add("-XX:TieredStopAtLevel=1");
    cmd.add("-jar");
    cmd.add(RunIT.JAR.toString());
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().keySet().removeIf(k -> k.startsWith("SIGHTLINE_") || k.equals("KUBECONFIG"));
    pb.environment().put("HOME", tmp.resolve("home").toString());
    return pb;
  }

  static ProcessBuilder sightline(String token, String... args) {
    ProcessBuilder pb = jar(List.of(args));
    pb.environment().put("SIGHTLINE_SERVER", serverUrl);
    pb.environment().put("SIGHTLINE_TOKEN", token);
    return pb;
  }

  static Result cli(String token, String... args) throws Exception {
    Path dir = Files.createTempDirectory(tmp, "cli");
    RunIT.Result x = RunIT.finish(sightline(token, args), dir);
    Result r = new Result(x.exit(), x.out(), x.err());
    assertThat(r.exit()).as("sightline %s: %s", String.join(" ", args), r.err()).isZero();
    return r;
  }

  static String awaitLine(Path err, Pattern p, Process running) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      String text = ServerFixture.read(err);
      Matcher m = p.matcher(text);
      if (m.find()) {
        return m.groupCount() > 0 ? m.group(1) : m.group();
      }
      assertThat(running.isAlive()).as("run still waiting: %s", text).isTrue();
      assertThat(System.nanoTime()).as("%s within 60 s: %s", p, text).isLessThan(deadline);
      Thread.sleep(100);
    }
  }

  JsonNode history() throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(
                    URI.create(serverUrl + "/api/v1/environments/production/deployments"))
                .header("Authorization", "Bearer " + adminToken)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return JSON.readTree(r.body()).get("items");
  }

  @Test
  @DisplayName(
      "run --environment waits for approval naming the group and the time left; sightline approve"
          + " from another process lets it proceed, and kubectl runs as the resource's deployer")
  void waitsForApprovalThenRuns() throws Exception {
    Path dir = tmp.resolve("approve");
    Files.createDirectories(dir);
    Process run =
        sightline(
                ciToken,
                "run",
                "--environment",
                "production",
                "--resource",
                "web",
                "--poll",
                "1s",
                "--",
                "kubectl",
                "auth",
                "whoami",
                "-o",
                "jsonpath={.status.userInfo.username}")
            .redirectOutput(dir.resolve("out").toFile())
            .redirectError(dir.resolve("err").toFile())
            .start();
    Path err = dir.resolve("err");
    String approval =
        awaitLine(err, Pattern.compile("approval (\\S+) needs 1 of group:ops-leads"), run);
    awaitLine(
        err,
        Pattern.compile("sightline: waiting for approval: 0 of 1, by ops-leads — 60 min left"),
        run);
    assertThat(ServerFixture.read(err)).contains("check the canary");

    Result approved = cli(aliceToken, "approve", approval, "--comment", "canary is green");
    assertThat(approved.err()).contains("approval " + approval + " is approved");

    assertThat(run.waitFor(120, TimeUnit.SECONDS)).as("run finished").isTrue();
    String out = ServerFixture.read(dir.resolve("out"));
    String text = ServerFixture.read(err);
    assertThat(run.exitValue()).as(text).isZero();
    assertThat(out.strip()).matches("system:serviceaccount:[a-z0-9-]+:" + deployer);
    assertThat(text)
        .contains("checks passed (approved by alice): claiming the lease")
        .contains("succeeded (exit code 0)")
        .doesNotContain("sld_")
        .doesNotContain(ciToken);

    JsonNode last = history().get(0);
    assertThat(last.get("result").asText()).isEqualTo("succeeded");
    assertThat(last.get("exitCode").asInt()).isZero();
    assertThat(last.get("approvers").toString()).contains("alice");
    Result hist = cli(adminToken, "env", "history", "production");
    assertThat(hist.out())
        .contains(last.get("id").asText())
        .contains("succeeded")
        .contains("alice");
  }

  @Test
  @DisplayName(
      "a run waiting for approval keeps waiting through a restart of the server, and proceeds"
          + " once approved after it")
  void waitsThroughAServerRestart() throws Exception {
    Path dir = tmp.resolve("restart");
    Files.createDirectories(dir);
    Process run =
        sightline(
                ciToken,
                "run",
                "--environment",
                "production",
                "--resource",
                "web",
                "--poll",
                "1s",
                "--",
                "true")
            .redirectOutput(dir.resolve("out").toFile())
            .redirectError(dir.resolve("err").toFile())
            .start();
    Path err = dir.resolve("err");
    String approval =
        awaitLine(err, Pattern.compile("approval (\\S+) needs 1 of group:ops-leads"), run);
    awaitLine(err, Pattern.compile("waiting for approval"), run);

    server.destroy();
    assertThat(server.waitFor(30, TimeUnit.SECONDS)).isTrue();
    awaitLine(err, Pattern.compile("cannot reach the server"), run);
    server =
        jar(List.of("server", "--port", "" + port, "--data-dir", tmp.resolve("data").toString()))
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(dir.resolve("server2.err").toFile())
            .start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (true) {
      try {
        if (http.send(
                    HttpRequest.newBuilder(URI.create(serverUrl + "/readyz")).build(),
                    HttpResponse.BodyHandlers.ofString())
                .statusCode()
            == 200) {
          break;
        }
      } catch (java.io.IOException e) {
        // not listening yet
      }
      assertThat(System.nanoTime()).as("server back within 90 s").isLessThan(deadline);
      Thread.sleep(100);
    }
    cli(aliceToken, "approve", approval, "--comment", "after the restart");
    assertThat(run.waitFor(120, TimeUnit.SECONDS)).as("run finished").isTrue();
    String text = ServerFixture.read(err);
    assertThat(run.exitValue()).as(text).isZero();
    assertThat(text).contains("approved by alice").contains("succeeded (exit code 0)");
  }

  @Test
  @DisplayName("SIGTERM to a run waiting for approval withdraws its request")
  void sigtermWithdraws() throws Exception {
    Path dir = tmp.resolve("sigterm");
    Files.createDirectories(dir);
    Process run =
        sightline(
                ciToken,
                "run",
                "--environment",
                "production",
                "--resource",
                "web",
                "--poll",
                "1s",
                "--",
                "true")
            .redirectOutput(dir.resolve("out").toFile())
            .redirectError(dir.resolve("err").toFile())
            .start();
    Path err = dir.resolve("err");
    String deployment =
        awaitLine(err, Pattern.compile("deployment (\\S+) to production/web requested"), run);
    awaitLine(err, Pattern.compile("waiting for approval"), run);
    run.destroy();
    assertThat(run.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(ServerFixture.read(err)).contains("withdrew deployment " + deployment);
    JsonNode d = null;
    for (JsonNode x : history()) {
      if (x.get("id").asText().equals(deployment)) {
        d = x;
      }
    }
    assertThat(d).isNotNull();
    assertThat(d.get("result").asText()).isEqualTo("cancelled");
    assertThat(d.get("approvals").get(0).get("state").asText()).isEqualTo("withdrawn");
  }
}
