package io.sightline.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/** Starts a real server in-process on port 0 with a temp data dir and talks to it over HTTP. */
final class Harness implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();

  final Path dataDir;
  final Map<String, String> flags = new HashMap<>();
  final Map<String, String> env = new HashMap<>();
  final TestClock clock = new TestClock();
  final FakeStore store = new FakeStore(clock);
  final ByteArrayOutputStream console = new ByteArrayOutputStream();
  SightlineServer.StoreOpener opener = store.opener();
  HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  SightlineServer server;

  Harness(Path tmp) {
    this.dataDir = tmp.resolve("data");
    flags.put(ServerConfig.PORT, "0");
    flags.put(ServerConfig.DATA_DIR, dataDir.toString());
  }

  ServerConfig config() {
    return ServerConfig.load(flags, env, null);
  }

  SightlineServer start() {
    server =
        new SightlineServer(
                config(), opener, new PrintStream(console, true, StandardCharsets.UTF_8), clock)
            .start();
    return server;
  }

  void restart() {
    server.stop();
    start();
  }

  String consoleText() {
    return console.toString(StandardCharsets.UTF_8);
  }

  String adminToken() throws Exception {
    return Files.readString(dataDir.resolve("admin.token")).strip();
  }

  Response get(String path, String token) throws Exception {
    return send(req(path, token).GET().build());
  }

  Response delete(String path, String token) throws Exception {
    return send(req(path, token).DELETE().build());
  }

  Response post(String path, String token, String body) throws Exception {
    return send(
        req(path, token)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build());
  }

  HttpRequest.Builder req(String path, String token) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(server.url() + path)).timeout(Duration.ofSeconds(10));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return b;
  }

  Response send(HttpRequest request) throws Exception {
    HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
    return new Response(r);
  }

  /** Creates a token with {@code role} through the API and returns its value. */
  String token(String role) throws Exception {
    Response r =
        post(
            "/api/v1/tokens",
            adminToken(),
            "{\"name\":\"t-" + role + "\",\"role\":\"" + role + "\"}");
    if (r.status() != 201) {
      throw new AssertionError("token create failed: " + r);
    }
    return r.json().get("token").asText();
  }

  @Override
  public void close() {
    if (server != null) {
      server.stop();
    }
  }

  record Response(HttpResponse<String> raw) {
    int status() {
      return raw.statusCode();
    }

    String body() {
      return raw.body();
    }

    String header(String name) {
      return raw.headers().firstValue(name).orElse(null);
    }

    JsonNode json() throws Exception {
      return JSON.readTree(raw.body());
    }

    @Override
    public String toString() {
      return raw.statusCode() + " " + raw.body();
    }
  }
}
