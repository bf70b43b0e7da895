package io.sightline.connections.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.jwk.JWKSet;
import io.sightline.core.SecretValue;
import io.sightline.core.SightlineException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's side of the wire (issue 9), outbound only: registers once with a one-time
 * registration token (its key pair is generated here and the private keys written to the state
 * directory, mode 0600), then long-polls the server for jobs with a bounded wait, runs each with
 * {@link AgentWorker}, posts the result encrypted under the result key inside the job (the answer
 * to that post hands over the pool's next job), and sends heartbeats. Every call carries a fresh
 * proof signed by the agent's key, or, once a job brought the server's session key, a MAC under
 * that key (a few microseconds instead of an EC signature and its check). On errors it reconnects
 * with exponential backoff and jitter.
 */
public final class AgentClient implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AgentClient.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  public static final String KEYS_FILE = "agent-keys.jwks";
  public static final String STATE_FILE = "agent.json";
  public static final String PROOF_SCHEME = "Agent-Proof";

  /**
   * @param server the server's base URL (also the proofs' audience)
   * @param pollers how many long-polls run at once (jobs run concurrently up to this)
   * @param pollWait how long the server may hold a poll open
   * @param heartbeat how often to send a heartbeat
   */
  public record Settings(
      URI server,
      String pool,
      String name,
      Path stateDir,
      Path registrationTokenFile,
      int pollers,
      Duration pollWait,
      Duration heartbeat,
      String version) {}

  private final Settings settings;
  private final AgentWorker worker;
  private final HttpClient http;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final List<Thread> threads = new ArrayList<>();
  private final String audience;
  private volatile String agentId;
  private volatile JWKSet keys;

  /** Channel keys the server sent (decrypted once each), by key id. */
  private final Map<String, byte[]> channelKeys = new java.util.concurrent.ConcurrentHashMap<>();

  /** A session key the server sent: calls are MAC'd with it until shortly before it expires. */
  private record Session(String kid, byte[] key, Instant expiresAt) {}

  private volatile Session session;

  /**
   * The 401 code of a call MAC'd with a session key the server does not hold (never issued there,
   * lost in a restart, rotated, or expired): the agent falls back to a signed proof, which is
   * always accepted and gets it that server's key with its next job. The server answers it; the
   * agent acts on it.
   */
  public static final String SESSION_UNKNOWN = "AGENT_SESSION_UNKNOWN";

  public AgentClient(Settings settings, AgentWorker worker) {
    this.settings = settings;
    this.worker = worker;
    // HTTP/1.1: on http:// URLs the client's default (HTTP/2) would offer an h2c upgrade that the
    // server ignores; keep-alive connections are reused either way. (A same-thread executor would
    // save two thread switches per call, but would also run TLS work on the selector thread; not
    // done until it is measured against an HTTPS server.)
    this.http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();
    String s = settings.server().toString();
    this.audience = s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
  }

  public String agentId() {
    return agentId;
  }

  /** The id of the session key the agent MACs its calls with, or null (it signs proofs). */
  public String sessionKeyId() {
    Session s = session;
    return s == null ? null : s.kid();
  }

  /**
   * Registers unless the state directory holds a registration already; answers the agent id.
   *
   * @throws SightlineException when the server refuses the registration token
   */
  public String registerIfNeeded() {
    Path dir = settings.stateDir();
    Path keysFile = dir.resolve(KEYS_FILE);
    Path stateFile = dir.resolve(STATE_FILE);
    try {
      if (Files.exists(keysFile) && Files.exists(stateFile)) {
        keys = JWKSet.parse(Files.readString(keysFile));
        JsonNode state = JSON.readTree(Files.readString(stateFile));
        agentId = state.path("agentId").asText();
        log.info(
            "agent {} ({}) of pool {}: registration found in {}",
            state.path("name").asText(),
            agentId,
            state.path("pool").asText(),
            dir);
        return agentId;
      }
      if (settings.registrationTokenFile() == null) {
        throw SightlineException.badRequest(
            "REGISTRATION_TOKEN_REQUIRED",
            "registration-token-file",
            "this agent is not registered yet (no "
                + STATE_FILE
                + " in "
                + dir
                + "): give"
                + " --registration-token-file with a token from POST"
                + " /api/v1/agent-pools/POOL/registration-tokens");
      }
      String token = Files.readString(settings.registrationTokenFile()).strip();
      JWKSet fresh = AgentCrypto.newKeys();
      ObjectNode body = JSON.createObjectNode();
      body.put("registrationToken", token);
      body.put("pool", settings.pool());
      body.put("name", settings.name());
      body.set("publicKeys", JSON.readTree(fresh.toPublicJWKSet().toString()));
      body.put("version", settings.version());
      HttpResponse<String> r =
          send("POST", "/api/v1/agent/register", body.toString(), null, Duration.ofSeconds(30));
      if (r.statusCode() != 200) {
        throw refused("registration", r);
      }
      JsonNode answer = JSON.readTree(r.body());
      agentId = answer.path("agentId").asText();
      Files.createDirectories(dir);
      writePrivate(keysFile, fresh.toString(false));
      ObjectNode state = JSON.createObjectNode();
      state.put("agentId", agentId);
      state.put("pool", answer.path("pool").asText());
      state.put("name", answer.path("name").asText());
      state.put("server", audience);
      writePrivate(stateFile, state.toPrettyString());
      keys = fresh;
      log.info(
          "agent {} registered with {} as {} in pool {}; private keys in {} (mode 0600)",
          settings.name(),
          audience,
          agentId,
          settings.pool(),
          keysFile);
      return agentId;
    } catch (IOException | ParseException e) {
      throw new SightlineException(
          "AGENT_STATE_UNREADABLE", 500, null, "agent state in " + dir + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SightlineException("INTERRUPTED", 500, null, "interrupted while registering");
    }
  }

  private static void writePrivate(Path file, String content) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    try {
      Files.createFile(
          tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException e) {
      Files.createFile(tmp);
    }
    Files.writeString(tmp, content, StandardCharsets.UTF_8);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** Starts the pollers and the heartbeat in the background (register first). */
  public void start() {
    if (agentId == null) {
      registerIfNeeded();
    }
    for (int i = 0; i < Math.max(1, settings.pollers()); i++) {
      Thread t = new Thread(this::pollLoop, "sightline-agent-poll-" + (i + 1));
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
    Thread hb = new Thread(this::heartbeatLoop, "sightline-agent-heartbeat");
    hb.setDaemon(true);
    threads.add(hb);
    hb.start();
    log.info(
        "agent {} polling {} for pool {} ({} poller(s), wait {} s)",
        agentId,
        audience,
        settings.pool(),
        settings.pollers(),
        settings.pollWait().toSeconds());
  }

  private void pollLoop() {
    int failures = 0;
    while (!closed.get()) {
      try {
        pollOnce();
        if (failures > 0) {
          log.info("agent {}: reconnected to {}", agentId, audience);
        }
        failures = 0;
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException | IOException e) {
        if (closed.get()) {
          return;
        }
        failures++;
        long backoff = backoffMillis(failures);
        log.warn(
            "agent {}: polling {} failed ({}); retrying in {} ms",
            agentId,
            audience,
            e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage(),
            backoff);
        try {
          Thread.sleep(backoff);
        } catch (InterruptedException ie) {
          return;
        }
      }
    }
  }

  /** Exponential backoff from 0.5 s to 30 s with full jitter. */
  static long backoffMillis(int failures) {
    long cap = Math.min(30_000L, 500L << Math.min(failures - 1, 6));
    return cap / 2 + ThreadLocalRandom.current().nextLong(cap / 2 + 1);
  }

  private void pollOnce() throws IOException, InterruptedException {
    HttpResponse<String> r =
        call(
            "/api/v1/agent/jobs/next",
            "?wait=" + settings.pollWait().toSeconds(),
            "{}",
            settings.pollWait().plusSeconds(15));
    JsonNode job = jobOf(r, "poll");
    while (job != null && !closed.get()) {
      job = runAndAnswer(job);
    }
  }

  /** The job a poll (or a result's answer) handed over, or null (204: none came in time). */
  private JsonNode jobOf(HttpResponse<String> r, String what) throws IOException {
    if (r.statusCode() == 204) {
      return null;
    }
    if (r.statusCode() != 200) {
      throw refused(what, r);
    }
    JsonNode job = JSON.readTree(r.body());
    takeSessionKey(job);
    return job;
  }

  /**
   * Takes the session key a job carries when it is not the one held (decrypted once per key id); an
   * unreadable one is ignored (calls stay signed).
   */
  private void takeSessionKey(JsonNode job) {
    String kid = job.path("sessionKeyId").asText(null);
    String wrapped = job.path("sessionKey").asText(null);
    Session held = session;
    if (kid == null || wrapped == null || (held != null && held.kid().equals(kid))) {
      return;
    }
    try {
      com.nimbusds.jose.jwk.OctetSequenceKey k =
          com.nimbusds.jose.jwk.OctetSequenceKey.parse(
              AgentCrypto.decrypt(wrapped, AgentCrypto.encryptionKey(keys)).reveal());
      if (!kid.equals(k.getKeyID()) || k.getExpirationTime() == null) {
        throw new IllegalArgumentException("the session key is not " + kid + " or has no exp");
      }
      session = new Session(kid, k.toByteArray(), k.getExpirationTime().toInstant());
    } catch (ParseException | IllegalArgumentException e) {
      log.warn("agent {}: the session key {} is unreadable ({})", agentId, kid, e.getMessage());
    }
  }

  /**
   * Runs a job and posts its result; the same call waits for the pool's next job, which the server
   * hands over in the answer (one request and one proof per job instead of two). Answers that next
   * job, or null.
   */
  private JsonNode runAndAnswer(JsonNode job) throws IOException, InterruptedException {
    String jobId = job.path("id").asText();
    log.info("job {} ({}) taken", jobId, job.path("kind").asText());
    SecretValue plaintext;
    byte[] resultKey;
    try {
      plaintext =
          AgentCrypto.openJob(
              job.path("payload").asText(),
              job.path("payloadKey").asText(null),
              AgentCrypto.encryptionKey(keys),
              channelKeys);
      resultKey = JobCodec.resultKey(plaintext);
    } catch (IllegalArgumentException e) {
      // Without the job's result key no answer can be sent: the claim lapses and the job fails
      // after its attempts (AGENT_LOST), which the server's log explains.
      log.warn(
          "job {}: the agent cannot read it ({}): is the server of another Sightline version?",
          jobId,
          e.getMessage());
      return null;
    }
    SecretValue result = worker.run(jobId, plaintext);
    if (closed.get()) {
      log.info("job {} abandoned: the agent is stopping (another agent will take it)", jobId);
      return null;
    }
    ObjectNode body = JSON.createObjectNode();
    body.put(
        "result",
        AgentCrypto.encryptDirect(result, resultKey, "claim-" + job.path("claim").asInt()));
    HttpResponse<String> done =
        call(
            "/api/v1/agent/jobs/" + jobId + "/result",
            "?wait=" + settings.pollWait().toSeconds(),
            body.toString(),
            settings.pollWait().plusSeconds(15));
    if (done.statusCode() == 200 || done.statusCode() == 204) {
      return jobOf(done, "result");
    }
    log.warn("job {}: the server did not take the result ({})", jobId, describe(done));
    return null;
  }

  private void heartbeatLoop() {
    while (!closed.get()) {
      try {
        Thread.sleep(settings.heartbeat().toMillis());
        HttpResponse<String> r = call("/api/v1/agent/heartbeat", "", "{}", Duration.ofSeconds(10));
        if (r.statusCode() != 200 && r.statusCode() != 204) {
          log.warn("agent {}: heartbeat refused: {}", agentId, describe(r));
        }
      } catch (InterruptedException e) {
        return;
      } catch (IOException | RuntimeException e) {
        if (!closed.get()) {
          log.warn("agent {}: heartbeat to {} failed: {}", agentId, audience, e.getMessage());
        }
      }
    }
  }

  private String proof(String method, String path) {
    return AgentCrypto.proof(
        AgentCrypto.signingKey(keys), agentId, audience, method, path, Duration.ofSeconds(60));
  }

  /**
   * POSTs an authenticated agent call: MAC'd with the session key while one is held (until 5 s
   * before it expires), else with a signed proof. When the server does not know the session key
   * (another replica, a restart, a rotation), the key is dropped and the call repeated with a
   * proof; the next job brings that server's key.
   */
  private HttpResponse<String> call(String path, String query, String body, Duration timeout)
      throws IOException, InterruptedException {
    Session s = session;
    Instant now = Instant.now();
    if (s != null && now.isBefore(s.expiresAt().minusSeconds(5))) {
      String mac =
          AgentCrypto.macAuthorization(
              s.key(),
              s.kid(),
              audience,
              "POST",
              path + query,
              body.getBytes(StandardCharsets.UTF_8),
              now.getEpochSecond());
      HttpResponse<String> r = send("POST", path + query, body, mac, timeout);
      if (r.statusCode() != 401 || !SESSION_UNKNOWN.equals(codeOf(r))) {
        return r;
      }
      log.debug("agent {}: the server does not know session key {}; signing", agentId, s.kid());
      if (session == s) {
        session = null;
      }
    }
    return send("POST", path + query, body, PROOF_SCHEME + " " + proof("POST", path), timeout);
  }

  private static String codeOf(HttpResponse<String> r) {
    try {
      return JSON.readTree(r.body()).path("code").asText("");
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }

  private HttpResponse<String> send(
      String method, String path, String body, String authorization, Duration timeout)
      throws IOException, InterruptedException {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(audience + path))
            .timeout(timeout)
            .header("Content-Type", "application/json")
            .method(method, HttpRequest.BodyPublishers.ofString(body));
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static SightlineException refused(String what, HttpResponse<String> r) {
    return new SightlineException(
        r.statusCode() == 401 ? "AGENT_UNAUTHORIZED" : "AGENT_CALL_FAILED",
        r.statusCode(),
        null,
        "the server refused the " + what + ": " + describe(r));
  }

  private static String describe(HttpResponse<String> r) {
    try {
      JsonNode n = JSON.readTree(r.body());
      return r.statusCode() + " " + n.path("code").asText("") + " " + n.path("detail").asText("");
    } catch (IOException | RuntimeException e) {
      return String.valueOf(r.statusCode());
    }
  }

  /** Stops polling; a job in progress is abandoned (its claim lapses and another agent runs it). */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      threads.forEach(Thread::interrupt);
      for (Thread t : threads) {
        try {
          t.join(2000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
      log.info("agent {} stopped", agentId);
    }
  }
}
