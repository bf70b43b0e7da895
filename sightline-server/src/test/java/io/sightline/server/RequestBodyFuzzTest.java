package io.sightline.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sightline.store.Stores;
import io.sightline.testing.kube.FakeKubeApiServer;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Every request body of every POST/PUT/PATCH route the server registers, random and mutated from a
 * valid one: the answer is 2xx or 4xx, never a 5xx, and the server stays healthy. Oversized bodies,
 * deep nesting and YAML alias bombs in YAML-carrying fields are refused fast with a 4xx. Egress is
 * limited to loopback, so a fuzzed server URL can never send traffic elsewhere.
 */
class RequestBodyFuzzTest {
  static final JsonNodeFactory F = JsonNodeFactory.instance;
  static Path tmp;
  static Harness h;
  static FakeKubeApiServer kube;
  static RouteWalker walker;
  static String admin;
  static List<String> bodyRoutes;
  static final Map<String, String> SEEDS = new LinkedHashMap<>();

  @BeforeContainer
  static void start() throws Exception {
    tmp = Files.createTempDirectory("sightline-fuzz");
    kube = FakeKubeApiServer.builder().version("1.30").start();
    h = new Harness(tmp);
    h.opener = Stores::open;
    h.flags.put(ServerConfig.PROBE_RATE, "100000");
    h.flags.put(ServerConfig.EGRESS_ALLOW, "127.0.0.0/8");
    h.clock.advance(Duration.between(h.clock.instant(), Instant.now()));
    h.start();
    walker = new RouteWalker(h);
    admin = h.adminToken();
    String kubeconfig =
        Harness.JSON
            .createObjectNode()
            .put("name", "fuzz")
            .put("kind", "kubernetes")
            .put("authorizationType", "Kubeconfig")
            .put("kubeconfig", kube.adminKubeconfig())
            .toString();
    Harness.Response r = walker.send("POST", "/api/v1/connections", admin, kubeconfig);
    assertThat(r.status()).as("%s", r).isEqualTo(201);
    SEEDS.put("POST /api/v1/connections", kubeconfig.replace("\"fuzz\"", "\"fuzz-new\""));
    SEEDS.put("POST /api/v1/connections/probe", kubeconfig);
    SEEDS.put("PUT /api/v1/connections/{name}", kubeconfig);
    SEEDS.put(
        "POST /api/v1/connections/import/azure-devops",
        new String(
            RequestBodyFuzzTest.class
                .getResourceAsStream("/fixtures/azure-devops-endpoints.json")
                .readAllBytes(),
            StandardCharsets.UTF_8));
    SEEDS.put("POST /api/v1/connections/{name}/harden", "{\"namespaces\":[\"web\"]}");
    SEEDS.put("POST /api/v1/tokens", "{\"name\":\"t\",\"role\":\"user\",\"groups\":[\"g\"]}");
    SEEDS.put(
        "POST /api/v1/trust",
        TrustApiTest.githubTrust("https://token.actions.githubusercontent.com"));
    SEEDS.put(
        "PUT /api/v1/connections/{name}/pipeline-permissions",
        "{\"pipelines\":[\"github:org/app@refs/heads/main\"],\"allPipelines\":false}");
    SEEDS.put(
        "PATCH /api/v1/connections/{name}/pipeline-permissions",
        "{\"add\":[\"github:org/app@refs/heads/main\"]}");
    SEEDS.put("POST /api/v1/leases", LeaseApiTest.body("fuzz", "web", 600));
    SEEDS.put("POST /api/v1/leases/{id}/renew", "{\"ttlSeconds\":600}");
    SEEDS.put("POST /api/v1/admin/rotate-issuer-key", "{\"now\":false}");
    bodyRoutes =
        walker.routes().stream()
            .filter(k -> RouteWalker.hasBody(RouteWalker.method(k)))
            // JSON bodies are the API's. The web UI's forms (url-encoded, behind a session and a
            // CSRF token) are refused before their body is read here; WebUiTest covers them.
            .filter(k -> !k.contains(" /ui"))
            // Rotating the master key on every try would only make the suite slow.
            .filter(k -> !k.equals("POST /api/v1/admin/rotate-master-key"))
            .toList();
  }

  @AfterContainer
  static void stop() throws Exception {
    if (h != null) {
      h.close();
    }
    if (kube != null) {
      kube.close();
    }
  }

  static Harness.Response send(String key, byte[] body) throws Exception {
    return send(key, body, false);
  }

  static Harness.Response send(String key, byte[] body, boolean expectContinue) throws Exception {
    String path =
        RouteWalker.fill(RouteWalker.path(key), Map.of("name", "fuzz"), "absent")
            + "?verify=false&timeout=2s&dryRun=true";
    return h.send(
        h.req(path, admin)
            .timeout(Duration.ofSeconds(30))
            .header("Content-Type", "application/json")
            .method(RouteWalker.method(key), HttpRequest.BodyPublishers.ofByteArray(body))
            .build());
  }

  static void assertNo5xxAndHealthy(String key, byte[] body) throws Exception {
    Harness.Response r = send(key, body);
    String shown = new String(body, StandardCharsets.UTF_8);
    assertThat(r.status())
        .as(
            "%s with body %s → %s",
            key, shown.length() > 400 ? shown.substring(0, 400) + "…" : shown, r)
        .isBetween(200, 499);
    if (r.status() >= 400) {
      assertThat(r.header("Content-Type")).as("%s", r).startsWith("application/problem+json");
    }
    assertThat(h.get("/readyz", null).status()).isEqualTo(200);
  }

  @Property(tries = 400)
  @Label("a mutated valid body on any POST/PUT/PATCH route answers 2xx or 4xx, never 5xx")
  void mutatedBodies(@ForAll("routeAndBody") Map.Entry<String, String> input) throws Exception {
    assertNo5xxAndHealthy(input.getKey(), input.getValue().getBytes(StandardCharsets.UTF_8));
  }

  @Property(tries = 150)
  @Label("random bytes on any POST/PUT/PATCH route answer 4xx, never 5xx")
  void randomBodies(@ForAll("routes") String key, @ForAll("noise") byte[] body) throws Exception {
    assertNo5xxAndHealthy(key, body);
  }

  @Provide
  Arbitrary<String> routes() {
    return Arbitraries.of(bodyRoutes);
  }

  @Provide
  Arbitrary<byte[]> noise() {
    return Arbitraries.oneOf(
        Arbitraries.bytes().array(byte[].class).ofMaxSize(300),
        Arbitraries.strings().all().ofMaxLength(200).map(s -> s.getBytes(StandardCharsets.UTF_8)),
        Arbitraries.of(
                "{",
                "}",
                "[",
                "]",
                "\"",
                ":",
                ",",
                "null",
                "1e999999",
                "-0",
                "true",
                "\\u0000",
                "\\ud800",
                "{\"a\":",
                "[[[[",
                "\"\\",
                "99999999999999999999999")
            .list()
            .ofMaxSize(40)
            .map(l -> String.join("", l).getBytes(StandardCharsets.UTF_8)));
  }

  @Provide
  Arbitrary<Map.Entry<String, String>> routeAndBody() {
    return Arbitraries.of(bodyRoutes)
        .flatMap(
            key -> {
              JsonNode seed = parse(SEEDS.getOrDefault(key, "{}"));
              return mutations()
                  .list()
                  .ofMinSize(1)
                  .ofMaxSize(3)
                  .map(
                      edits -> {
                        JsonNode n = seed.deepCopy();
                        for (Function<JsonNode, JsonNode> e : edits) {
                          n = e.apply(n);
                        }
                        return Map.entry(key, n.toString());
                      });
            });
  }

  static JsonNode parse(String s) {
    try {
      return Harness.JSON.readTree(s);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Values a field may be turned into. */
  static Arbitrary<JsonNode> values() {
    return constantsAndStrings().map(JsonNode::deepCopy);
  }

  private static Arbitrary<JsonNode> constantsAndStrings() {
    return Arbitraries.oneOf(
        Arbitraries.strings().all().ofMaxLength(60).map(F::textNode),
        Arbitraries.of(
            F.nullNode(),
            F.booleanNode(true),
            F.numberNode(-1),
            F.numberNode(0),
            F.numberNode(Long.MAX_VALUE),
            F.numberNode(new java.math.BigInteger("1" + "0".repeat(60))),
            F.numberNode(1.5e300),
            F.textNode(""),
            F.textNode(" "),
            F.textNode("x".repeat(70_000)),
            F.textNode("../../etc/passwd"),
            F.textNode("https://169.254.169.254/"),
            F.textNode("a: &a [*a]"),
            F.arrayNode(),
            F.arrayNode().add(F.objectNode()),
            F.objectNode(),
            F.objectNode().set("nested", F.objectNode().put("x", 1))));
  }

  static Arbitrary<Function<JsonNode, JsonNode>> mutations() {
    return Arbitraries.oneOf(
        // Replace a field's value somewhere in the tree.
        Combinators.combine(Arbitraries.integers().between(0, 50), values())
            .as((n, v) -> (Function<JsonNode, JsonNode>) root -> replaceAt(root, n, v)),
        // Remove a field.
        Arbitraries.integers()
            .between(0, 50)
            .map(n -> (Function<JsonNode, JsonNode>) root -> removeAt(root, n)),
        // Add an unknown field.
        values().map(v -> root -> root instanceof ObjectNode o ? o.set("unknownFuzz", v) : root),
        // Replace the whole body.
        values().map(v -> root -> v));
  }

  /** The object fields of a tree, depth first. */
  static List<Map.Entry<ObjectNode, String>> fields(JsonNode root) {
    List<Map.Entry<ObjectNode, String>> out = new ArrayList<>();
    collect(root, out);
    return out;
  }

  private static void collect(JsonNode n, List<Map.Entry<ObjectNode, String>> out) {
    if (n instanceof ObjectNode o) {
      for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
        String f = it.next();
        out.add(Map.entry(o, f));
        collect(o.get(f), out);
      }
    } else if (n instanceof ArrayNode a) {
      a.forEach(c -> collect(c, out));
    }
  }

  static JsonNode replaceAt(JsonNode root, int n, JsonNode value) {
    var all = fields(root);
    if (all.isEmpty()) {
      return value;
    }
    var e = all.get(n % all.size());
    e.getKey().set(e.getValue(), value);
    return root;
  }

  static JsonNode removeAt(JsonNode root, int n) {
    var all = fields(root);
    if (!all.isEmpty()) {
      var e = all.get(n % all.size());
      e.getKey().remove(e.getValue());
    }
    return root;
  }

  @Example
  @Label("a 10 MB body is refused fast with 413 on every route that takes a body")
  void tenMegabyteBodies() throws Exception {
    int size = 10 * 1024 * 1024;
    for (String key : bodyRoutes) {
      long t0 = System.nanoTime();
      String status = rawStatusLine(key, size);
      long ms = (System.nanoTime() - t0) / 1_000_000;
      boolean takesBody =
          walker.declared(key).map(route -> route.requestType() != null).orElse(true);
      boolean agentProof =
          walker
              .declared(key)
              .map(route -> route.auth() == io.sightline.server.http.ApiRoute.Auth.AGENT_PROOF)
              .orElse(false);
      if (agentProof) {
        // The agent's proof is checked from the headers before any body is read.
        assertThat(status).as(key).matches("HTTP/1.1 (413|401).*");
      } else if (takesBody) {
        assertThat(status).as(key).startsWith("HTTP/1.1 413");
      } else {
        // A route that declares no body never reads it: it answers as if none were sent.
        assertThat(status).as(key).matches("HTTP/1.1 [24]\\d\\d.*");
      }
      assertThat(ms).as("%s answered in %d ms", key, ms).isLessThan(5000);
    }
    assertThat(h.get("/readyz", null).status()).isEqualTo(200);
  }

  @Example
  @Label("a request refused before its body was read still gets its answer, on a connection kept")
  void refusalBeforeTheBodyIsRead() throws Exception {
    // A wrong token is refused before the body is read. The server used to answer 401 and close
    // the connection while the client was still sending, so the client could see a reset instead
    // of the 401 (deepNesting failed so under load). The body is sent in two parts with a pause:
    // the answer must come after all of it, and the connection must serve the next request.
    java.net.URI base = java.net.URI.create(h.server.url());
    byte[] body = ("{\"name\":\"" + "x".repeat(200_000) + "\"}").getBytes(StandardCharsets.UTF_8);
    try (java.net.Socket s = new java.net.Socket(base.getHost(), base.getPort())) {
      s.setSoTimeout(10_000);
      var out = s.getOutputStream();
      out.write(
          ("POST /api/v1/connections HTTP/1.1\r\nHost: "
                  + base.getHost()
                  + "\r\nAuthorization: Bearer not-a-token\r\nContent-Type: application/json"
                  + "\r\nContent-Length: "
                  + body.length
                  + "\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.write(body, 0, body.length / 2);
      out.flush();
      Thread.sleep(300);
      out.write(body, body.length / 2, body.length - body.length / 2);
      out.write(
          ("GET /readyz HTTP/1.1\r\nHost: " + base.getHost() + "\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      StringBuilder answers = new StringBuilder();
      byte[] buf = new byte[4096];
      var in = s.getInputStream();
      int n;
      while (!answers.toString().contains("HTTP/1.1 200") && (n = in.read(buf)) > 0) {
        answers.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
      }
      assertThat(answers.toString()).startsWith("HTTP/1.1 401");
      assertThat(answers.toString()).contains("HTTP/1.1 200");
    }
  }

  /**
   * Sends {@code size} bytes of JSON to the route over a raw socket (the body streamed from another
   * thread) and returns the status line: the server may answer and close before the body is sent.
   */
  static String rawStatusLine(String key, int size) throws Exception {
    java.net.URI base = java.net.URI.create(h.server.url());
    String path = RouteWalker.fill(RouteWalker.path(key), Map.of("name", "fuzz"), "absent");
    try (java.net.Socket s = new java.net.Socket(base.getHost(), base.getPort())) {
      s.setSoTimeout(10_000);
      String head =
          RouteWalker.method(key)
              + " "
              + path
              + " HTTP/1.1\r\nHost: "
              + base.getHost()
              + "\r\nAuthorization: Bearer "
              + admin
              + "\r\nContent-Type: application/json\r\nContent-Length: "
              + size
              + "\r\nConnection: close\r\n\r\n";
      Thread writer =
          new Thread(
              () -> {
                try {
                  var out = s.getOutputStream();
                  out.write(head.getBytes(StandardCharsets.US_ASCII));
                  byte[] chunk = new byte[64 * 1024];
                  java.util.Arrays.fill(chunk, (byte) ' ');
                  for (int sent = 0; sent < size; sent += chunk.length) {
                    out.write(chunk, 0, Math.min(chunk.length, size - sent));
                  }
                  out.flush();
                } catch (java.io.IOException e) {
                  // the server stopped reading: expected once it refused the body
                }
              });
      writer.setDaemon(true);
      writer.start();
      var in =
          new java.io.BufferedReader(
              new java.io.InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
      String line = in.readLine();
      return line == null ? "(connection closed without an answer)" : line;
    }
  }

  @Example
  @Label("deeply nested JSON is refused with a 4xx, never a 5xx or a stack overflow")
  void deepNesting() throws Exception {
    byte[] deep = ("[".repeat(100_000) + "]".repeat(100_000)).getBytes();
    byte[] deepObject =
        ("{\"name\":" + "{\"a\":".repeat(50_000) + "1" + "}".repeat(50_001)).getBytes();
    for (String key : bodyRoutes) {
      assertNo5xxAndHealthy(key, deep);
      assertNo5xxAndHealthy(key, deepObject);
    }
  }

  @Example
  @Label("a YAML alias bomb in a kubeconfig or Secret field is refused fast with a 4xx")
  void aliasBombs() throws Exception {
    StringBuilder bomb = new StringBuilder("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    char prev = 'a';
    for (char c = 'b'; c <= 'j'; c++) {
      bomb.append(c).append(": &").append(c).append(" [");
      for (int i = 0; i < 9; i++) {
        bomb.append(i == 0 ? "" : ",").append('*').append(prev);
      }
      bomb.append("]\n");
      prev = c;
    }
    List<ObjectNode> bodies =
        List.of(
            Harness.JSON
                .createObjectNode()
                .put("name", "bomb-1")
                .put("kind", "kubernetes")
                .put("authorizationType", "Kubeconfig")
                .put("kubeconfig", bomb.toString()),
            Harness.JSON
                .createObjectNode()
                .put("name", "bomb-2")
                .put("kind", "kubernetes")
                .put("authorizationType", "ServiceAccount")
                .put("serverUrl", kube.url().toString())
                .put("secret", bomb.toString()),
            Harness.JSON
                .createObjectNode()
                .put("name", "bomb-3")
                .put("kind", "kubernetes")
                .put("authorizationType", "AzureSubscription")
                .put("adminKubeconfig", bomb.toString()));
    for (ObjectNode b : bodies) {
      for (String key :
          List.of(
              "POST /api/v1/connections",
              "POST /api/v1/connections/probe",
              "PUT /api/v1/connections/{name}")) {
        long t0 = System.nanoTime();
        Harness.Response r = send(key, b.toString().getBytes(StandardCharsets.UTF_8));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(r.status()).as("%s %s: %s", key, b.get("name"), r).isBetween(400, 499);
        assertThat(ms).as("%s answered in %d ms", key, ms).isLessThan(2000);
      }
    }
  }
}
