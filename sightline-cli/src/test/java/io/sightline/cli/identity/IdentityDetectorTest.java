package io.sightline.cli.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Identity detection against loopback fakes of GitHub Actions' and Azure Pipelines' token-request
 * endpoints, which hand out ID tokens signed by a test key.
 */
class IdentityDetectorTest {
  static RSAKey key;

  record Seen(String method, String query, String authorization) {}

  final List<Seen> seen = new CopyOnWriteArrayList<>();
  final Map<String, String> env = new HashMap<>();
  HttpServer server;
  String apiToken;
  @TempDir Path tmp;

  @BeforeAll
  static void keys() throws Exception {
    key = new RSAKeyGenerator(2048).keyID("test").generate();
  }

  static String idToken(String issuer, String subject, String audience) {
    try {
      SignedJWT jwt =
          new SignedJWT(
              new JWSHeader.Builder(JWSAlgorithm.RS256)
                  .keyID(key.getKeyID())
                  .type(JOSEObjectType.JWT)
                  .build(),
              new JWTClaimsSet.Builder()
                  .issuer(issuer)
                  .subject(subject)
                  .audience(audience)
                  .expirationTime(new Date(System.currentTimeMillis() + 300_000))
                  .build());
      jwt.sign(new RSASSASigner(key));
      return jwt.serialize();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    // GitHub Actions: GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=AUD, "bearer <request token>"
    server.createContext(
        "/_apis/pipelines/workflows/1/idtoken",
        ex -> {
          record(ex);
          Map<String, String> q = query(ex);
          if (!"bearer gh-request-token".equals(ex.getRequestHeaders().getFirst("Authorization"))
              || !"2.0".equals(q.get("api-version"))) {
            send(ex, 401, "{\"message\":\"bad request token\"}");
            return;
          }
          String jwt =
              idToken(
                  "https://token.actions.githubusercontent.com",
                  "repo:org/app:ref:refs/heads/main",
                  q.get("audience"));
          send(ex, 200, "{\"count\":1,\"value\":\"" + jwt + "\"}");
        });
    // Azure Pipelines: POST $SYSTEM_OIDCREQUESTURI?api-version=7.1&serviceConnectionId=ID
    server.createContext(
        "/org/_apis/distributedtask/hubs/build/plans/p1/jobs/j1/oidctoken",
        ex -> {
          record(ex);
          Map<String, String> q = query(ex);
          if (!ex.getRequestMethod().equals("POST")
              || !"Bearer system-access-token"
                  .equals(ex.getRequestHeaders().getFirst("Authorization"))
              || !"7.1".equals(q.get("api-version"))
              || q.get("serviceConnectionId") == null) {
            send(ex, 401, "{\"message\":\"TF400813\"}");
            return;
          }
          String jwt =
              idToken(
                  "https://vstoken.dev.azure.com/00000000-0000-0000-0000-00000000000a",
                  "sc://org/project/" + q.get("serviceConnectionId"),
                  "api://AzureADTokenExchange");
          send(ex, 200, "{\"oidcToken\":\"" + jwt + "\"}");
        });
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  String base() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  void record(HttpExchange ex) throws IOException {
    ex.getRequestBody().readAllBytes();
    seen.add(
        new Seen(
            ex.getRequestMethod(),
            ex.getRequestURI().getRawQuery(),
            ex.getRequestHeaders().getFirst("Authorization")));
  }

  static Map<String, String> query(HttpExchange ex) {
    Map<String, String> q = new LinkedHashMap<>();
    String raw = ex.getRequestURI().getRawQuery();
    if (raw != null) {
      for (String p : raw.split("&")) {
        String[] kv = p.split("=", 2);
        q.put(
            URLDecoder.decode(kv[0], StandardCharsets.UTF_8),
            kv.length > 1 ? URLDecoder.decode(kv[1], StandardCharsets.UTF_8) : "");
      }
    }
    return q;
  }

  static void send(HttpExchange ex, int status, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.sendResponseHeaders(status, b.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(b);
    }
  }

  PipelineIdentity detect(String idTokenFile, String audience, String azureConnection) {
    return new IdentityDetector(env, () -> apiToken)
        .detect(new IdentityDetector.Options(idTokenFile, audience, azureConnection));
  }

  static SignedJWT verified(PipelineIdentity id) throws Exception {
    SignedJWT jwt = SignedJWT.parse(id.token().reveal());
    assertThat(jwt.verify(new RSASSAVerifier(key.toRSAPublicKey()))).isTrue();
    return jwt;
  }

  @Test
  @DisplayName("GitHub Actions: the ID token is requested for the audience with the request token")
  void gitHub() throws Exception {
    env.put(
        "ACTIONS_ID_TOKEN_REQUEST_URL",
        base() + "/_apis/pipelines/workflows/1/idtoken?api-version=2.0");
    env.put("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "gh-request-token");
    apiToken = "slt_also_present_but_second";
    PipelineIdentity id = detect(null, "https://sightline.example", null);
    assertThat(id.idToken()).isTrue();
    assertThat(id.source())
        .isEqualTo("GitHub Actions ID token (audience https://sightline.example)")
        .doesNotContain(id.token().reveal());
    SignedJWT jwt = verified(id);
    assertThat(jwt.getJWTClaimsSet().getAudience()).containsExactly("https://sightline.example");
    assertThat(jwt.getJWTClaimsSet().getSubject()).isEqualTo("repo:org/app:ref:refs/heads/main");
    assertThat(seen).singleElement().extracting(Seen::method).isEqualTo("GET");
  }

  @Test
  @DisplayName("GitHub Actions without id-token permission: the refusal says what to add")
  void gitHubRefused() {
    env.put(
        "ACTIONS_ID_TOKEN_REQUEST_URL",
        base() + "/_apis/pipelines/workflows/1/idtoken?api-version=2.0");
    env.put("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "wrong");
    assertThatThrownBy(() -> detect(null, "sightline", null))
        .isInstanceOf(IdentityException.class)
        .hasMessageContaining("HTTP 401")
        .hasMessageContaining("permissions: id-token: write")
        .hasMessageNotContaining("wrong");
  }

  @Test
  @DisplayName("Azure Pipelines: the ID token is requested by POST for the service connection")
  void azurePipelines() throws Exception {
    env.put(
        "SYSTEM_OIDCREQUESTURI",
        base() + "/org/_apis/distributedtask/hubs/build/plans/p1/jobs/j1/oidctoken");
    env.put("SYSTEM_ACCESSTOKEN", "system-access-token");
    PipelineIdentity id = detect(null, "ignored", "c0ffee00-1111-4222-8333-444455556666");
    assertThat(id.source())
        .contains("Azure Pipelines")
        .contains("c0ffee00-1111-4222-8333-444455556666");
    SignedJWT jwt = verified(id);
    assertThat(jwt.getJWTClaimsSet().getSubject())
        .isEqualTo("sc://org/project/c0ffee00-1111-4222-8333-444455556666");
    assertThat(jwt.getJWTClaimsSet().getAudience()).containsExactly("api://AzureADTokenExchange");
    assertThat(seen.get(0).query())
        .isEqualTo("api-version=7.1&serviceConnectionId=c0ffee00-1111-4222-8333-444455556666");
  }

  @Test
  @DisplayName("Azure Pipelines without --azure-devops-service-connection: the message names it")
  void azureNeedsServiceConnection() {
    env.put("SYSTEM_OIDCREQUESTURI", base() + "/x");
    env.put("SYSTEM_ACCESSTOKEN", "system-access-token");
    assertThatThrownBy(() -> detect(null, "sightline", null))
        .isInstanceOf(IdentityException.class)
        .hasMessageContaining("--azure-devops-service-connection");
    assertThat(seen).isEmpty();
  }

  @Test
  @DisplayName("GitLab: the ID token comes from $SIGHTLINE_ID_TOKEN")
  void gitLab() {
    String jwt =
        idToken(
            "https://gitlab.example", "project_path:g/app:ref_type:branch:ref:main", "sightline");
    env.put("SIGHTLINE_ID_TOKEN", jwt + "\n");
    PipelineIdentity id = detect(null, "sightline", null);
    assertThat(id.token().reveal()).isEqualTo(jwt);
    assertThat(id.source()).contains("GitLab");
  }

  @Test
  @DisplayName("--id-token-file wins over the CI's own identity")
  void file() throws Exception {
    env.put("SIGHTLINE_ID_TOKEN", "from-env");
    String jwt = idToken("https://issuer.example", "me", "sightline");
    Path f = tmp.resolve("id-token");
    Files.writeString(f, jwt + "\n");
    PipelineIdentity id = detect(f.toString(), "sightline", null);
    assertThat(id.token().reveal()).isEqualTo(jwt);
    assertThat(id.source()).isEqualTo("ID token from " + f);
  }

  @Test
  @DisplayName("outside CI the Sightline API token is used")
  void apiToken() {
    apiToken = "slt_api_token_123456";
    env.put("SIGHTLINE_TOKEN", apiToken);
    PipelineIdentity id = detect(null, "sightline", null);
    assertThat(id.idToken()).isFalse();
    assertThat(id.source()).isEqualTo("Sightline API token from $SIGHTLINE_TOKEN");
  }
}
