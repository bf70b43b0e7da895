package io.sightline.server.leases;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.sightline.api.probe.DiagnosisCode;
import io.sightline.azure.AksCredential;
import io.sightline.connections.ConnectionKind;
import io.sightline.connections.ConnectionRequests;
import io.sightline.connections.ConnectionSpec;
import io.sightline.connections.azurerm.AzureRmAccess;
import io.sightline.connections.azurerm.AzureRmAccessCache;
import io.sightline.core.SecretValue;
import io.sightline.core.SightlineException;
import io.sightline.kubernetes.ClusterAccess;
import io.sightline.kubernetes.KubeconfigParser;
import io.sightline.store.Connections.ConnectionRecord;
import io.sightline.store.Leases;
import io.sightline.store.Leases.LeaseRecord;
import io.sightline.store.Leases.State;
import io.sightline.store.Store;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Leases for {@code azurerm} targets ({@code {"azureConnection","resourceGroup","cluster",
 * "namespace","useClusterAdmin"}}): a fresh Entra access token for the AKS server application per
 * lease ({@code credential: entra}), with the cluster's endpoint and CA from ARM, through {@link
 * AzureRmAccess#credential}. The limits are stated on the lease: Entra sets the lifetime (the
 * lease's {@code expiresAt} is the token's {@code exp}), the token cannot be revoked early
 * (revoking marks the lease revoked and says so), and it is valid wherever the identity has access.
 * Clusters without Entra ID and {@code useClusterAdmin} yield ARM's long-lived client certificates
 * ({@code credential: static}), refused unless the connection allows static credentials (and the
 * server's {@code sightline.lease.allow-static}). Every issue, refusal, renewal and revocation is
 * audited; tokens appear only as their id and hash.
 */
public final class AzureLeases {
  public static final String ENTRA = AksCredential.ENTRA;

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Store store;
  private final Clock clock;
  private final LeaseSettings settings;
  private final AzureRmAccessCache accesses;

  public AzureLeases(
      Store store, Clock clock, LeaseSettings settings, AzureRmAccessCache accesses) {
    this.store = store;
    this.clock = clock;
    this.settings = settings;
    this.accesses = accesses;
  }

  /** Whether {@code lease} was issued for an azurerm target (this class renews and revokes it). */
  public static boolean handles(LeaseRecord lease) {
    return lease.target() != null && lease.target().get("azureConnection") != null;
  }

  private record Source(ConnectionRecord record, ConnectionSpec spec) {}

  private Source source(String name, boolean byId) {
    return store.transact(
        tx -> {
          Optional<ConnectionRecord> found =
              byId ? tx.connections().findById(name) : tx.connections().find(name);
          ConnectionRecord r =
              found.orElseThrow(
                  () ->
                      new SightlineException(
                          "CONNECTION_NOT_FOUND",
                          404,
                          "target.azureConnection",
                          "no connection named "
                              + name
                              + ": list them with GET /api/v1/connections (sightline connection"
                              + " list)",
                          null,
                          null));
          ConnectionKind kind = ConnectionKind.fromWire(r.kind(), r.authorizationType());
          if (!kind.isAzureRm()) {
            throw SightlineException.badRequest(
                "NOT_AN_AZURERM_CONNECTION",
                "target.azureConnection",
                "connection "
                    + r.name()
                    + " is of kind "
                    + r.kind()
                    + ": give it as target.connection, or name an azurerm connection in"
                    + " target.azureConnection");
          }
          return new Source(
              r,
              ConnectionRequests.fromStored(
                  r.name(), kind, r.description(), r.fields(), tx.connections().secrets(r.id())));
        });
  }

  private AzureRmAccess access(Source src) {
    return accesses.get(src.record().id() + "|" + src.record().updatedAt(), src.spec());
  }

  // ------------------------------------------------------------------ issue

  /** Issues a lease for an azurerm target (called by {@link LeaseService#issue}). */
  public LeaseService.Issued issue(
      Caller caller,
      LeaseTarget target,
      Long ttlSeconds,
      TaskInfo task,
      String idempotencyKey,
      String requestId) {
    if (target.connection() != null) {
      throw SightlineException.badRequest(
          "CONFLICTING_FIELDS",
          "target.connection",
          "give either target.connection (a kubernetes connection) or target.azureConnection with"
              + " resourceGroup and cluster, not both");
    }
    require(target.azureConnection(), "target.azureConnection", "the azurerm connection's name");
    require(target.resourceGroup(), "target.resourceGroup", "the AKS cluster's resource group");
    require(target.cluster(), "target.cluster", "the AKS cluster's name");
    LeaseRequests.checkTtlAndIdempotencyKey(ttlSeconds, idempotencyKey);
    Map<String, Object> taskMap = task == null ? Map.of() : task.toMap();
    String requestHash = LeaseRequests.requestHash(target, ttlSeconds, taskMap);
    if (idempotencyKey != null) {
      Optional<LeaseService.Issued> earlier = replay(caller, idempotencyKey, requestHash);
      if (earlier.isPresent()) {
        return earlier.get();
      }
    }
    Source src = source(target.azureConnection(), false);
    LeasePermissions.check(store, caller, src.record(), target.toMap(), taskMap, requestId);
    boolean admin = Boolean.TRUE.equals(target.useClusterAdmin());
    if (admin && !settings.allowStatic()) {
      refuse(caller, src, target, taskMap, requestId, "STATIC_LEASE_REFUSED");
      throw staticRefusedByServer();
    }
    AksCredential cred;
    try {
      cred =
          access(src)
              .credential(target.resourceGroup(), target.cluster(), target.namespace(), admin);
    } catch (SightlineException e) {
      refuse(caller, src, target, taskMap, requestId, e.code());
      throw explain(e, target);
    }
    boolean entra = ENTRA.equals(cred.kind());
    if (!entra && !settings.allowStatic()) {
      refuse(caller, src, target, taskMap, requestId, "STATIC_LEASE_REFUSED");
      throw staticRefusedByServer();
    }
    Instant now = clock.instant();
    Instant maxExpiresAt = now.plus(settings.maxLifetime());
    List<String> warnings = new ArrayList<>();
    Instant expiresAt;
    long ttl;
    String jti = null;
    String sha = null;
    SecretValue token = null;
    if (entra) {
      token = bearerToken(cred);
      jti = tokenId(token);
      sha = LeaseHandles.sha256(token.reveal());
      expiresAt = cred.expiresAt();
      ttl = Math.max(0, Duration.between(now, expiresAt).toSeconds());
      if (ttlSeconds != null && ttlSeconds != ttl) {
        warnings.add(
            "ttlSeconds "
                + ttlSeconds
                + " is not honoured: Entra ID sets the token's lifetime (it expires at "
                + expiresAt
                + ")");
      }
      if (expiresAt.isAfter(maxExpiresAt)) {
        warnings.add(
            "the Entra token outlives this lease's maximum lifetime ("
                + maxExpiresAt
                + "): it stays valid until "
                + expiresAt
                + " and cannot be shortened");
      }
      warnings.addAll(cred.limits());
    } else {
      Duration d = ttlSeconds == null ? LeaseSettings.DEFAULT_TTL : Duration.ofSeconds(ttlSeconds);
      if (d.compareTo(settings.maxTtl()) > 0) {
        warnings.add(
            "ttlSeconds "
                + d.toSeconds()
                + " is capped to "
                + settings.maxTtl().toSeconds()
                + ", the server's maximum (sightline.lease.max-ttl)");
        d = settings.maxTtl();
      }
      expiresAt = now.plus(d);
      ttl = d.toSeconds();
      warnings.add(
          "static credential: "
              + (admin
                  ? "useClusterAdmin hands out the cluster-admin"
                  : "the cluster has no Entra ID, so ARM hands out a")
              + " long-lived client certificate; it does not expire with the lease and cannot be"
              + " revoked by Sightline");
      warnings.addAll(cred.limits());
    }
    String id = LeaseHandles.newLeaseId();
    SecretValue handle = LeaseHandles.newHandle();
    String namespace = target.namespace();
    Leases.NewLease row =
        new Leases.NewLease(
            id,
            src.record().id(),
            src.record().name(),
            cred.kind(),
            entra ? State.ISSUING : State.ACTIVE,
            namespace,
            null,
            null,
            target.toMap(),
            taskMap,
            caller.name(),
            caller.pipeline() == null ? null : caller.pipeline().toMap(),
            ttl,
            List.copyOf(warnings),
            LeaseHandles.sha256(handle.reveal()),
            expiresAt,
            maxExpiresAt,
            false);
    SecretValue answer = answer(cred, token);
    String finalJti = jti;
    String finalSha = sha;
    long finalTtl = ttl;
    Instant finalExp = expiresAt;
    LeaseRecord created;
    try {
      created =
          store.transact(
              tx -> {
                tx.leases().create(row);
                if (idempotencyKey != null) {
                  tx.leases()
                      .bindIdempotencyKey(caller.name(), idempotencyKey, id, requestHash, handle);
                }
                if (entra) {
                  tx.leases().activate(id, finalJti, finalSha, finalExp, finalTtl);
                }
                tx.leases().rememberToken(id, answer);
                LeaseRecord r = tx.leases().find(id).orElseThrow();
                LeaseService.audit(
                    tx, "lease.issue", caller, r, "success", requestId, details(target, cred));
                return r;
              });
    } catch (SightlineException e) {
      if (idempotencyKey != null && "IDEMPOTENCY_KEY_IN_USE".equals(e.code())) {
        return replay(caller, idempotencyKey, requestHash).orElseThrow(() -> e);
      }
      throw e;
    }
    ClusterAccess parsed = parse(cred.kubeconfig());
    return new LeaseService.Issued(
        created,
        token,
        cred.kubeconfig(),
        cred.server(),
        parsed == null ? null : parsed.caPem(),
        handle,
        List.copyOf(warnings),
        false);
  }

  private static void require(String value, String field, String what) {
    if (value == null || value.isBlank()) {
      throw SightlineException.badRequest(
          "TARGET_REQUIRED",
          field,
          field
              + " is required: "
              + what
              + " ({\"target\":{\"azureConnection\":\"arm\",\"resourceGroup\":\"rg\","
              + "\"cluster\":\"aks1\",\"namespace\":\"web\"}})");
    }
  }

  private static SightlineException staticRefusedByServer() {
    return SightlineException.forbidden(
        "STATIC_LEASE_REFUSED",
        "this lease would hand out a long-lived client certificate from ARM, and this server"
            + " refuses static leases (sightline.lease.allow-static=false): use an Entra ID"
            + " cluster without useClusterAdmin");
  }

  /** ARM's and Entra's errors, said about the target the caller named. */
  private static SightlineException explain(SightlineException e, LeaseTarget t) {
    String where =
        "cluster '"
            + t.cluster()
            + "' in resource group '"
            + t.resourceGroup()
            + "' (azurerm connection "
            + t.azureConnection()
            + "): ";
    if (DiagnosisCode.ARM_NOT_FOUND.name().equals(e.code())) {
      return new SightlineException(
          e.code(), 404, "target.cluster", where + e.getMessage(), null, null);
    }
    if (DiagnosisCode.ARM_FORBIDDEN.name().equals(e.code())) {
      return new SightlineException(
          e.code(), 403, "target.azureConnection", where + e.getMessage(), null, null);
    }
    if (DiagnosisCode.ENTRA_AUTH_FAILED.name().equals(e.code())) {
      return new SightlineException(
          e.code(),
          422,
          "target.azureConnection",
          e.getMessage()
              + " (fix connection "
              + t.azureConnection()
              + " with PUT /api/v1/connections/"
              + t.azureConnection()
              + ")",
          null,
          null);
    }
    if ("STATIC_CREDENTIAL_NOT_ALLOWED".equals(e.code())) {
      return new SightlineException(
          e.code(),
          403,
          Boolean.TRUE.equals(t.useClusterAdmin()) ? "target.useClusterAdmin" : "target.cluster",
          e.getMessage(),
          null,
          null);
    }
    return e;
  }

  private void refuse(
      Caller caller,
      Source src,
      LeaseTarget target,
      Map<String, Object> task,
      String requestId,
      String reason) {
    boolean denied =
        "STATIC_CREDENTIAL_NOT_ALLOWED".equals(reason) || "STATIC_LEASE_REFUSED".equals(reason);
    LeaseRequests.auditRefusal(
        store,
        denied ? "lease.refused" : "lease.failed",
        denied ? "denied" : "failure",
        caller,
        src.record().name(),
        requestId,
        reason,
        target,
        task);
  }

  private static Map<String, Object> details(LeaseTarget target, AksCredential cred) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("cluster", target.resourceGroup() + "/" + target.cluster());
    d.put("server", cred.server());
    d.put("revocable", false);
    if (ENTRA.equals(cred.kind())) {
      d.put("lifetime", "set by Entra ID (the token's exp)");
    } else {
      d.put(
          "static",
          Boolean.TRUE.equals(target.useClusterAdmin()) ? "useClusterAdmin" : "no Entra ID");
    }
    return d;
  }

  // ------------------------------------------------------------------ renew and revoke

  /** A fresh Entra token for the same lease (a static lease's record is only extended). */
  public LeaseService.Issued renew(Caller caller, String id, Long ttlSeconds, String requestId) {
    if (ttlSeconds != null && ttlSeconds <= 0) {
      throw SightlineException.badRequest(
          "INVALID_TTL", "ttlSeconds", "ttlSeconds must be a positive number of seconds");
    }
    LeaseRecord lease = find(id);
    Instant now = clock.instant();
    if (lease.state() != State.ACTIVE || !now.isBefore(lease.expiresAt())) {
      throw SightlineException.conflict(
          "LEASE_NOT_ACTIVE",
          "lease "
              + id
              + " is "
              + (lease.state() == State.ACTIVE ? "expired" : lease.state().wireName())
              + " and cannot be renewed: ask for a new lease");
    }
    if (!now.isBefore(lease.maxExpiresAt())) {
      throw new SightlineException(
          "LEASE_MAX_LIFETIME",
          409,
          null,
          "the lease reached its maximum lifetime at "
              + lease.maxExpiresAt()
              + " (sightline.lease.max-lifetime): ask for a new lease",
          null,
          null);
    }
    LeaseTarget t = targetOf(lease);
    Source src = source(lease.connectionId(), true);
    boolean admin = Boolean.TRUE.equals(t.useClusterAdmin());
    AksCredential cred;
    try {
      cred = access(src).credential(t.resourceGroup(), t.cluster(), lease.namespace(), admin);
    } catch (SightlineException e) {
      throw explain(e, t);
    }
    List<String> warnings = new ArrayList<>(cred.limits());
    SecretValue token = null;
    String jti = null;
    String sha = null;
    Instant exp;
    long ttl;
    if (ENTRA.equals(cred.kind())) {
      token = bearerToken(cred);
      jti = tokenId(token);
      sha = LeaseHandles.sha256(token.reveal());
      exp = cred.expiresAt();
      ttl = Math.max(0, Duration.between(now, exp).toSeconds());
    } else {
      Duration d = ttlSeconds == null ? LeaseSettings.DEFAULT_TTL : Duration.ofSeconds(ttlSeconds);
      d = d.compareTo(settings.maxTtl()) > 0 ? settings.maxTtl() : d;
      Duration left = Duration.between(now, lease.maxExpiresAt());
      d = d.compareTo(left) > 0 ? left : d;
      exp = now.plus(d);
      ttl = d.toSeconds();
      warnings.add(
          "static credential: renewal only extends the lease record; the credential itself is"
              + " long-lived");
    }
    String fJti = jti;
    String fSha = sha;
    Instant fExp = exp;
    long fTtl = ttl;
    SecretValue answer = answer(cred, token);
    LeaseRecord r =
        store.transact(
            tx -> {
              tx.leases().renewed(id, fJti, fSha, fExp, fTtl, warnings);
              tx.leases().rememberToken(id, answer);
              LeaseRecord after = tx.leases().find(id).orElseThrow();
              LeaseService.audit(
                  tx, "lease.renew", caller, after, "success", requestId, details(t, cred));
              return after;
            });
    ClusterAccess parsed = parse(cred.kubeconfig());
    return new LeaseService.Issued(
        r,
        token,
        cred.kubeconfig(),
        cred.server(),
        parsed == null ? null : parsed.caPem(),
        null,
        List.copyOf(warnings),
        false);
  }

  /**
   * Marks an azurerm lease revoked and says honestly what that means: neither an Entra token nor a
   * client certificate can be revoked early. Returns the warnings for the answer.
   */
  public List<String> revoke(Caller caller, String id, String requestId) {
    LeaseRecord lease = find(id);
    List<String> warnings = new ArrayList<>();
    if (ENTRA.equals(lease.credential())) {
      warnings.add(
          "the lease is revoked, but its Entra access token cannot be revoked early: it stays"
              + " valid until "
              + lease.expiresAt()
              + " wherever the identity has access");
    } else {
      warnings.add(
          "the lease is revoked, but its static client certificate stays valid until the"
              + " cluster's certificates are rotated (az aks rotate-certs)");
    }
    if (lease.state() == State.REVOKED
        || lease.state() == State.EXPIRED
        || lease.state() == State.FAILED) {
      return warnings;
    }
    Instant now = clock.instant();
    store.transact(
        tx -> {
          tx.leases().revoke(id, caller.name(), now);
          LeaseRecord r = tx.leases().find(id).orElseThrow();
          Map<String, Object> d = new LinkedHashMap<>();
          d.put("tokenRevoked", false);
          d.put("note", warnings.get(0));
          LeaseService.audit(tx, "lease.revoke", caller, r, "success", requestId, d);
          return null;
        });
    return warnings;
  }

  private LeaseRecord find(String id) {
    return store
        .transact(tx -> tx.leases().find(id))
        .orElseThrow(
            () -> SightlineException.notFound("LEASE_NOT_FOUND", "no lease with id " + id));
  }

  /** The lease's target as the wire names it. */
  public static LeaseTarget targetOf(LeaseRecord l) {
    Map<String, Object> t = l.target();
    Object admin = t.get("useClusterAdmin");
    return new LeaseTarget(
        null,
        l.namespace(),
        str(t.get("azureConnection")),
        str(t.get("resourceGroup")),
        str(t.get("cluster")),
        admin == null ? null : Boolean.valueOf(admin.toString()));
  }

  private static String str(Object o) {
    return o == null ? null : o.toString();
  }

  // ------------------------------------------------------------------ replay

  private Optional<LeaseService.Issued> replay(Caller caller, String key, String requestHash) {
    Optional<Leases.IdempotentAnswer> found =
        store.transact(tx -> tx.leases().findByIdempotencyKey(caller.name(), key));
    if (found.isEmpty()) {
      return Optional.empty();
    }
    Leases.IdempotentAnswer a = found.get();
    if (!a.requestHash().equals(requestHash)) {
      throw SightlineException.conflict(
          "IDEMPOTENCY_KEY_REUSED",
          "this Idempotency-Key was used for a different lease request: send a new key for a"
              + " new request");
    }
    LeaseRecord lease = find(a.leaseId());
    if (lease.state() != State.ACTIVE || a.token() == null) {
      throw SightlineException.conflict(
          "LEASE_ENDED",
          "lease "
              + lease.id()
              + " of this Idempotency-Key is "
              + lease.state().wireName()
              + ": ask for a new lease with a new Idempotency-Key");
    }
    try {
      JsonNode n = JSON.readTree(a.token().reveal());
      SecretValue token = n.hasNonNull("token") ? SecretValue.of(n.get("token").asText()) : null;
      SecretValue kubeconfig = SecretValue.of(n.get("kubeconfig").asText());
      ClusterAccess parsed = parse(kubeconfig);
      return Optional.of(
          new LeaseService.Issued(
              lease,
              token,
              kubeconfig,
              n.path("server").asText(null),
              parsed == null ? null : parsed.caPem(),
              a.handle(),
              lease.warnings(),
              true));
    } catch (java.io.IOException e) {
      throw new IllegalStateException(
          "the remembered answer of lease " + lease.id() + " is unreadable");
    }
  }

  // ------------------------------------------------------------------ helpers

  /** What an idempotent retry gets back (sealed by the store while the lease lives). */
  private static SecretValue answer(AksCredential cred, SecretValue token) {
    ObjectNode n = JSON.createObjectNode();
    n.put("kubeconfig", cred.kubeconfig().reveal());
    n.put("server", cred.server());
    if (token != null) {
      n.put("token", token.reveal());
    }
    return SecretValue.of(n.toString());
  }

  private static ClusterAccess parse(SecretValue kubeconfig) {
    try {
      return KubeconfigParser.parse(kubeconfig.reveal(), null);
    } catch (SightlineException e) {
      return null;
    }
  }

  /** The Entra access token inside an entra credential's kubeconfig. */
  private static SecretValue bearerToken(AksCredential cred) {
    ClusterAccess a = parse(cred.kubeconfig());
    if (a == null || a.bearerToken() == null) {
      throw new IllegalStateException("the AKS kubeconfig carries no token");
    }
    return a.bearerToken();
  }

  /** The token's id ({@code uti} in Entra tokens, or {@code jti}), for audit; never the token. */
  private static String tokenId(SecretValue token) {
    try {
      JWTClaimsSet c = SignedJWT.parse(token.reveal()).getJWTClaimsSet();
      Object uti = c.getClaim("uti");
      return uti != null ? uti.toString() : c.getJWTID();
    } catch (java.text.ParseException e) {
      return null;
    }
  }
}
