package io.sightline.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sightline.testing.kube.FakeKubeApiServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The built jar as server and as agent (issue 9): the server's egress rules deny the emulated
 * cluster's address, the agent process dials it, and a connection through the agent's pool is
 * provisioned, leased and revoked.
 */
class AgentIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newHttpClient();

  @TempDir Path tmp;

  HttpResponse<String> call(String method, String url, String token, String body) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url))
            .timeout(Duration.ofSeconds(60))
            .header("Authorization", "Bearer " + token)
            .header("Content-Type", "application/json")
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  @DisplayName(
      "sightline agent (the built jar) provisions, mints and revokes for a server that may not"
          + " reach the cluster")
  void agentProcessServesItsPool() throws Exception {
    Path agentErr = tmp.resolve("agent.err");
    Process agent = null;
    try (FakeKubeApiServer kube = FakeKubeApiServer.builder().version("1.30").start();
        Sightline.Server server =
            Sightline.startServer(
                tmp.resolve("data"),
                Map.of("SIGHTLINE_EGRESS_DENY", "127.0.0.0/8", "SIGHTLINE_PROBE_RATE", "1000"))) {
      String admin =
          Files.readString(tmp.resolve("data").resolve("admin.token"), StandardCharsets.UTF_8)
              .strip();
      HttpResponse<String> issued =
          call("POST", server.url() + "/api/v1/agent-pools/it/registration-tokens", admin, "{}");
      assertThat(issued.statusCode()).as(issued.body()).isEqualTo(201);
      Path tokenFile = tmp.resolve("registration.token");
      Files.writeString(tokenFile, JSON.readTree(issued.body()).get("token").asText());

      agent =
          Sightline.java(
                  Map.of(),
                  List.of(
                      "agent",
                      "--server",
                      server.url(),
                      "--pool",
                      "it",
                      "--registration-token-file",
                      tokenFile.toString(),
                      "--name",
                      "it-agent",
                      "--state-dir",
                      tmp.resolve("agent-state").toString()))
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .redirectError(agentErr.toFile())
              .start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (true) {
        assertThat(agent.isAlive()).as("agent running: %s", ServerFixture.read(agentErr)).isTrue();
        JsonNode list =
            JSON.readTree(call("GET", server.url() + "/api/v1/agents?pool=it", admin, null).body());
        if (list.path("items").size() == 1
            && "online".equals(list.at("/items/0/status").asText())
            && ServerFixture.read(agentErr).contains("polling")) {
          break;
        }
        assertThat(System.nanoTime()).as("agent online within 60 s").isLessThan(deadline);
        Thread.sleep(200);
      }

      ObjectNode c = JSON.createObjectNode();
      c.put("name", "private").put("kind", "kubernetes");
      c.put("authorizationType", "AzureSubscription");
      c.put("adminKubeconfig", kube.adminKubeconfig());
      c.putArray("namespaces").add("web");
      c.put("createNamespace", true);
      c.putObject("via").put("pool", "it");
      HttpResponse<String> created =
          call("POST", server.url() + "/api/v1/connections?timeout=20s", admin, c.toString());
      assertThat(created.statusCode()).as(created.body()).isEqualTo(201);

      HttpResponse<String> lease =
          call(
              "POST",
              server.url() + "/api/v1/leases",
              admin,
              "{\"target\":{\"connection\":\"private\",\"namespace\":\"web\"}}");
      assertThat(lease.statusCode()).as(lease.body()).isEqualTo(201);
      String id = JSON.readTree(lease.body()).get("id").asText();
      String token = JSON.readTree(lease.body()).get("token").asText();
      assertThat(kube.getObject("v1", "Secret", "sightline-private", "sightline-lease-" + id))
          .isNotNull();
      assertThat(call("DELETE", server.url() + "/api/v1/leases/" + id, admin, null).statusCode())
          .isEqualTo(204);
      assertThat(kube.getObject("v1", "Secret", "sightline-private", "sightline-lease-" + id))
          .isNull();

      String logs = ServerFixture.read(agentErr);
      assertThat(logs).contains("registered").contains("(mint) done");
      assertThat(logs).doesNotContain(token).doesNotContain(kube.adminToken());
      assertThat(server.stderrText()).doesNotContain(token).doesNotContain(kube.adminToken());
    } finally {
      if (agent != null) {
        agent.destroy();
        agent.waitFor(20, TimeUnit.SECONDS);
      }
    }
  }
}
