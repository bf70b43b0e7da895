package io.sightline.cli.run;

import static org.assertj.core.api.Assertions.assertThat;

import io.sightline.cli.Main;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LeaseCommandTest {
  @TempDir Path tmp;
  FakeLeaseServer server;
  final Map<String, String> env = new HashMap<>();
  String out;
  String err;

  @BeforeEach
  void start() throws Exception {
    server = new FakeLeaseServer();
    env.put("HOME", tmp.toString());
    env.put("SIGHTLINE_SERVER", server.url());
    env.put("SIGHTLINE_TOKEN", server.callerToken);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  int run(String... args) {
    StringWriter o = new StringWriter();
    StringWriter e = new StringWriter();
    int code =
        Main.run(
            args,
            env,
            new ByteArrayInputStream(new byte[0]),
            new PrintWriter(o, true),
            new PrintWriter(e, true));
    out = o.toString();
    err = e.toString();
    return code;
  }

  @Test
  @DisplayName("an AKS target is sent in the azureConnection form; the lease JSON goes to stdout")
  void azureTarget() {
    assertThat(
            run(
                "lease",
                "create",
                "--azure-connection",
                "arm",
                "--resource-group",
                "rg",
                "--cluster",
                "aks1",
                "--admin",
                "-n",
                "web",
                "--ttl",
                "1h"))
        .as(err)
        .isZero();
    var body = server.requests.get(0).body();
    assertThat(body.get("target").toString())
        .isEqualTo(
            "{\"azureConnection\":\"arm\",\"resourceGroup\":\"rg\",\"cluster\":\"aks1\","
                + "\"namespace\":\"web\",\"useClusterAdmin\":true}");
    assertThat(body.get("ttlSeconds").asInt()).isEqualTo(3600);
    assertThat(server.requests.get(0).idempotencyKey()).isNotBlank();
    assertThat(out).contains("\"id\" : \"lease-1\"");
  }

  @Test
  @DisplayName("target mistakes are usage errors (exit 2) naming the fix, and nothing is sent")
  void usageErrors() {
    assertThat(run("lease", "create", "--connection", "a", "--azure-connection", "b")).isEqualTo(2);
    assertThat(err).contains("either --connection or --azure-connection");
    assertThat(run("lease", "create", "--azure-connection", "b")).isEqualTo(2);
    assertThat(err).contains("needs --resource-group and --cluster");
    assertThat(run("lease", "create")).isEqualTo(2);
    assertThat(err).contains("name the cluster");
    assertThat(run("lease", "create", "--connection", "a", "--ttl", "soon")).isEqualTo(2);
    assertThat(server.requests).isEmpty();
  }

  @Test
  @DisplayName("lease revoke uses $SIGHTLINE_LEASE_HANDLE before the API token")
  void revokeWithHandleFromEnvironment() {
    env.put("SIGHTLINE_LEASE_HANDLE", FakeLeaseServer.handle("lease-7"));
    assertThat(run("lease", "revoke", "lease-7")).as(err).isZero();
    assertThat(server.revoked).containsKey("lease-7");
    assertThat(server.requests.get(0).authorization())
        .isEqualTo("Bearer " + FakeLeaseServer.handle("lease-7"));
  }
}
