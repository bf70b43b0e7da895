package io.sightline.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerStartupTest {
  static final String BOOTSTRAP = "slt_" + "A".repeat(20) + "b".repeat(23);

  @TempDir Path tmp;

  @Test
  void firstStartCreatesAKeyFileAndAnAdminTokenShownOnceThatWorks() throws Exception {
    try (Harness h = new Harness(tmp)) {
      h.start();
      Path key = h.dataDir.resolve("master.key");
      Path tokenFile = h.dataDir.resolve("admin.token");
      assertThat(key).exists();
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key)))
          .isEqualTo("rw-------");
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tokenFile)))
          .isEqualTo("rw-------");
      String token = h.adminToken();
      assertThat(token).startsWith("slt_");
      assertThat(h.consoleText())
          .contains(token)
          .contains(tokenFile.toString())
          .contains("sightline login --server " + h.server.url());

      assertThat(h.get("/api/v1/tokens", token).status()).isEqualTo(200);

      h.restart();
      assertThat(h.consoleText().split(token, -1)).as("token printed exactly once").hasSize(2);
      assertThat(h.get("/api/v1/tokens", token).status()).isEqualTo(200);
    }
  }

  @Test
  void bootstrapTokenFromTheEnvironmentIsUsedAndNeverPrinted() throws Exception {
    try (Harness h = new Harness(tmp)) {
      h.env.put("SIGHTLINE_BOOTSTRAP_TOKEN", BOOTSTRAP);
      h.start();
      assertThat(h.dataDir.resolve("admin.token")).doesNotExist();
      assertThat(h.consoleText()).doesNotContain(BOOTSTRAP).doesNotContain("slt_");
      assertThat(h.get("/api/v1/tokens", BOOTSTRAP).status()).isEqualTo(200);
      assertThat(h.store.records()).extracting(r -> r.action()).containsExactly("token.bootstrap");
      h.restart();
      assertThat(h.store.records()).as("import is idempotent").hasSize(1);
    }
  }

  @Test
  void aBadBootstrapTokenStopsStartupNamingTheVariable() {
    try (Harness h = new Harness(tmp)) {
      h.env.put("SIGHTLINE_BOOTSTRAP_TOKEN", "short");
      assertThatThrownBy(h::start)
          .isInstanceOf(StartupException.class)
          .hasMessageContaining("SIGHTLINE_BOOTSTRAP_TOKEN");
    }
  }

  @Test
  void aDataDirThatIsARegularFileIsRefused() throws Exception {
    try (Harness h = new Harness(tmp)) {
      Files.writeString(h.dataDir, "not a dir");
      assertThatThrownBy(h::start)
          .isInstanceOf(StartupException.class)
          .hasMessageContaining("--data-dir " + h.dataDir)
          .hasMessageContaining("is a regular file");
    }
  }

  @Test
  void aPortInUseIsNamedWithTheFix() throws Exception {
    try (ServerSocket taken = new ServerSocket();
        Harness h = new Harness(tmp)) {
      taken.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
      int port = taken.getLocalPort();
      h.flags.put(ServerConfig.PORT, String.valueOf(port));
      assertThatThrownBy(h::start)
          .isInstanceOf(StartupException.class)
          .hasMessage(
              "port " + port + " on 127.0.0.1 is in use: stop the other process or pass --port");
      assertThat(h.dataDir.resolve("admin.token")).as("nothing generated").doesNotExist();
    }
  }

  @Test
  void plainHttpOnANonLoopbackAddressIsRefusedUnlessAllowed() throws Exception {
    try (Harness h = new Harness(tmp)) {
      h.flags.put(ServerConfig.BIND, "0.0.0.0");
      assertThatThrownBy(h::start)
          .isInstanceOf(StartupException.class)
          .hasMessageContaining("refusing to serve plain HTTP on 0.0.0.0")
          .hasMessageContaining("--allow-plaintext")
          .hasMessageContaining("--tls-cert");
    }
  }

  @Test
  void anExternalDatabaseWithoutAMasterKeySaysHowToSupplyIt() {
    try (Harness h = new Harness(tmp)) {
      h.flags.put(ServerConfig.DB_URL, "jdbc:postgresql://127.0.0.1:1/sightline");
      assertThatThrownBy(h::start)
          .isInstanceOf(StartupException.class)
          .hasMessageContaining("SIGHTLINE_MASTER_KEY")
          .hasMessageContaining("SIGHTLINE_MASTER_KEY_FILE");
      assertThat(h.dataDir.resolve("master.key")).doesNotExist();
    }
  }

  @Test
  void anEmptyExternalDatabaseWithoutABootstrapTokenSaysHowToSupplyIt() {
    try (Harness h = new Harness(tmp)) {
      h.flags.put(ServerConfig.DB_URL, "jdbc:postgresql://127.0.0.1:1/sightline");
      h.env.put("SIGHTLINE_MASTER_KEY", java.util.Base64.getEncoder().encodeToString(new byte[32]));
      assertThatThrownBy(h::start)
          .isInstanceOf(StartupException.class)
          .hasMessageContaining("SIGHTLINE_BOOTSTRAP_TOKEN");
      assertThat(h.consoleText()).isEmpty();
    }
  }

  @Test
  void anExternalDatabaseWithKeyAndBootstrapTokenGeneratesAndPrintsNothing() throws Exception {
    try (Harness h = new Harness(tmp)) {
      h.flags.put(ServerConfig.DB_URL, "jdbc:postgresql://127.0.0.1:1/sightline");
      h.env.put("SIGHTLINE_MASTER_KEY", java.util.Base64.getEncoder().encodeToString(new byte[32]));
      h.env.put("SIGHTLINE_BOOTSTRAP_TOKEN", BOOTSTRAP);
      h.start();
      assertThat(h.consoleText()).isEmpty();
      assertThat(h.dataDir).doesNotExist();
      assertThat(h.get("/api/v1/tokens", BOOTSTRAP).status()).isEqualTo(200);
    }
  }

  @Test
  void aWrongMasterKeyFailsWithTheStoresMessage() throws Exception {
    try (Harness h = new Harness(tmp)) {
      h.start();
      h.server.stop();
      Files.writeString(
          h.dataDir.resolve("master.key"),
          java.util.Base64.getEncoder().encodeToString(new byte[32]));
      assertThatThrownBy(h::start)
          .isInstanceOf(StartupException.class)
          .hasMessageContaining("does not open this store")
          .hasMessageContaining(h.dataDir.resolve("master.key").toAbsolutePath().toString());
    }
  }

  @Test
  void auditCheckpointsAreLoggedPeriodicallyWhenTheHeadMoved() throws Exception {
    try (Harness h = new Harness(tmp);
        LogCapture logs = new LogCapture()) {
      h.env.put("SIGHTLINE_AUDIT_CHECKPOINT_INTERVAL", "1s");
      h.start();
      h.post("/api/v1/tokens", h.adminToken(), "{\"name\":\"a\",\"role\":\"user\"}");
      long deadline = System.currentTimeMillis() + 10_000;
      while (!logs.text().contains("sightline-audit-checkpoint/v1 seq=2 ")
          && System.currentTimeMillis() < deadline) {
        Thread.sleep(100);
      }
      assertThat(logs.text())
          .contains("io.sightline.audit.checkpoint")
          .contains("sightline-audit-checkpoint/v1 seq=2 ");
    }
  }

  @Test
  void logFormatJsonWritesTheStartupLineAsAJsonObject() throws Exception {
    try (Harness h = new Harness(tmp);
        LogCapture logs = new LogCapture()) {
      h.env.put("SIGHTLINE_LOG_FORMAT", "json");
      h.start();
      String line =
          logs.text().lines().filter(l -> l.contains("listening on")).findFirst().orElseThrow();
      var json = Harness.JSON.readTree(line);
      assertThat(json.get("msg").asText()).contains("listening on " + h.server.url());
      assertThat(json.get("level").asText()).isEqualTo("INFO");
    } finally {
      io.sightline.server.logging.RedactingEncoder.useJson(false);
    }
  }

  @Test
  void healthReadinessMetricsAndRequestIdsAnswer() throws Exception {
    try (Harness h = new Harness(tmp)) {
      h.start();
      assertThat(h.get("/healthz", null).status()).isEqualTo(200);
      assertThat(h.get("/readyz", null).json().get("status").asText()).isEqualTo("ready");
      var r = h.send(h.req("/healthz", null).header("X-Request-Id", "abc-123").GET().build());
      assertThat(r.header("X-Request-Id")).isEqualTo("abc-123");
      assertThat(h.get("/api/v1/tokens", null).header("X-Request-Id")).hasSize(16);
      h.get("/api/v1/tokens", h.adminToken());
      String metrics = h.get("/metrics", null).body();
      assertThat(metrics)
          .contains(
              "http_server_requests_seconds_count{method=\"GET\",route=\"/api/v1/tokens\",status=\"200\"}")
          .contains("jvm_memory_used_bytes")
          .as("the single-node embedded server is always the leader")
          .contains("sightline_leader 1.0");
      assertThat(h.server.isLeader()).isTrue();
    }
  }
}
