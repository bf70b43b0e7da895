package io.sightline.server.routes;

import io.javalin.http.Context;
import io.sightline.core.Principal;
import io.sightline.core.Role;
import io.sightline.core.SightlineException;
import io.sightline.server.environments.EnvironmentService;
import io.sightline.server.environments.EnvironmentWire.ApprovalList;
import io.sightline.server.environments.EnvironmentWire.ApprovalView;
import io.sightline.server.environments.EnvironmentWire.CheckBody;
import io.sightline.server.environments.EnvironmentWire.CheckList;
import io.sightline.server.environments.EnvironmentWire.CheckView;
import io.sightline.server.environments.EnvironmentWire.DecisionBody;
import io.sightline.server.environments.EnvironmentWire.DeploymentCreate;
import io.sightline.server.environments.EnvironmentWire.DeploymentList;
import io.sightline.server.environments.EnvironmentWire.DeploymentView;
import io.sightline.server.environments.EnvironmentWire.EnvironmentCreate;
import io.sightline.server.environments.EnvironmentWire.EnvironmentList;
import io.sightline.server.environments.EnvironmentWire.EnvironmentUpdate;
import io.sightline.server.environments.EnvironmentWire.EnvironmentView;
import io.sightline.server.environments.EnvironmentWire.FinishBody;
import io.sightline.server.environments.EnvironmentWire.ResourceBody;
import io.sightline.server.environments.EnvironmentWire.ResourceList;
import io.sightline.server.environments.EnvironmentWire.ResourceView;
import io.sightline.server.http.ApiRoute;
import io.sightline.server.http.Call;
import io.sightline.server.leases.LeaseHandles;
import io.sightline.server.leases.PipelineIdentity;
import io.sightline.server.routes.LeaseRoutes.LeaseIssued;
import io.sightline.server.trust.IdTokenVerifier;
import io.sightline.store.Environments.Scope;
import io.sightline.store.Store;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * {@code /api/v1/environments} (issue 8): environments, their resources and checks, deployments and
 * their history; {@code /api/v1/deployments/{id}} (read, claim, finish, cancel — with the
 * deployment's claim handle {@code sld_…}); {@code /api/v1/approvals} (list, decide); {@code
 * /api/v1/connections/{name}/checks}. See docs/environments.md.
 */
public final class EnvironmentRoutes {
  public static final String CLAIM_PREFIX = EnvironmentService.CLAIM_PREFIX;
  private static final String ENVS = "/api/v1/environments";
  private static final String ENV = ENVS + "/{name}";
  private static final String DEPLOYMENTS = ENV + "/deployments";
  private static final String DEPLOYMENT = "/api/v1/deployments/{id}";
  private static final String CLAIM = DEPLOYMENT + "/claim";
  private static final String FINISH = DEPLOYMENT + "/finish";
  private static final String CANCEL = DEPLOYMENT + "/cancel";
  private static final String CLAIM_ATTRIBUTE = "sightline.deploymentClaim";
  private static final String PIPELINE_ATTRIBUTE = "sightline.deploymentPipeline";
  private static final String CLAIM_PRINCIPAL = "deployment-claim:";
  private static final Set<String> RESULTS =
      Set.of("succeeded", "failed", "rejected", "timed-out", "cancelled", "refused");

  private final EnvironmentService envs;

  private EnvironmentRoutes(EnvironmentService envs) {
    this.envs = envs;
  }

  public static List<ApiRoute> routes(EnvironmentService envs) {
    EnvironmentRoutes r = new EnvironmentRoutes(envs);
    return List.of(
        ApiRoute.post(ENVS, Role.CREATOR, "Create an environment (resources may follow later)")
            .body(EnvironmentCreate.class)
            .returns(201, EnvironmentView.class)
            .handle(
                c -> envs.create(c.principal(), c.body(EnvironmentCreate.class), c.requestId())),
        ApiRoute.get(ENVS, Role.READER, "List environments with their resources and checks")
            .returns(EnvironmentList.class)
            .handle(c -> new EnvironmentList(envs.list())),
        ApiRoute.get(ENV, Role.READER, "Show an environment")
            .returns(EnvironmentView.class)
            .handle(c -> envs.show(c.pathParam("name"))),
        ApiRoute.put(
                ENV,
                Role.USER,
                "Change an environment's description, pipelinePermissions and roles (role"
                    + " creator, or the environment's creator role)")
            .body(EnvironmentUpdate.class)
            .returns(EnvironmentView.class)
            .handle(
                c ->
                    envs.update(
                        c.principal(),
                        c.pathParam("name"),
                        c.body(EnvironmentUpdate.class),
                        c.requestId())),
        ApiRoute.delete(
                ENV,
                Role.USER,
                "Delete an environment, its resources and checks (its deployment history stays;"
                    + " role creator, or the environment's creator role)")
            .handle(
                c -> {
                  envs.delete(c.principal(), c.pathParam("name"), c.requestId());
                  return null;
                }),
        ApiRoute.get(ENV + "/resources", Role.READER, "List an environment's resources")
            .returns(ResourceList.class)
            .handle(c -> new ResourceList(envs.resources(c.pathParam("name")))),
        ApiRoute.post(
                ENV + "/resources",
                Role.USER,
                "Add a resource {name, tags, target} (role creator, or the environment's creator"
                    + " role); the server need not reach the cluster")
            .body(ResourceBody.class)
            .returns(201, ResourceView.class)
            .handle(
                c ->
                    envs.addResource(
                        c.principal(),
                        c.pathParam("name"),
                        c.body(ResourceBody.class),
                        c.requestId())),
        ApiRoute.delete(
                ENV + "/resources/{resource}",
                Role.USER,
                "Remove a resource (role creator, or the environment's creator role)")
            .handle(
                c -> {
                  envs.removeResource(
                      c.principal(), c.pathParam("name"), c.pathParam("resource"), c.requestId());
                  return null;
                }),
        ApiRoute.get(
                ENV + "/resources/{resource}/deployments",
                Role.READER,
                "A resource's deployment history (newest first)")
            .query("result", "string", "succeeded, failed, rejected, timed-out, cancelled, refused")
            .query("pipeline", "string", "the task's pipeline name")
            .query("since", "string", "ISO-8601 instant: created at or after")
            .query("until", "string", "ISO-8601 instant: created before")
            .query("limit", "integer", "at most this many (1-1000, default 100)")
            .returns(DeploymentList.class)
            .handle(c -> r.history(c, c.pathParam("resource"))),
        ApiRoute.get(ENV + "/checks", Role.READER, "List an environment's checks")
            .returns(CheckList.class)
            .handle(c -> new CheckList(envs.checks(Scope.ENVIRONMENT, c.pathParam("name")))),
        ApiRoute.post(
                ENV + "/checks",
                Role.USER,
                "Add a check: approval, businessHours, exclusiveLock or branchControl (role"
                    + " creator, or the environment's creator role)")
            .body(CheckBody.class)
            .returns(201, CheckView.class)
            .handle(
                c ->
                    envs.addCheck(
                        c.principal(),
                        Scope.ENVIRONMENT,
                        c.pathParam("name"),
                        c.body(CheckBody.class),
                        c.requestId())),
        ApiRoute.delete(
                ENV + "/checks/{check}",
                Role.USER,
                "Remove a check (deployments already requested keep theirs; role creator, or the"
                    + " environment's creator role)")
            .handle(
                c -> {
                  envs.removeCheck(
                      c.principal(),
                      Scope.ENVIRONMENT,
                      c.pathParam("name"),
                      c.pathParam("check"),
                      c.requestId());
                  return null;
                }),
        ApiRoute.get(
                "/api/v1/connections/{name}/checks",
                Role.USER,
                "List a connection's checks (they apply to every environment resource on it)")
            .returns(CheckList.class)
            .handle(c -> new CheckList(envs.checks(Scope.CONNECTION, c.pathParam("name")))),
        ApiRoute.post(
                "/api/v1/connections/{name}/checks",
                Role.CREATOR,
                "Add a check to a connection: approval, businessHours or branchControl")
            .body(CheckBody.class)
            .returns(201, CheckView.class)
            .handle(
                c ->
                    envs.addCheck(
                        c.principal(),
                        Scope.CONNECTION,
                        c.pathParam("name"),
                        c.body(CheckBody.class),
                        c.requestId())),
        ApiRoute.delete(
                "/api/v1/connections/{name}/checks/{check}",
                Role.CREATOR,
                "Remove a connection's check")
            .handle(
                c -> {
                  envs.removeCheck(
                      c.principal(),
                      Scope.CONNECTION,
                      c.pathParam("name"),
                      c.pathParam("check"),
                      c.requestId());
                  return null;
                }),
        ApiRoute.post(
                DEPLOYMENTS,
                Role.USER,
                "Request a deployment to a resource (header Idempotency-Key): answers the"
                    + " deployment and, once, its claim handle. Role user (and the environment's"
                    + " roles, when it has any), or a CI's OIDC ID token that the environment's"
                    + " pipelinePermissions allow")
            .body(DeploymentCreate.class)
            .returns(201, DeploymentView.class)
            .handle(r::request),
        ApiRoute.get(DEPLOYMENTS, Role.READER, "An environment's deployment history (newest first)")
            .query("resource", "string", "only this resource")
            .query("result", "string", "succeeded, failed, rejected, timed-out, cancelled, refused")
            .query("pipeline", "string", "the task's pipeline name")
            .query("since", "string", "ISO-8601 instant: created at or after")
            .query("until", "string", "ISO-8601 instant: created before")
            .query("limit", "integer", "at most this many (1-1000, default 100)")
            .returns(DeploymentList.class)
            .handle(c -> r.history(c, c.query("resource"))),
        ApiRoute.get(
                DEPLOYMENT,
                Role.READER,
                "Show a deployment, its checks evaluated now (role reader, or its claim handle)")
            .returns(DeploymentView.class)
            .handle(
                c ->
                    envs.deployment(
                        r.deploymentId(c, false),
                        c.context().attribute(CLAIM_ATTRIBUTE) != null,
                        c.requestId())),
        ApiRoute.post(
                CLAIM,
                Role.USER,
                "Claim the deployment's lease once every check has passed (its claim handle"
                    + " only; a retry answers the same lease)")
            .returns(LeaseIssued.class)
            .handle(r::claim),
        ApiRoute.post(
                FINISH,
                Role.USER,
                "Record a deployment's end: result and exit code (its claim handle, or role"
                    + " creator)")
            .body(FinishBody.class)
            .returns(DeploymentView.class)
            .handle(
                c ->
                    envs.finish(
                        r.deploymentId(c, true),
                        c.body(FinishBody.class),
                        c.actor(),
                        c.requestId())),
        ApiRoute.post(
                CANCEL,
                Role.USER,
                "Withdraw a deployment (its pending approvals are withdrawn; its claim handle, or"
                    + " role creator)")
            .returns(DeploymentView.class)
            .handle(c -> envs.cancel(r.deploymentId(c, true), c.actor(), c.requestId())),
        ApiRoute.get("/api/v1/approvals", Role.READER, "List approvals")
            .query("pending", "boolean", "true: only those still waiting for a decision")
            .query("mine", "boolean", "true: only those the caller may decide")
            .query("limit", "integer", "at most this many (1-1000, default 100)")
            .returns(ApprovalList.class)
            .handle(r::approvals),
        ApiRoute.get("/api/v1/approvals/{id}", Role.READER, "Show an approval and its decisions")
            .returns(ApprovalView.class)
            .handle(c -> envs.approval(c.pathParam("id"))),
        ApiRoute.post(
                "/api/v1/approvals/{id}",
                Role.READER,
                "Approve or reject (with a comment): the caller must be one of the check's"
                    + " approvers (by name or group); recorded on the deployment and audited")
            .body(DecisionBody.class)
            .returns(ApprovalView.class)
            .handle(
                c ->
                    envs.decide(
                        c.principal(),
                        c.pathParam("id"),
                        c.body(DecisionBody.class),
                        c.requestId())));
  }

  // ------------------------------------------------------------------ authentication hooks

  /**
   * The claim-handle hook of the authentication filter: a {@code sld_…} bearer authenticates only
   * GET {@code /api/v1/deployments/{id}} and POST its {@code claim}, {@code finish} and {@code
   * cancel}, for its own deployment.
   */
  public static Optional<Principal> authenticateClaim(Store store, String presented, Context ctx) {
    String path;
    try {
      path = ctx.endpoint() == null ? null : ctx.endpoint().path;
    } catch (RuntimeException e) {
      return Optional.empty();
    }
    String method = ctx.method().name();
    boolean allowed =
        (DEPLOYMENT.equals(path) && method.equals("GET"))
            || ((CLAIM.equals(path) || FINISH.equals(path) || CANCEL.equals(path))
                && method.equals("POST"));
    if (!allowed) {
      return Optional.empty();
    }
    String id = ctx.pathParam("id");
    String hash = LeaseHandles.sha256(presented);
    boolean ok = store.transact(tx -> tx.environments().claimMatches(id, hash));
    if (!ok) {
      return Optional.empty();
    }
    ctx.attribute(CLAIM_ATTRIBUTE, id);
    return Optional.of(new Principal(CLAIM_PRINCIPAL + id, List.of(), Role.USER));
  }

  /** True when this request may authenticate with a CI's OIDC ID token (a deployment request). */
  public static boolean acceptsIdToken(Context ctx) {
    try {
      return ctx.endpoint() != null
          && DEPLOYMENTS.equals(ctx.endpoint().path)
          && ctx.method().name().equals("POST");
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** The ID-token hook for {@code POST /api/v1/environments/{name}/deployments}. */
  public static Optional<Principal> authenticateIdToken(
      IdTokenVerifier verifier, String presented, Context ctx) {
    if (!IdTokenVerifier.looksLikeJwt(presented)) {
      return Optional.empty();
    }
    Optional<PipelineIdentity> id = verifier.authenticate(presented);
    id.ifPresent(i -> ctx.attribute(PIPELINE_ATTRIBUTE, i));
    return id.map(i -> new Principal(i.name(), List.of(), Role.USER));
  }

  // ------------------------------------------------------------------ handlers

  private Object request(Call c) {
    PipelineIdentity pipeline = c.context().attribute(PIPELINE_ATTRIBUTE);
    if (c.context().attribute(CLAIM_ATTRIBUTE) != null) {
      throw SightlineException.unauthorized("a claim handle cannot request deployments");
    }
    return envs.request(
        c.principal(),
        pipeline,
        c.pathParam("name"),
        c.body(DeploymentCreate.class),
        c.context().header(LeaseRoutes.IDEMPOTENCY_KEY),
        c.requestId());
  }

  private Object claim(Call c) {
    String id = c.pathParam("id");
    if (!id.equals(c.context().attribute(CLAIM_ATTRIBUTE))) {
      throw SightlineException.forbidden(
          "CLAIM_HANDLE_REQUIRED",
          "only the deployment's claim handle (sld_…, answered once when it was requested) can"
              + " claim its lease");
    }
    return LeaseRoutes.issued(envs.claim(id, c.requestId()));
  }

  /**
   * The path's deployment id, checked against the caller: its claim handle, or an API token ({@code
   * creatorForWrites}: with role creator).
   */
  private String deploymentId(Call c, boolean creatorForWrites) {
    String id = c.pathParam("id");
    String claimed = c.context().attribute(CLAIM_ATTRIBUTE);
    if (claimed != null) {
      return id;
    }
    if (creatorForWrites && !c.principal().has(Role.CREATOR)) {
      throw SightlineException.forbidden(
          "ROLE_REQUIRED",
          "finishing or cancelling another's deployment needs the creator role (the run uses its"
              + " claim handle); the caller has "
              + c.principal().role().wireName());
    }
    return id;
  }

  private Object history(Call c, String resource) {
    String result = c.query("result");
    if (result != null && !RESULTS.contains(result)) {
      throw SightlineException.badRequest(
          "INVALID_PARAMETER",
          "result",
          "result must be one of succeeded, failed, rejected, timed-out, cancelled, refused");
    }
    Integer limit = c.queryInt("limit", 1, 1000);
    return new DeploymentList(
        envs.history(
            c.pathParam("name"),
            resource,
            result,
            c.query("pipeline"),
            instant(c, "since"),
            instant(c, "until"),
            limit == null ? 100 : limit));
  }

  private Object approvals(Call c) {
    boolean pending = bool(c, "pending");
    boolean mine = bool(c, "mine");
    Integer limit = c.queryInt("limit", 1, 1000);
    return new ApprovalList(
        envs.approvals(pending, mine ? c.principal() : null, limit == null ? 100 : limit));
  }

  private static boolean bool(Call c, String name) {
    String v = c.query(name);
    if (v != null && !v.equals("true") && !v.equals("false")) {
      throw SightlineException.badRequest(
          "INVALID_PARAMETER", name, name + " must be true or false");
    }
    return "true".equals(v);
  }

  private static Instant instant(Call c, String name) {
    String v = c.query(name);
    if (v == null) {
      return null;
    }
    try {
      return Instant.parse(v);
    } catch (DateTimeParseException e) {
      throw SightlineException.badRequest(
          "INVALID_PARAMETER",
          name,
          name + " must be an ISO-8601 instant, e.g. 2026-11-29T12:00:00Z");
    }
  }
}
