package io.sightline.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.sightline.api.probe.ProbeResult;
import io.sightline.connections.ClusterOperations;
import io.sightline.connections.LocalClusterOperations;
import io.sightline.connections.agent.AgentClient;
import io.sightline.connections.agent.AgentCrypto;
import io.sightline.connections.agent.AgentIdentity;
import io.sightline.connections.agent.AgentWorker;
import io.sightline.connections.agent.JobCodec;
import io.sightline.kubernetes.ClusterAccess;
import io.sightline.kubernetes.EgressPolicy;
import io.sightline.kubernetes.ProbeOptions;
import io.sightline.kubernetes.mint.MintRequest;
import io.sightline.kubernetes.mint.MintedToken;
import io.sightline.kubernetes.provision.DeprovisionResult;
import io.sightline.kubernetes.provision.ProvisionResult;
import io.sightline.kubernetes.provision.ProvisionSpec;
import io.sightline.server.http.ApiRoute;
import io.sightline.store.Stores;
import io.sightline.store.internal.JdbiStore;
import io.sightline.testing.kube.FakeKubeApiServer;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Agents (issue 9), with agents running in-process against a server that may not reach the emulated
 * cluster (egress deny for 127.0.0.0/8 in the server's config; the agents have no such rule).
 */
class AgentApiTest {
  static FakeKubeApiServer kube;

  @TempDir Path tmp;
  Harness h;
  String admin;
  String creator;
  String user;
  final List<AutoCloseable> agents = new ArrayList<>();

  @BeforeAll
  static void cluster() {
    kube = FakeKubeApiServer.builder().version("1.30").start();
  }

  @AfterAll
  static void stopCluster() {
    kube.close();
  }

  @BeforeEach
  void start() throws Exception {
    h = new Harness(tmp);
    h.opener = Stores::open;
    h.clock.useSystemTime();
    h.flags.put(ServerConfig.PROBE_RATE, "10000");
    h.flags.put(ServerConfig.EGRESS_DENY, "127.0.0.0/8");
    configure(h);
    h.start();
    admin = h.adminToken();
    creator = h.token("creator");
    user = h.token("user");
  }

  /** Where subclasses choose the store (AgentPostgresIT: PostgreSQL); H2 here. */
  void configure(Harness h) throws Exception {}

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable a : agents) {
      a.close();
    }
    h.close();
  }

  String registrationToken(String pool) throws Exception {
    Harness.Response r =
        h.post("/api/v1/agent-pools/" + pool + "/registration-tokens", admin, "{}");
    assertThat(r.status()).as("%s", r).isEqualTo(201);
    assertThat(r.json().get("token").asText()).startsWith("slr_");
    return r.json().get("token").asText();
  }

  AgentClient agent(String pool, String name, ClusterOperations ops, AgentIdentity identity)
      throws Exception {
    Path state = tmp.resolve("agent-" + name);
    Path tokenFile = tmp.resolve(name + ".token");
    Files.writeString(tokenFile, registrationToken(pool));
    AgentClient a =
        new AgentClient(
            new AgentClient.Settings(
                URI.create(h.server.url()),
                pool,
                name,
                state,
                tokenFile,
                2,
                Duration.ofSeconds(2),
                Duration.ofSeconds(1),
                "test"),
            new AgentWorker(ops, identity));
    agents.add(a);
    a.start();
    return a;
  }

  AgentClient agent(String pool, String name) throws Exception {
    LocalClusterOperations ops = new LocalClusterOperations(EgressPolicy.defaults());
    agents.add(ops);
    return agent(pool, name, ops, null);
  }

  static ObjectNode azureBody(String name, String pool, String... namespaces) {
    ObjectNode b = Harness.JSON.createObjectNode();
    b.put("name", name).put("kind", "kubernetes").put("authorizationType", "AzureSubscription");
    b.put("adminKubeconfig", kube.adminKubeconfig());
    var ns = b.putArray("namespaces");
    for (String n : namespaces) {
      ns.add(n);
    }
    b.put("createNamespace", true);
    if (pool != null) {
      b.putObject("via").put("pool", pool);
    }
    return b;
  }

  Harness.Response lease(String connection, String namespace) throws Exception {
    ObjectNode b = Harness.JSON.createObjectNode();
    b.putObject("target").put("connection", connection).put("namespace", namespace);
    return h.send(
        h.req("/api/v1/leases", user)
            .timeout(Duration.ofSeconds(60))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(b.toString()))
            .build());
  }

  @Test
  @DisplayName(
      "a cluster the server may not reach is verified, listed, provisioned, minted for and revoked"
          + " through an agent of the connection's pool")
  void clusterOperationsRunThroughTheAgent() throws Exception {
    Harness.Response direct =
        h.post(
            "/api/v1/connections/probe?timeout=5s",
            creator,
            azureBody("direct", null, "web")
                .put("authorizationType", "Kubeconfig")
                .toString()
                .replace("adminKubeconfig", "kubeconfig")
                .replace(",\"namespaces\":[\"web\"],\"createNamespace\":true", ""));
    assertThat(direct.json().at("/diagnosis/code").asText())
        .as("the server itself may not dial the cluster: %s", direct)
        .isEqualTo("EGRESS_DENIED");

    AgentClient a = agent("private", "agent-1");
    Path keys = tmp.resolve("agent-agent-1").resolve(AgentClient.KEYS_FILE);
    assertThat(Files.getPosixFilePermissions(keys))
        .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
    Harness.Response listed = h.get("/api/v1/agents?pool=private", admin);
    assertThat(listed.json().at("/items/0/name").asText()).isEqualTo("agent-1");
    assertThat(listed.json().at("/items/0/status").asText()).isEqualTo("online");
    assertThat(listed.json().at("/items/0/id").asText()).isEqualTo(a.agentId());

    Harness.Response created =
        h.send(
            h.req("/api/v1/connections?timeout=10s", creator)
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        azureBody("prod", "private", "web").toString()))
                .build());
    assertThat(created.status()).as("%s", created).isEqualTo(201);
    assertThat(created.json().get("homeNamespace").asText()).isEqualTo("sightline-prod");
    assertThat(created.json().at("/via/pool").asText()).isEqualTo("private");
    assertThat(kube.getObject("v1", "ServiceAccount", "sightline-prod", "sightline-minter"))
        .isNotNull();

    Harness.Response verify = h.post("/api/v1/connections/prod/verify", user, "");
    assertThat(verify.json().get("ok").asBoolean()).as("%s", verify).isTrue();
    assertThat(verify.json().at("/steps/0/name").asText()).isEqualTo("agent");
    assertThat(verify.json().at("/steps/0/detail").asText()).contains("private");
    Harness.Response ns = h.get("/api/v1/connections/prod/namespaces", user);
    assertThat(ns.status()).as("%s", ns).isEqualTo(200);
    assertThat(ns.body()).contains("web");

    Harness.Response lease = lease("prod", "web");
    assertThat(lease.status()).as("%s", lease).isEqualTo(201);
    String id = lease.json().get("id").asText();
    String token = lease.json().get("token").asText();
    assertThat(kube.getObject("v1", "Secret", "sightline-prod", "sightline-lease-" + id))
        .isNotNull();
    assertThat(h.delete("/api/v1/leases/" + id, user).status()).isEqualTo(204);
    assertThat(kube.getObject("v1", "Secret", "sightline-prod", "sightline-lease-" + id)).isNull();

    // Neither the admin credential, the minter token nor the lease token is in the jobs table.
    List<byte[]> stored =
        ((JdbiStore) h.server.store())
            .jdbi()
            .withHandle(
                x ->
                    x.createQuery(
                            "SELECT sealed_payload FROM agent_jobs UNION ALL SELECT result FROM"
                                + " agent_jobs WHERE result IS NOT NULL")
                        .mapTo(byte[].class)
                        .list());
    assertThat(stored).hasSizeGreaterThan(3);
    for (byte[] b : stored) {
      String text = new String(b, StandardCharsets.ISO_8859_1);
      assertThat(text).doesNotContain(kube.adminToken()).doesNotContain(token);
    }
  }

  @Test
  @DisplayName("a pool without an online agent answers within the deadline, naming the pool")
  void offlinePoolIsDiagnosed() throws Exception {
    long start = System.nanoTime();
    Harness.Response r =
        h.post(
            "/api/v1/connections/probe?timeout=3s",
            creator,
            azureBody("p", "nobody-home", "web")
                .put("authorizationType", "Kubeconfig")
                .toString()
                .replace("adminKubeconfig", "kubeconfig")
                .replace(",\"namespaces\":[\"web\"],\"createNamespace\":true", ""));
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
    assertThat(r.json().at("/diagnosis/code").asText()).as("%s", r).isEqualTo("AGENT_POOL_OFFLINE");
    assertThat(r.json().at("/diagnosis/message").asText()).contains("nobody-home");
    assertThat(r.json().at("/steps/0/name").asText()).isEqualTo("agent");
  }

  @Test
  @DisplayName("a job whose agent dies mid-job is completed by a second agent of the pool")
  void deadAgentsJobIsRetried() throws Exception {
    h.server.agents().claimDuration(Duration.ofSeconds(2));
    CountDownLatch taken = new CountDownLatch(1);
    LocalClusterOperations real = new LocalClusterOperations(EgressPolicy.defaults());
    agents.add(real);
    ClusterOperations stuck =
        new ClusterOperations() {
          @Override
          public ProbeResult probe(ClusterAccess access, ProbeOptions options) {
            return real.probe(access, options);
          }

          @Override
          public MintedToken mint(ClusterAccess access, MintRequest request) {
            taken.countDown();
            try {
              Thread.sleep(60_000);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            throw new IllegalStateException("killed");
          }

          @Override
          public boolean revoke(ClusterAccess access, String leaseId, String homeNamespace) {
            return real.revoke(access, leaseId, homeNamespace);
          }

          @Override
          public ProvisionResult provision(ClusterAccess admin, ProvisionSpec spec) {
            return real.provision(admin, spec);
          }

          @Override
          public DeprovisionResult deprovision(ClusterAccess access, ProvisionSpec spec) {
            return real.deprovision(access, spec);
          }
        };
    AgentClient first = agent("edge", "dies", stuck, null);
    Harness.Response created =
        h.send(
            h.req("/api/v1/connections?timeout=10s", creator)
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        azureBody("edge", "edge", "api").toString()))
                .build());
    assertThat(created.status()).as("%s", created).isEqualTo(201);

    Thread killer =
        new Thread(
            () -> {
              try {
                taken.await(30, TimeUnit.SECONDS);
                first.close();
                agent("edge", "survivor");
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    killer.start();
    Harness.Response lease = lease("edge", "api");
    killer.join();
    assertThat(lease.status()).as("%s", lease).isEqualTo(201);
    String id = lease.json().get("id").asText();
    assertThat(kube.getObject("v1", "Secret", "sightline-edge", "sightline-lease-" + id))
        .isNotNull();
    int attempts =
        ((JdbiStore) h.server.store())
            .jdbi()
            .withHandle(
                x ->
                    x.createQuery("SELECT attempts FROM agent_jobs WHERE kind = 'mint'")
                        .mapTo(Integer.class)
                        .one());
    // Taken by the dead agent, then by the survivor: 2. A third claim is legitimate when the
    // machine is so loaded that the survivor's 2 s claim lapses before its heartbeat (seen in CI);
    // 3 is the most a job gets.
    assertThat(attempts).isBetween(2, 3);
  }

  @Test
  @DisplayName(
      "AgentIdentity: leases are minted with the agent's own identity; the server stores only"
          + " name, pool, URL and deployers")
  void agentIdentityLeases() throws Exception {
    // The administrator applies the manifests (here: with the emulator's admin credential).
    Harness.Response created =
        h.post(
            "/api/v1/connections?verify=false",
            creator,
            "{\"name\":\"self\",\"kind\":\"kubernetes\",\"authorizationType\":\"AgentIdentity\","
                + "\"server\":\""
                + kube.url()
                + "\",\"namespaces\":[\"shop\"],\"via\":{\"pool\":\"incluster\"}}");
    assertThat(created.status()).as("%s", created).isEqualTo(201);
    assertThat(created.json().get("secretFields")).isEmpty();
    Harness.Response manifests = h.get("/api/v1/connections/self/manifests", user);
    assertThat(manifests.status()).as("%s", manifests).isEqualTo(200);
    String yaml = manifests.json().get("yaml").asText();
    assertThat(yaml)
        .contains("kind: \"Namespace\"")
        .contains("name: \"deployer-shop\"")
        .contains("serviceaccounts/token")
        .doesNotContain("kind: \"Secret\"");
    try (var admin =
        io.sightline.kubernetes.KubernetesClients.create(
            io.sightline.kubernetes.KubeconfigParser.parse(kube.adminKubeconfig(), null),
            io.sightline.kubernetes.EgressSocketFactory.of(EgressPolicy.defaults()),
            io.sightline.kubernetes.KubernetesClients.Settings.defaults())) {
      admin
          .namespaces()
          .resource(
              new io.fabric8.kubernetes.api.model.NamespaceBuilder()
                  .withNewMetadata()
                  .withName("shop")
                  .endMetadata()
                  .build())
          .createOr(x -> x.update());
      admin
          .load(new java.io.ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)))
          .createOrReplace();
    }
    Path tokenFile = tmp.resolve("sa.token");
    Files.writeString(
        tokenFile,
        kube.serviceAccountToken("sightline-self", "sightline-minter", Duration.ofHours(1)));
    Path ca = tmp.resolve("ca.crt");
    Files.writeString(ca, kube.caCertPem());
    LocalClusterOperations ops = new LocalClusterOperations(EgressPolicy.defaults());
    agents.add(ops);
    agent("incluster", "in-cluster", ops, new AgentIdentity.TokenFile(tokenFile, ca));

    Harness.Response lease = lease("self", "shop");
    assertThat(lease.status()).as("%s", lease).isEqualTo(201);
    String id = lease.json().get("id").asText();
    assertThat(kube.getObject("v1", "Secret", "sightline-self", "sightline-lease-" + id))
        .isNotNull();
    assertThat(h.delete("/api/v1/leases/" + id, user).status()).isEqualTo(204);
    assertThat(kube.getObject("v1", "Secret", "sightline-self", "sightline-lease-" + id)).isNull();
    long secrets =
        ((JdbiStore) h.server.store())
            .jdbi()
            .withHandle(
                x ->
                    x.createQuery(
                            "SELECT COUNT(*) FROM connection_secrets s JOIN connections c ON"
                                + " c.id = s.connection_id WHERE c.name = 'self'")
                        .mapTo(Long.class)
                        .one());
    assertThat(secrets).isZero();
    assertThat(
            h.post("/api/v1/connections/self/harden", creator, "{\"namespaces\":[\"shop\"]}")
                .status())
        .as("Sightline never provisions an AgentIdentity connection")
        .isBetween(400, 499);
    Harness.Response deleted = h.delete("/api/v1/connections/self", creator);
    assertThat(deleted.status()).as("%s", deleted).isEqualTo(200);
    assertThat(deleted.body()).contains("AgentIdentity");
  }

  @Test
  @DisplayName(
      "a bad registration token, an expired proof and a replayed proof are refused with 401 and"
          + " the reason in the log")
  void badCredentialsAreRefused() throws Exception {
    try (LogCapture logs = new LogCapture()) {
      String body =
          "{\"registrationToken\":\"slr_nope\",\"pool\":\"p\",\"name\":\"x\",\"publicKeys\":"
              + AgentCrypto.newKeys().toPublicJWKSet()
              + "}";
      Harness.Response bad = h.post("/api/v1/agent/register", null, body);
      assertThat(bad.status()).as("%s", bad).isEqualTo(401);
      assertThat(logs.text()).contains("registration refused");

      String token = registrationToken("p");
      String ok = body.replace("slr_nope", token);
      assertThat(h.post("/api/v1/agent/register", null, ok).status()).isEqualTo(200);
      assertThat(h.post("/api/v1/agent/register", null, ok).status())
          .as("a registration token is used once")
          .isEqualTo(401);

      JWKSet keys = AgentCrypto.newKeys();
      String token2 = registrationToken("p");
      Harness.Response reg =
          h.post(
              "/api/v1/agent/register",
              null,
              "{\"registrationToken\":\""
                  + token2
                  + "\",\"pool\":\"p\",\"name\":\"y\",\"publicKeys\":"
                  + keys.toPublicJWKSet()
                  + "}");
      String agentId = reg.json().get("agentId").asText();
      String audience = h.server.url();

      String expired =
          signed(keys, agentId, audience, Instant.now().minusSeconds(120), Duration.ofSeconds(60));
      assertThat(heartbeat(expired).status()).isEqualTo(401);
      assertThat(logs.text()).contains("the proof expired");

      String fresh =
          AgentCrypto.proof(
              AgentCrypto.signingKey(keys),
              agentId,
              audience,
              "POST",
              "/api/v1/agent/heartbeat",
              Duration.ofSeconds(30));
      assertThat(heartbeat(fresh).status()).isEqualTo(200);
      assertThat(heartbeat(fresh).status()).isEqualTo(401);
      assertThat(logs.text()).contains("replayed");

      String tooLong = signed(keys, agentId, audience, Instant.now(), Duration.ofSeconds(600));
      assertThat(heartbeat(tooLong).status()).isEqualTo(401);
      assertThat(logs.text()).contains("longer than 60 s");

      String otherKey =
          AgentCrypto.proof(
              AgentCrypto.signingKey(AgentCrypto.newKeys()),
              agentId,
              audience,
              "POST",
              "/api/v1/agent/heartbeat",
              Duration.ofSeconds(30));
      assertThat(heartbeat(otherKey).status()).isEqualTo(401);
      assertThat(logs.text()).contains("signature does not match");

      assertThat(h.post("/api/v1/agents/" + agentId + "/disable", admin, "").status())
          .isEqualTo(200);
      String disabled =
          AgentCrypto.proof(
              AgentCrypto.signingKey(keys),
              agentId,
              audience,
              "POST",
              "/api/v1/agent/heartbeat",
              Duration.ofSeconds(30));
      assertThat(heartbeat(disabled).status()).isEqualTo(401);
      assertThat(logs.text()).contains("is disabled");
      assertThat(logs.text()).doesNotContain(token).doesNotContain(token2);
    }
  }

  @Test
  @DisplayName(
      "agent routes are authenticated by agent proofs, not roles, as the route table and"
          + " /openapi.json say")
  void agentRoutesDeclareTheirAuthentication() throws Exception {
    JsonNode paths = h.get("/openapi.json", null).json().get("paths");
    for (String p :
        List.of(
            "/api/v1/agent/jobs/next",
            "/api/v1/agent/jobs/{id}/result",
            "/api/v1/agent/heartbeat")) {
      assertThat(paths.at("/" + p.replace("/", "~1") + "/post/x-sightline-auth").asText())
          .as(p)
          .isEqualTo("AGENT_PROOF");
      assertThat(paths.at("/" + p.replace("/", "~1") + "/post").has("x-sightline-role")).isFalse();
    }
    assertThat(paths.at("/~1api~1v1~1agent~1register/post/x-sightline-auth").asText())
        .isEqualTo("AGENT_REGISTRATION_TOKEN");
    assertThat(
            paths
                .at("/~1api~1v1~1agent-pools~1{pool}~1registration-tokens/post/x-sightline-role")
                .asText())
        .isEqualTo("admin");
    assertThat(
            h.server.routes().stream()
                .filter(r -> r.path().startsWith("/api/v1/agent/"))
                .map(r -> r.auth()))
        .isNotEmpty()
        .allMatch(a -> a != ApiRoute.Auth.API_TOKEN && a != ApiRoute.Auth.NONE);
    assertThat(h.post("/api/v1/agent/heartbeat", null, "{}").status()).isEqualTo(401);
  }

  @Test
  @DisplayName(
      "a job queued before a server restart is taken after it; on the wire its payload is a JWE"
          + " to the agent's key, and a lapsed claim passes to another agent")
  void queuedJobsSurviveARestart() throws Exception {
    JWKSet keys = AgentCrypto.newKeys();
    String agentId = registerByHand("later", "quiet", keys);
    // The pool looks online (the agent just registered) but nobody polls: the probe times out
    // and its job stays queued.
    Harness.Response probe =
        h.post(
            "/api/v1/connections/probe?timeout=1s",
            creator,
            azureBody("p", "later", "web")
                .put("authorizationType", "Kubeconfig")
                .toString()
                .replace("adminKubeconfig", "kubeconfig")
                .replace(",\"namespaces\":[\"web\"],\"createNamespace\":true", ""));
    assertThat(probe.json().get("ok").asBoolean()).as("%s", probe).isFalse();
    assertThat(jobStates()).containsExactly("queued");

    h.restart();
    h.server.agents().claimDuration(Duration.ofSeconds(1));
    String proof =
        AgentCrypto.proof(
            AgentCrypto.signingKey(keys),
            agentId,
            h.server.url(),
            "POST",
            "/api/v1/agent/jobs/next",
            Duration.ofSeconds(30));
    Harness.Response job =
        h.send(
            h.req("/api/v1/agent/jobs/next?wait=5", null)
                .header("Authorization", "Agent-Proof " + proof)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{}"))
                .build());
    assertThat(job.status()).as("%s", job).isEqualTo(200);
    assertThat(job.body()).doesNotContain(kube.adminToken());
    String plain =
        AgentCrypto.openJob(
                job.json().get("payload").asText(),
                job.json().get("payloadKey").asText(),
                AgentCrypto.encryptionKey(keys),
                new HashMap<>())
            .reveal();
    assertThat(plain).contains(kube.adminToken());
    assertThat(jobStates()).containsExactly("running");

    // This agent never answers: its claim lapses and another agent of the pool runs the job.
    agent("later", "after-restart");
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(() -> assertThat(jobStates()).containsExactly("done"));
  }

  @Test
  @DisplayName(
      "the answer to a result hands over the pool's next job under the same channel key; a stale"
          + " answer is refused and an answer under a wrong key fails the job's caller")
  void resultAnswersCarryTheNextJob() throws Exception {
    JWKSet keys = AgentCrypto.newKeys();
    String agentId = registerByHand("wire", "by-hand", keys);
    String probeBody =
        azureBody("p", "wire", "web")
            .put("authorizationType", "Kubeconfig")
            .toString()
            .replace("adminKubeconfig", "kubeconfig")
            .replace(",\"namespaces\":[\"web\"],\"createNamespace\":true", "");
    CompletableFuture<Harness.Response> first = probeAsync(probeBody);
    CompletableFuture<Harness.Response> second = probeAsync(probeBody);

    Harness.Response job1 = agentCall(keys, agentId, "/api/v1/agent/jobs/next", "?wait=10", "{}");
    assertThat(job1.status()).as("%s", job1).isEqualTo(200);
    assertThat(job1.json().get("claim").asInt()).isEqualTo(1);
    assertThat(job1.body()).doesNotContain(kube.adminToken());
    Map<String, byte[]> channelKeys = new HashMap<>();
    var plain1 =
        AgentCrypto.openJob(
            job1.json().get("payload").asText(),
            job1.json().get("payloadKey").asText(),
            AgentCrypto.encryptionKey(keys),
            channelKeys);
    assertThat(plain1.reveal()).contains(kube.adminToken());
    assertThat(channelKeys).hasSize(1);

    // Answer the first job with an error by hand, and take the next job in the same call.
    String id1 = job1.json().get("id").asText();
    String answer1 =
        AgentCrypto.encryptDirect(
            JobCodec.error(
                new io.sightline.core.SightlineException(
                    "BY_HAND", 502, null, "answered by hand over the wire")),
            JobCodec.resultKey(plain1),
            "claim-1");
    Harness.Response job2 =
        agentCall(
            keys,
            agentId,
            "/api/v1/agent/jobs/" + id1 + "/result",
            "?wait=10",
            "{\"result\":\"" + answer1 + "\"}");
    assertThat(job2.status()).as("%s", job2).isEqualTo(200);
    String id2 = job2.json().get("id").asText();
    assertThat(id2).isNotEqualTo(id1);
    assertThat(job2.json().get("payloadKey").asText())
        .as("one channel key for the agent")
        .isEqualTo(job1.json().get("payloadKey").asText());
    // The channel key opened once opens the next job without the agent's key.
    var plain2 = AgentCrypto.openJob(job2.json().get("payload").asText(), null, null, channelKeys);
    assertThat(plain2.reveal()).contains(kube.adminToken());
    // Which probe's job came first is the store's choice (on PostgreSQL the two may share a
    // timestamp): the probe answered by hand is the one that finished; the other waits for job 2.
    CompletableFuture.anyOf(first, second).get(30, TimeUnit.SECONDS);
    CompletableFuture<Harness.Response> answered = first.isDone() ? first : second;
    CompletableFuture<Harness.Response> pending = answered == first ? second : first;
    Harness.Response byHand = answered.get();
    assertThat(byHand.body()).contains("answered by hand over the wire");
    assertThat(pending).as("the other probe waits for its own job").isNotDone();

    // The first job was answered: answering it again is refused.
    Harness.Response stale =
        agentCall(
            keys,
            agentId,
            "/api/v1/agent/jobs/" + id1 + "/result",
            "",
            "{\"result\":\"" + answer1 + "\"}");
    assertThat(stale.status()).as("%s", stale).isEqualTo(409);
    assertThat(stale.json().get("code").asText()).isEqualTo("JOB_NOT_CLAIMED");
    // A wait out of range is a 400 naming the parameter, and the result is not taken.
    Harness.Response badWait =
        agentCall(
            keys,
            agentId,
            "/api/v1/agent/jobs/" + id2 + "/result",
            "?wait=99",
            "{\"result\":\"" + answer1 + "\"}");
    assertThat(badWait.status()).as("%s", badWait).isEqualTo(400);
    assertThat(badWait.body()).contains("wait");

    // An answer under another key than the job's is stored but unreadable: its caller fails.
    String wrong =
        AgentCrypto.encryptDirect(
            JobCodec.error(new io.sightline.core.SightlineException("X", 502, null, "x")),
            AgentCrypto.newResultKey(),
            "claim-1");
    Harness.Response taken =
        agentCall(
            keys,
            agentId,
            "/api/v1/agent/jobs/" + id2 + "/result",
            "",
            "{\"result\":\"" + wrong + "\"}");
    assertThat(taken.status()).as("%s", taken).isEqualTo(204);
    Harness.Response other = pending.get(30, TimeUnit.SECONDS);
    assertThat(other.json().get("ok").asBoolean()).as("%s", other).isFalse();
    assertThat(other.body()).contains("unreadable").doesNotContain(kube.adminToken());
  }

  @Test
  @DisplayName(
      "a job brings the agent a session key; calls MAC'd with it are taken, and a replayed nonce,"
          + " a tampered body, path or query, a wrong key, an old timestamp, an unknown or expired"
          + " key id and a disabled agent are refused")
  void sessionKeysAuthenticateCalls() throws Exception {
    JWKSet keys = AgentCrypto.newKeys();
    String agentId = registerByHand("mac", "macs", keys);
    CompletableFuture<Harness.Response> probe = probeAsync(kubeconfigProbe("mac"));
    Harness.Response job = agentCall(keys, agentId, "/api/v1/agent/jobs/next", "?wait=10", "{}");
    assertThat(job.status()).as("%s", job).isEqualTo(200);
    String kid = job.json().get("sessionKeyId").asText();
    assertThat(kid).startsWith("sk-");
    OctetSequenceKey sk =
        OctetSequenceKey.parse(
            AgentCrypto.decrypt(
                    job.json().get("sessionKey").asText(), AgentCrypto.encryptionKey(keys))
                .reveal());
    assertThat(sk.getKeyID()).isEqualTo(kid);
    assertThat(sk.getExpirationTime().toInstant())
        .isBetween(Instant.now().plusSeconds(500), Instant.now().plusSeconds(610));
    byte[] key = sk.toByteArray();
    assertThat(job.body()).doesNotContain(sk.getKeyValue().toString());

    try (LogCapture logs = new LogCapture()) {
      String hb = "/api/v1/agent/heartbeat";
      String ok = mac(key, kid, hb, "{}", Instant.now());
      assertThat(macCall(ok, hb, "{}").status()).isEqualTo(200);
      Harness.Response replayed = macCall(ok, hb, "{}");
      assertThat(replayed.status()).isEqualTo(401);
      assertThat(replayed.json().get("code").asText()).isEqualTo("UNAUTHORIZED");
      assertThat(logs.text()).contains("replayed");

      String forEmpty = mac(key, kid, hb, "{}", Instant.now());
      assertThat(macCall(forEmpty, hb, "{\"version\":\"evil\"}").status())
          .as("tampered body")
          .isEqualTo(401);
      assertThat(logs.text()).contains("MAC does not match");
      assertThat(
              macCall(
                      mac(key, kid, hb, "{}", Instant.now()),
                      "/api/v1/agent/jobs/next?wait=0",
                      "{}")
                  .status())
          .as("tampered path")
          .isEqualTo(401);
      assertThat(
              macCall(
                      mac(key, kid, "/api/v1/agent/jobs/next?wait=0", "{}", Instant.now()),
                      "/api/v1/agent/jobs/next?wait=1",
                      "{}")
                  .status())
          .as("tampered query")
          .isEqualTo(401);
      Harness.Response wrongKey =
          macCall(mac(AgentCrypto.newResultKey(), kid, hb, "{}", Instant.now()), hb, "{}");
      assertThat(wrongKey.status()).as("wrong key").isEqualTo(401);
      assertThat(wrongKey.json().get("code").asText()).isEqualTo("UNAUTHORIZED");
      assertThat(macCall(mac(key, kid, hb, "{}", Instant.now().minusSeconds(120)), hb, "{}"))
          .satisfies(r -> assertThat(r.status()).as("old timestamp").isEqualTo(401));
      assertThat(logs.text()).contains("the request's MAC expired");

      Harness.Response unknown = macCall(mac(key, "sk-unknown", hb, "{}", Instant.now()), hb, "{}");
      assertThat(unknown.status()).isEqualTo(401);
      assertThat(unknown.json().get("code").asText()).isEqualTo("AGENT_SESSION_UNKNOWN");
      h.clock.runAhead(Duration.ofMinutes(11));
      try {
        Harness.Response expired = macCall(mac(key, kid, hb, "{}", Instant.now()), hb, "{}");
        assertThat(expired.status()).as("expired key").isEqualTo(401);
        assertThat(expired.json().get("code").asText()).isEqualTo("AGENT_SESSION_UNKNOWN");
      } finally {
        h.clock.runAhead(Duration.ZERO);
      }

      // The job answered with a MAC'd result: its caller gets the answer.
      var plain =
          AgentCrypto.openJob(
              job.json().get("payload").asText(),
              job.json().get("payloadKey").asText(),
              AgentCrypto.encryptionKey(keys),
              new HashMap<>());
      String answer =
          AgentCrypto.encryptDirect(
              JobCodec.error(
                  new io.sightline.core.SightlineException(
                      "BY_HAND", 502, null, "answered with a MAC")),
              JobCodec.resultKey(plain),
              "claim-1");
      String resultPath = "/api/v1/agent/jobs/" + job.json().get("id").asText() + "/result";
      String body = "{\"result\":\"" + answer + "\"}";
      assertThat(macCall(mac(key, kid, resultPath, body, Instant.now()), resultPath, body).status())
          .isEqualTo(204);
      assertThat(probe.get(30, TimeUnit.SECONDS).body()).contains("answered with a MAC");

      // Disabling the agent drops its session key at once; its signed proof is refused too.
      assertThat(h.post("/api/v1/agents/" + agentId + "/disable", admin, "").status())
          .isEqualTo(200);
      assertThat(macCall(mac(key, kid, hb, "{}", Instant.now()), hb, "{}").status()).isEqualTo(401);
      assertThat(agentCall(keys, agentId, hb, "", "{}").status()).isEqualTo(401);
      assertThat(logs.text()).contains("is disabled").doesNotContain(sk.getKeyValue().toString());
    }
  }

  @Test
  @DisplayName(
      "an agent MACs its calls with the session key a job brought, and when a restarted server"
          + " does not know that key it falls back to a signed proof and gets a new one")
  void agentFallsBackToProofsForUnknownSessionKeys() throws Exception {
    int port = URI.create(h.server.url()).getPort();
    h.flags.put(ServerConfig.PORT, String.valueOf(port));
    AgentClient agent = agent("fallback", "falls-back");
    Harness.Response first =
        h.post("/api/v1/connections/probe?timeout=20s", creator, kubeconfigProbe("fallback"));
    assertThat(first.json().get("ok").asBoolean()).as("%s", first).isTrue();
    String before = agent.sessionKeyId();
    assertThat(before).as("the job brought a session key").startsWith("sk-");

    h.restart();
    assertThat(h.server.url()).contains(":" + port);
    Harness.Response second =
        h.post("/api/v1/connections/probe?timeout=20s", creator, kubeconfigProbe("fallback"));
    assertThat(second.json().get("ok").asBoolean()).as("%s", second).isTrue();
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> assertThat(agent.sessionKeyId()).startsWith("sk-").isNotEqualTo(before));
  }

  private String kubeconfigProbe(String pool) {
    return azureBody("p", pool, "web")
        .put("authorizationType", "Kubeconfig")
        .toString()
        .replace("adminKubeconfig", "kubeconfig")
        .replace(",\"namespaces\":[\"web\"],\"createNamespace\":true", "");
  }

  private String mac(byte[] key, String kid, String pathAndQuery, String body, Instant at) {
    return AgentCrypto.macAuthorization(
        key,
        kid,
        h.server.url(),
        "POST",
        pathAndQuery,
        body.getBytes(StandardCharsets.UTF_8),
        at.getEpochSecond());
  }

  private Harness.Response macCall(String authorization, String pathAndQuery, String body)
      throws Exception {
    return h.send(
        h.req(pathAndQuery, null)
            .timeout(Duration.ofSeconds(30))
            .header("Authorization", authorization)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build());
  }

  /** Registers an agent over the wire, as the agent would, with {@code keys}; answers its id. */
  private String registerByHand(String pool, String name, JWKSet keys) throws Exception {
    String body =
        "{\"registrationToken\":\""
            + registrationToken(pool)
            + "\",\"pool\":\""
            + pool
            + "\",\"name\":\""
            + name
            + "\",\"publicKeys\":"
            + keys.toPublicJWKSet()
            + "}";
    Harness.Response reg = h.post("/api/v1/agent/register", null, body);
    assertThat(reg.status()).as("%s", reg).isEqualTo(200);
    return reg.json().get("agentId").asText();
  }

  private CompletableFuture<Harness.Response> probeAsync(String body) {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            return h.post("/api/v1/connections/probe?timeout=20s", creator, body);
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
  }

  private Harness.Response agentCall(
      JWKSet keys, String agentId, String path, String query, String body) throws Exception {
    String proof =
        AgentCrypto.proof(
            AgentCrypto.signingKey(keys),
            agentId,
            h.server.url(),
            "POST",
            path,
            Duration.ofSeconds(30));
    return h.send(
        h.req(path + query, null)
            .timeout(Duration.ofSeconds(30))
            .header("Authorization", "Agent-Proof " + proof)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build());
  }

  private List<String> jobStates() {
    return ((JdbiStore) h.server.store())
        .jdbi()
        .withHandle(x -> x.createQuery("SELECT state FROM agent_jobs").mapTo(String.class).list());
  }

  private Harness.Response heartbeat(String proof) throws Exception {
    return h.send(
        h.req("/api/v1/agent/heartbeat", null)
            .header("Authorization", "Agent-Proof " + proof)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{}"))
            .build());
  }

  private static String signed(
      JWKSet keys, String agentId, String audience, Instant iat, Duration ttl) throws Exception {
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.ES256)
                .type(new JOSEObjectType("sightline-agent-proof+jwt"))
                .keyID(agentId)
                .build(),
            new JWTClaimsSet.Builder()
                .issuer(agentId)
                .audience(audience)
                .issueTime(Date.from(iat))
                .expirationTime(Date.from(iat.plus(ttl)))
                .jwtID(AgentCrypto.randomId())
                .claim("htm", "POST")
                .claim("htu", "/api/v1/agent/heartbeat")
                .build());
    jwt.sign(new ECDSASigner(AgentCrypto.signingKey(keys)));
    return jwt.serialize();
  }
}
