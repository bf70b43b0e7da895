package io.sightline.server.routes;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.javalin.http.Context;
import io.sightline.core.Principal;
import io.sightline.core.Role;
import io.sightline.core.SightlineException;
import io.sightline.server.http.ApiField;
import io.sightline.server.http.ApiRoute;
import io.sightline.server.http.Call;
import io.sightline.server.leases.AzureLeases;
import io.sightline.server.leases.Caller;
import io.sightline.server.leases.LeaseHandles;
import io.sightline.server.leases.LeaseKubeconfig;
import io.sightline.server.leases.LeaseService;
import io.sightline.server.leases.LeaseTarget;
import io.sightline.server.leases.PipelineIdentity;
import io.sightline.server.leases.TaskInfo;
import io.sightline.server.trust.IdTokenVerifier;
import io.sightline.store.Leases.LeaseRecord;
import io.sightline.store.Store;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /api/v1/leases}: one short-lived credential per task (issue 6). Creating needs role {@code
 * user}; reading needs {@code reader}; the lease's own handle ({@code Authorization: Bearer slh_…})
 * may read, renew and revoke that one lease and nothing else.
 */
public final class LeaseRoutes {
  public static final String IDEMPOTENCY_KEY = "Idempotency-Key";
  private static final Logger log = LoggerFactory.getLogger(LeaseRoutes.class);
  private static final String HANDLE_ATTRIBUTE = "sightline.leaseHandle";
  private static final String PIPELINE_ATTRIBUTE = "sightline.pipelineIdentity";
  private static final String LEASES_PATH = "/api/v1/leases";
  private static final String LEASE_PATH = "/api/v1/leases/{id}";
  private static final String RENEW_PATH = "/api/v1/leases/{id}/renew";

  /** The body of {@code POST /api/v1/leases}. */
  public record LeaseCreate(
      @ApiField(
              value =
                  "{\"connection\",\"namespace\"} or {\"azureConnection\",\"resourceGroup\","
                      + "\"cluster\",\"namespace\",\"useClusterAdmin\"}",
              required = true)
          LeaseTarget target,
      @ApiField("token lifetime; default 900, Kubernetes minimum 600, capped by the server")
          Long ttlSeconds,
      @ApiField("the task this lease is for (recorded and audited)") TaskInfo task) {}

  /** The body of {@code POST /api/v1/leases/{id}/renew}. */
  public record LeaseRenew(@ApiField("the new token's lifetime; default 900") Long ttlSeconds) {}

  /** A lease with its credential: shown by create (with the handle, once) and renew. */
  public record LeaseIssued(
      String id,
      @ApiField("token-request (short-lived, revocable) or static (the stored credential)")
          String credential,
      @ApiField("a kubeconfig with the token and CA inline") String kubeconfig,
      @JsonInclude(JsonInclude.Include.ALWAYS)
          @ApiField("the bearer token (null for a static client certificate)")
          String token,
      String server,
      @JsonInclude(JsonInclude.Include.ALWAYS) @ApiField("base64 of the CA PEM, or null")
          String certificateAuthorityData,
      @JsonInclude(JsonInclude.Include.ALWAYS) String namespace,
      Instant expiresAt,
      @ApiField("renewal cannot pass this (sightline.lease.max-lifetime)") Instant maxExpiresAt,
      long ttlSeconds,
      List<String> warnings,
      @ApiField("slh_…: revokes and renews this lease only; shown once, at creation") String handle,
      LeaseTarget target,
      @ApiField("the connection's stable id") String connectionId) {}

  /** A lease as read back: never a token, kubeconfig or handle. */
  @JsonInclude(JsonInclude.Include.ALWAYS)
  public record LeaseView(
      String id,
      String credential,
      @ApiField("issuing, active, revoked, expired or failed") String state,
      Map<String, Object> target,
      String namespace,
      Instant createdAt,
      Instant expiresAt,
      Instant maxExpiresAt,
      Instant revokedAt,
      String revokedBy,
      Map<String, Object> task,
      String principal,
      @ApiField(
              "the pipeline (OIDC ID token) that took the lease: trust, issuer, subject, identity,"
                  + " claims; null for API tokens")
          Map<String, Object> pipelineIdentity,
      @ApiField("the current token's jti (the token itself is never stored)") String jti,
      List<String> warnings,
      @ApiField("false for static leases: their credential outlives the lease")
          boolean revocable) {}

  public record LeaseList(List<LeaseView> items) {}

  /** What revoking an azurerm lease answers: revoked, and why its credential still works. */
  public record LeaseRevoked(String id, String state, String credential, List<String> warnings) {}

  private final LeaseService leases;
  private final AzureLeases azure;

  private LeaseRoutes(LeaseService leases, AzureLeases azure) {
    this.leases = leases;
    this.azure = azure;
  }

  /**
   * @param azure renews and revokes leases of azurerm targets (null: none are issued)
   */
  public static List<ApiRoute> routes(LeaseService leases, AzureLeases azure) {
    LeaseRoutes r = new LeaseRoutes(leases, azure);
    return List.of(
        ApiRoute.post(
                LEASES_PATH,
                Role.USER,
                "Issue a lease: a kubeconfig with a fresh short-lived token for one task (header"
                    + " Idempotency-Key: a retry returns the same lease). Role user, or a CI's OIDC"
                    + " ID token from a trusted issuer that the connection's pipelinePermissions"
                    + " allow")
            .body(LeaseCreate.class)
            .returns(201, LeaseIssued.class)
            .handle(r::create),
        ApiRoute.get("/api/v1/leases", Role.READER, "List leases (newest first)")
            .query("active", "boolean", "true: only active, unexpired leases")
            .query("limit", "integer", "at most this many (1-1000, default 100)")
            .returns(LeaseList.class)
            .handle(r::list),
        ApiRoute.get(LEASE_PATH, Role.READER, "Show a lease (role reader, or the lease's handle)")
            .returns(LeaseView.class)
            .handle(r::show),
        ApiRoute.delete(
                LEASE_PATH,
                Role.USER,
                "Revoke a lease: delete its bound Secret (idempotent; its handle, the caller it was"
                    + " issued to, or role creator); an azurerm lease is marked revoked and answers"
                    + " why its token still works")
            .returns(200, LeaseRevoked.class)
            .handle(r::revoke),
        ApiRoute.post(
                RENEW_PATH,
                Role.USER,
                "Renew a lease: a fresh token bound to the same Secret (its handle, or the caller"
                    + " it was issued to)")
            .body(LeaseRenew.class)
            .returns(LeaseIssued.class)
            .handle(r::renew));
  }

  /**
   * The lease-handle hook of the authentication filter: a {@code slh_…} bearer authenticates only
   * GET/DELETE {@code /api/v1/leases/{id}} and POST {@code /api/v1/leases/{id}/renew} of its own
   * lease; anywhere else it is refused like an unknown token.
   */
  public static Optional<Principal> authenticateHandle(Store store, String presented, Context ctx) {
    String path;
    try {
      path = ctx.endpoint() == null ? null : ctx.endpoint().path;
    } catch (RuntimeException e) {
      return Optional.empty();
    }
    String method = ctx.method().name();
    boolean allowed =
        (LEASE_PATH.equals(path) && (method.equals("GET") || method.equals("DELETE")))
            || (RENEW_PATH.equals(path) && method.equals("POST"));
    if (!allowed) {
      return Optional.empty();
    }
    String id = ctx.pathParam("id");
    String hash = LeaseHandles.sha256(presented);
    boolean ok = store.transact(tx -> tx.leases().handleMatches(id, hash));
    if (!ok) {
      return Optional.empty();
    }
    ctx.attribute(HANDLE_ATTRIBUTE, id);
    return Optional.of(new Principal(LeaseHandles.PRINCIPAL_PREFIX + id, List.of(), Role.USER));
  }

  /**
   * The ID-token hook of the authentication filter: a CI's OIDC ID token authenticates only {@code
   * POST /api/v1/leases} (renew and revoke use the lease's handle, which outlives the ID token).
   */
  public static Optional<Principal> authenticateIdToken(
      IdTokenVerifier verifier, String presented, Context ctx) {
    String path;
    try {
      path = ctx.endpoint() == null ? null : ctx.endpoint().path;
    } catch (RuntimeException e) {
      return Optional.empty();
    }
    if (!IdTokenVerifier.looksLikeJwt(presented)) {
      return Optional.empty();
    }
    if (!LEASES_PATH.equals(path) || !ctx.method().name().equals("POST")) {
      log.debug("ID token refused: an ID token is accepted only by POST {}", LEASES_PATH);
      return Optional.empty();
    }
    Optional<PipelineIdentity> id = verifier.authenticate(presented);
    id.ifPresent(i -> ctx.attribute(PIPELINE_ATTRIBUTE, i));
    return id.map(i -> new Principal(i.name(), List.of(), Role.USER));
  }

  private static Caller caller(Call c) {
    String handleOf = c.context().attribute(HANDLE_ATTRIBUTE);
    if (handleOf != null) {
      return Caller.handle(handleOf);
    }
    PipelineIdentity pipeline = c.context().attribute(PIPELINE_ATTRIBUTE);
    return pipeline != null ? Caller.pipeline(pipeline) : Caller.apiToken(c.principal());
  }

  private Object create(Call c) {
    Caller caller = caller(c);
    if (caller.isHandle()) {
      throw SightlineException.unauthorized("a lease handle cannot issue leases");
    }
    LeaseCreate body = c.body(LeaseCreate.class);
    LeaseService.Issued issued =
        leases.issue(
            caller,
            body.target(),
            body.ttlSeconds(),
            body.task(),
            c.context().header(IDEMPOTENCY_KEY),
            c.requestId());
    if (issued.replayed()) {
      c.header("Idempotent-Replayed", "true");
    }
    return issued(issued);
  }

  static LeaseIssued issued(LeaseService.Issued i) {
    LeaseRecord l = i.lease();
    return new LeaseIssued(
        l.id(),
        l.credential(),
        i.kubeconfig().reveal(),
        i.token() == null ? null : i.token().reveal(),
        i.server(),
        LeaseKubeconfig.caData(i.caPem()),
        l.namespace(),
        l.expiresAt(),
        l.maxExpiresAt(),
        l.ttlSeconds(),
        i.warnings(),
        i.handle() == null ? null : i.handle().reveal(),
        targetOf(l),
        l.connectionId());
  }

  private static LeaseTarget targetOf(LeaseRecord l) {
    if (AzureLeases.handles(l)) {
      return AzureLeases.targetOf(l);
    }
    Map<String, Object> t = l.target();
    Object ns = t.get("namespace");
    return new LeaseTarget(
        (String) t.get("connection"),
        ns == null ? l.namespace() : ns.toString(),
        null,
        null,
        null,
        null);
  }

  private LeaseView view(LeaseRecord l) {
    return new LeaseView(
        l.id(),
        l.credential(),
        leases.visibleState(l).wireName(),
        l.target(),
        l.namespace(),
        l.createdAt(),
        l.expiresAt(),
        l.maxExpiresAt(),
        l.revokedAt(),
        l.revokedBy(),
        l.task(),
        l.principal(),
        l.pipelineIdentity(),
        l.jti(),
        l.warnings(),
        LeaseService.TOKEN_REQUEST.equals(l.credential()));
  }

  private Object list(Call c) {
    String active = c.query("active");
    if (active != null && !active.equals("true") && !active.equals("false")) {
      throw SightlineException.badRequest(
          "INVALID_PARAMETER", "active", "active must be true or false");
    }
    Integer limit = c.queryInt("limit", 1, 1000);
    return new LeaseList(
        leases.list("true".equals(active), limit == null ? 100 : limit).stream()
            .map(this::view)
            .toList());
  }

  private Object show(Call c) {
    return view(leases.get(c.pathParam("id")));
  }

  /**
   * Only whoever holds a lease may act on it: its handle, or the principal or pipeline identity it
   * was issued to. Renewing hands out a fresh credential, so nobody else may (an environment's
   * checks gate the credential, and renewing someone's approved lease would bypass them); revoking
   * only ends access, so creators and admins may also revoke any lease.
   */
  private static void requireHolder(Call c, Caller caller, LeaseRecord l, boolean renew) {
    if (caller.isHandle() || caller.name().equals(l.principal())) {
      return;
    }
    if (!renew && caller.pipeline() == null && c.principal() != null) {
      if (c.principal().has(Role.CREATOR)) {
        return;
      }
    }
    throw SightlineException.forbidden(
        "LEASE_NOT_YOURS",
        "lease "
            + l.id()
            + " was issued to "
            + l.principal()
            + ": "
            + (renew
                ? "renew it with its lease handle (slh_…) or as that caller"
                : "revoke it with its lease handle (slh_…), as that caller, or with role creator"));
  }

  private Object revoke(Call c) {
    String id = c.pathParam("id");
    Caller caller = caller(c);
    LeaseRecord held = leases.get(id);
    requireHolder(c, caller, held, false);
    if (azure != null) {
      LeaseRecord l = held;
      if (AzureLeases.handles(l)) {
        List<String> warnings = azure.revoke(caller(c), id, c.requestId());
        c.context().status(200);
        return new LeaseRevoked(id, "revoked", l.credential(), warnings);
      }
    }
    leases.revoke(caller(c), id, c.requestId());
    return null;
  }

  private Object renew(Call c) {
    LeaseRenew body = c.optionalBody(LeaseRenew.class);
    LeaseRecord held = leases.get(c.pathParam("id"));
    requireHolder(c, caller(c), held, true);
    if (azure != null && AzureLeases.handles(held)) {
      return issued(
          azure.renew(
              caller(c),
              c.pathParam("id"),
              body == null ? null : body.ttlSeconds(),
              c.requestId()));
    }
    return issued(
        leases.renew(
            caller(c), c.pathParam("id"), body == null ? null : body.ttlSeconds(), c.requestId()));
  }
}
