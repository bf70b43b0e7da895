package io.sightline.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sightline.store.Stores;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server on a real PostgreSQL that goes away and comes back. */
class PostgresOutageIT {
  static final String BOOTSTRAP = "slt_" + "P".repeat(22) + "q".repeat(22);

  @TempDir Path tmp;
  int port;
  EmbeddedPostgres pg;

  @BeforeEach
  void startPostgres() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    pg = startPg();
  }

  private EmbeddedPostgres startPg() throws IOException {
    return EmbeddedPostgres.builder()
        .setDataDirectory(tmp.resolve("cluster"))
        .setCleanDataDirectory(false)
        .setPort(port)
        .start();
  }

  @AfterEach
  void stopPostgres() throws IOException {
    if (pg != null) {
      pg.close();
    }
  }

  private Harness harness() {
    Harness h = new Harness(tmp);
    h.opener = (c, k) -> Stores.open(c, k, h.clock);
    h.flags.put(ServerConfig.DB_URL, "jdbc:postgresql://127.0.0.1:" + port + "/postgres");
    h.flags.put(ServerConfig.DB_USER, "postgres");
    h.env.put("SIGHTLINE_MASTER_KEY", Base64.getEncoder().encodeToString(new byte[32]));
    h.env.put("SIGHTLINE_BOOTSTRAP_TOKEN", BOOTSTRAP);
    return h;
  }

  @Test
  @DisplayName(
      "PostgreSQL going away gives 503 with Retry-After, and the server recovers without a restart")
  void outageAndRecovery() throws Exception {
    try (Harness h = harness()) {
      h.start();
      assertThat(h.consoleText()).isEmpty();
      assertThat(h.get("/api/v1/tokens", BOOTSTRAP).status()).isEqualTo(200);
      assertThat(h.get("/readyz", null).status()).isEqualTo(200);

      pg.close();
      pg = null;
      var down = h.get("/api/v1/tokens", BOOTSTRAP);
      assertThat(down.status()).as(down.toString()).isEqualTo(503);
      assertThat(down.header("Retry-After")).isNotBlank();
      assertThat(down.json().get("code").asText()).isEqualTo("STORE_UNAVAILABLE");
      assertThat(h.get("/readyz", null).status()).isEqualTo(503);
      assertThat(h.get("/healthz", null).status()).isEqualTo(200);
      var write = h.post("/api/v1/tokens", BOOTSTRAP, "{\"name\":\"x\",\"role\":\"user\"}");
      assertThat(write.status()).isEqualTo(503);

      pg = startPg();
      assertThat(h.get("/readyz", null).status()).isEqualTo(200);
      assertThat(h.get("/api/v1/tokens", BOOTSTRAP).json().get("items")).hasSize(1);
      assertThat(h.post("/api/v1/tokens", BOOTSTRAP, "{\"name\":\"x\",\"role\":\"user\"}").status())
          .isEqualTo(201);
      assertThat(h.get("/api/v1/audit/verify", BOOTSTRAP).json().get("ok").asBoolean()).isTrue();
    }
  }

  @Test
  void aDatabaseThatIsDownAtStartStopsStartupWithAClearMessage() throws Exception {
    pg.close();
    pg = null;
    try (Harness h = harness()) {
      assertThatThrownBy(h::start)
          .isInstanceOf(StartupException.class)
          .hasMessageContaining("cannot reach the database jdbc:postgresql://127.0.0.1:" + port);
    }
  }
}
