package io.sightline.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sightline.testing.kube.FakeKubeApiServer;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The setup the CLI end-to-end tests share: a {@code sightline server} process started from the
 * built jar on a free port, its bootstrap admin token read from its stderr, and a connection {@code
 * prod} provisioned on the Kubernetes emulator for namespace {@code web}. Each test builds its own
 * server command (JVM flags, environment), so only the waiting and the shaping live here.
 */
public final class ServerFixture {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern ADMIN_TOKEN = Pattern.compile("slt_[A-Za-z0-9_-]{40,}");

  /** A server ready to answer: its process, base URL and bootstrap admin token. */
  public record Started(Process process, String url, String adminToken) {}

  private ServerFixture() {}

  /** A TCP port free on 127.0.0.1 right now. */
  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** A file's text, or "" when it does not exist (yet). */
  public static String read(Path p) throws IOException {
    return Files.exists(p) ? Files.readString(p, StandardCharsets.UTF_8) : "";
  }

  /**
   * Starts {@code server} (a {@code sightline server --port port} command) with stdout discarded
   * and stderr in {@code err}; waits up to 90 s for {@code /readyz}, then reads the admin token the
   * server printed on its first start.
   */
  public static Started start(ProcessBuilder server, int port, Path err, HttpClient http)
      throws Exception {
    Process process =
        server.redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(err.toFile()).start();
    String url = "http://127.0.0.1:" + port;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (true) {
      assertThat(process.isAlive()).as("server running: %s", read(err)).isTrue();
      try {
        if (http.send(
                    HttpRequest.newBuilder(URI.create(url + "/readyz")).build(),
                    HttpResponse.BodyHandlers.ofString())
                .statusCode()
            == 200) {
          break;
        }
      } catch (IOException e) {
        // not listening yet
      }
      assertThat(System.nanoTime()).as("server ready in 90 s").isLessThan(deadline);
      Thread.sleep(100);
    }
    Matcher m = ADMIN_TOKEN.matcher(read(err));
    assertThat(m.find()).as("admin token on the server's stderr").isTrue();
    return new Started(process, url, m.group());
  }

  /**
   * Creates connection {@code prod} (kind kubernetes, AzureSubscription) from the emulator's admin
   * kubeconfig, provisioned for namespace {@code web}; answers the deployer's name.
   */
  public static String createProd(HttpClient http, Started s, FakeKubeApiServer kube)
      throws Exception {
    ObjectNode c = JSON.createObjectNode();
    c.put("name", "prod").put("kind", "kubernetes").put("authorizationType", "AzureSubscription");
    c.put("adminKubeconfig", kube.adminKubeconfig());
    c.putArray("namespaces").add("web");
    c.put("createNamespace", true);
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create(s.url() + "/api/v1/connections?timeout=10s"))
                .header("Authorization", "Bearer " + s.adminToken())
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(c.toString()))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return JSON.readTree(r.body()).at("/deployers/web").asText();
  }

  /** Stops the server process (when started) and closes the emulators (those not null). */
  public static void stop(Process server, AutoCloseable... emulators) throws Exception {
    if (server != null) {
      server.destroy();
      server.waitFor(20, TimeUnit.SECONDS);
    }
    for (AutoCloseable e : emulators) {
      if (e != null) {
        e.close();
      }
    }
  }
}
