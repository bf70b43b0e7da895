package io.sightline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.sightline.server.ServerConfig;
import io.sightline.server.SightlineServer;
import io.sightline.store.Stores;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
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

/** The agent-related commands: AgentIdentity connections, their manifests, and `agent`. */
class AgentCliTest {
  @TempDir static Path tmp;
  static SightlineServer server;
  static String token;

  @BeforeAll
  static void start() throws Exception {
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
  }

  @AfterAll
  static void stop() {
    server.stop();
  }

  static CliHarness cli() {
    return new CliHarness().env("SIGHTLINE_SERVER", server.url()).env("SIGHTLINE_TOKEN", token);
  }

  @Test
  @DisplayName(
      "an AgentIdentity connection is created with --via-pool and its manifests print as YAML")
  void agentIdentityManifests() {
    CliHarness.Result created =
        cli()
            .run(
                "connection",
                "create",
                "kubernetes",
                "--name",
                "shop",
                "--auth",
                "agent-identity",
                "--api-server",
                "https://kubernetes.default.svc",
                "--via-pool",
                "in-cluster",
                "-n",
                "shop",
                "--no-verify");
    assertThat(created.exit()).as(created.err()).isZero();
    CliHarness.Result shown = cli().run("connection", "show", "shop", "-o", "json");
    assertThat(shown.out()).contains("\"pool\"").contains("in-cluster").contains("AgentIdentity");
    CliHarness.Result m = cli().run("connection", "manifests", "shop");
    assertThat(m.exit()).as(m.err()).isZero();
    assertThat(m.out())
        .contains("name: \"sightline-shop\"")
        .contains("name: \"deployer-shop\"")
        .contains("serviceaccounts/token")
        .doesNotContain("kind: \"Secret\"");
  }

  @Test
  @DisplayName("an agent that is not registered and has no registration token says what to do")
  void agentNeedsARegistrationToken() {
    CliHarness.Result r =
        cli()
            .run(
                "agent",
                "--server",
                server.url(),
                "--pool",
                "p",
                "--name",
                "a",
                "--state-dir",
                tmp.resolve("state").toString());
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("--registration-token-file").contains("registration-tokens");
  }
}
