package io.sightline.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerConfigTest {
  @TempDir Path tmp;

  @Test
  void defaultsAreTheDocumentedOnes() {
    ServerConfig c = ServerConfig.defaults();
    assertThat(c.port()).isEqualTo(8480);
    assertThat(c.bind()).isEqualTo("127.0.0.1");
    assertThat(c.dataDir()).isEqualTo(Path.of("./sightline-data"));
    assertThat(c.tokenTtl()).isEqualTo(Duration.ofDays(90));
    assertThat(c.logFormat()).isEqualTo(ServerConfig.LogFormat.TEXT);
    assertThat(c.isExternalDb()).isFalse();
  }

  @Test
  void dottedKeysMapMechanicallyToEnvironmentVariables() {
    assertThat(ServerConfig.envName("sightline.db.url")).isEqualTo("SIGHTLINE_DB_URL");
    assertThat(ServerConfig.envName("sightline.port")).isEqualTo("SIGHTLINE_PORT");
    assertThat(ServerConfig.envName("sightline.data-dir")).isEqualTo("SIGHTLINE_DATA_DIR");
    assertThat(ServerConfig.envName("sightline.tls.cert")).isEqualTo("SIGHTLINE_TLS_CERT");
    for (String key : ServerConfig.keys()) {
      assertThat(ServerConfig.envName(key)).matches("SIGHTLINE_[A-Z_]+");
    }
  }

  @Test
  void flagsBeatEnvironmentWhichBeatsYamlWhichBeatsDefaults() throws Exception {
    Path yaml = tmp.resolve("sightline.yaml");
    Files.writeString(yaml, "port: 9001\nbind: 127.0.0.2\ntoken-ttl: 7d\ndb:\n  user: fromyaml\n");
    ServerConfig c =
        ServerConfig.load(
            Map.of(ServerConfig.PORT, "9003"),
            Map.of("SIGHTLINE_PORT", "9002", "SIGHTLINE_BIND", "127.0.0.3"),
            yaml);
    assertThat(c.port()).isEqualTo(9003);
    assertThat(c.bind()).isEqualTo("127.0.0.3");
    assertThat(c.tokenTtl()).isEqualTo(Duration.ofDays(7));
    assertThat(c.dbUser()).isEqualTo("fromyaml");
    assertThat(c.dataDir()).isEqualTo(Path.of("./sightline-data"));
  }

  @Test
  void yamlMayWrapSettingsInASightlineRoot() throws Exception {
    Path yaml = tmp.resolve("s.yaml");
    Files.writeString(yaml, "sightline:\n  port: 9100\n  log:\n    format: json\n");
    ServerConfig c = ServerConfig.load(Map.of(), Map.of(), yaml);
    assertThat(c.port()).isEqualTo(9100);
    assertThat(c.logFormat()).isEqualTo(ServerConfig.LogFormat.JSON);
  }

  @Test
  void badValuesNameTheirSourceAndTheFix() throws Exception {
    assertThatThrownBy(() -> ServerConfig.load(Map.of(ServerConfig.PORT, "http"), Map.of(), null))
        .isInstanceOf(StartupException.class)
        .hasMessageContaining("--port")
        .hasMessageContaining("port number");
    assertThatThrownBy(
            () -> ServerConfig.load(Map.of(), Map.of("SIGHTLINE_TOKEN_TTL", "forever"), null))
        .hasMessageContaining("SIGHTLINE_TOKEN_TTL")
        .hasMessageContaining("90d");
    assertThatThrownBy(
            () -> ServerConfig.load(Map.of(ServerConfig.DB_URL, "mysql://x"), Map.of(), null))
        .hasMessageContaining("--db-url")
        .hasMessageContaining("jdbc:postgresql://");
    assertThatThrownBy(
            () -> ServerConfig.load(Map.of(ServerConfig.TLS_CERT, "/x.pem"), Map.of(), null))
        .hasMessageContaining("--tls-key");
    Path yaml = tmp.resolve("bad.yaml");
    Files.writeString(yaml, "prot: 1\n");
    assertThatThrownBy(() -> ServerConfig.load(Map.of(), Map.of(), yaml))
        .hasMessageContaining("unknown setting prot");
  }

  @Test
  void secretsAreNotReadFromTheYamlFile() throws Exception {
    Path yaml = tmp.resolve("s.yaml");
    Files.writeString(yaml, "master-key: abc\n");
    assertThatThrownBy(() -> ServerConfig.load(Map.of(), Map.of(), yaml))
        .hasMessageContaining("SIGHTLINE_MASTER_KEY")
        .hasMessageNotContaining("abc");
  }

  @Test
  void yamlAliasBombsAreRefused() throws Exception {
    StringBuilder sb = new StringBuilder("a: &a [x,x,x,x,x,x,x,x,x]\n");
    for (char c = 'b'; c <= 'j'; c++) {
      char p = (char) (c - 1);
      sb.append(c).append(": &").append(c).append(" [");
      for (int i = 0; i < 9; i++) {
        sb.append(i == 0 ? "" : ",").append('*').append(p);
      }
      sb.append("]\n");
    }
    Path yaml = tmp.resolve("bomb.yaml");
    Files.writeString(yaml, sb.toString());
    assertThatThrownBy(() -> ServerConfig.load(Map.of(), Map.of(), yaml))
        .isInstanceOf(StartupException.class)
        .hasMessageContaining("not valid YAML");
  }

  @Test
  void passwordsComeFromTheEnvironmentOrAFile() throws Exception {
    Path pw = tmp.resolve("pw");
    Files.writeString(pw, "s3cret-password\n");
    ServerConfig c =
        ServerConfig.load(Map.of(ServerConfig.DB_PASSWORD_FILE, pw.toString()), Map.of(), null);
    assertThat(c.dbPassword().reveal()).isEqualTo("s3cret-password");
    assertThat(String.valueOf(c)).doesNotContain("s3cret-password");
    ServerConfig e =
        ServerConfig.load(Map.of(), Map.of("SIGHTLINE_DB_PASSWORD", "envpass123"), null);
    assertThat(e.dbPassword().reveal()).isEqualTo("envpass123");
  }

  @Test
  void durationsReadLikePeopleWriteThem() {
    assertThat(ServerConfig.parseDuration("90d")).isEqualTo(Duration.ofDays(90));
    assertThat(ServerConfig.parseDuration("1h30m")).isEqualTo(Duration.ofMinutes(90));
    assertThat(ServerConfig.parseDuration("PT15M")).isEqualTo(Duration.ofMinutes(15));
    assertThatThrownBy(() -> ServerConfig.parseDuration("10x"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void egressKeysAreCommaListsOfCidrRangesAndABadOneStopsStartup() {
    ServerConfig c =
        ServerConfig.load(
            Map.of(ServerConfig.EGRESS_DENY, "10.0.0.0/8, 192.168.0.0/16"),
            Map.of("SIGHTLINE_EGRESS_PRIVATE_RANGES", "127.0.0.2/32"),
            null);
    assertThat(c.egressDeny()).containsExactly("10.0.0.0/8", "192.168.0.0/16");
    assertThat(c.egressPrivateRanges()).containsExactly("127.0.0.2/32");
    assertThat(c.egressAllow()).isEmpty();
    assertThat(ServerConfig.defaults().egressPrivateRanges())
        .contains("10.0.0.0/8", "100.64.0.0/10");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () ->
                ServerConfig.load(Map.of(ServerConfig.EGRESS_ALLOW, "10.0.0.0/33"), Map.of(), null))
        .isInstanceOf(StartupException.class)
        .hasMessageContaining("10.0.0.0/33")
        .hasMessageContaining("CIDR");
  }

  @org.junit.jupiter.api.Test
  @org.junit.jupiter.api.DisplayName(
      "lease policy keys default to 1h max TTL, 12h lifetime, static allowed, 30s reaper; a max TTL under 10m is refused")
  void leaseKeys() {
    ServerConfig d = ServerConfig.defaults();
    assertThat(d.leases().maxTtl()).isEqualTo(java.time.Duration.ofHours(1));
    assertThat(d.leases().maxLifetime()).isEqualTo(java.time.Duration.ofHours(12));
    assertThat(d.leases().allowStatic()).isTrue();
    assertThat(d.leases().reapInterval()).isEqualTo(java.time.Duration.ofSeconds(30));
    ServerConfig c =
        ServerConfig.load(
            Map.of(),
            Map.of("SIGHTLINE_LEASE_MAX_TTL", "2h", "SIGHTLINE_LEASE_ALLOW_STATIC", "false"),
            null);
    assertThat(c.leases().maxTtl()).isEqualTo(java.time.Duration.ofHours(2));
    assertThat(c.leases().allowStatic()).isFalse();
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> ServerConfig.load(Map.of(ServerConfig.LEASE_MAX_TTL, "5m"), Map.of(), null))
        .isInstanceOf(StartupException.class)
        .hasMessageContaining("at least 10m");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> ServerConfig.load(Map.of(ServerConfig.LEASE_MAX_LIFETIME, "30m"), Map.of(), null))
        .isInstanceOf(StartupException.class)
        .hasMessageContaining("sightline.lease.max-ttl");
  }
}
