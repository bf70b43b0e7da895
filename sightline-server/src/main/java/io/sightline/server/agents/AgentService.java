package io.sightline.server.agents;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.sightline.connections.agent.AgentClient;
import io.sightline.connections.agent.AgentCrypto;
import io.sightline.connections.agent.JobCodec;
import io.sightline.core.AuditEvent;
import io.sightline.core.SecretValue;
import io.sightline.core.SightlineException;
import io.sightline.store.Agents;
import io.sightline.store.Agents.Agent;
import io.sightline.store.Agents.Job;
import io.sightline.store.Agents.JobState;
import io.sightline.store.Store;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's side of agents (issue 9): registration tokens, registration, proof checks, the job
 * queue and its long-poll, results. Jobs live in the store (a restart or another replica loses
 * none); waiting pollers and callers are woken in-process at once and look at the store again every
 * {@link #STORE_POLL} for work queued or finished on other replicas (with the embedded single-node
 * store there are none: every {@link #LOCAL_STORE_POLL}, for claims that lapsed).
 */
public final class AgentService {
  private static final Logger log = LoggerFactory.getLogger(AgentService.class);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");

  public static final String REGISTRATION_TOKEN_PREFIX = "slr_";
  public static final Duration DEFAULT_REGISTRATION_TTL = Duration.ofHours(1);
  public static final Duration MAX_REGISTRATION_TTL = Duration.ofDays(7);

  /** An agent seen within this window is online (it heartbeats every 10 s). */
  public static final Duration ONLINE_WINDOW = Duration.ofSeconds(45);

  /** How long a claim lasts without a heartbeat; a dead agent's job is retried after it. */
  public static final Duration CLAIM = Duration.ofSeconds(30);

  public static final Duration MAX_POLL_WAIT = Duration.ofSeconds(25);
  static final Duration STORE_POLL = Duration.ofMillis(250);

  /**
   * How often a single-node server looks at the store while waiting: every job is queued and
   * answered in this process and wakes its poll or caller in-process, so the look only finds claims
   * that lapsed (an agent died; claims last 30 s) and jobs failed by a claim.
   */
  static final Duration LOCAL_STORE_POLL = Duration.ofSeconds(2);

  private static final Duration CLOCK_SKEW = Duration.ofSeconds(5);
  private static final int MAX_ATTEMPTS = 3;

  /** A registration token as issued: the token itself is shown once. */
  public record IssuedToken(String id, String pool, SecretValue token, Instant expiresAt) {}

  /**
   * A job handed to an agent: the payload encrypted to it (with the key to encrypt the answer under
   * inside) and the claim's number, which the answer names.
   */
  public record Claimed(
      String id,
      String kind,
      String payload,
      String payloadKey,
      int claim,
      Instant until,
      String sessionKeyId,
      String sessionKey) {}

  private final Store store;
  private final Clock clock;
  private final String publicUrl;
  private final Map<String, Instant> seenJtis = new ConcurrentHashMap<>();
  private final Map<String, Signal> poolSignals = new ConcurrentHashMap<>();
  private final Map<String, Waiter> waiters = new ConcurrentHashMap<>();
  private final Map<String, Instant> lastSeenWritten = new ConcurrentHashMap<>();

  /**
   * An in-process wake-up with a generation count, so a signal fired between a waiter's look at the
   * store and its wait is not lost.
   */
  static class Signal {
    private long generation;

    synchronized long generation() {
      return generation;
    }

    synchronized void fire(boolean all) {
      generation++;
      if (all) {
        notifyAll();
      } else {
        notify();
      }
    }

    /** Waits up to {@code millis} unless the generation moved past {@code seen}. */
    synchronized void await(long seen, long millis) throws InterruptedException {
      if (generation == seen) {
        wait(Math.max(1, millis));
      }
    }
  }

  /**
   * A caller waiting for its job's answer on this replica. The result route of the same replica
   * hands the answer over in-process (after storing it), so the waiter reads nothing back from the
   * store; answers taken by another replica are found by the waiter's store poll.
   */
  static final class Waiter extends Signal {
    private volatile String result;

    void deliver(String resultJwe) {
      result = resultJwe;
      fire(true);
    }
  }

  private volatile Duration claim = CLAIM;
  private final Duration storePoll;

  /**
   * @param publicUrl the server's public URL (proof audience); null: the URL a request came to
   */
  public AgentService(Store store, Clock clock, String publicUrl) {
    this.store = store;
    this.clock = clock;
    this.publicUrl = publicUrl == null ? null : strip(publicUrl);
    this.storePoll = store.isExternal() ? STORE_POLL : LOCAL_STORE_POLL;
  }

  /** Shorter claims for tests that kill an agent mid-job. */
  public void claimDuration(Duration d) {
    this.claim = d;
  }

  public Store store() {
    return store;
  }

  public Clock clock() {
    return clock;
  }

  // ------------------------------------------------------------------ registration

  public static String checkPool(String pool, String field) {
    if (pool == null || pool.length() > 63 || !NAME.matcher(pool).matches()) {
      throw SightlineException.badRequest(
          "INVALID_POOL",
          field,
          "a pool name is 1-63 lowercase letters, digits and '-', starting and ending with a"
              + " letter or digit, e.g. private-eu");
    }
    return pool;
  }

  public IssuedToken issueRegistrationToken(
      String pool, Long ttlSeconds, String actor, String requestId) {
    checkPool(pool, "pool");
    Duration ttl = ttlSeconds == null ? DEFAULT_REGISTRATION_TTL : Duration.ofSeconds(ttlSeconds);
    if (ttl.isNegative() || ttl.isZero() || ttl.compareTo(MAX_REGISTRATION_TTL) > 0) {
      throw SightlineException.badRequest(
          "INVALID_TTL",
          "ttlSeconds",
          "ttlSeconds must be between 1 and " + MAX_REGISTRATION_TTL.toSeconds() + " (7 days)");
    }
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    SecretValue token =
        SecretValue.of(
            REGISTRATION_TOKEN_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(b));
    Instant expiresAt = clock.instant().plus(ttl);
    Agents.RegistrationToken t =
        store.transact(
            tx -> {
              tx.agents().ensurePool(pool, actor);
              Agents.RegistrationToken r =
                  tx.agents().addRegistrationToken(pool, sha256(token.reveal()), expiresAt, actor);
              Map<String, Object> d = new LinkedHashMap<>();
              d.put("pool", pool);
              d.put("expiresAt", r.expiresAt().toString());
              tx.audit()
                  .append(
                      new AuditEvent(
                          "agent.registration-token.create",
                          actor,
                          "agent-pool/" + pool,
                          "success",
                          requestId,
                          d));
              return r;
            });
    return new IssuedToken(t.id(), pool, token, t.expiresAt());
  }

  /** Registers an agent with a one-time token; 401 (reason in the log) when the token is bad. */
  public Agent register(
      SecretValue token,
      String pool,
      String name,
      JsonNode publicKeys,
      String version,
      String requestId) {
    checkPool(pool, "pool");
    if (name == null || name.length() > 63 || !NAME.matcher(name).matches()) {
      throw SightlineException.badRequest(
          "INVALID_AGENT_NAME",
          "name",
          "an agent name is 1-63 lowercase letters, digits and '-', e.g. agent-1");
    }
    JWKSet keys;
    try {
      keys = AgentCrypto.parseKeys(publicKeys == null ? "" : publicKeys.toString());
      if (keys.getKeys().stream().anyMatch(k -> k.isPrivate())) {
        throw new IllegalArgumentException("send only the public keys");
      }
    } catch (IllegalArgumentException e) {
      throw SightlineException.badRequest(
          "INVALID_PUBLIC_KEYS",
          "publicKeys",
          "publicKeys must be a public JWK set with EC P-256 keys \"sig\" and \"enc\": "
              + e.getMessage());
    }
    String id = UUID.randomUUID().toString();
    String hash = token == null ? "" : sha256(token.reveal());
    Instant now = clock.instant();
    Optional<Agent> agent =
        store.transact(
            tx -> {
              Optional<Agents.RegistrationToken> used =
                  tx.agents().useRegistrationToken(hash, id, now);
              if (used.isEmpty() || !used.get().pool().equals(pool)) {
                return Optional.<Agent>empty();
              }
              Agent a =
                  tx.agents().register(id, pool, name, keys.toPublicJWKSet().toString(), version);
              Map<String, Object> d = new LinkedHashMap<>();
              d.put("pool", pool);
              d.put("name", name);
              d.put("registrationTokenId", used.get().id());
              tx.audit()
                  .append(
                      new AuditEvent(
                          "agent.register",
                          "agent:" + name,
                          "agent/" + id,
                          "success",
                          requestId,
                          d));
              return Optional.of(a);
            });
    if (agent.isEmpty()) {
      log.info(
          "agent registration refused: the registration token for pool {} is unknown, used,"
              + " expired or of another pool (agent name {})",
          pool,
          name);
      throw SightlineException.unauthorized(
          "the registration token is not valid (unknown, already used, expired, or for another"
              + " pool): ask an admin for a new one (POST /api/v1/agent-pools/"
              + pool
              + "/registration-tokens)");
    }
    log.info("agent {} ({}) registered in pool {}", name, id, pool);
    return agent.get();
  }

  // ------------------------------------------------------------------ proofs

  /**
   * Checks a call's proof ({@code Agent-Proof}): signed by the key of a registered, enabled agent,
   * for this server ({@code aud}), this method and path, current (at most 60 s long), and not seen
   * before. Or its session MAC ({@code Agent-MAC}): HMAC-SHA256 under a session key this replica
   * issued to an enabled agent, over the method, the audience, the path with its query, the body's
   * hash, a timestamp at most 60 s old (5 s skew) and a nonce not seen before. A key id this
   * replica does not hold, or an expired key, is a 401 with code {@link
   * AgentClient#SESSION_UNKNOWN}, on which the agent falls back to a proof. Other refusals are 401s
   * whose precise reason is logged.
   *
   * @param query the raw query string, or null
   * @param body the request's body (read only for a MAC'd call)
   */
  public Agent authenticate(
      String authorization,
      String method,
      String path,
      String query,
      String requestBase,
      java.util.function.Supplier<byte[]> body) {
    String macPrefix = AgentCrypto.MAC_SCHEME + " ";
    if (authorization != null && authorization.startsWith(macPrefix)) {
      return authenticateMac(
          authorization.substring(macPrefix.length()),
          method,
          query == null || query.isEmpty() ? path : path + "?" + query,
          requestBase,
          body);
    }
    String reason;
    String prefix = AgentClient.PROOF_SCHEME + " ";
    if (authorization == null || !authorization.startsWith(prefix)) {
      reason = "no Authorization: " + AgentClient.PROOF_SCHEME + " header";
      return refuse(reason, null);
    }
    SignedJWT jwt;
    JWTClaimsSet claims;
    try {
      jwt = SignedJWT.parse(authorization.substring(prefix.length()).strip());
      claims = jwt.getJWTClaimsSet();
    } catch (ParseException e) {
      return refuse("the proof is not a JWS", null);
    }
    String agentId = jwt.getHeader().getKeyID();
    if (!JWSAlgorithm.ES256.equals(jwt.getHeader().getAlgorithm())
        || !AgentCrypto.PROOF_TYPE.equals(jwt.getHeader().getType())) {
      return refuse("the proof is not an ES256 agent proof", agentId);
    }
    Known known = known(agentId);
    if (known == null) {
      return refuse("no registered agent has id " + agentId + " (removed?)", agentId);
    }
    Agent agent = known.agent();
    if (!agent.enabled()) {
      return refuse("agent " + agent.name() + " is disabled", agentId);
    }
    try {
      if (!jwt.verify(known.verifier())) {
        return refuse(
            "the proof's signature does not match agent " + agent.name() + "'s key", agentId);
      }
    } catch (JOSEException e) {
      return refuse("the proof's signature cannot be checked: " + e.getMessage(), agentId);
    }
    Instant now = clock.instant();
    if (claims.getIssueTime() == null
        || claims.getExpirationTime() == null
        || claims.getJWTID() == null) {
      return refuse("the proof lacks iat, exp or jti", agentId);
    }
    Instant iat = claims.getIssueTime().toInstant();
    Instant exp = claims.getExpirationTime().toInstant();
    if (Duration.between(iat, exp).compareTo(AgentCrypto.MAX_PROOF_TTL) > 0) {
      return refuse("the proof lives longer than 60 s", agentId);
    }
    if (!now.isBefore(exp.plus(CLOCK_SKEW))) {
      return refuse("the proof expired at " + exp + " (clock skew?)", agentId);
    }
    if (iat.isAfter(now.plus(CLOCK_SKEW))) {
      return refuse("the proof was issued in the future (" + iat + "; clock skew?)", agentId);
    }
    String expectedAud = publicUrl != null ? publicUrl : strip(requestBase);
    if (!claims.getAudience().contains(expectedAud)) {
      return refuse(
          "the proof's audience " + claims.getAudience() + " is not " + expectedAud, agentId);
    }
    if (!method.equals(claims.getClaim("htm")) || !path.equals(claims.getClaim("htu"))) {
      return refuse(
          "the proof was made for another call ("
              + claims.getClaim("htm")
              + " "
              + claims.getClaim("htu")
              + ")",
          agentId);
    }
    String jti = agentId + "/" + claims.getJWTID();
    if (seenJtis.putIfAbsent(jti, exp.plus(CLOCK_SKEW)) != null) {
      return refuse("the proof was replayed (jti " + claims.getJWTID() + " seen before)", agentId);
    }
    forgetOldJtis(now);
    return agent;
  }

  private Agent authenticateMac(
      String value,
      String method,
      String pathAndQuery,
      String requestBase,
      java.util.function.Supplier<byte[]> body) {
    AgentCrypto.MacHeader h;
    try {
      h = AgentCrypto.MacHeader.parse(value);
    } catch (IllegalArgumentException e) {
      return refuse("the Agent-MAC header is not kid.timestamp.nonce.mac", null);
    }
    Instant now = clock.instant();
    Session s = sessions.get(h.kid());
    if (s == null || !now.isBefore(s.expiresAt())) {
      log.debug(
          "agent call with session key {} refused: {} (the agent falls back to a proof)",
          h.kid(),
          s == null ? "not issued by this replica, or dropped" : "expired at " + s.expiresAt());
      throw new SightlineException(
          AgentClient.SESSION_UNKNOWN,
          401,
          null,
          "this server does not know the session key "
              + h.kid()
              + " (another replica's, rotated or expired): authenticate with a signed proof");
    }
    String agentId = s.agentId();
    String expectedAud = publicUrl != null ? publicUrl : strip(requestBase);
    byte[] expected =
        AgentCrypto.mac(
            s.key(),
            AgentCrypto.macInput(
                h.kid(), h.timestamp(), h.nonce(), expectedAud, method, pathAndQuery, body.get()));
    if (!MessageDigest.isEqual(expected, h.mac())) {
      return refuse(
          "the request's MAC does not match (another call, body, audience or key)", agentId);
    }
    Known known = known(agentId);
    if (known == null) {
      return refuse("no registered agent has id " + agentId + " (removed?)", agentId);
    }
    if (!known.agent().enabled()) {
      return refuse("agent " + known.agent().name() + " is disabled", agentId);
    }
    Instant ts = Instant.ofEpochSecond(h.timestamp());
    Instant until = ts.plus(AgentCrypto.MAX_MAC_AGE).plus(CLOCK_SKEW);
    if (!now.isBefore(until)) {
      return refuse("the request's MAC expired (timestamp " + ts + "; clock skew?)", agentId);
    }
    if (ts.isAfter(now.plus(CLOCK_SKEW))) {
      return refuse("the request's MAC is from the future (" + ts + "; clock skew?)", agentId);
    }
    if (seenJtis.putIfAbsent(h.kid() + "/" + h.nonce(), until) != null) {
      return refuse("the request was replayed (nonce " + h.nonce() + " seen before)", agentId);
    }
    forgetOldJtis(now);
    return known.agent();
  }

  private volatile long jtisPurgedAt = System.nanoTime();

  /**
   * Drops expired entries of the replay cache once it is large, at most once a second (at 200 calls
   * a second it holds about 13,000 live entries; a scan on every call would cost more than the
   * check).
   */
  private void forgetOldJtis(Instant now) {
    long t = System.nanoTime();
    if (seenJtis.size() > 10_000 && t - jtisPurgedAt > 1_000_000_000L) {
      jtisPurgedAt = t;
      seenJtis.values().removeIf(e -> e.isBefore(now));
    }
  }

  /** A registered agent as proofs need it, read at most every {@link #AGENT_CACHE}. */
  private record Known(Agent agent, ECDSAVerifier verifier, ECKey encryptionKey, long readAt) {}

  /** How long a replica trusts what it read about an agent (its enabled flag, its keys). */
  static final Duration AGENT_CACHE = Duration.ofSeconds(2);

  private final Map<String, Known> agentCache = new ConcurrentHashMap<>();

  private Known known(String agentId) {
    Known k = agentCache.get(agentId);
    if (k != null && System.nanoTime() - k.readAt() < AGENT_CACHE.toNanos()) {
      return k;
    }
    Optional<Agent> found = store.transact(tx -> tx.agents().find(agentId));
    if (found.isEmpty()) {
      agentCache.remove(agentId);
      return null;
    }
    try {
      JWKSet keys = JWKSet.parse(found.get().publicKeyJwk());
      k =
          new Known(
              found.get(),
              new ECDSAVerifier(AgentCrypto.signingKey(keys)),
              AgentCrypto.encryptionKey(keys),
              System.nanoTime());
    } catch (ParseException | JOSEException e) {
      throw new IllegalStateException("stored keys of agent " + agentId + " are unreadable", e);
    }
    agentCache.put(agentId, k);
    return k;
  }

  private static Agent refuse(String reason, String agentId) {
    log.info("agent call refused{}: {}", agentId == null ? "" : " (agent " + agentId + ")", reason);
    throw SightlineException.unauthorized(
        "the agent proof is not accepted (the server log says why): check the agent's clock, its"
            + " registration and that it is enabled");
  }

  // ------------------------------------------------------------------ agents

  public List<Agent> list(String pool) {
    return store.transact(tx -> tx.agents().list(pool));
  }

  public boolean online(Agent a) {
    return a.enabled() && a.lastSeenAt().isAfter(clock.instant().minus(ONLINE_WINDOW));
  }

  public Agent find(String id) {
    return store
        .transact(tx -> tx.agents().find(id))
        .orElseThrow(
            () ->
                SightlineException.notFound(
                    "AGENT_NOT_FOUND",
                    "no agent with id " + id + ": list them with GET /api/v1/agents"));
  }

  public Agent setEnabled(String id, boolean enabled, String actor, String requestId) {
    agentCache.remove(id);
    dropKeys(id);
    return store.transact(
        tx -> {
          if (!tx.agents().setEnabled(id, enabled)) {
            throw SightlineException.notFound("AGENT_NOT_FOUND", "no agent with id " + id);
          }
          Agent a = tx.agents().find(id).orElseThrow();
          tx.audit()
              .append(
                  new AuditEvent(
                      enabled ? "agent.enable" : "agent.disable",
                      actor,
                      "agent/" + id,
                      "success",
                      requestId,
                      Map.of("pool", a.pool(), "name", a.name())));
          return a;
        });
  }

  public void remove(String id, String actor, String requestId) {
    agentCache.remove(id);
    dropKeys(id);
    store.transact(
        tx -> {
          Agent a =
              tx.agents()
                  .find(id)
                  .orElseThrow(
                      () ->
                          SightlineException.notFound("AGENT_NOT_FOUND", "no agent with id " + id));
          tx.agents().remove(id);
          tx.audit()
              .append(
                  new AuditEvent(
                      "agent.remove",
                      actor,
                      "agent/" + id,
                      "success",
                      requestId,
                      Map.of("pool", a.pool(), "name", a.name())));
          return null;
        });
  }

  public void heartbeat(Agent a, String version) {
    Instant now = clock.instant();
    lastSeenWritten.put(a.id(), now);
    store.transact(
        tx -> {
          tx.agents().seen(a.id(), now, version);
          tx.agents().extendClaims(a.id(), now.plus(claim));
          return null;
        });
    purgeNowAndThen(now);
  }

  /** Finished jobs are kept this long (their payloads stay sealed), then deleted. */
  static final Duration KEEP_FINISHED = Duration.ofHours(1);

  private volatile Instant lastPurge = Instant.EPOCH;

  private void purgeNowAndThen(Instant now) {
    if (lastPurge.isAfter(now.minus(Duration.ofMinutes(5)))) {
      return;
    }
    lastPurge = now;
    int n = store.transact(tx -> tx.agents().purge(now.minus(KEEP_FINISHED)));
    if (n > 0) {
      log.info("deleted {} agent jobs finished more than {} ago", n, KEEP_FINISHED);
    }
  }

  /** Whether an enabled agent of {@code pool} is online. */
  public boolean poolOnline(String pool) {
    Long onlineAt = poolOnlineAt.get(pool);
    if (onlineAt != null && System.nanoTime() - onlineAt < 1_000_000_000L) {
      return true;
    }
    Instant since = clock.instant().minus(ONLINE_WINDOW);
    boolean online = store.transact(tx -> tx.agents().anyOnline(pool, since));
    if (online) {
      poolOnlineAt.put(pool, System.nanoTime());
    }
    return online;
  }

  /** When a pool was last found online (a pool is looked up at most once a second). */
  private final Map<String, Long> poolOnlineAt = new ConcurrentHashMap<>();

  // ------------------------------------------------------------------ jobs (agent side)

  /**
   * Waits up to {@code wait} for a job of the agent's pool and claims it. Jobs queued on this
   * replica wake one waiting poll in-process; for jobs queued on another replica, one poll of the
   * pool looks at the store every {@link #STORE_POLL} (not every waiting poll: 16 idle polls would
   * otherwise make 64 claim transactions a second; single-node: {@link #LOCAL_STORE_POLL}).
   */
  public Optional<Claimed> next(Agent agent, Duration wait) {
    long deadline = System.nanoTime() + Math.min(wait.toNanos(), MAX_POLL_WAIT.toNanos());
    Signal signal = poolSignals.computeIfAbsent(agent.pool(), p -> new Signal());
    AtomicLong storeLookDue = storeLooks.computeIfAbsent(agent.pool(), p -> new AtomicLong());
    markSeen(agent);
    boolean look = true;
    while (true) {
      long generation = signal.generation();
      if (look) {
        storeLookDue.set(System.nanoTime() + storePoll.toNanos());
        Optional<Claimed> c = tryClaim(agent);
        if (c.isPresent()) {
          return c;
        }
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return Optional.empty();
      }
      try {
        signal.await(generation, Math.min(left / 1_000_000, storePoll.toMillis()));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return Optional.empty();
      }
      long due = storeLookDue.get();
      look =
          signal.generation() != generation
              || (System.nanoTime() - due >= 0 && storeLookDue.compareAndSet(due, due + 1));
    }
  }

  /** When a poll of each pool next looks at the store for work queued by another replica. */
  private final Map<String, AtomicLong> storeLooks = new ConcurrentHashMap<>();

  /** Records the agent as seen, at most every 5 s (each poll would otherwise write its row). */
  private void markSeen(Agent agent) {
    Instant now = clock.instant();
    Instant last = lastSeenWritten.get(agent.id());
    if (last != null && last.isAfter(now.minusSeconds(5))) {
      return;
    }
    lastSeenWritten.put(agent.id(), now);
    store.transact(
        tx -> {
          tx.agents().seen(agent.id(), now, null);
          return null;
        });
  }

  private Optional<Claimed> tryClaim(Agent agent) {
    Known k = known(agent.id());
    if (k == null) {
      return Optional.empty();
    }
    // The claim's transaction (a row lock other pollers may wait for) is the one update: the
    // payload is opened and encrypted to the agent after it committed. Like the enqueue and the
    // answer's update, it shares its commit with concurrent writes (a group commit): every H2
    // commit writes its own chunk to the file.
    Instant now = clock.instant();
    Optional<Job> claimed =
        store.transactGrouped(
            tx -> tx.agents().claim(agent.pool(), agent.id(), now, now.plus(claim), null));
    if (claimed.isEmpty()) {
      return Optional.empty();
    }
    Job j = claimed.get();
    SecretValue payload = store.sealer().open(j.sealedPayload(), payloadContext(j.id()));
    Channel ch = channel(agent.id(), k.encryptionKey());
    String jwe = AgentCrypto.encryptDirect(payload, ch.key(), ch.kid());
    log.info(
        "job {} ({}) of pool {} claimed by agent {} (attempt {})",
        j.id(),
        j.kind(),
        j.pool(),
        agent.name(),
        j.attempts());
    return Optional.of(
        new Claimed(
            j.id(),
            j.kind(),
            jwe,
            ch.wrapped(),
            j.attempts(),
            j.claimUntil(),
            ch.session().kid(),
            ch.wrappedSession()));
  }

  /**
   * A channel key of one agent: jobs are encrypted under it (JWE dir, A256GCM), and it travels
   * along encrypted to the agent's key ({@code wrapped}, ECDH-ES+A256KW), which the agent decrypts
   * once. Kept in memory only, for at most {@link #CHANNEL_LIFETIME} or {@link #CHANNEL_USES} jobs.
   */
  private record Channel(
      String kid,
      byte[] key,
      String wrapped,
      Instant expiresAt,
      AtomicLong uses,
      Session session,
      String wrappedSession) {}

  /**
   * A session key of one agent, issued with its channel key and expiring with it: the agent MACs
   * its calls with it instead of signing a proof. In memory only, on the replica that issued it.
   */
  private record Session(String kid, String agentId, byte[] key, Instant expiresAt) {}

  static final Duration CHANNEL_LIFETIME = Duration.ofMinutes(10);

  /**
   * A channel is renewed this long before it expires, so that the agent gets the next session key
   * while its current one is still valid (and never has to fall back to a proof for that).
   */
  static final Duration RENEW_BEFORE = Duration.ofMinutes(1);

  static final long CHANNEL_USES = 100_000;

  private final Map<String, Channel> channels = new ConcurrentHashMap<>();

  /** Session keys by key id (one per agent: its channel's). */
  private final Map<String, Session> sessions = new ConcurrentHashMap<>();

  private Channel channel(String agentId, ECKey agentKey) {
    Channel ch = channels.get(agentId);
    Instant now = clock.instant();
    if (ch != null
        && now.isBefore(ch.expiresAt().minus(RENEW_BEFORE))
        && ch.uses().incrementAndGet() <= CHANNEL_USES) {
      return ch;
    }
    synchronized (channels) {
      // Another poll of the agent may have made a new one meanwhile: one channel (and one session
      // key) per agent, so the session map holds no orphans.
      Channel current = channels.get(agentId);
      if (current != null && current != ch) {
        return current;
      }
      Instant expiresAt = now.plus(CHANNEL_LIFETIME);
      com.nimbusds.jose.jwk.OctetSequenceKey k = AgentCrypto.newChannelKey();
      com.nimbusds.jose.jwk.OctetSequenceKey sk = AgentCrypto.newSessionKey(expiresAt);
      Session session = new Session(sk.getKeyID(), agentId, sk.toByteArray(), expiresAt);
      Channel fresh =
          new Channel(
              k.getKeyID(),
              k.toByteArray(),
              AgentCrypto.encrypt(SecretValue.of(k.toJSONString()), agentKey),
              expiresAt,
              new AtomicLong(),
              session,
              AgentCrypto.encrypt(SecretValue.of(sk.toJSONString()), agentKey));
      channels.put(agentId, fresh);
      // The previous session key stays valid until its own expiry (the agent holds it until the
      // next job brings this one); expired ones are forgotten here.
      sessions.values().removeIf(x -> !now.isBefore(x.expiresAt()));
      sessions.put(session.kid(), session);
      return fresh;
    }
  }

  /** Forgets an agent's channel and session keys (disabled or removed: at once). */
  private void dropKeys(String agentId) {
    synchronized (channels) {
      channels.remove(agentId);
      sessions.values().removeIf(s -> s.agentId().equals(agentId));
    }
  }

  /** Takes an agent's result (a JWE to the claim's key, stored as it came). */
  public void complete(Agent agent, String jobId, String resultJwe) {
    if (resultJwe == null || resultJwe.isBlank() || resultJwe.length() > 1_000_000) {
      throw SightlineException.badRequest(
          "MISSING_FIELD", "result", "result is the JWE of the job's answer");
    }
    int attempt = claimOf(resultJwe);
    // The update names the agent, so it only takes an answer to this agent's own claim (its
    // pool's job); the job is read only to say why an answer was not taken.
    boolean ok =
        store.transactGrouped(
            tx ->
                tx.agents()
                    .complete(
                        jobId,
                        agent.id(),
                        attempt,
                        true,
                        resultJwe.getBytes(StandardCharsets.US_ASCII),
                        null));
    if (!ok) {
      Optional<Job> j = store.transact(tx -> tx.agents().job(jobId));
      if (j.isEmpty() || !agent.pool().equals(j.get().pool())) {
        throw SightlineException.notFound("JOB_NOT_FOUND", "no job " + jobId + " for this agent");
      }
      log.info(
          "job {}: result of agent {} ignored (its claim lapsed; another agent took it)",
          jobId,
          agent.name());
      throw SightlineException.conflict(
          "JOB_NOT_CLAIMED", "job " + jobId + " is no longer claimed by this agent");
    }
    Waiter waiter = waiters.get(jobId);
    if (waiter != null) {
      waiter.deliver(resultJwe);
    }
  }

  /** The claim a result answers: the {@code kid} of the key it is encrypted to. */
  private static int claimOf(String jwe) {
    try {
      String kid = com.nimbusds.jose.JWEObject.parse(jwe).getHeader().getKeyID();
      if (kid != null && kid.startsWith("claim-")) {
        return Integer.parseInt(kid.substring("claim-".length()));
      }
    } catch (ParseException | NumberFormatException e) {
      // refused below
    }
    throw SightlineException.badRequest(
        "INVALID_RESULT", "result", "result must be a JWE to the job's resultKey");
  }

  // ------------------------------------------------------------------ jobs (server side)

  /**
   * Queues a job for {@code pool} and waits for its answer until {@code timeout}.
   *
   * @throws SightlineException 503 {@code AGENT_POOL_OFFLINE} when no agent of the pool is online,
   *     504 {@code AGENT_JOB_TIMEOUT} when none answered in time, or the agent's own error
   */
  public SecretValue run(
      String pool,
      JobCodec.Kind kind,
      String idempotencyKey,
      SecretValue payload,
      Duration timeout) {
    if (!poolOnline(pool)) {
      throw offline(pool);
    }
    String id = UUID.randomUUID().toString();
    // The answer comes back encrypted under a fresh key that travels inside the job (sealed here,
    // encrypted to the agent on the wire), so any replica can read it after a restart.
    byte[] resultKey = AgentCrypto.newResultKey();
    SecretValue job = JobCodec.withResultKey(payload, resultKey);
    Waiter waiter = new Waiter();
    waiters.put(id, waiter);
    String[] waitingOn = {id};
    try {
      Instant now = clock.instant();
      Job stored =
          store.transactGrouped(
              tx ->
                  tx.agents()
                      .enqueue(
                          new Agents.NewJob(
                              id,
                              pool,
                              kind.wireName(),
                              idempotencyKey,
                              tx.sealer().seal(job, payloadContext(id)),
                              MAX_ATTEMPTS,
                              now.plus(timeout).plus(claim.multipliedBy(MAX_ATTEMPTS)))));
      boolean fresh = stored.id().equals(id);
      if (!fresh) {
        // An earlier job with the same idempotency key (a retry, or another replica's call):
        // wait for that one, under its own result key.
        waiters.remove(id);
        waiters.put(stored.id(), waiter);
        waitingOn[0] = stored.id();
        resultKey = earlierResultKey(stored);
      } else {
        poolSignals.computeIfAbsent(pool, p -> new Signal()).fire(false);
      }
      return await(stored.id(), pool, waiter, resultKey, !fresh, timeout);
    } finally {
      waiters.remove(waitingOn[0], waiter);
    }
  }

  private byte[] earlierResultKey(Job j) {
    try {
      return JobCodec.resultKey(store.sealer().open(j.sealedPayload(), payloadContext(j.id())));
    } catch (IllegalArgumentException e) {
      throw new SightlineException(
          "AGENT_JOB_FAILED",
          502,
          null,
          "job " + j.id() + " was queued by an older server version: retry in a minute");
    }
  }

  /**
   * Waits for the job's answer: handed over in-process by the result route of this replica, or
   * found in the store (answered through another replica) at the latest every {@link #STORE_POLL}
   * (single-node: {@link #LOCAL_STORE_POLL}).
   */
  private SecretValue await(
      String id,
      String pool,
      Waiter waiter,
      byte[] resultKey,
      boolean lookFirst,
      Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    boolean look = lookFirst;
    while (true) {
      long generation = waiter.generation();
      String result = waiter.result;
      if (result == null && look) {
        Job j = store.transact(tx -> tx.agents().job(id)).orElseThrow();
        if (j.state() == JobState.DONE) {
          result = new String(j.result(), StandardCharsets.US_ASCII);
        } else if (j.state() == JobState.FAILED) {
          throw new SightlineException(
              "AGENT_JOB_FAILED", 502, null, "the job of pool " + pool + " failed: " + j.error());
        }
      }
      if (result != null) {
        try {
          return AgentCrypto.decryptDirect(result, resultKey);
        } catch (IllegalArgumentException e) {
          throw new SightlineException(
              "AGENT_JOB_FAILED",
              502,
              null,
              "the answer of an agent of pool " + pool + " to job " + id + " is unreadable");
        }
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new SightlineException(
            "AGENT_JOB_TIMEOUT",
            504,
            null,
            "no agent of pool "
                + pool
                + " answered within "
                + timeout.toMillis()
                + " ms (the job stays queued and is retried): check the pool's agents with GET"
                + " /api/v1/agents?pool="
                + pool);
      }
      try {
        waiter.await(generation, Math.min(left / 1_000_000, storePoll.toMillis()));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new SightlineException("INTERRUPTED", 503, null, "interrupted waiting for an agent");
      }
      // Woken without an answer handed over (or the store poll is due): look at the store.
      look = true;
    }
  }

  public static SightlineException offline(String pool) {
    return new SightlineException(
        "AGENT_POOL_OFFLINE",
        503,
        "via.pool",
        "no agent of pool "
            + pool
            + " is online: start one in the cluster's network (sightline agent --pool "
            + pool
            + ") or check GET /api/v1/agents?pool="
            + pool,
        10,
        null);
  }

  private static String payloadContext(String id) {
    return "agent-job/" + id;
  }

  static String sha256(String s) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String strip(String url) {
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }
}
