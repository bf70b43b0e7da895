package io.sightline.server.leases;

import io.sightline.connections.ClusterOperations;
import io.sightline.connections.ConnectionKind;
import io.sightline.connections.ConnectionRequests;
import io.sightline.connections.ConnectionSpec;
import io.sightline.connections.Provisioning;
import io.sightline.connections.agentidentity.AgentIdentityConnection;
import io.sightline.core.AuditEvent;
import io.sightline.core.SecretValue;
import io.sightline.core.SightlineException;
import io.sightline.kubernetes.ClusterAccess;
import io.sightline.kubernetes.mint.MintRequest;
import io.sightline.kubernetes.mint.MintedToken;
import io.sightline.kubernetes.mint.TokenMinter;
import io.sightline.server.agents.ConnectionOperations;
import io.sightline.store.Connections.ConnectionRecord;
import io.sightline.store.Connections.ProvisioningState;
import io.sightline.store.Leases;
import io.sightline.store.Leases.LeaseRecord;
import io.sightline.store.Leases.State;
import io.sightline.store.Store;
import io.sightline.store.StoreTx;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Issues, renews, revokes and reaps leases (DESIGN.md "How credentials are issued", per task at run
 * time). TokenRequest leases: the row first ({@code issuing}), then the bound Secret and the token
 * through {@link TokenMinter} with the connection's minter credential, then the activation and its
 * audit record in one transaction. Static leases hand out the stored credential, with a warning.
 * Only hashes of tokens and handles are kept; audit records name tokens by {@code jti} and hash.
 */
public final class LeaseService implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LeaseService.class);

  /** An issuing row older than this is an interrupted issuance (another replica's is younger). */
  static final Duration ISSUING_GRACE = Duration.ofMinutes(2);

  private static final Duration REPLAY_WAIT = Duration.ofSeconds(30);

  public static final String TOKEN_REQUEST = "token-request";
  public static final String STATIC = "static";

  /** What a create or renew answers: the lease and, once, its secrets. */
  public record Issued(
      LeaseRecord lease,
      SecretValue token,
      SecretValue kubeconfig,
      String server,
      String caPem,
      SecretValue handle,
      List<String> warnings,
      boolean replayed) {}

  private final Store store;
  private final Clock clock;
  private final LeaseSettings settings;
  private final ConnectionOperations operations;
  private final AzureLeases azure;

  /**
   * Refuses a lease request before anything is written or minted (environments: a target whose
   * checks must gate its credential). Its read runs inside the transaction that reads the lease's
   * connection, so a gated server pays no transaction of its own per lease.
   */
  public interface Gate {
    /**
     * Why {@code caller} may not lease {@code target} directly, read in {@code tx}; null when it
     * may. {@code connection} is the target's connection when the caller read it already, else
     * null.
     */
    String refusal(StoreTx tx, Caller caller, LeaseTarget target, ConnectionRecord connection);

    /** Records the refusal (its own transaction) and answers the exception to throw. */
    SightlineException refuse(Caller caller, LeaseTarget target, String reason, String requestId);
  }

  private static final Gate OPEN =
      new Gate() {
        @Override
        public String refusal(
            StoreTx tx, Caller caller, LeaseTarget target, ConnectionRecord connection) {
          return null;
        }

        @Override
        public SightlineException refuse(
            Caller caller, LeaseTarget target, String reason, String requestId) {
          throw new IllegalStateException("the open gate refuses nothing");
        }
      };

  private volatile Gate gate = OPEN;
  private volatile IssueTimers timers = IssueTimers.NONE;
  private ScheduledExecutorService reaper;
  private volatile java.util.function.BooleanSupplier reapGate = () -> true;

  /**
   * @param azure leases for azurerm targets (null: such targets are answered 501)
   */
  /**
   * @param operations where each connection's mint and revoke run (here, or on its agent pool)
   */
  public LeaseService(
      Store store,
      Clock clock,
      LeaseSettings settings,
      ConnectionOperations operations,
      AzureLeases azure) {
    this.store = store;
    this.clock = clock;
    this.settings = settings;
    this.operations = operations;
    this.azure = azure;
  }

  public LeaseSettings settings() {
    return settings;
  }

  /** Records where issuance spends its time in {@code meters} (see {@link IssueTimers}). */
  public void meters(io.micrometer.core.instrument.MeterRegistry meters) {
    this.timers = new IssueTimers(meters);
  }

  /** Sets the gate every lease request passes first (see {@link Gate}). */
  public void gate(Gate gate) {
    this.gate = java.util.Objects.requireNonNull(gate, "gate");
  }

  // ------------------------------------------------------------------ issue

  /** The connection as lease issuance needs it. */
  private record Source(
      ConnectionRecord record,
      ConnectionSpec spec,
      SecretValue minterToken,
      ClusterAccess access,
      ClusterOperations ops) {
    boolean tokenRequest() {
      return record.provisioning() != null
          && (minterToken != null
              || ConnectionKind.KUBERNETES_AGENT_IDENTITY
                  .authorizationType()
                  .equals(record.authorizationType()));
    }
  }

  private Source source(StoreTx tx, String connection, boolean byId) {
    Optional<ConnectionRecord> found =
        byId ? tx.connections().findById(connection) : tx.connections().find(connection);
    ConnectionRecord r =
        found.orElseThrow(
            () ->
                SightlineException.notFound(
                    "CONNECTION_NOT_FOUND",
                    "no connection named "
                        + connection
                        + ": list them with GET /api/v1/connections (sightline connection list)"));
    ConnectionKind kind = ConnectionKind.fromWire(r.kind(), r.authorizationType());
    ClusterOperations ops = operations.of(kind, r.fields());
    ProvisioningState p = r.provisioning();
    if (kind == ConnectionKind.KUBERNETES_AGENT_IDENTITY && p != null) {
      // Nothing stored but the URL: the agent mints with its own identity.
      return new Source(
          r, null, null, AgentIdentityConnection.access(String.valueOf(r.serverUrl())), ops);
    }
    SecretValue minter = tx.connections().minterToken(r.id()).orElse(null);
    if (p != null && minter != null) {
      Object ca = p.details().get("caPem");
      ClusterAccess access =
          Provisioning.minterAccess(
              String.valueOf(p.details().get("serverUrl")),
              ca == null ? null : ca.toString(),
              Boolean.TRUE.equals(p.details().get("acceptUntrustedCerts")),
              minter);
      return new Source(r, null, minter, access, ops);
    }
    if (kind == ConnectionKind.KUBERNETES_AZURE_SUBSCRIPTION) {
      throw SightlineException.conflict(
          "NOT_PROVISIONED",
          "connection "
              + r.name()
              + " is not provisioned yet: update it with adminKubeconfig and namespaces (PUT"
              + " /api/v1/connections/"
              + r.name()
              + ") to provision it");
    }
    ConnectionSpec spec =
        ConnectionRequests.fromStored(
            r.name(), kind, r.description(), r.fields(), tx.connections().secrets(r.id()));
    return new Source(r, spec, null, spec.type().access(spec), ops);
  }

  /**
   * Issues a lease, or answers the one an earlier request with the same {@code idempotencyKey} of
   * the same caller issued.
   */
  public Issued issue(
      Caller caller,
      LeaseTarget target,
      Long ttlSeconds,
      TaskInfo task,
      String idempotencyKey,
      String requestId) {
    long t0 = System.nanoTime();
    if (target == null) {
      throw SightlineException.badRequest(
          "TARGET_REQUIRED",
          "target",
          "name the cluster target: {\"target\":{\"connection\":\"prod\",\"namespace\":\"web\"}}");
    }
    if (target.isAzure() && azure != null) {
      Gate g = gate;
      String refusal = g == OPEN ? null : store.transact(tx -> g.refusal(tx, caller, target, null));
      if (refusal != null) {
        throw g.refuse(caller, target, refusal, requestId);
      }
      return azure.issue(caller, target, ttlSeconds, task, idempotencyKey, requestId);
    }
    if (target.isAzure()) {
      throw new SightlineException(
          "NOT_IMPLEMENTED_YET",
          501,
          "target.azureConnection",
          "leases through an azurerm connection (azureConnection, resourceGroup, cluster) are not"
              + " implemented yet: use a kubernetes connection of authorizationType"
              + " AzureSubscription for that cluster in the meantime");
    }
    if (target.connection() == null || target.connection().isBlank()) {
      throw SightlineException.badRequest(
          "TARGET_REQUIRED", "target.connection", "target.connection names the connection");
    }
    LeaseRequests.checkTtlAndIdempotencyKey(ttlSeconds, idempotencyKey);
    Map<String, Object> taskMap = task == null ? Map.of() : task.toMap();
    String requestHash = LeaseRequests.requestHash(target, ttlSeconds, taskMap);
    if (idempotencyKey != null) {
      Optional<Issued> earlier = replay(caller, idempotencyKey, requestHash, false);
      if (earlier.isPresent()) {
        return earlier.get();
      }
    }

    Instant now = clock.instant();
    String id = LeaseHandles.newLeaseId();
    SecretValue handle = LeaseHandles.newHandle();
    List<String> warnings = new ArrayList<>();
    Gate g = gate;
    String[] refusal = new String[1];
    Source src =
        store.transact(
            tx -> {
              Source s = source(tx, target.connection(), false);
              refusal[0] = g.refusal(tx, caller, target, s.record());
              return s;
            });
    if (refusal[0] != null) {
      throw g.refuse(caller, target, refusal[0], requestId);
    }
    LeasePermissions.check(store, caller, src.record(), target.toMap(), taskMap, requestId);
    boolean tokenRequest = src.tokenRequest();
    if (!tokenRequest && !settings.allowStatic()) {
      LeaseRequests.auditRefusal(
          store,
          "lease.refused",
          "denied",
          caller,
          src.record().name(),
          requestId,
          "STATIC_LEASE_REFUSED",
          target,
          taskMap);
      throw SightlineException.forbidden(
          "STATIC_LEASE_REFUSED",
          "connection "
              + src.record().name()
              + " has no deployer to mint short-lived tokens for, and this server refuses static"
              + " leases (sightline.lease.allow-static=false): harden the connection (sightline"
              + " connection harden "
              + src.record().name()
              + " --namespace NS) so it mints per-task tokens");
    }
    String namespace;
    String deployer = null;
    String home = null;
    if (tokenRequest) {
      ProvisioningState p = src.record().provisioning();
      namespace = target.namespace();
      if (namespace == null && p.deployers().size() == 1) {
        namespace = p.deployers().keySet().iterator().next();
      }
      if (namespace == null || !p.deployers().containsKey(namespace)) {
        String allowed = String.join(", ", new TreeMap<>(p.deployers()).keySet());
        LeaseRequests.auditRefusal(
            store,
            "lease.refused",
            "denied",
            caller,
            src.record().name(),
            requestId,
            "NAMESPACE_NOT_ALLOWED",
            target,
            taskMap);
        throw new SightlineException(
            "NAMESPACE_NOT_ALLOWED",
            403,
            "target.namespace",
            (namespace == null
                    ? "name the namespace (target.namespace)"
                    : "connection "
                        + src.record().name()
                        + " has no deployer for namespace "
                        + namespace)
                + ": its target namespaces are "
                + allowed
                + " (add one by updating the connection with adminKubeconfig and namespaces)");
      }
      deployer = p.deployers().get(namespace);
      home = p.homeNamespace();
    } else {
      namespace = target.namespace() != null ? target.namespace() : src.access().namespace();
      warnings.add(
          "static credential: this lease hands out the connection's stored, long-lived credential;"
              + " it does not expire with the lease and cannot be revoked by Sightline. Harden the"
              + " connection (sightline connection harden) to get per-task tokens");
    }
    Instant maxExpiresAt = now.plus(settings.maxLifetime());
    Duration ttl = ttl(ttlSeconds, tokenRequest, now, maxExpiresAt, warnings, false);
    Instant expiresAt = now.plus(ttl);

    Leases.NewLease row =
        new Leases.NewLease(
            id,
            src.record().id(),
            src.record().name(),
            tokenRequest ? TOKEN_REQUEST : STATIC,
            tokenRequest ? State.ISSUING : State.ACTIVE,
            namespace,
            home,
            deployer,
            target.toMap(),
            taskMap,
            caller.name(),
            caller.pipeline() == null ? null : caller.pipeline().toMap(),
            ttl.toSeconds(),
            List.copyOf(warnings),
            LeaseHandles.sha256(handle.reveal()),
            expiresAt,
            maxExpiresAt,
            tokenRequest);
    IssueTimers t = timers;
    long t1 = t.check(t0);
    LeaseRecord created;
    try {
      // Durable before the Secret exists (crash recovery finds the row); concurrent issuances
      // share the commit.
      created =
          store.transactGrouped(
              tx -> {
                LeaseRecord r = tx.leases().create(row);
                if (idempotencyKey != null) {
                  tx.leases()
                      .bindIdempotencyKey(caller.name(), idempotencyKey, id, requestHash, handle);
                }
                if (!tokenRequest) {
                  audit(tx, "lease.issue", caller, r, "success", requestId, Map.of());
                }
                return r;
              });
    } catch (SightlineException e) {
      if (idempotencyKey != null && "IDEMPOTENCY_KEY_IN_USE".equals(e.code())) {
        // A concurrent retry won the key: answer its lease.
        return replay(caller, idempotencyKey, requestHash, true).orElseThrow(() -> e);
      }
      throw e;
    }
    if (!tokenRequest) {
      SecretValue token = src.access().bearerToken();
      return new Issued(
          created,
          token,
          LeaseKubeconfig.of(src.record().name(), src.access(), namespace),
          src.access().server(),
          src.access().caPem(),
          handle,
          List.copyOf(warnings),
          false);
    }
    long t2 = t.record(t1);
    MintedToken minted;
    try {
      minted =
          src.ops()
              .mint(src.access(), new MintRequest(id, home, deployer, ttl, List.of(), expiresAt));
    } catch (RuntimeException e) {
      failIssuance(caller, created, src, e, requestId);
      throw e;
    }
    long t3 = t.mint(t2);
    LeaseRecord active;
    try {
      active =
          store.transactGrouped(
              tx -> {
                // One statement decides: issuing → active, or the lease was revoked meanwhile.
                if (!tx.leases()
                    .activate(
                        id, minted.jti(), minted.sha256(), minted.expiresAt(), ttl.toSeconds())) {
                  return tx.leases().find(id).orElseThrow();
                }
                if (idempotencyKey != null) {
                  tx.leases().rememberToken(id, minted.token());
                }
                LeaseRecord r = activated(created, minted, ttl);
                audit(
                    tx,
                    "lease.issue",
                    caller,
                    r,
                    "success",
                    requestId,
                    Map.of("serviceAccount", minted.serviceAccount()));
                return r;
              });
    } catch (RuntimeException e) {
      failIssuance(caller, created, src, e, requestId);
      throw e;
    }
    t.activate(t3);
    if (active.state() != State.ACTIVE) {
      revokeQuietly(src, id, home);
      throw SightlineException.conflict(
          "LEASE_REVOKED", "lease " + id + " was revoked while it was being issued");
    }
    return new Issued(
        active,
        minted.token(),
        LeaseKubeconfig.of(
            src.record().name(), tokenAccess(src.access(), minted.token()), namespace),
        src.access().server(),
        src.access().caPem(),
        handle,
        List.copyOf(warnings),
        false);
  }

  /** The row {@code created} after {@link Leases#activate}, as a read-back would answer it. */
  private LeaseRecord activated(LeaseRecord created, MintedToken minted, Duration ttl) {
    Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
    return new LeaseRecord(
        created.id(),
        created.connectionId(),
        created.connectionName(),
        created.credential(),
        State.ACTIVE,
        created.namespace(),
        created.homeNamespace(),
        created.deployer(),
        created.target(),
        created.task(),
        created.principal(),
        created.pipelineIdentity(),
        ttl.toSeconds(),
        created.warnings(),
        minted.jti(),
        minted.sha256(),
        created.failure(),
        created.createdAt(),
        now,
        minted.expiresAt().truncatedTo(ChronoUnit.MILLIS),
        created.maxExpiresAt(),
        created.revokedAt(),
        created.revokedBy(),
        created.secretPresent());
  }

  private void failIssuance(
      Caller caller, LeaseRecord lease, Source src, RuntimeException cause, String requestId) {
    String code = cause instanceof SightlineException se ? se.code() : "INTERNAL_ERROR";
    boolean deleted = revokeQuietly(src, lease.id(), lease.homeNamespace());
    try {
      store.transact(
          tx -> {
            tx.leases().fail(lease.id(), code + ": " + cause.getMessage());
            if (deleted) {
              tx.leases().setSecretPresent(lease.id(), false);
            }
            LeaseRecord r = tx.leases().find(lease.id()).orElse(lease);
            audit(
                tx,
                "lease.failed",
                caller,
                r,
                "failure",
                requestId,
                Map.of("code", code, "secretDeleted", deleted));
            return null;
          });
    } catch (RuntimeException e) {
      log.warn(
          "lease {} failed ({}) and could not be marked failed: {}; recovery will revoke it",
          lease.id(),
          code,
          e.getMessage());
    }
  }

  /** Deletes the lease's Secret by name; true when it is gone now. */
  private boolean revokeQuietly(Source src, String id, String home) {
    try {
      src.ops().revoke(src.access(), id, home);
      return true;
    } catch (RuntimeException e) {
      log.warn("could not delete the Secret of lease {}: {}", id, e.getMessage());
      return false;
    }
  }

  private Optional<Issued> replay(
      Caller caller, String key, String requestHash, boolean mustExist) {
    Instant deadline = Instant.now().plus(REPLAY_WAIT);
    while (true) {
      Optional<Leases.IdempotentAnswer> found =
          store.transact(tx -> tx.leases().findByIdempotencyKey(caller.name(), key));
      if (found.isEmpty()) {
        if (!mustExist) {
          return Optional.empty();
        }
        throw SightlineException.conflict(
            "IDEMPOTENCY_KEY_IN_USE", "a concurrent request holds this Idempotency-Key; retry");
      }
      Leases.IdempotentAnswer a = found.get();
      if (!a.requestHash().equals(requestHash)) {
        throw SightlineException.conflict(
            "IDEMPOTENCY_KEY_REUSED",
            "this Idempotency-Key was used for a different lease request: send a new key for a"
                + " new request");
      }
      LeaseRecord lease = store.transact(tx -> tx.leases().find(a.leaseId())).orElseThrow();
      switch (lease.state()) {
        case ISSUING -> {
          if (Instant.now().isAfter(deadline)) {
            throw SightlineException.unavailable(
                "LEASE_STILL_ISSUING",
                "the first request with this Idempotency-Key is still issuing lease "
                    + lease.id()
                    + "; retry in a few seconds",
                5);
          }
          sleep();
        }
        case ACTIVE -> {
          if (a.token() == null
              && !STATIC.equals(lease.credential())
              && Instant.now().isBefore(deadline)) {
            sleep(); // read while issuing, activated since: read the answer again
            continue;
          }
          return Optional.of(replayed(lease, a));
        }
        case FAILED ->
            throw SightlineException.conflict(
                "LEASE_FAILED",
                "the request with this Idempotency-Key failed (lease "
                    + lease.id()
                    + "): retry with a new Idempotency-Key");
        default ->
            throw SightlineException.conflict(
                "LEASE_ENDED",
                "lease "
                    + lease.id()
                    + " of this Idempotency-Key is "
                    + lease.state().wireName()
                    + ": ask for a new lease with a new Idempotency-Key");
      }
    }
  }

  private Issued replayed(LeaseRecord lease, Leases.IdempotentAnswer a) {
    Source src = store.transact(tx -> source(tx, lease.connectionId(), true));
    SecretValue token = STATIC.equals(lease.credential()) ? src.access().bearerToken() : a.token();
    ClusterAccess access =
        STATIC.equals(lease.credential()) ? src.access() : tokenAccess(src.access(), token);
    return new Issued(
        lease,
        token,
        LeaseKubeconfig.of(lease.connectionName(), access, lease.namespace()),
        src.access().server(),
        src.access().caPem(),
        a.handle(),
        lease.warnings(),
        true);
  }

  private static void sleep() {
    try {
      Thread.sleep(100);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw SightlineException.unavailable("INTERRUPTED", "interrupted; retry", 1);
    }
  }

  /** The TTL after the server's caps, Kubernetes' minimum and the lease's maximum lifetime. */
  private Duration ttl(
      Long requested,
      boolean tokenRequest,
      Instant now,
      Instant maxExpiresAt,
      List<String> warnings,
      boolean renewal) {
    Duration ttl = requested == null ? LeaseSettings.DEFAULT_TTL : Duration.ofSeconds(requested);
    if (ttl.compareTo(settings.maxTtl()) > 0) {
      warnings.add(
          "ttlSeconds "
              + ttl.toSeconds()
              + " is capped to "
              + settings.maxTtl().toSeconds()
              + ", the server's maximum (sightline.lease.max-ttl)");
      ttl = settings.maxTtl();
    }
    if (tokenRequest && ttl.compareTo(LeaseSettings.KUBERNETES_MIN_TTL) < 0) {
      warnings.add(
          "ttlSeconds "
              + ttl.toSeconds()
              + " is raised to 600: Kubernetes issues service-account tokens for at least 10"
              + " minutes");
      ttl = LeaseSettings.KUBERNETES_MIN_TTL;
    }
    Duration left = Duration.between(now, maxExpiresAt);
    if (ttl.compareTo(left) > 0) {
      Duration min = tokenRequest ? LeaseSettings.KUBERNETES_MIN_TTL : Duration.ofSeconds(1);
      if (left.compareTo(min) < 0) {
        throw new SightlineException(
            "LEASE_MAX_LIFETIME",
            409,
            null,
            "the lease reaches its maximum lifetime at "
                + maxExpiresAt
                + " (sightline.lease.max-lifetime): "
                + (renewal ? "it cannot be renewed further; " : "")
                + "ask for a new lease");
      }
      warnings.add(
          "ttlSeconds "
              + ttl.toSeconds()
              + " is capped to "
              + left.toSeconds()
              + ": the lease ends at its maximum lifetime, "
              + maxExpiresAt);
      ttl = left;
    }
    return ttl;
  }

  // ------------------------------------------------------------------ read

  public LeaseRecord get(String id) {
    return store.transact(tx -> find(tx, id));
  }

  private static LeaseRecord find(StoreTx tx, String id) {
    return tx.leases()
        .find(id)
        .orElseThrow(
            () -> SightlineException.notFound("LEASE_NOT_FOUND", "no lease with id " + id));
  }

  public List<LeaseRecord> list(boolean activeOnly, int limit) {
    return store.transact(tx -> tx.leases().list(activeOnly, clock.instant(), limit));
  }

  /** The state a caller sees: an active lease past its expiry reads as expired. */
  public State visibleState(LeaseRecord l) {
    if (l.state() == State.ACTIVE && !clock.instant().isBefore(l.expiresAt())) {
      return State.EXPIRED;
    }
    return l.state();
  }

  // ------------------------------------------------------------------ revoke

  /** Revokes lease {@code id}: deletes its Secret by name. Idempotent. */
  public void revoke(Caller caller, String id, String requestId) {
    LeaseRecord lease = get(id);
    boolean ended =
        lease.state() == State.REVOKED
            || lease.state() == State.EXPIRED
            || lease.state() == State.FAILED;
    if (ended && !lease.secretPresent()) {
      return;
    }
    boolean deleted = true;
    String failure = null;
    if (TOKEN_REQUEST.equals(lease.credential()) && lease.secretPresent()) {
      Optional<Source> src = sourceOf(lease);
      if (src.isPresent()) {
        try {
          src.get().ops().revoke(src.get().access(), id, lease.homeNamespace());
        } catch (SightlineException e) {
          deleted = false;
          failure = e.getMessage();
        }
      }
    }
    boolean secretGone = deleted;
    Instant now = clock.instant();
    store.transact(
        tx -> {
          tx.leases().revoke(id, caller.name(), now);
          if (secretGone) {
            tx.leases().setSecretPresent(id, false);
          }
          LeaseRecord r = find(tx, id);
          Map<String, Object> d = new LinkedHashMap<>();
          d.put("secretDeleted", secretGone);
          if (STATIC.equals(r.credential())) {
            d.put("note", "static credential: it stays valid; rotate it at the cluster");
          }
          audit(tx, "lease.revoke", caller, r, secretGone ? "success" : "failure", requestId, d);
          return null;
        });
    if (!deleted) {
      throw SightlineException.unavailable(
          "REVOKE_PENDING",
          "lease "
              + id
              + " is marked revoked, but its Secret could not be deleted yet ("
              + failure
              + "); the reaper keeps trying, and DELETE may be repeated",
          30);
    }
  }

  /** The connection of a TokenRequest lease; empty when it was deleted (and deprovisioned). */
  private Optional<Source> sourceOf(LeaseRecord lease) {
    return store.transact(
        tx -> {
          if (tx.connections().findById(lease.connectionId()).isEmpty()) {
            return Optional.<Source>empty();
          }
          Source s = source(tx, lease.connectionId(), true);
          return s.tokenRequest() ? Optional.of(s) : Optional.<Source>empty();
        });
  }

  // ------------------------------------------------------------------ renew

  /** Mints a fresh token bound to the same Secret, capped by the lease's maximum lifetime. */
  public Issued renew(Caller caller, String id, Long ttlSeconds, String requestId) {
    if (ttlSeconds != null && ttlSeconds <= 0) {
      throw SightlineException.badRequest(
          "INVALID_TTL", "ttlSeconds", "ttlSeconds must be a positive number of seconds");
    }
    LeaseRecord lease = get(id);
    Instant now = clock.instant();
    if (lease.state() != State.ACTIVE || !now.isBefore(lease.expiresAt())) {
      throw SightlineException.conflict(
          "LEASE_NOT_ACTIVE",
          "lease "
              + id
              + " is "
              + visibleState(lease).wireName()
              + " and cannot be renewed: ask for a new lease");
    }
    List<String> warnings = new ArrayList<>();
    boolean tokenRequest = TOKEN_REQUEST.equals(lease.credential());
    Source src = store.transact(tx -> source(tx, lease.connectionId(), true));
    Duration ttl = ttl(ttlSeconds, tokenRequest, now, lease.maxExpiresAt(), warnings, true);
    Instant expiresAt = now.plus(ttl);
    if (!tokenRequest) {
      warnings.add(
          "static credential: renewal only extends the lease record; the credential itself is"
              + " long-lived");
      LeaseRecord r =
          store.transact(
              tx -> {
                tx.leases().renewed(id, null, null, expiresAt, ttl.toSeconds(), warnings);
                LeaseRecord after = find(tx, id);
                audit(tx, "lease.renew", caller, after, "success", requestId, Map.of());
                return after;
              });
      return new Issued(
          r,
          src.access().bearerToken(),
          LeaseKubeconfig.of(r.connectionName(), src.access(), r.namespace()),
          src.access().server(),
          src.access().caPem(),
          null,
          List.copyOf(warnings),
          false);
    }
    if (!src.tokenRequest()) {
      throw SightlineException.conflict(
          "NOT_PROVISIONED",
          "connection " + lease.connectionName() + " no longer has a minter: ask for a new lease");
    }
    MintedToken minted =
        src.ops()
            .mint(
                src.access(),
                new MintRequest(
                    id, lease.homeNamespace(), lease.deployer(), ttl, List.of(), expiresAt));
    LeaseRecord r =
        store.transact(
            tx -> {
              tx.leases()
                  .renewed(
                      id,
                      minted.jti(),
                      minted.sha256(),
                      minted.expiresAt(),
                      ttl.toSeconds(),
                      warnings);
              tx.leases().rememberToken(id, minted.token());
              LeaseRecord after = find(tx, id);
              audit(tx, "lease.renew", caller, after, "success", requestId, Map.of());
              return after;
            });
    return new Issued(
        r,
        minted.token(),
        LeaseKubeconfig.of(
            r.connectionName(), tokenAccess(src.access(), minted.token()), r.namespace()),
        src.access().server(),
        src.access().caPem(),
        null,
        List.copyOf(warnings),
        false);
  }

  // ------------------------------------------------------------------ reaper

  /** Starts the reaper: a first pass now (recovering interrupted issuances), then periodically. */
  public synchronized void start() {
    if (reaper != null) {
      return;
    }
    reaper =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "sightline-lease-reaper");
              t.setDaemon(true);
              return t;
            });
    reaper.execute(() -> reapQuietly(true));
    long ms = settings.reapInterval().toMillis();
    reaper.scheduleWithFixedDelay(() -> reapQuietly(false), ms, ms, TimeUnit.MILLISECONDS);
  }

  /** With several replicas the periodic reaper runs only while {@code gate} says so (leader). */
  public void reapOnlyWhile(java.util.function.BooleanSupplier gate) {
    this.reapGate = gate;
  }

  private void reapQuietly(boolean startup) {
    if (!reapGate.getAsBoolean()) {
      return;
    }
    try {
      reap(startup);
    } catch (UnsupportedOperationException e) {
      log.debug("lease reaper: this store keeps no leases");
    } catch (RuntimeException e) {
      log.warn("lease reaper: {}", e.getMessage());
    }
  }

  /**
   * One reaper pass: deletes by name the Secret of every lease that should no longer have one
   * (expired, revoked, failed, or issuing since before the grace period — at startup of the
   * single-node embedded store, every issuing row), marks expired ones expired and interrupted
   * issuances failed, and audits each. Answers how many leases it handled.
   */
  public int reap(boolean startup) {
    Instant now = clock.instant();
    Instant issuingBefore =
        startup && !store.isExternal() ? now.plusSeconds(1) : now.minus(ISSUING_GRACE);
    int handled = 0;
    while (true) {
      List<LeaseRecord> batch =
          store.transact(
              tx -> tx.leases().claimForReaping(now, issuingBefore, now.plus(ISSUING_GRACE), 50));
      if (batch.isEmpty()) {
        return handled;
      }
      for (LeaseRecord l : batch) {
        reapOne(l, now);
        handled++;
      }
      if (batch.size() < 50) {
        return handled;
      }
    }
  }

  private void reapOne(LeaseRecord l, Instant now) {
    boolean deleted;
    String failure = null;
    try {
      Optional<Source> src = sourceOf(l);
      if (src.isPresent()) {
        src.get().ops().revoke(src.get().access(), l.id(), l.homeNamespace());
      }
      deleted = true;
    } catch (RuntimeException e) {
      deleted = false;
      failure = e.getMessage();
    }
    boolean gone = deleted;
    String why = failure;
    Caller system = new Caller("system", null, null);
    store.transact(
        tx -> {
          LeaseRecord cur = tx.leases().find(l.id()).orElse(l);
          if (gone) {
            tx.leases().setSecretPresent(l.id(), false);
          }
          if (cur.state() == State.ACTIVE && gone) {
            tx.leases().expire(l.id(), now);
            audit(tx, "lease.expire", system, find(tx, l.id()), "success", null, Map.of());
          } else if (cur.state() == State.ISSUING && gone) {
            tx.leases().fail(l.id(), "RECOVERED: issuance was interrupted (server stopped)");
            audit(
                tx,
                "lease.failed",
                system,
                find(tx, l.id()),
                "failure",
                null,
                Map.of("code", "ISSUANCE_INTERRUPTED"));
          }
          Map<String, Object> d = new LinkedHashMap<>();
          d.put("previousState", cur.state().wireName());
          d.put("secretDeleted", gone);
          if (why != null) {
            d.put("error", why);
          }
          audit(tx, "lease.reap", system, find(tx, l.id()), gone ? "success" : "failure", null, d);
          tx.leases().releaseClaim(l.id());
          return null;
        });
    if (!gone) {
      log.warn("lease reaper: Secret of lease {} not deleted yet: {}", l.id(), why);
    }
  }

  @Override
  public synchronized void close() {
    if (reaper != null) {
      reaper.shutdownNow();
      try {
        reaper.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      reaper = null;
    }
  }

  // ------------------------------------------------------------------ helpers

  private static ClusterAccess tokenAccess(ClusterAccess server, SecretValue token) {
    return ClusterAccess.ofToken(server.server(), server.caPem(), token)
        .withAcceptUntrustedCerts(server.insecureSkipTlsVerify());
  }

  /** An audit record of a lease: never the token, only its jti and hash. */
  static void audit(
      StoreTx tx,
      String action,
      Caller caller,
      LeaseRecord l,
      String outcome,
      String requestId,
      Map<String, Object> more) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("connection", l.connectionName());
    d.put("connectionId", l.connectionId());
    d.put("credential", l.credential());
    d.put("state", l.state().wireName());
    if (l.namespace() != null) {
      d.put("namespace", l.namespace());
    }
    d.put("target", l.target());
    d.put("task", l.task());
    d.put("principal", l.principal());
    if (l.pipelineIdentity() != null) {
      d.put("pipelineIdentity", l.pipelineIdentity());
    }
    d.put("ttlSeconds", l.ttlSeconds());
    d.put("expiresAt", l.expiresAt().toString());
    if (l.jti() != null) {
      d.put("jti", l.jti());
    }
    if (l.tokenSha256() != null) {
      d.put("tokenSha256", l.tokenSha256());
    }
    if (l.deployer() != null) {
      d.put("deployer", l.homeNamespace() + "/" + l.deployer());
    }
    if (caller.isHandle()) {
      d.put("viaHandle", true);
    }
    if (caller.deployment() != null) {
      d.put("deployment", caller.deployment());
    }
    d.putAll(more);
    tx.audit()
        .append(new AuditEvent(action, caller.name(), "lease/" + l.id(), outcome, requestId, d));
  }
}
