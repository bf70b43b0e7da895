package io.sightline.it.gettoken;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sightline.it.ServerFixture;
import io.sightline.testing.kube.FakeKubeApiServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sightline kubeconfig} and {@code sightline get-token --connection} from the built jar
 * against a real server process: real kubectl uses short-lived leases through the exec plugin.
 */
class GetTokenIT {
  static final Path JAR =
      Path.of(System.getProperty("sightline.jar", "../sightline-cli/target/sightline.jar"))
          .toAbsolutePath()
          .normalize();
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path tmp;
  static FakeKubeApiServer kube;
  static Process server;
  static String serverUrl;
  static String adminToken;
  static String deployer;
  static Path script;
  static final HttpClient http = HttpClient.newHttpClient();

  record Result(int exit, String out, String err) {}

  @BeforeAll
  static void start() throws Exception {
    kube = FakeKubeApiServer.builder().version("1.30").start();
    int port = ServerFixture.freePort();
    ServerFixture.Started s =
        ServerFixture.start(
            new ProcessBuilder(
                java(),
                "-XX:+UseSerialGC",
                "-jar",
                JAR.toString(),
                "server",
                "--port",
                "" + port,
                "--data-dir",
                tmp.resolve("data").toString()),
            port,
            tmp.resolve("server.err"),
            http);
    server = s.process();
    serverUrl = s.url();
    adminToken = s.adminToken();
    deployer = ServerFixture.createProd(http, s, kube);

    Path bin = Files.createDirectories(tmp.resolve("bin"));
    script = bin.resolve("sightline");
    Files.writeString(
        script,
        "#!/bin/sh\nexec '"
            + java()
            + "' -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -jar '"
            + JAR
            + "' \"$@\"\n");
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
  }

  @AfterAll
  static void stop() throws Exception {
    ServerFixture.stop(server, kube);
  }

  static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  static String read(Path p) throws IOException {
    return Files.exists(p) ? Files.readString(p, StandardCharsets.UTF_8) : "";
  }

  static Result run(List<String> cmd, Map<String, String> env) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().keySet().removeIf(k -> k.startsWith("SIGHTLINE_") || k.equals("KUBECONFIG"));
    pb.environment().put("HOME", tmp.resolve("home").toString());
    pb.environment().putAll(env);
    Process p =
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
    CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> slurp(p.getInputStream()));
    CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> slurp(p.getErrorStream()));
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("%s finished", cmd).isTrue();
    return new Result(p.exitValue(), out.join(), err.join());
  }

  static String slurp(java.io.InputStream in) {
    try (in) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  int activeLeases() throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create(serverUrl + "/api/v1/leases"))
                .header("Authorization", "Bearer " + adminToken)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonNode body = JSON.readTree(r.body());
    JsonNode items = body.isArray() ? body : body.path("items");
    int n = 0;
    for (JsonNode l : items) {
      if ("active".equals(l.path("state").asText())) {
        n++;
      }
    }
    return n;
  }

  @Test
  @DisplayName(
      "sightline kubeconfig writes a token-free kubeconfig; kubectl runs as the deployer on one"
          + " cached, unrevoked 15-minute lease")
  void kubectlOnLeases() throws Exception {
    Path cacheRoot = tmp.resolve("kube-cache");
    Path kc = tmp.resolve("prod-web.yaml");
    Map<String, String> env =
        Map.of("SIGHTLINE_TOKEN", adminToken, "KUBECACHEDIR", cacheRoot.toString());
    int before = activeLeases();
    Result w =
        run(
            List.of(
                script.toString(),
                "kubeconfig",
                "--connection",
                "prod",
                "-n",
                "web",
                "--server",
                serverUrl,
                "--command",
                script.toString(),
                "--file",
                kc.toString()),
            env);
    assertThat(w.exit()).as(w.err()).isZero();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(kc)))
        .isEqualTo("rw-------");
    String yaml = Files.readString(kc);
    assertThat(yaml)
        .contains("get-token")
        .contains("--connection")
        .doesNotContain("token:")
        .doesNotContain(adminToken);

    Result who =
        run(
            List.of(
                "kubectl",
                "--kubeconfig",
                kc.toString(),
                "auth",
                "whoami",
                "-o",
                "jsonpath={.status.userInfo.username}"),
            env);
    assertThat(who.exit()).as(who.err()).isZero();
    assertThat(who.out()).endsWith(":" + deployer);
    Result ns = run(List.of("kubectl", "--kubeconfig", kc.toString(), "get", "configmaps"), env);
    assertThat(ns.exit()).as(ns.err()).isZero();
    assertThat(activeLeases() - before)
        .as("leases taken by `sightline kubeconfig` and two kubectl calls (served from the cache)")
        .isEqualTo(1);

    Result cred =
        run(
            List.of(
                script.toString(),
                "get-token",
                "--connection",
                "prod",
                "-n",
                "web",
                "--server",
                serverUrl),
            env);
    assertThat(cred.exit()).as(cred.err()).isZero();
    JsonNode ec = JSON.readTree(cred.out());
    assertThat(ec.path("kind").asText()).isEqualTo("ExecCredential");
    Instant exp = Instant.parse(ec.at("/status/expirationTimestamp").asText());
    assertThat(Duration.between(Instant.now(), exp))
        .isBetween(Duration.ofMinutes(13), Duration.ofMinutes(16));
    assertThat(activeLeases() - before)
        .as("the plugin revokes nothing and takes no new lease")
        .isEqualTo(1);
  }

  @Test
  @DisplayName("get-token without an API token says how to get one, in one line")
  void noApiToken() throws Exception {
    Result r =
        run(
            List.of(
                script.toString(),
                "get-token",
                "--connection",
                "prod",
                "--server",
                serverUrl,
                "--cache-dir",
                tmp.resolve("empty-cache").toString()),
            Map.of());
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.out()).isEmpty();
    assertThat(r.err().strip().lines()).hasSize(1);
    assertThat(r.err()).contains("SIGHTLINE_TOKEN").contains("sightline login");
  }

  @Test
  @DisplayName("get-token for an unknown connection fails with the server's message")
  void unknownConnection() throws Exception {
    Result r =
        run(
            List.of(
                script.toString(),
                "get-token",
                "--connection",
                "nope",
                "--server",
                serverUrl,
                "--cache-dir",
                tmp.resolve("nope-cache").toString()),
            Map.of("SIGHTLINE_TOKEN", adminToken));
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(r.err().strip().lines()).hasSize(1);
    assertThat(r.err()).startsWith("sightline get-token: ").contains("nope");
  }
}
