package io.sightline.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.sightline.azure.OidcIssuer;
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

/** Two server replicas on one PostgreSQL share the OIDC issuer's keys. */
class IssuerReplicasIT {
  static final String BOOTSTRAP = "slt_" + "R".repeat(22) + "s".repeat(22);

  @TempDir Path tmp;
  EmbeddedPostgres pg;

  @BeforeEach
  void startPostgres() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    pg =
        EmbeddedPostgres.builder()
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

  private Harness replica(String name) {
    Harness h = new Harness(tmp.resolve(name));
    h.opener = (c, k) -> Stores.open(c, k, h.clock);
    h.flags.put(ServerConfig.DB_URL, pg.getJdbcUrl("postgres", "postgres"));
    h.flags.put(ServerConfig.DB_USER, "postgres");
    h.flags.put(ServerConfig.PUBLIC_URL, "https://sightline.example.test");
    h.env.put("SIGHTLINE_MASTER_KEY", Base64.getEncoder().encodeToString(new byte[32]));
    h.env.put("SIGHTLINE_BOOTSTRAP_TOKEN", BOOTSTRAP);
    return h;
  }

  @Test
  @DisplayName(
      "a second replica signs with the first one's key, serves the same JWKS, and follows its"
          + " rotation within the refresh interval")
  void replicasShareKeys() throws Exception {
    try (Harness a = replica("a");
        Harness b = replica("b")) {
      a.start();
      b.start();
      String kid = a.server.oidcIssuer().activeKeyId();
      assertThat(b.server.oidcIssuer().activeKeyId()).isEqualTo(kid);
      assertThat(b.get("/.well-known/jwks.json", null).body())
          .isEqualTo(a.get("/.well-known/jwks.json", null).body());

      var rotated = a.post("/api/v1/admin/rotate-issuer-key", BOOTSTRAP, "{\"now\":true}");
      assertThat(rotated.status()).as(rotated.toString()).isEqualTo(200);
      String next = a.server.oidcIssuer().activeKeyId();
      assertThat(next).isNotEqualTo(kid);
      b.clock.advance(OidcIssuer.REFRESH.plusSeconds(1));
      assertThat(b.server.oidcIssuer().activeKeyId()).isEqualTo(next);
      assertThat(b.get("/.well-known/jwks.json", null).body()).contains(kid).contains(next);

      // B's scheduler finds nothing to do: A already rotated (one key set, one schedule).
      assertThat(b.server.issuerKeyMaintenance().maintainNow()).isEmpty();
    }
  }
}
