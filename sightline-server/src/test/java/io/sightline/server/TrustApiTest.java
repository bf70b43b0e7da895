package io.sightline.server;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import io.sightline.server.trust.IdTokenVerifier;
import io.sightline.store.Stores;
import io.sightline.testing.kube.FakeKubeApiServer;
import io.sightline.testing.oidc.FakeOidcIssuer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Pipelines authenticating with their CI's OIDC ID token: trusted issuers, verification against a
 * real issuer over loopback HTTPS (discovery + JWKS), and connections' pipeline permissions.
 */
class TrustApiTest {
  static final String AUD = "https://sightline.example.com";
  static final String SUB = "repo:org/app:ref:refs/heads/main";
  static final Map<String, Object> GITHUB =
      Map.of(
          "repository", "org/app",
          "ref", "refs/heads/main",
          "job_workflow_ref", "org/app/.github/workflows/deploy.yml@refs/heads/main",
          "run_id", "4711",
          "actor", "octocat");

  @TempDir Path tmp;
  Harness h;
  FakeKubeApiServer kube;
  FakeOidcIssuer ci;
  FakeOidcIssuer entra;
  String admin;
  String creator;
  String user;
  Level previousLevel;

  @BeforeEach
  void start() throws Exception {
    kube = FakeKubeApiServer.builder().version("1.30").start();
    ci = FakeOidcIssuer.start();
    entra = FakeOidcIssuer.start("/tenant-1/v2.0");
    Path bundle = tmp.resolve("issuers-ca.pem");
    Files.writeString(bundle, ci.caPem() + entra.caPem(), StandardCharsets.UTF_8);
    h = new Harness(tmp);
    h.opener = Stores::open;
    h.flags.put(ServerConfig.PROBE_RATE, "10000");
    h.flags.put(ServerConfig.TRUST_CA_FILE, bundle.toString());
    h.clock.advance(Duration.between(h.clock.instant(), Instant.now()));
    h.start();
    var verifierLog =
        ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger(IdTokenVerifier.class);
    previousLevel = verifierLog.getLevel();
    verifierLog.setLevel(Level.DEBUG);
    admin = h.adminToken();
    creator = h.token("creator");
    user = h.token("user");
    Harness.Response r =
        post(
            "/api/v1/connections?timeout=10s",
            creator,
            ConnectionProvisioningTest.azureBody("prod", kube.adminKubeconfig(), "web").toString());
    assertThat(r.status()).as("%s", r).isEqualTo(201);
    Harness.Response t = post("/api/v1/trust", admin, githubTrust(ci.issuer()));
    assertThat(t.status()).as("%s", t).isEqualTo(201);
  }

  @AfterEach
  void stop() {
    ((LoggerContext) LoggerFactory.getILoggerFactory())
        .getLogger(IdTokenVerifier.class)
        .setLevel(previousLevel);
    h.close();
    kube.close();
    ci.close();
    entra.close();
  }

  static String githubTrust(String issuer) {
    ObjectNode b = Harness.JSON.createObjectNode();
    b.put("name", "github").put("preset", "github").put("issuer", issuer);
    b.putArray("audiences").add(AUD);
    return b.toString();
  }

  Harness.Response post(String path, String token, String body) throws Exception {
    return send("POST", path, token, body);
  }

  Harness.Response send(String method, String path, String token, String body) throws Exception {
    return h.send(
        h.req(path, token)
            .timeout(Duration.ofSeconds(60))
            .header("Content-Type", "application/json")
            .method(method, HttpRequest.BodyPublishers.ofString(body))
            .build());
  }

  Harness.Response lease(String token) throws Exception {
    return post("/api/v1/leases", token, LeaseApiTest.body("prod", "web", null));
  }

  void permit(String body) throws Exception {
    Harness.Response r =
        send("PUT", "/api/v1/connections/prod/pipeline-permissions", creator, body);
    assertThat(r.status()).as("%s", r).isEqualTo(200);
  }

  String audit(String action) throws Exception {
    Harness.Response r = h.get("/api/v1/audit?action=" + action + "&limit=100", admin);
    assertThat(r.status()).as("%s", r).isEqualTo(200);
    return r.body();
  }

  Object[] whoami(String token) throws Exception {
    HttpClient kubeHttp = HttpClient.newBuilder().sslContext(kube.sslContext()).build();
    HttpResponse<String> r =
        kubeHttp.send(
            HttpRequest.newBuilder(
                    URI.create(kube.url() + "/apis/authentication.k8s.io/v1/selfsubjectreviews"))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"SelfSubjectReview\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    return new Object[] {
      r.statusCode(),
      r.statusCode() < 300
          ? Harness.JSON.readTree(r.body()).at("/status/userInfo/username").asText()
          : null
    };
  }

  /** Asserts a plain 401 and one DEBUG line with {@code reason}, never the token. */
  void assertRefused(String token, String reason) throws Exception {
    try (LogCapture logs = new LogCapture()) {
      Harness.Response r = lease(token);
      assertThat(r.status()).as("%s", r).isEqualTo(401);
      assertThat(r.json().get("detail").asText()).doesNotContain(reason);
      assertThat(logs.text()).contains("ID token refused: ").contains(reason);
      assertThat(logs.text()).doesNotContain(token).doesNotContain(token.split("\\.")[1]);
    }
  }

  JWTClaimsSet claims(String sub, String aud, Map<String, Object> extra) {
    return ci.claims(sub, aud, extra);
  }

  @Test
  @DisplayName(
      "a permitted pipeline's ID token gets a lease for the deployer; lease and audit name the"
          + " identity, never the ID token")
  void acceptedTokenGetsALease() throws Exception {
    permit("{\"pipelines\":[\"github:org/app@refs/heads/main\"]}");
    String idToken = ci.token(SUB, AUD, GITHUB);
    Harness.Response r = lease(idToken);
    assertThat(r.status()).as("%s", r).isEqualTo(201);
    String id = r.json().get("id").asText();
    String token = r.json().get("token").asText();
    assertThat((String) whoami(token)[1]).startsWith("system:serviceaccount:sightline-prod:");

    JsonNode view = h.get("/api/v1/leases/" + id, admin).json();
    assertThat(view.get("principal").asText()).isEqualTo("github:org/app@refs/heads/main");
    JsonNode pid = view.get("pipelineIdentity");
    assertThat(pid.get("trust").asText()).isEqualTo("github");
    assertThat(pid.get("issuer").asText()).isEqualTo(ci.issuer());
    assertThat(pid.get("subject").asText()).isEqualTo(SUB);
    assertThat(pid.get("identity").asText()).isEqualTo("github:org/app@refs/heads/main");
    assertThat(pid.at("/claims/repository").asText()).isEqualTo("org/app");
    assertThat(pid.at("/claims/ref").asText()).isEqualTo("refs/heads/main");
    assertThat(pid.at("/claims/run_id").asText()).isEqualTo("4711");
    assertThat(pid.at("/claims/job_workflow_ref").asText())
        .isEqualTo("org/app/.github/workflows/deploy.yml@refs/heads/main");

    String issued = audit("lease.issue");
    assertThat(issued)
        .contains(id)
        .contains("\"actor\":\"github:org/app@refs/heads/main\"")
        .contains("\"subject\":\"" + SUB + "\"")
        .contains("4711");
    String everything = h.get("/api/v1/audit?limit=1000", admin).body();
    assertThat(everything).doesNotContain(idToken).doesNotContain(idToken.split("\\.")[2]);

    // the lease's handle (not the ID token) revokes it
    Harness.Response revoke =
        h.send(h.req("/api/v1/leases/" + id, r.json().get("handle").asText()).DELETE().build());
    assertThat(revoke.status()).as("%s", revoke).isEqualTo(204);
  }

  @Test
  @DisplayName("an ID token is accepted only to issue a lease: elsewhere it gets a plain 401")
  void idTokenOnlyIssuesLeases() throws Exception {
    permit("{\"allPipelines\":true}");
    String idToken = ci.token(SUB, AUD, GITHUB);
    assertThat(h.get("/api/v1/leases", idToken).status()).isEqualTo(401);
    assertThat(h.get("/api/v1/connections", idToken).status()).isEqualTo(401);
    assertThat(lease(idToken).status()).isEqualTo(201);
  }

  @Test
  @DisplayName(
      "expired, not-yet-valid, wrong-audience, unknown-issuer, unsigned, HS256 and forged tokens"
          + " get a plain 401 with the reason in the DEBUG log")
  void refusedTokens() throws Exception {
    permit("{\"allPipelines\":true}");
    Instant now = Instant.now();
    JWTClaimsSet expired =
        new JWTClaimsSet.Builder(claims(SUB, AUD, GITHUB))
            .issueTime(Date.from(now.minusSeconds(900)))
            .notBeforeTime(Date.from(now.minusSeconds(900)))
            .expirationTime(Date.from(now.minusSeconds(600)))
            .build();
    assertRefused(FakeOidcIssuer.sign(ci.currentKey(), JWSAlgorithm.RS256, expired), "expired at");
    JWTClaimsSet early =
        new JWTClaimsSet.Builder(claims(SUB, AUD, GITHUB))
            .notBeforeTime(Date.from(now.plusSeconds(600)))
            .build();
    assertRefused(
        FakeOidcIssuer.sign(ci.currentKey(), JWSAlgorithm.RS256, early), "not valid before");
    assertRefused(ci.token(SUB, "https://someone-else.example", GITHUB), "wrong audience");
    assertRefused(entra.token(SUB, AUD, GITHUB), "unknown issuer " + entra.issuer());
    assertRefused(FakeOidcIssuer.unsigned(claims(SUB, AUD, GITHUB)), "unsigned");
    assertRefused(
        FakeOidcIssuer.signHs256(
            ci.currentKey().toRSAPublicKey().getEncoded(), "key-1", claims(SUB, AUD, GITHUB)),
        "algorithm HS256 is not allowed");
    RSAKey forger = FakeOidcIssuer.newRsaKey(ci.currentKey().getKeyID());
    assertRefused(
        FakeOidcIssuer.sign(forger, JWSAlgorithm.RS256, claims(SUB, AUD, GITHUB)), "bad signature");
    assertRefused(ci.token(SUB, AUD, Map.of("ref", "refs/heads/main")), "repository and ref");
    assertThat(lease(ci.token(SUB, AUD, GITHUB)).status()).isEqualTo(201);
  }

  @Test
  @DisplayName(
      "an unknown kid is refused after one rate-limited JWKS refetch; after the issuer rotates its"
          + " key the refetch finds the new one")
  void keyRotation() throws Exception {
    permit("{\"allPipelines\":true}");
    assertThat(lease(ci.token(SUB, AUD, GITHUB)).status()).isEqualTo(201);
    int fetched = ci.jwksRequests();
    assertThat(fetched).isEqualTo(1);
    // cached: a second token costs no fetch
    assertThat(lease(ci.token(SUB, AUD, GITHUB)).status()).isEqualTo(201);
    assertThat(ci.jwksRequests()).isEqualTo(1);

    RSAKey stranger = FakeOidcIssuer.newRsaKey("stranger");
    String unknownKid = FakeOidcIssuer.sign(stranger, JWSAlgorithm.RS256, claims(SUB, AUD, GITHUB));
    assertRefused(unknownKid, "unknown kid stranger");
    assertThat(ci.jwksRequests()).as("one refetch for the unknown kid").isEqualTo(2);
    assertRefused(unknownKid, "unknown kid stranger");
    assertThat(ci.jwksRequests()).as("no second refetch within the rate limit").isEqualTo(2);

    // the issuer rotates; once the rate limit lets a refetch through, the new key is found
    ci.rotate("key-2");
    h.clock.advance(Duration.ofSeconds(SightlineServer.JWKS_MIN_REFETCH_SECONDS + 1));
    Harness.Response r = lease(ci.token(SUB, AUD, GITHUB));
    assertThat(r.status()).as("%s", r).isEqualTo(201);
    assertThat(ci.jwksRequests()).isEqualTo(3);
  }

  @Test
  @DisplayName(
      "a pipeline the connection does not permit gets 403 naming the connection and the identity,"
          + " and the refusal is audited")
  void pipelineWithoutPermission() throws Exception {
    Harness.Response shown = h.get("/api/v1/connections/prod", user);
    assertThat(shown.json().get("pipelinePermissions").toString())
        .isEqualTo("{\"allPipelines\":false,\"pipelines\":[]}");
    String idToken = ci.token(SUB, AUD, GITHUB);
    Harness.Response r = lease(idToken);
    assertThat(r.status()).as("%s", r).isEqualTo(403);
    assertThat(r.json().get("code").asText()).isEqualTo("PIPELINE_NOT_PERMITTED");
    assertThat(r.json().get("detail").asText())
        .contains("connection prod")
        .contains("github:org/app@refs/heads/main");
    assertThat(audit("lease.refused")).contains("PIPELINE_NOT_PERMITTED").contains(SUB);

    // a pattern for another branch does not help; a glob for the repository's branches does
    permit("{\"pipelines\":[\"github:org/app@refs/heads/release\"]}");
    assertThat(lease(ci.token(SUB, AUD, GITHUB)).status()).isEqualTo(403);
    Harness.Response patched =
        send(
            "PATCH",
            "/api/v1/connections/prod/pipeline-permissions",
            creator,
            "{\"add\":[\"github:org/*@refs/heads/**\"]}");
    assertThat(patched.status()).as("%s", patched).isEqualTo(200);
    assertThat(patched.json().get("pipelines").toString())
        .isEqualTo("[\"github:org/app@refs/heads/release\",\"github:org/*@refs/heads/**\"]");
    assertThat(lease(ci.token(SUB, AUD, GITHUB)).status()).isEqualTo(201);
    assertThat(audit("connection.pipeline-permissions")).contains("github:org/*@refs/heads/**");
    // API tokens go by role, whatever the pipeline permissions say
    permit("{\"pipelines\":[]}");
    assertThat(lease(user).status()).isEqualTo(201);
  }

  @Test
  @DisplayName(
      "pipeline permissions govern azurerm targets too: 403 until the azurerm connection permits"
          + " the pipeline")
  void azurermTargetNeedsPermission() throws Exception {
    try (AzureFixture az = new AzureFixture(Files.createDirectories(tmp.resolve("azure")))) {
      Harness.Response c =
          post(
              "/api/v1/connections",
              creator,
              az.secretConnection("arm", AzureFixture.SECRET).toString());
      assertThat(c.status()).as("%s", c).isEqualTo(201);
      ObjectNode body = Harness.JSON.createObjectNode();
      ObjectNode t = body.putObject("target");
      t.put("azureConnection", "arm");
      t.put("resourceGroup", AzureFixture.RG);
      t.put("cluster", "aks1");
      t.put("namespace", "default");

      Harness.Response refused =
          post("/api/v1/leases", ci.token(SUB, AUD, GITHUB), body.toString());
      assertThat(refused.status()).as("%s", refused).isEqualTo(403);
      assertThat(refused.json().get("code").asText()).isEqualTo("PIPELINE_NOT_PERMITTED");
      assertThat(refused.json().get("detail").asText())
          .contains("connection arm")
          .contains("github:org/app@refs/heads/main");

      Harness.Response p =
          send(
              "PUT",
              "/api/v1/connections/arm/pipeline-permissions",
              creator,
              "{\"pipelines\":[\"github:org/app@refs/heads/main\"]}");
      assertThat(p.status()).as("%s", p).isEqualTo(200);
      Harness.Response ok = post("/api/v1/leases", ci.token(SUB, AUD, GITHUB), body.toString());
      assertThat(ok.status()).as("%s", ok).isEqualTo(201);
      assertThat(ok.json().get("credential").asText()).isEqualTo("entra");
    }
  }

  @Test
  @DisplayName(
      "pipeline permissions can be given when a connection is created, and bad ones are 400")
  void permissionsOnCreate() throws Exception {
    ObjectNode b = ConnectionProvisioningTest.azureBody("staging", kube.adminKubeconfig(), "web");
    b.putObject("pipelinePermissions").putArray("pipelines").add("github:org/app@**");
    Harness.Response r = post("/api/v1/connections?verify=false", creator, b.toString());
    assertThat(r.status()).as("%s", r).isEqualTo(201);
    assertThat(r.json().get("pipelinePermissions").get("pipelines").get(0).asText())
        .isEqualTo("github:org/app@**");

    ObjectNode bad = ConnectionProvisioningTest.azureBody("qa", kube.adminKubeconfig(), "web");
    bad.putObject("pipelinePermissions").putArray("pipelines").add("org/app");
    Harness.Response refused = post("/api/v1/connections?verify=false", creator, bad.toString());
    assertThat(refused.status()).isEqualTo(400);
    assertThat(refused.json().get("field").asText()).isEqualTo("pipelinePermissions.pipelines");
    assertThat(h.get("/api/v1/connections/qa", user).status()).isEqualTo(404);

    Harness.Response viaUpdate =
        send(
            "PUT",
            "/api/v1/connections/staging?verify=false",
            creator,
            "{\"kind\":\"kubernetes\",\"authorizationType\":\"AzureSubscription\","
                + "\"pipelinePermissions\":{\"allPipelines\":true}}");
    assertThat(viaUpdate.status()).as("%s", viaUpdate).isEqualTo(400);
    assertThat(viaUpdate.json().get("code").asText()).isEqualTo("USE_PIPELINE_PERMISSIONS_ROUTE");

    Harness.Response both =
        send(
            "PUT",
            "/api/v1/connections/prod/pipeline-permissions",
            creator,
            "{\"allPipelines\":true,\"pipelines\":[\"github:org/app@**\"]}");
    assertThat(both.status()).isEqualTo(400);
    assertThat(
            send(
                    "PUT",
                    "/api/v1/connections/prod/pipeline-permissions",
                    user,
                    "{\"allPipelines\":true}")
                .status())
        .as("role creator needed")
        .isEqualTo(403);
  }

  @Test
  @DisplayName(
      "an azure-devops trust on an Entra issuer must pin the subject prefix; pinned, it maps the"
          + " service connection and refuses other organizations")
  void azureDevOpsEntraIssuerNeedsASubjectPin() throws Exception {
    ObjectNode b = Harness.JSON.createObjectNode();
    b.put("name", "ado").put("preset", "azure-devops").put("issuer", entra.issuer());
    Harness.Response refused = post("/api/v1/trust", admin, b.toString());
    assertThat(refused.status()).as("%s", refused).isEqualTo(400);
    assertThat(refused.json().get("code").asText()).isEqualTo("SUBJECT_PIN_REQUIRED");
    assertThat(refused.json().get("field").asText()).isEqualTo("subjectPrefix");
    assertThat(refused.json().get("detail").asText())
        .contains("every Azure DevOps organization")
        .contains("/eid1/c/pub/t/<tenant>/a/<app>/sc/<organization id>/");
    b.put("subjectPrefix", "/eid1/c/pub/t/tenant-1");
    assertThat(post("/api/v1/trust", admin, b.toString()).status())
        .as("a prefix short of the organization does not pin")
        .isEqualTo(400);

    String prefix = "/eid1/c/pub/t/tenant-1/a/app-1/sc/org-1/";
    b.put("subjectPrefix", prefix);
    Harness.Response ok = post("/api/v1/trust", admin, b.toString());
    assertThat(ok.status()).as("%s", ok).isEqualTo(201);
    assertThat(ok.json().get("audiences").toString()).isEqualTo("[\"api://AzureADTokenExchange\"]");

    ObjectNode vstoken = Harness.JSON.createObjectNode();
    vstoken
        .put("name", "ado-legacy")
        .put("preset", "azure-devops")
        .put("issuer", "https://vstoken.dev.azure.com/3f0c1a7e-org");
    assertThat(post("/api/v1/trust", admin, vstoken.toString()).status())
        .as("the vstoken issuer is per organization: no pin needed")
        .isEqualTo(201);

    permit("{\"pipelines\":[\"ado:org-1/*\"]}");
    String aud = "api://AzureADTokenExchange";
    Harness.Response r = lease(entra.token(prefix + "conn-9", aud, Map.of()));
    assertThat(r.status()).as("%s", r).isEqualTo(201);
    JsonNode view = h.get("/api/v1/leases/" + r.json().get("id").asText(), admin).json();
    assertThat(view.at("/pipelineIdentity/identity").asText()).isEqualTo("ado:org-1/conn-9");
    assertRefused(
        entra.token("/eid1/c/pub/t/tenant-1/a/app-1/sc/org-2/conn-9", aud, Map.of()),
        "does not start with " + prefix);
  }

  @Test
  @DisplayName("trust routes are admin-only and refuse bad input naming the field")
  void trustRoutes() throws Exception {
    assertThat(post("/api/v1/trust", creator, githubTrust("https://x.example")).status())
        .isEqualTo(403);
    Harness.Response dup = post("/api/v1/trust", admin, githubTrust(ci.issuer()));
    assertThat(dup.status()).isEqualTo(409);

    record Bad(String body, String field) {}
    for (Bad bad :
        List.of(
            new Bad("{\"preset\":\"jenkins\",\"audiences\":[\"a\"]}", "preset"),
            new Bad(
                "{\"name\":\"gl\",\"preset\":\"gitlab\",\"issuer\":\"http://gitlab.example\","
                    + "\"audiences\":[\"a\"]}",
                "issuer"),
            new Bad("{\"name\":\"gl\",\"preset\":\"gitlab\"}", "audiences"),
            new Bad("{\"name\":\"Bad Name\",\"preset\":\"gitlab\",\"audiences\":[\"a\"]}", "name"),
            new Bad("{\"name\":\"gen\",\"preset\":\"generic\",\"audiences\":[\"a\"]}", "issuer"))) {
      Harness.Response r = post("/api/v1/trust", admin, bad.body());
      assertThat(r.status()).as("%s -> %s", bad.body(), r).isEqualTo(400);
      assertThat(r.json().get("field").asText()).isEqualTo(bad.field());
    }

    assertThat(h.get("/api/v1/trust", user).status()).as("admin only").isEqualTo(403);
    JsonNode list = h.get("/api/v1/trust", admin).json();
    assertThat(list.get("items").get(0).get("identity").asText())
        .isEqualTo("github:<repository>@<ref>");
    assertThat(h.delete("/api/v1/trust/github", creator).status()).isEqualTo(403);
    assertThat(h.delete("/api/v1/trust/github", admin).status()).isEqualTo(204);
    assertThat(h.delete("/api/v1/trust/github", admin).status()).isEqualTo(404);
    assertThat(audit("trust.remove")).contains("trust/github");
    permit("{\"allPipelines\":true}");
    assertThat(lease(ci.token(SUB, AUD, GITHUB)).status()).as("no longer trusted").isEqualTo(401);
  }
}
