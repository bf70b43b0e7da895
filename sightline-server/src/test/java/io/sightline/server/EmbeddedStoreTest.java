package io.sightline.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sightline.store.Stores;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server on the real embedded H2 store. */
class EmbeddedStoreTest {
  @TempDir Path tmp;

  private Harness harness() {
    Harness h = new Harness(tmp);
    h.opener = (c, k) -> Stores.open(c, k, h.clock);
    return h;
  }

  @Test
  void firstStartOnH2ServesTheApiAndTheAuditChainVerifies() throws Exception {
    try (Harness h = harness();
        LogCapture logs = new LogCapture()) {
      long t0 = System.nanoTime();
      h.start();
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertThat(ms).as("start to ready").isLessThan(10_000);
      assertThat(logs.text())
          .contains("listening on " + h.server.url())
          .contains("H2")
          .contains("single node");
      String admin = h.adminToken();
      assertThat(h.post("/api/v1/tokens", admin, "{\"name\":\"ci\",\"role\":\"user\"}").status())
          .isEqualTo(201);
      var v = h.get("/api/v1/audit/verify", admin).json();
      assertThat(v.get("ok").asBoolean()).as(v.toString()).isTrue();
      assertThat(v.get("checked").asLong()).isEqualTo(2);
      assertThat(logs.text()).doesNotContain(admin);
    }
  }

  @Test
  void rotatingAKeyFileReplacesItAtomicallyAndOnlyTheNewKeyOpensTheStore() throws Exception {
    try (Harness h = harness()) {
      h.start();
      String admin = h.adminToken();
      Path keyFile = h.dataDir.resolve("master.key");
      String oldKey = Files.readString(keyFile);

      assertThat(h.post("/api/v1/admin/rotate-master-key", h.token("creator"), "").status())
          .isEqualTo(403);
      var r = h.post("/api/v1/admin/rotate-master-key", admin, "");
      assertThat(r.status()).as(r.toString()).isEqualTo(200);
      assertThat(r.json().get("source").asText()).isEqualTo(keyFile.toAbsolutePath().toString());
      String newKey = Files.readString(keyFile);
      assertThat(newKey).isNotEqualTo(oldKey);
      try (Stream<Path> files = Files.list(h.dataDir)) {
        assertThat(files.map(p -> p.getFileName().toString()).filter(n -> n.contains("key")))
            .containsExactly("master.key");
      }
      assertThat(h.get("/api/v1/audit?action=master-key.rotate", admin).json().get("items"))
          .hasSize(1);

      h.restart();
      assertThat(h.get("/api/v1/tokens", admin).status()).isEqualTo(200);
      assertThat(h.get("/api/v1/audit/verify", admin).json().get("ok").asBoolean()).isTrue();

      h.server.stop();
      Files.writeString(keyFile, oldKey);
      assertThatThrownBy(h::start)
          .isInstanceOf(StartupException.class)
          .hasMessageContaining(keyFile.toAbsolutePath().toString());
      Files.writeString(keyFile, newKey);
      h.start();
      assertThat(h.get("/api/v1/tokens", admin).status()).isEqualTo(200);
    }
  }

  @Test
  void rotatingAKeyFromTheEnvironmentTakesTheNewKeyAndSaysToUpdateTheEnvironment()
      throws Exception {
    String k1 = Base64.getEncoder().encodeToString(new byte[32]);
    byte[] two = new byte[32];
    two[0] = 2;
    String k2 = Base64.getEncoder().encodeToString(two);
    try (Harness h = harness()) {
      h.env.put("SIGHTLINE_MASTER_KEY", k1);
      h.start();
      String admin = h.adminToken();
      var missing = h.post("/api/v1/admin/rotate-master-key", admin, "");
      assertThat(missing.status()).isEqualTo(400);
      assertThat(missing.json().get("code").asText()).isEqualTo("NEW_KEY_REQUIRED");
      var bad = h.post("/api/v1/admin/rotate-master-key", admin, "{\"newKey\":\"abc\"}");
      assertThat(bad.json().get("field").asText()).isEqualTo("newKey");
      assertThat(bad.body()).doesNotContain("abc");

      var r = h.post("/api/v1/admin/rotate-master-key", admin, "{\"newKey\":\"" + k2 + "\"}");
      assertThat(r.status()).as(r.toString()).isEqualTo(200);
      assertThat(r.json().get("message").asText()).contains("update SIGHTLINE_MASTER_KEY");
      assertThat(r.body()).doesNotContain(k2);
      assertThat(h.dataDir.resolve("master.key")).doesNotExist();

      h.server.stop();
      assertThatThrownBy(h::start)
          .isInstanceOf(StartupException.class)
          .hasMessageContaining("SIGHTLINE_MASTER_KEY");
      h.env.put("SIGHTLINE_MASTER_KEY", k2);
      h.start();
      assertThat(h.get("/api/v1/tokens", admin).status()).isEqualTo(200);
    }
  }

  @Test
  void checkpointsGoToTheFileAndVerifyUsesTheNewest() throws Exception {
    try (Harness h = harness()) {
      Path cpFile = tmp.resolve("checkpoints.log");
      h.flags.put(ServerConfig.AUDIT_CHECKPOINT_FILE, cpFile.toString());
      h.start();
      String admin = h.adminToken();
      h.server.stop(); // shutdown writes a checkpoint of the moved head
      assertThat(Files.readString(cpFile)).contains("sightline-audit-checkpoint/v1 seq=1 ");
      h.start();
      assertThat(h.get("/api/v1/audit/verify", admin).json().get("ok").asBoolean()).isTrue();
      h.server.stop();
      // A forged checkpoint far past the head: the tail looks cut off.
      String line = Files.readString(cpFile).strip();
      Files.writeString(
          cpFile,
          line.replace("seq=1 ", "seq=99 ") + "\n",
          java.nio.file.StandardOpenOption.APPEND);
      h.start();
      var v = h.get("/api/v1/audit/verify", admin);
      assertThat(v.status()).isEqualTo(200);
      assertThat(v.json().get("ok").asBoolean()).as(v.toString()).isFalse();
    }
  }
}
