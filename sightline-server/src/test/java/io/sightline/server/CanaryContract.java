package io.sightline.server;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sightline.connections.ConnectionKind;
import io.sightline.connections.ConnectionTypes;
import io.sightline.connections.FieldSpec;
import io.sightline.store.Stores;
import io.sightline.testing.oidc.FakeOidcIssuer;
import io.sightline.testing.pki.TestCa;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.slf4j.LoggerFactory;

/**
 * Canaries: a unique value in every secret field of every connection kind (read from the kinds' own
 * field declarations, so a new secret field cannot be forgotten), in API tokens, a pipeline's ID
 * token, client secrets, certificate private keys, lease handles and lease tokens. Every route the
 * server registers is then exercised (the authorization matrix's walker), plus bad inputs that
 * carry the secrets; afterwards no canary, nor its base64 at any alignment, may appear in an API
 * response (audit records included), a log line as the production encoder writes it (DEBUG on), the
 * console, or the raw bytes of the database's files. {@link CanaryTest} runs it on the embedded H2
 * store, {@link CanaryPostgresIT} on PostgreSQL.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class CanaryContract {
  Path tmp;
  AzureFixture az;
  FakeOidcIssuer ci;
  Harness h;
  RouteWalker walker;
  String admin;
  LogCapture logs;
  Level previousLevel;

  /** label → secret value that must never be seen again after it was handed over. */
  final Map<String, String> canaries = new LinkedHashMap<>();

  /** Everything the server said back, after the values were handed over. */
  final List<String> responses = new ArrayList<>();

  /** The connections created, by name, with the body that created them. */
  final Map<String, ObjectNode> connections = new LinkedHashMap<>();

  /**
   * How to put a canary into each secret field: "kind/authorizationType field" → (canary → a
   * connection body holding it). A new secret field without an entry fails {@link
   * #everySecretFieldHasACanary} naming the entry to add.
   */
  final Map<String, Function<String, ObjectNode>> BODIES = new LinkedHashMap<>();

  {
    BODIES.put(
        "kubernetes/Kubeconfig kubeconfig",
        c -> {
          az.kube.addStaticToken(c, "canary-kubeconfig", "system:masters");
          return kubernetes("Kubeconfig").put("kubeconfig", az.kube.kubeconfigForToken(c));
        });
    BODIES.put(
        "kubernetes/ServiceAccount secret",
        c -> {
          az.kube.addStaticToken(c, "canary-secret", "system:masters");
          String secret =
              "apiVersion: v1\nkind: Secret\ntype: kubernetes.io/service-account-token\n"
                  + "metadata:\n  name: deployer-token\n  namespace: web\n"
                  + "data:\n  token: "
                  + b64(c)
                  + "\n  ca.crt: "
                  + b64(az.kube.caCertPem())
                  + "\n  namespace: "
                  + b64("web")
                  + "\n";
          return kubernetes("ServiceAccount")
              .put("serverUrl", az.kube.url().toString())
              .put("secret", secret);
        });
    BODIES.put(
        "kubernetes/ServiceAccount apiToken",
        c -> {
          az.kube.addStaticToken(c, "canary-apitoken", "system:masters");
          return kubernetes("ServiceAccount")
              .put("serverUrl", az.kube.url().toString())
              .put("apiToken", c)
              .put("serviceAccountCertificate", az.kube.caCertPem());
        });
    BODIES.put(
        "kubernetes/AzureSubscription adminKubeconfig",
        c -> {
          az.kube.addStaticToken(c, "canary-admin", "system:masters");
          ObjectNode b =
              kubernetes("AzureSubscription").put("adminKubeconfig", az.kube.kubeconfigForToken(c));
          b.putArray("namespaces").add("web");
          return b.put("createNamespace", true);
        });
    BODIES.put(
        "azurerm/ServicePrincipal servicePrincipalKey",
        c -> az.secretConnection("x", AzureFixture.SECRET));
    BODIES.put(
        "azurerm/ServicePrincipal servicePrincipalCertificate",
        c ->
            az.connection("x", "ServicePrincipal", AzureFixture.CERT_APP)
                .put("authenticationType", "spnCertificate")
                .put("servicePrincipalCertificate", az.certPem));
  }

  static ObjectNode kubernetes(String authorizationType) {
    return Harness.JSON
        .createObjectNode()
        .put("name", "x")
        .put("kind", "kubernetes")
        .put("authorizationType", authorizationType);
  }

  static String fresh(String label) {
    byte[] b = new byte[12];
    new SecureRandom().nextBytes(b);
    return "cnry" + label.replaceAll("[^a-z]", "") + HexFormat.of().formatHex(b);
  }

  @BeforeAll
  void start() throws Exception {
    tmp = Files.createTempDirectory("sightline-canary");
    az = new AzureFixture(tmp);
    ci = FakeOidcIssuer.start();
    Path bundle = tmp.resolve("issuers-ca.pem");
    Files.writeString(bundle, ci.caPem(), StandardCharsets.UTF_8);
    h = new Harness(tmp);
    h.opener = Stores::open;
    h.flags.put(ServerConfig.PUBLIC_URL, az.issuerUrl());
    h.flags.put(ServerConfig.PROBE_RATE, "100000");
    h.flags.put(ServerConfig.TRUST_CA_FILE, bundle.toString());
    h.flags.put(ServerConfig.EGRESS_PRIVATE_RANGES, "127.0.0.2/32");
    h.clock.advance(Duration.between(h.clock.instant(), Instant.now()));
    var sightlineLog =
        ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger("io.sightline");
    previousLevel = sightlineLog.getLevel();
    sightlineLog.setLevel(Level.DEBUG);
    logs = new LogCapture();
    useStore(h);
    h.start();
    az.publish(h.server.oidcIssuer());
    walker = new RouteWalker(h);
    admin = adminToken(h);
  }

  /** Points the server at the store under test. */
  abstract void useStore(Harness h) throws Exception;

  /** The admin token the store under test was bootstrapped with. */
  abstract String adminToken(Harness h) throws Exception;

  /** The directories holding the database's files, read raw after the server stopped. */
  abstract List<Path> storeFiles(Harness h);

  /** Stops the store under test (after the server). */
  abstract void closeStore() throws Exception;

  @AfterAll
  void stop() {
    if (logs != null) {
      logs.close();
    }
    ((LoggerContext) LoggerFactory.getILoggerFactory())
        .getLogger("io.sightline")
        .setLevel(previousLevel);
    if (h != null) {
      h.close();
    }
    if (az != null) {
      az.close();
    }
    if (ci != null) {
      ci.close();
    }
    try {
      closeStore();
      try (Stream<Path> files = Files.walk(tmp)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  @DisplayName("every secret field of every connection kind has a canary body in this test")
  void everySecretFieldHasACanary() {
    List<String> missing = new ArrayList<>();
    for (String key : secretFields()) {
      if (!BODIES.containsKey(key)) {
        missing.add(
            "secret field \""
                + key
                + "\" has no canary: add to CanaryTest.BODIES an entry putting a canary into it");
      }
    }
    assertThat(missing).as(String.join("\n", missing)).isEmpty();
    assertThat(BODIES.keySet())
        .as("entries for fields no longer secret")
        .isSubsetOf(secretFields());
  }

  List<String> secretFields() {
    List<String> out = new ArrayList<>();
    for (ConnectionKind k : ConnectionKind.values()) {
      for (FieldSpec f : ConnectionTypes.of(k).fields()) {
        if (f.secret()) {
          out.add(k.kind() + "/" + k.authorizationType() + " " + f.name());
        }
      }
    }
    return out;
  }

  @Test
  @DisplayName(
      "after every route and bad inputs carrying them, no canary (nor its base64) is in any"
          + " response, audit record, log line, console line or the raw database files")
  void noCanaryIsEverSeenAgain() throws Exception {
    handOverSecrets();
    exerciseEveryRoute();
    sendBadInputsCarryingSecrets();
    StringBuilder audit = new StringBuilder();
    String cursor = "";
    do {
      Harness.Response page = walker.send("GET", "/api/v1/audit?limit=500" + cursor, admin, null);
      assertThat(page.status()).as("%s", page).isEqualTo(200);
      audit.append(page.body());
      String next = page.json().path("nextCursor").asText("");
      cursor = next.isEmpty() ? null : "&cursor=" + next;
    } while (cursor != null);
    assertThat(audit).contains("connection.create", "lease.issue", "lease.renew");
    responses.add("GET /api/v1/audit (every page) → " + audit);

    List<String> found = new ArrayList<>();
    for (int i = 0; i < responses.size(); i++) {
      String text = responses.get(i);
      scan("the response to " + text.substring(0, Math.max(0, text.indexOf(" → "))), text, found);
    }
    scan("log", logs.text(), found);
    String console = h.consoleText().replace(admin, "<the admin token, printed once>");
    scan("console", console, found);
    h.server.stop();
    int scanned = 0;
    for (Path dir : storeFiles(h)) {
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path f : files.filter(Files::isRegularFile).toList()) {
          if (f.getFileName().toString().equals(SightlineServer.ADMIN_TOKEN_FILE)) {
            continue; // where the bootstrap admin token is meant to be (mode 0600)
          }
          scan(
              "file " + dir.relativize(f) + " under " + dir,
              new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1),
              found);
          scanned++;
        }
      }
    }
    assertThat(scanned).as("database files read").isPositive();
    assertThat(found).as(String.join("\n", found)).isEmpty();
    assertThat(canaries).hasSizeGreaterThanOrEqualTo(BODIES.size() + 6);
    assertThat(logs.text()).contains("DEBUG");
  }

  /** Creates the connections, tokens, trust and leases whose secrets become canaries. */
  void handOverSecrets() throws Exception {
    for (String role : List.of("reader", "user", "creator")) {
      Harness.Response t =
          walker.send(
              "POST",
              "/api/v1/tokens",
              admin,
              "{\"name\":\"t-" + role + "\",\"role\":\"" + role + "\"}");
      assertThat(t.status()).as("%s", t).isEqualTo(201);
      canaries.put("api token " + role, t.json().get("token").asText());
    }
    canaries.put("api token admin", admin);
    canaries.put("azurerm client secret", AzureFixture.SECRET);
    canaries.put("azurerm certificate private key", middleLine(az.certPem));
    int n = 0;
    for (var e : BODIES.entrySet()) {
      String canary = fresh(e.getKey().substring(e.getKey().indexOf(' ') + 1));
      ObjectNode body = e.getValue().apply(canary);
      String name = "canary-" + n++;
      body.put("name", name);
      if (!e.getKey().startsWith("azurerm")) {
        canaries.put(e.getKey(), canary);
      }
      Harness.Response r =
          walker.send("POST", "/api/v1/connections?timeout=10s", admin, body.toString());
      assertThat(r.status()).as("create %s: %s", e.getKey(), r).isEqualTo(201);
      record(r);
      connections.put(name, body);
    }
    // A kubeconfig whose credential is a client certificate: its private key is a canary.
    TestCa.Issued cert = az.kube.clientCertificate("canary-cert", "system:masters");
    canaries.put("kubeconfig client key", middleLine(cert.keyPem()));
    ObjectNode certBody =
        kubernetes("Kubeconfig")
            .put("name", "canary-cert")
            .put("kubeconfig", az.kube.kubeconfigForCertificate(cert));
    Harness.Response r =
        walker.send("POST", "/api/v1/connections?timeout=10s", admin, certBody.toString());
    assertThat(r.status()).as("%s", r).isEqualTo(201);
    record(r);
    connections.put("canary-cert", certBody);

    // A pipeline's ID token gets a lease; the lease's token and handle become canaries.
    r = walker.send("POST", "/api/v1/trust", admin, TrustApiTest.githubTrust(ci.issuer()));
    assertThat(r.status()).as("%s", r).isEqualTo(201);
    String provisioned = provisionedName();
    r =
        walker.send(
            "PUT",
            "/api/v1/connections/" + provisioned + "/pipeline-permissions",
            admin,
            "{\"allPipelines\":true}");
    assertThat(r.status()).as("%s", r).isEqualTo(200);
    String idToken = ci.token(TrustApiTest.SUB, TrustApiTest.AUD, TrustApiTest.GITHUB);
    canaries.put("pipeline ID token signature", idToken.substring(idToken.lastIndexOf('.') + 1));
    for (String bearer : List.of(idToken, canaries.get("api token user"))) {
      r = walker.send("POST", "/api/v1/leases", bearer, LeaseApiTest.body(provisioned, "web", 600));
      assertThat(r.status()).as("%s", r).isEqualTo(201);
      String id = r.json().get("id").asText();
      canaries.put("lease token " + id, r.json().get("token").asText());
      canaries.put("lease handle " + id, r.json().get("handle").asText());
      Harness.Response renewed =
          walker.send(
              "POST", "/api/v1/leases/" + id + "/renew", r.json().get("handle").asText(), "{}");
      assertThat(renewed.status()).as("%s", renewed).isEqualTo(200);
      canaries.put("renewed lease token " + id, renewed.json().get("token").asText());
    }
  }

  /** The AzureSubscription connection: provisioned, so it issues real leases. */
  String provisionedName() {
    return connections.entrySet().stream()
        .filter(e -> "AzureSubscription".equals(e.getValue().path("authorizationType").asText()))
        .map(Map.Entry::getKey)
        .findFirst()
        .orElseThrow();
  }

  /** Every route as admin, user and anonymous, once per connection where it names one. */
  void exerciseEveryRoute() throws Exception {
    List<String> routes = new ArrayList<>(walker.routes());
    // Deletes last, so the reads and updates still find what they act on.
    routes.sort((a, b) -> Boolean.compare(a.startsWith("DELETE "), b.startsWith("DELETE ")));
    String leaseId =
        canaries.keySet().stream()
            .filter(k -> k.startsWith("lease handle "))
            .findFirst()
            .orElseThrow()
            .substring("lease handle ".length());
    for (String key : routes) {
      String method = RouteWalker.method(key);
      String path = RouteWalker.path(key);
      List<String> names =
          path.contains("{name}") && path.startsWith("/api/v1/connections/")
              ? List.copyOf(connections.keySet())
              : List.of(path.startsWith("/api/v1/trust/") ? "github" : "absent");
      for (String name : names) {
        String url =
            RouteWalker.fill(
                path,
                Map.of(
                    "name",
                    name,
                    "id",
                    leaseId,
                    "resourceGroup",
                    AzureFixture.RG,
                    "cluster",
                    "aks1"),
                "absent");
        String body = null;
        if (RouteWalker.hasBody(method)) {
          body =
              key.equals("PUT /api/v1/connections/{name}") && connections.containsKey(name)
                  ? connections.get(name).toString()
                  : key.equals("POST /api/v1/connections/probe")
                      ? connections.get(provisionedName()).toString()
                      : "{}";
        }
        for (String bearer : List.of(admin, canaries.get("api token user"), "")) {
          Harness.Response r = walker.send(method, url, bearer.isEmpty() ? null : bearer, body);
          assertThat(r.status()).as("%s %s: %s", method, url, r).isLessThan(500);
          record(r);
        }
      }
    }
  }

  /** Bodies a user might get wrong, each carrying a secret; the 4xx must not echo it. */
  void sendBadInputsCarryingSecrets() throws Exception {
    String c = fresh("badinput");
    canaries.put("secret in bad input", c);
    List<String> bad =
        List.of(
            kubernetes("Kubeconfig").put("name", "bad-1").put("kubeconfig", "[" + c).toString(),
            kubernetes("Kubeconfig")
                .put("name", "bad-2")
                .put(
                    "kubeconfig",
                    az.kube.kubeconfigForToken(c).replace("    token: ", "    tokenFile: "))
                .toString(),
            kubernetes("ServiceAccount")
                .put("name", "bad-3")
                .put("serverUrl", "https://127.0.0.1:1")
                .put("secret", "data:\n  token: " + c)
                .toString(),
            kubernetes("ServiceAccount")
                .put("name", "bad-4")
                .put("serverUrl", c)
                .put("apiToken", c)
                .toString(),
            az.secretConnection("bad-5", c).put("tenantid", "not a tenant").toString(),
            "{\"name\":\"bad-6\",\"kind\":\"kubernetes\",\"apiToken\":\"" + c + "\"",
            "{\"name\":\"bad-7\",\"kind\":\"kubernetes\",\"authorizationType\":\"Kubeconfig\","
                + "\"kubeconfig\":{\"token\":\""
                + c
                + "\"}}");
    for (String body : bad) {
      for (String path :
          List.of("/api/v1/connections?timeout=5s", "/api/v1/connections/probe?timeout=5s")) {
        Harness.Response r = walker.send("POST", path, admin, body);
        assertThat(r.status()).as("%s with %s: %s", path, body, r).isBetween(200, 499);
        record(r);
      }
    }
    for (String token : List.of("slt_" + c, "slh_" + c, c, "eyJ" + c + ".eyJ" + c + "." + c)) {
      Harness.Response r = walker.send("GET", "/api/v1/me", token, null);
      assertThat(r.status()).isEqualTo(401);
      record(r);
    }
  }

  /** Keeps what a response showed: status line, headers and body. */
  void record(Harness.Response r) {
    responses.add(
        r.raw().request().method()
            + " "
            + r.raw().request().uri().getRawPath()
            + " → "
            + r.status()
            + " "
            + r.raw().headers().map()
            + "\n"
            + r.body());
  }

  /** Adds to {@code found} each canary (or its base64) that {@code text} holds. */
  void scan(String where, String text, List<String> found) {
    for (var e : canaries.entrySet()) {
      for (String form : forms(e.getValue())) {
        int at = text.indexOf(form);
        if (at >= 0) {
          int from = Math.max(0, at - 60);
          found.add(
              "the "
                  + e.getKey()
                  + (form.equals(e.getValue()) ? "" : " (base64)")
                  + " is in "
                  + where
                  + ": …"
                  + text.substring(from, Math.min(text.length(), at + 20)).replace('\n', ' ')
                  + "…");
          break;
        }
      }
    }
  }

  /** The value, and the part of its base64 (standard and URL-safe) fixed at each alignment. */
  static List<String> forms(String value) {
    List<String> out = new ArrayList<>(List.of(value));
    byte[] v = value.getBytes(StandardCharsets.UTF_8);
    for (Base64.Encoder enc : List.of(Base64.getEncoder(), Base64.getUrlEncoder())) {
      for (int shift = 0; shift < 3; shift++) {
        byte[] padded = new byte[shift + v.length];
        System.arraycopy(v, 0, padded, shift, v.length);
        String s = enc.encodeToString(padded);
        int start = shift == 0 ? 0 : 4;
        int end = s.length() - 4;
        if (end - start >= 12) {
          out.add(s.substring(start, end));
        }
      }
    }
    return out;
  }

  static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  /** A 64-character line from the middle of a PEM key: unique to that key. */
  static String middleLine(String pem) {
    String key = pem.substring(pem.indexOf("PRIVATE KEY-----"));
    String[] lines = key.split("\n");
    return lines[lines.length / 3].strip();
  }
}
