package io.sightline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sightline.server.ServerConfig;
import io.sightline.server.SightlineServer;
import io.sightline.store.Stores;
import io.sightline.testing.kube.FakeKubeApiServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code sightline env …}, {@code approve} and {@code reject} against a real server. */
class EnvCommandTest {
  static final ObjectMapper JSON = new ObjectMapper();
  @TempDir static Path tmp;
  static FakeKubeApiServer kube;
  static SightlineServer server;
  static String token;

  @BeforeAll
  static void start() throws Exception {
    kube = FakeKubeApiServer.builder().version("1.30").start();
    Path data = tmp.resolve("data");
    server =
        new SightlineServer(
                ServerConfig.load(
                    Map.of(ServerConfig.PORT, "0", ServerConfig.DATA_DIR, data.toString()),
                    Map.of(),
                    null),
                Stores::open,
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                Clock.systemUTC())
            .start();
    token = Files.readString(data.resolve("admin.token")).strip();
    Path admin = tmp.resolve("admin.kubeconfig");
    Files.writeString(admin, kube.adminKubeconfig());
    ok(
        cli(token),
        "connection",
        "create",
        "kubernetes",
        "--name",
        "prod",
        "--auth",
        "azure-subscription",
        "--admin-kubeconfig",
        admin.toString(),
        "-n",
        "web",
        "-n",
        "api",
        "--create-namespace");
  }

  @AfterAll
  static void stop() {
    server.stop();
    kube.close();
  }

  static CliHarness cli(String t) {
    return new CliHarness().env("SIGHTLINE_SERVER", server.url()).env("SIGHTLINE_TOKEN", t);
  }

  static CliHarness.Result ok(CliHarness h, String... args) {
    CliHarness.Result r = h.run(args);
    assertThat(r.exit()).as("sightline %s: %s", String.join(" ", args), r.err()).isZero();
    return r;
  }

  @Test
  @DisplayName(
      "env create, add-resource, add-check, show, list and checks (--output json), history,"
          + " approvals and reject, remove and delete")
  void lifecycle() throws Exception {
    CliHarness admin = cli(token);
    ok(admin, "env", "create", "production", "--description", "live", "--role", "ci=user");
    ok(
        admin,
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
    ok(
        admin,
        "env",
        "add-check",
        "production",
        "approval",
        "--approver",
        "group:ops-leads",
        "--instructions",
        "look at the canary",
        "--timeout",
        "2h");
    CliHarness.Result badZone =
        admin.run(
            "env",
            "add-check",
            "production",
            "businessHours",
            "--start",
            "09:00",
            "--end",
            "17:00",
            "--time-zone",
            "Nowhere/Land");
    assertThat(badZone.exit()).isEqualTo(1);
    assertThat(badZone.err()).contains("timeZone must be an IANA zone");
    CliHarness.Result conn =
        ok(
            admin,
            "env",
            "add-check",
            "--connection",
            "prod",
            "branchControl",
            "--allowed-ref",
            "refs/heads/main",
            "-o",
            "json");
    String connCheck = JSON.readTree(conn.out()).get("id").asText();

    JsonNode list = JSON.readTree(ok(admin, "env", "list", "-o", "json").out());
    assertThat(list.get("items").get(0).get("name").asText()).isEqualTo("production");
    String show = ok(admin, "env", "show", "production").out();
    assertThat(show)
        .contains("ci=user")
        .contains("Kubernetes Service Connection")
        .contains("prod ns web")
        .contains("approval")
        .contains("look at the canary");
    JsonNode checks =
        JSON.readTree(ok(admin, "env", "checks", "--connection", "prod", "-o", "json").out());
    assertThat(checks.get("items").get(0).get("allowedRefs").get(0).asText())
        .isEqualTo("refs/heads/main");
    ok(admin, "env", "remove-check", "--connection", "prod", connCheck);

    String ci = ok(admin, "token", "create", "--name", "ci", "--role", "user").out().strip();
    String ops =
        ok(admin, "token", "create", "--name", "dana", "--role", "reader", "--group", "ops-leads")
            .out()
            .strip();
    HttpResponse<String> d =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create(server.url() + "/api/v1/environments/production/deployments"))
                    .header("Authorization", "Bearer " + ci)
                    .header("Content-Type", "application/json")
                    .POST(
                        HttpRequest.BodyPublishers.ofString(
                            "{\"resource\":\"web\",\"task\":{\"pipeline\":\"app\"}}"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(d.statusCode()).as(d.body()).isEqualTo(201);

    JsonNode approvals =
        JSON.readTree(ok(cli(ops), "env", "approvals", "--mine", "-o", "json").out());
    String approval = approvals.get("items").get(0).get("id").asText();
    assertThat(ok(cli(ops), "env", "approvals").out()).contains(approval).contains("0/1");
    CliHarness.Result rejected = ok(cli(ops), "reject", approval, "--comment", "not today");
    assertThat(rejected.err()).contains("approval " + approval + " is rejected");

    JsonNode hist = JSON.readTree(ok(admin, "env", "history", "production", "-o", "json").out());
    assertThat(hist.get("items").get(0).get("result").asText()).isEqualTo("rejected");
    assertThat(hist.get("items").get(0).get("failure").asText()).contains("dana: not today");
    assertThat(ok(admin, "env", "history", "production", "--result", "rejected").out())
        .contains("rejected")
        .contains("ci");
    CliHarness.Result badResult = admin.run("env", "history", "production", "--result", "great");
    assertThat(badResult.exit()).isEqualTo(1);
    assertThat(badResult.err()).contains("result must be one of");

    ok(admin, "env", "remove-resource", "production", "web");
    ok(admin, "env", "delete", "production");
    assertThat(admin.run("env", "show", "production").err()).contains("no environment named");
  }
}
