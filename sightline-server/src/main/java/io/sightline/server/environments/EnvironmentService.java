package io.sightline.server.environments;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.sightline.core.AuditEvent;
import io.sightline.core.Principal;
import io.sightline.core.Role;
import io.sightline.core.SecretValue;
import io.sightline.core.SightlineException;
import io.sightline.server.environments.EnvironmentWire.ApprovalView;
import io.sightline.server.environments.EnvironmentWire.CheckBody;
import io.sightline.server.environments.EnvironmentWire.CheckStatus;
import io.sightline.server.environments.EnvironmentWire.CheckView;
import io.sightline.server.environments.EnvironmentWire.DecisionBody;
import io.sightline.server.environments.EnvironmentWire.DecisionView;
import io.sightline.server.environments.EnvironmentWire.DeploymentCreate;
import io.sightline.server.environments.EnvironmentWire.DeploymentView;
import io.sightline.server.environments.EnvironmentWire.EnvironmentCreate;
import io.sightline.server.environments.EnvironmentWire.EnvironmentUpdate;
import io.sightline.server.environments.EnvironmentWire.EnvironmentView;
import io.sightline.server.environments.EnvironmentWire.FinishBody;
import io.sightline.server.environments.EnvironmentWire.Permissions;
import io.sightline.server.environments.EnvironmentWire.ResourceBody;
import io.sightline.server.environments.EnvironmentWire.ResourceView;
import io.sightline.server.environments.EnvironmentWire.RoleGrantBody;
import io.sightline.server.http.ProblemException;
import io.sightline.server.leases.Caller;
import io.sightline.server.leases.LeaseHandles;
import io.sightline.server.leases.LeasePermissions;
import io.sightline.server.leases.LeaseService;
import io.sightline.server.leases.LeaseTarget;
import io.sightline.server.leases.PipelineIdentity;
import io.sightline.server.leases.TaskInfo;
import io.sightline.server.routes.TrustRoutes;
import io.sightline.store.Connections.ConnectionRecord;
import io.sightline.store.Environments.ApprovalRecord;
import io.sightline.store.Environments.CheckRecord;
import io.sightline.store.Environments.Decision;
import io.sightline.store.Environments.DeploymentQuery;
import io.sightline.store.Environments.DeploymentRecord;
import io.sightline.store.Environments.EnvironmentRecord;
import io.sightline.store.Environments.ResourceRecord;
import io.sightline.store.Environments.RoleGrant;
import io.sightline.store.Environments.Scope;
import io.sightline.store.Leases;
import io.sightline.store.Store;
import io.sightline.store.StoreTx;
import io.sightline.store.Trust.PipelinePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Environments, their deployments and approvals (issue 8). Every decision about a deployment (its
 * checks, its place in the exclusive lock's queue, its claim) is taken in one store transaction
 * that holds the environment's row lock, so several replicas agree; nothing lives in memory, so a
 * restart loses nothing. Checks are evaluated whenever a deployment is read, claimed or decided on:
 * time-based outcomes (an approval's timeout, business hours) need no timer.
 */
public final class EnvironmentService {
  public static final String CLAIM_PREFIX = "sld_";

  /** States. */
  static final String WAITING = "waiting";

  static final String READY = "ready";
  static final String RUNNING = "running";
  static final String FINISHED = "finished";

  /** A running deployment whose lease ended this long ago without a finish is failed. */
  static final Duration ABANDONED_AFTER = Duration.ofMinutes(2);

  /**
   * A waiting or ready deployment whose run has not looked at it (with its claim handle) for this
   * long is withdrawn: the run is gone, and it must not hold up the exclusive lock's queue.
   */
  static final Duration UNWATCHED_AFTER = Duration.ofMinutes(15);

  private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]{0,62}");
  private static final Pattern RESOURCE = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
  private static final Pattern NAMESPACE = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final ObjectMapper CANONICAL =
      new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

  private final Store store;
  private final Clock clock;
  private final LeaseService leases;

  public EnvironmentService(Store store, Clock clock, LeaseService leases) {
    this.store = store;
    this.clock = clock;
    this.leases = leases;
  }

  // ================================================================== environments

  public EnvironmentView create(Principal p, EnvironmentCreate b, String requestId) {
    if (b.name() == null || !NAME.matcher(b.name()).matches()) {
      throw bad(
          "INVALID_NAME",
          "name",
          "name must be 1-63 of [a-z0-9-], starting with a letter (e.g. production)");
    }
    checkDescription(b.description());
    PipelinePermissions perms = permissions(b.pipelinePermissions());
    List<RoleGrant> roles = roles(b.roles());
    List<ResourceBody> resources = b.resources() == null ? List.of() : b.resources();
    return store.transact(
        tx -> {
          EnvironmentRecord e =
              tx.environments().create(b.name(), blank(b.description()), perms, roles, p.name());
          for (int i = 0; i < resources.size(); i++) {
            addResource(tx, e, resources.get(i), "resources[" + i + "].", p.name());
          }
          Map<String, Object> d = new LinkedHashMap<>();
          d.put("environment", e.name());
          d.put("pipelinePermissions", TrustRoutes.wire(perms));
          d.put("roles", grantsWire(roles));
          d.put("resources", resources.stream().map(ResourceBody::name).toList());
          audit(tx, "environment.create", p.name(), e.name(), "success", requestId, d);
          return view(tx, e);
        });
  }

  public List<EnvironmentView> list() {
    return store.transact(tx -> tx.environments().list().stream().map(e -> view(tx, e)).toList());
  }

  public EnvironmentView show(String name) {
    return store.transact(tx -> view(tx, env(tx, name)));
  }

  public EnvironmentView update(Principal p, String name, EnvironmentUpdate b, String requestId) {
    checkDescription(b.description());
    PipelinePermissions perms =
        b.pipelinePermissions() == null ? null : permissions(b.pipelinePermissions());
    List<RoleGrant> roles = b.roles() == null ? null : roles(b.roles());
    return store.transact(
        tx -> {
          EnvironmentRecord e = env(tx, name);
          requireManage(p, e);
          PipelinePermissions newPerms = perms == null ? e.permissions() : perms;
          List<RoleGrant> newRoles = roles == null ? e.roles() : roles;
          String desc = b.description() == null ? e.description() : blank(b.description());
          tx.environments().update(e.id(), desc, newPerms, newRoles);
          Map<String, Object> d = new LinkedHashMap<>();
          d.put("environment", e.name());
          d.put(
              "before",
              Map.of(
                  "pipelinePermissions",
                  TrustRoutes.wire(e.permissions()),
                  "roles",
                  grantsWire(e.roles())));
          d.put(
              "after",
              Map.of(
                  "pipelinePermissions",
                  TrustRoutes.wire(newPerms),
                  "roles",
                  grantsWire(newRoles)));
          audit(tx, "environment.update", p.name(), e.name(), "success", requestId, d);
          return view(tx, tx.environments().findById(e.id()).orElseThrow());
        });
  }

  public void delete(Principal p, String name, String requestId) {
    store.transact(
        tx -> {
          EnvironmentRecord e = tx.environments().lock(name).orElseThrow(() -> notFoundEnv(name));
          requireManage(p, e);
          List<DeploymentRecord> open = tx.environments().openDeployments(e.id());
          if (!open.isEmpty()) {
            throw SightlineException.conflict(
                "DEPLOYMENTS_OPEN",
                "environment "
                    + name
                    + " has "
                    + open.size()
                    + " deployment(s) not finished (e.g. "
                    + open.get(0).id()
                    + "): cancel them first (POST /api/v1/deployments/{id}/cancel)");
          }
          tx.environments().delete(e.id());
          audit(tx, "environment.delete", p.name(), e.name(), "success", requestId, Map.of());
          return null;
        });
  }

  // ------------------------------------------------------------------ resources

  public List<ResourceView> resources(String name) {
    return store.transact(
        tx ->
            tx.environments().resources(env(tx, name).id()).stream()
                .map(EnvironmentService::resourceView)
                .toList());
  }

  public ResourceView addResource(Principal p, String name, ResourceBody b, String requestId) {
    return store.transact(
        tx -> {
          EnvironmentRecord e = env(tx, name);
          requireManage(p, e);
          ResourceRecord r = addResource(tx, e, b, "", p.name());
          audit(
              tx,
              "environment.resource.add",
              p.name(),
              e.name(),
              "success",
              requestId,
              Map.of("resource", r.name(), "tags", r.tags(), "target", r.target()));
          return resourceView(r);
        });
  }

  public void removeResource(Principal p, String name, String resource, String requestId) {
    store.transact(
        tx -> {
          EnvironmentRecord e = env(tx, name);
          requireManage(p, e);
          if (!tx.environments().removeResource(e.id(), resource)) {
            throw notFoundResource(name, resource);
          }
          audit(
              tx,
              "environment.resource.remove",
              p.name(),
              e.name(),
              "success",
              requestId,
              Map.of("resource", resource));
          return null;
        });
  }

  private ResourceRecord addResource(
      StoreTx tx, EnvironmentRecord e, ResourceBody b, String prefix, String by) {
    if (b == null) {
      throw bad("INVALID_RESOURCE", prefix + "name", "a resource is {name, tags, target}");
    }
    if (b.name() == null || !RESOURCE.matcher(b.name()).matches()) {
      throw bad(
          "INVALID_RESOURCE", prefix + "name", "a resource's name is 1-63 of [a-z0-9-] (e.g. web)");
    }
    List<String> tags = b.tags() == null ? List.of() : b.tags();
    if (tags.size() > 20
        || tags.stream().anyMatch(t -> t == null || t.isBlank() || t.length() > 63)) {
      throw bad("INVALID_RESOURCE", prefix + "tags", "at most 20 tags of 1-63 characters each");
    }
    LeaseTarget t = b.target();
    String tf = prefix + "target";
    if (t == null) {
      throw bad(
          "TARGET_REQUIRED",
          tf,
          "name the cluster target: {\"connection\":\"prod\",\"namespace\":\"web\"} or"
              + " {\"azureConnection\",\"resourceGroup\",\"cluster\",\"namespace\"}");
    }
    if (t.namespace() == null || !NAMESPACE.matcher(t.namespace()).matches()) {
      throw bad(
          "TARGET_REQUIRED",
          tf + ".namespace",
          "a resource names its namespace (a DNS label, e.g. web): its lease can act only there");
    }
    if (t.isAzure()) {
      if (t.connection() != null) {
        throw bad(
            "INVALID_TARGET",
            tf + ".connection",
            "give either connection (kubernetes) or azureConnection + resourceGroup + cluster");
      }
      for (String[] f :
          new String[][] {
            {"azureConnection", t.azureConnection()},
            {"resourceGroup", t.resourceGroup()},
            {"cluster", t.cluster()}
          }) {
        if (f[1] == null || f[1].isBlank() || f[1].length() > 200) {
          throw bad(
              "TARGET_REQUIRED",
              tf + "." + f[0],
              "an azurerm target names azureConnection, resourceGroup and cluster");
        }
      }
      ConnectionRecord c = connection(tx, t.azureConnection(), tf + ".azureConnection");
      if (!"azurerm".equals(c.kind())) {
        throw bad(
            "INVALID_TARGET",
            tf + ".azureConnection",
            t.azureConnection() + " is a " + c.kind() + " connection, not azurerm");
      }
    } else {
      if (t.connection() == null || t.connection().isBlank()) {
        throw bad("TARGET_REQUIRED", tf + ".connection", "target.connection names the connection");
      }
      if (t.useClusterAdmin() != null) {
        throw bad(
            "INVALID_TARGET",
            tf + ".useClusterAdmin",
            "useClusterAdmin belongs to the azurerm form (azureConnection)");
      }
      ConnectionRecord c = connection(tx, t.connection(), tf + ".connection");
      if (!"kubernetes".equals(c.kind())) {
        throw bad(
            "INVALID_TARGET",
            tf + ".connection",
            t.connection()
                + " is an "
                + c.kind()
                + " connection: use azureConnection + resourceGroup + cluster for it");
      }
      if (c.provisioning() != null
          && !c.provisioning().deployers().isEmpty()
          && !c.provisioning().deployers().containsKey(t.namespace())) {
        throw bad(
            "NAMESPACE_NOT_ALLOWED",
            tf + ".namespace",
            "connection "
                + c.name()
                + " has no deployer for namespace "
                + t.namespace()
                + ": its target namespaces are "
                + String.join(", ", new TreeMap<>(c.provisioning().deployers()).keySet())
                + " (add one by updating the connection)");
      }
    }
    return tx.environments().addResource(e.id(), b.name(), List.copyOf(tags), t.toMap(), by);
  }

  private static ConnectionRecord connection(StoreTx tx, String name, String field) {
    return tx.connections()
        .find(name)
        .orElseThrow(
            () ->
                bad(
                    "CONNECTION_NOT_FOUND",
                    field,
                    "no connection named "
                        + name
                        + ": list them with sightline connection list, or create it first"));
  }

  // ------------------------------------------------------------------ checks

  public List<CheckView> checks(Scope scope, String name) {
    return store.transact(
        tx -> {
          String id = scopeId(tx, scope, name);
          return tx.environments().checks(scope, id).stream()
              .map(c -> Checks.view(c, name))
              .toList();
        });
  }

  public CheckView addCheck(Principal p, Scope scope, String name, CheckBody b, String requestId) {
    Map<String, Object> settings = Checks.settings(b, scope);
    return store.transact(
        tx -> {
          String id = scopeId(tx, scope, name);
          if (scope == Scope.ENVIRONMENT) {
            requireManage(p, env(tx, name));
          } else if (!p.has(Role.CREATOR)) {
            throw roleRequired(p, "a connection's checks");
          }
          CheckRecord c = tx.environments().addCheck(scope, id, b.type(), settings, p.name());
          Map<String, Object> d = new LinkedHashMap<>();
          d.put("check", c.id());
          d.put("type", c.type());
          d.put("settings", c.settings());
          audit(tx, "check.add", p.name(), scope.wireName() + "/" + name, "success", requestId, d);
          return Checks.view(c, name);
        });
  }

  public void removeCheck(Principal p, Scope scope, String name, String checkId, String requestId) {
    store.transact(
        tx -> {
          String id = scopeId(tx, scope, name);
          if (scope == Scope.ENVIRONMENT) {
            requireManage(p, env(tx, name));
          } else if (!p.has(Role.CREATOR)) {
            throw roleRequired(p, "a connection's checks");
          }
          if (!tx.environments().removeCheck(scope, id, checkId)) {
            throw SightlineException.notFound(
                "CHECK_NOT_FOUND",
                "no check "
                    + checkId
                    + " on "
                    + scope.wireName()
                    + " "
                    + name
                    + ": list them with GET …/checks");
          }
          audit(
              tx,
              "check.remove",
              p.name(),
              scope.wireName() + "/" + name,
              "success",
              requestId,
              Map.of("check", checkId));
          return null;
        });
  }

  private static String scopeId(StoreTx tx, Scope scope, String name) {
    if (scope == Scope.ENVIRONMENT) {
      return env(tx, name).id();
    }
    return tx.connections()
        .find(name)
        .orElseThrow(
            () ->
                SightlineException.notFound(
                    "CONNECTION_NOT_FOUND",
                    "no connection named " + name + ": list them with sightline connection list"))
        .id();
  }

  // ================================================================== direct leases

  /**
   * The {@link LeaseService.Gate}: a lease asked for directly ({@code POST /api/v1/leases}, not
   * claimed by a deployment) is refused when its connection has checks, or when its namespace is a
   * resource of an environment with checks — those checks gate the credential, so they cannot be
   * bypassed by asking for it another way.
   */
  public LeaseService.Gate leaseGate() {
    return new LeaseService.Gate() {
      @Override
      public String refusal(
          StoreTx tx, Caller caller, LeaseTarget target, ConnectionRecord connection) {
        return directLeaseRefusal(tx, caller, target, connection);
      }

      @Override
      public SightlineException refuse(
          Caller caller, LeaseTarget target, String reason, String requestId) {
        return refuseDirectLease(caller, target, reason, requestId);
      }
    };
  }

  /**
   * Why a direct lease of {@code target} is refused (see {@link #leaseGate}); null if it is not.
   */
  String directLeaseRefusal(
      StoreTx tx, Caller caller, LeaseTarget target, ConnectionRecord connection) {
    if (caller.deployment() != null) {
      return null;
    }
    String conn = target.isAzure() ? target.azureConnection() : target.connection();
    if (conn == null || conn.isBlank() || conn.length() > 63) {
      return null;
    }
    Optional<ConnectionRecord> c =
        connection != null ? Optional.of(connection) : tx.connections().find(conn);
    if (c.isEmpty()) {
      return null;
    }
    if (!tx.environments().checks(Scope.CONNECTION, c.get().id()).isEmpty()) {
      return "connection " + conn + " has checks";
    }
    for (ResourceRecord r : tx.environments().resourcesOn(conn)) {
      LeaseTarget rt = targetOf(r.target());
      boolean same =
          target.isAzure()
              ? rt.isAzure()
                  && Objects.equals(rt.resourceGroup(), target.resourceGroup())
                  && Objects.equals(rt.cluster(), target.cluster())
              : !rt.isAzure();
      if (!same || (target.namespace() != null && !target.namespace().equals(rt.namespace()))) {
        continue;
      }
      if (!tx.environments().checks(Scope.ENVIRONMENT, r.environmentId()).isEmpty()) {
        String env =
            tx.environments()
                .findById(r.environmentId())
                .map(EnvironmentRecord::name)
                .orElse(r.environmentId());
        return "namespace "
            + rt.namespace()
            + " of connection "
            + conn
            + " is resource "
            + r.name()
            + " of environment "
            + env
            + ", which has checks";
      }
    }
    return null;
  }

  /** Audits a refused direct lease and answers the 403 to throw. */
  SightlineException refuseDirectLease(
      Caller caller, LeaseTarget target, String reason, String requestId) {
    String conn = target.isAzure() ? target.azureConnection() : target.connection();
    store.transact(
        tx -> {
          tx.audit()
              .append(
                  new AuditEvent(
                      "lease.refused",
                      caller.name(),
                      "connection/" + conn,
                      "denied",
                      requestId,
                      Map.of(
                          "reason",
                          "CHECKS_REQUIRED",
                          "detail",
                          reason,
                          "target",
                          target.toMap())));
          return null;
        });
    return SightlineException.forbidden(
        "CHECKS_REQUIRED",
        reason
            + ": its credential is issued only to a deployment that passed them (sightline run"
            + " --environment ENV --resource RESOURCE -- …)");
  }

  // ================================================================== deployments

  /** A new deployment and, once, its claim handle. */
  public DeploymentView request(
      Principal principal,
      PipelineIdentity pipeline,
      String envName,
      DeploymentCreate b,
      String idempotencyKey,
      String requestId) {
    if (b.resource() == null || b.resource().isBlank()) {
      throw bad(
          "RESOURCE_REQUIRED",
          "resource",
          "name the environment's resource to deploy to (sightline env show " + envName + ")");
    }
    if (b.ttlSeconds() != null && b.ttlSeconds() <= 0) {
      throw bad("INVALID_TTL", "ttlSeconds", "ttlSeconds must be a positive number of seconds");
    }
    if (idempotencyKey != null && (idempotencyKey.isBlank() || idempotencyKey.length() > 200)) {
      throw bad(
          "INVALID_IDEMPOTENCY_KEY",
          "Idempotency-Key",
          "the Idempotency-Key header must be 1 to 200 characters (e.g. a UUID per task attempt)");
    }
    String requester = pipeline != null ? pipeline.name() : principal.name();
    Map<String, Object> task = b.task() == null ? Map.of() : b.task().toMap();
    String requestHash =
        hash(
            Map.of(
                "resource",
                b.resource(),
                "ttlSeconds",
                b.ttlSeconds() == null ? 0 : b.ttlSeconds(),
                "task",
                task,
                "environment",
                envName));
    SecretValue claim = newClaim();
    String claimHash = LeaseHandles.sha256(claim.reveal());
    Instant now = clock.instant();
    record Outcome(DeploymentView view, SightlineException refusal) {}
    Outcome o =
        store.transact(
            tx -> {
              if (idempotencyKey != null) {
                Optional<String[]> earlier =
                    tx.environments().deploymentByIdempotencyKey(requester, idempotencyKey);
                if (earlier.isPresent()) {
                  if (!requestHash.equals(earlier.get()[1])) {
                    throw SightlineException.conflict(
                        "IDEMPOTENCY_KEY_REUSED",
                        "this Idempotency-Key was used for a different deployment request: send a"
                            + " new key for a new request");
                  }
                  // The retry gets a fresh claim handle; the first answer's is void.
                  tx.environments().setClaimHash(earlier.get()[0], claimHash);
                  DeploymentRecord d = tx.environments().deployment(earlier.get()[0]).orElseThrow();
                  return new Outcome(withClaim(view(tx, d, now), claim), null);
                }
              }
              EnvironmentRecord e =
                  tx.environments().lock(envName).orElseThrow(() -> notFoundEnv(envName));
              mayDeploy(tx, e, principal, pipeline, requestId);
              ResourceRecord r =
                  tx.environments().resources(e.id()).stream()
                      .filter(x -> x.name().equals(b.resource()))
                      .findFirst()
                      .orElseThrow(
                          () ->
                              bad(
                                  "RESOURCE_NOT_FOUND",
                                  "resource",
                                  "environment "
                                      + envName
                                      + " has no resource "
                                      + b.resource()
                                      + ": its resources are "
                                      + String.join(
                                          ", ",
                                          tx.environments().resources(e.id()).stream()
                                              .map(ResourceRecord::name)
                                              .toList())));
              LeaseTarget target = targetOf(r.target());
              String connName = target.isAzure() ? target.azureConnection() : target.connection();
              Optional<ConnectionRecord> conn = tx.connections().find(connName);
              if (pipeline != null && conn.isPresent()) {
                PipelinePermissions cp = tx.trust().permissions(conn.get().id());
                if (!LeasePermissions.allows(cp, pipeline.identity())) {
                  throw SightlineException.forbidden(
                      "PIPELINE_NOT_PERMITTED",
                      "pipeline "
                          + pipeline.identity()
                          + " may deploy to environment "
                          + envName
                          + " but may not use its resource's connection "
                          + connName
                          + ": allow it with `sightline connection permit "
                          + connName
                          + " --pipeline '"
                          + pipeline.identity()
                          + "'`");
                }
              }
              List<Map<String, Object>> checks = new ArrayList<>();
              for (CheckRecord c : tx.environments().checks(Scope.ENVIRONMENT, e.id())) {
                checks.add(snapshot(c, e.name()));
              }
              if (conn.isPresent()) {
                for (CheckRecord c : tx.environments().checks(Scope.CONNECTION, conn.get().id())) {
                  checks.add(snapshot(c, connName));
                }
              }
              String refusal = null;
              String refusalCode = null;
              for (Map<String, Object> c : checks) {
                Map<String, Object> s = settings(c);
                if (Checks.BRANCH_CONTROL.equals(c.get("type"))) {
                  String ref = ref(pipeline);
                  @SuppressWarnings("unchecked")
                  List<String> allowed = (List<String>) s.get("allowedRefs");
                  if (Checks.refAllowed(allowed, ref)) {
                    c.put("status", "passed");
                    c.put("progress", "ref " + ref + " is allowed");
                  } else {
                    c.put("status", "failed");
                    String why =
                        ref == null
                            ? "the caller has no ref (an API token, or an ID token without a ref"
                                + " claim): branch control needs a pipeline's ID token"
                            : "ref " + ref + " is not one of " + String.join(", ", allowed);
                    c.put("progress", why);
                    if (refusal == null) {
                      refusal = "branch control on " + c.get("scopeName") + ": " + why;
                      refusalCode = "BRANCH_NOT_ALLOWED";
                    }
                  }
                }
                if (Checks.EXCLUSIVE_LOCK.equals(c.get("type"))
                    && Boolean.TRUE.equals(s.get("failFast"))
                    && refusal == null) {
                  List<DeploymentRecord> ahead = lockQueue(tx, e.id());
                  if (!ahead.isEmpty()) {
                    c.put("status", "failed");
                    c.put(
                        "progress",
                        "deployment " + ahead.get(0).id() + " holds the lock (failFast)");
                    refusal =
                        "environment "
                            + envName
                            + " is locked by deployment "
                            + ahead.get(0).id()
                            + " and its exclusiveLock fails fast: retry when it has finished";
                    refusalCode = "LOCK_HELD";
                  }
                }
              }
              DeploymentRecord d =
                  new DeploymentRecord(
                      UUID.randomUUID().toString(),
                      e.id(),
                      e.name(),
                      r.name(),
                      0,
                      refusal == null ? WAITING : FINISHED,
                      refusal == null ? null : "refused",
                      null,
                      requester,
                      task.get("pipeline") == null ? null : String.valueOf(task.get("pipeline")),
                      pipeline == null ? null : pipeline.toMap(),
                      task,
                      r.target(),
                      b.ttlSeconds(),
                      checks,
                      List.of(),
                      null,
                      refusal,
                      now,
                      now,
                      now,
                      null,
                      refusal == null ? null : now);
              d =
                  tx.environments()
                      .createDeployment(d, claimHash, requester, idempotencyKey, requestHash);
              Map<String, Object> ad = deploymentAudit(d);
              if (refusal != null) {
                ad.put("reason", refusal);
                audit(tx, "deployment.refused", requester, e.name(), "denied", requestId, ad);
                return new Outcome(
                    view(tx, d, now),
                    new ProblemException(
                        refusalCode,
                        refusalCode.equals("LOCK_HELD") ? 409 : 403,
                        null,
                        refusal,
                        Map.of("deployment", d.id())));
              }
              for (Map<String, Object> c : checks) {
                if (Checks.APPROVAL.equals(c.get("type"))) {
                  Map<String, Object> s = settings(c);
                  @SuppressWarnings("unchecked")
                  List<String> approvers = (List<String>) s.get("approvers");
                  tx.environments()
                      .createApproval(
                          new ApprovalRecord(
                              UUID.randomUUID().toString(),
                              d.id(),
                              e.name(),
                              (String) c.get("id"),
                              "pending",
                              approvers,
                              ((Number) s.get("minApprovers")).intValue(),
                              Boolean.TRUE.equals(s.get("requesterCannotApprove")),
                              (String) s.get("instructions"),
                              requester,
                              now.plusSeconds(((Number) s.get("timeoutSeconds")).longValue()),
                              now,
                              null));
                }
              }
              audit(tx, "deployment.create", requester, e.name(), "success", requestId, ad);
              d = evaluate(tx, d, now, requestId);
              return new Outcome(withClaim(view(tx, d, now), claim), null);
            });
    if (o.refusal() != null) {
      throw o.refusal();
    }
    return o.view();
  }

  /** A deployment as it stands now (its checks evaluated). */
  public DeploymentView deployment(String id, boolean byRun, String requestId) {
    Instant now = clock.instant();
    return store.transact(
        tx -> {
          DeploymentRecord d = lockDeployment(tx, id);
          if (byRun) {
            tx.environments().seen(id, now);
          }
          return view(tx, evaluate(tx, d, now, requestId), now);
        });
  }

  public List<DeploymentView> history(
      String envName,
      String resource,
      String result,
      String pipeline,
      Instant since,
      Instant until,
      int limit) {
    Instant now = clock.instant();
    return store.transact(
        tx -> {
          EnvironmentRecord e = env(tx, envName);
          if (resource != null
              && tx.environments().resources(e.id()).stream()
                  .noneMatch(r -> r.name().equals(resource))
              && tx.environments()
                  .deployments(new DeploymentQuery(e.id(), resource, null, null, null, null, 1))
                  .isEmpty()) {
            throw notFoundResource(envName, resource);
          }
          return tx
              .environments()
              .deployments(
                  new DeploymentQuery(e.id(), resource, result, pipeline, since, until, limit))
              .stream()
              .map(d -> view(tx, d, now))
              .toList();
        });
  }

  /**
   * Claims the lease of a deployment whose checks have all passed: the lease is taken for the
   * resource's target through {@link LeaseService} as the requester, with the deployment (and its
   * approvers) in the lease's audit records. A retry answers the same lease.
   */
  public LeaseService.Issued claim(String id, String requestId) {
    Instant now = clock.instant();
    DeploymentRecord d =
        store.transact(
            tx -> {
              tx.environments().seen(id, now);
              DeploymentRecord x = evaluate(tx, lockDeployment(tx, id), now, requestId);
              switch (x.state()) {
                case RUNNING -> {
                  return x; // a retry: the lease service answers the same lease
                }
                case FINISHED ->
                    throw SightlineException.conflict(
                        "DEPLOYMENT_FINISHED",
                        "deployment "
                            + id
                            + " has finished ("
                            + x.result()
                            + ")"
                            + (x.failure() == null ? "" : ": " + x.failure()));
                case WAITING ->
                    throw new ProblemException(
                        "CHECKS_PENDING",
                        409,
                        null,
                        "deployment "
                            + id
                            + " is waiting for "
                            + waitingFor(tx, x, now)
                            + ": claim it once every check has passed (GET /api/v1/deployments/"
                            + id
                            + ")",
                        Map.of("deployment", id));
                default -> {
                  // ready
                }
              }
              DeploymentRecord running =
                  x.with(
                      RUNNING, null, null, x.checks(), x.approvers(), x.leaseId(), null, now, null);
              tx.environments().updateDeployment(running);
              audit(
                  tx,
                  "deployment.start",
                  x.requester(),
                  x.environmentName(),
                  "success",
                  requestId,
                  deploymentAudit(running));
              return running;
            });
    Map<String, Object> dep = new LinkedHashMap<>();
    dep.put("id", d.id());
    dep.put("environment", d.environmentName());
    dep.put("resource", d.resource());
    dep.put("approvers", d.approvers());
    Caller caller = Caller.deployment(d.requester(), pipelineOf(d), dep);
    LeaseService.Issued issued;
    try {
      issued =
          leases.issue(
              caller,
              targetOf(d.target()),
              d.ttlSeconds(),
              taskOf(d.task()),
              "deployment-" + d.id(),
              requestId);
    } catch (RuntimeException e) {
      if (d.leaseId() == null) {
        String code = e instanceof SightlineException se ? se.code() : "INTERNAL_ERROR";
        store.transact(
            tx -> {
              DeploymentRecord x = tx.environments().deployment(id).orElseThrow();
              if (x.leaseId() == null && RUNNING.equals(x.state())) {
                finish(tx, x, "failed", null, "the lease was not issued: " + code, requestId, now);
              }
              return null;
            });
      }
      throw e;
    }
    if (!issued.lease().id().equals(d.leaseId())) {
      store.transact(
          tx -> {
            DeploymentRecord x = tx.environments().deployment(id).orElseThrow();
            tx.environments()
                .updateDeployment(
                    x.with(
                        x.state(),
                        x.result(),
                        x.exitCode(),
                        x.checks(),
                        x.approvers(),
                        issued.lease().id(),
                        x.failure(),
                        x.startedAt(),
                        x.finishedAt()));
            return null;
          });
    }
    return issued;
  }

  /** Records the end of a running deployment (the run calls it with the command's exit code). */
  public DeploymentView finish(String id, FinishBody b, String actor, String requestId) {
    if (b == null
        || b.result() == null
        || !(b.result().equals("succeeded") || b.result().equals("failed"))) {
      throw bad("INVALID_RESULT", "result", "result must be succeeded or failed");
    }
    Instant now = clock.instant();
    return store.transact(
        tx -> {
          DeploymentRecord d = lockDeployment(tx, id);
          if (FINISHED.equals(d.state())) {
            if (b.result().equals(d.result())) {
              return view(tx, d, now);
            }
            throw SightlineException.conflict(
                "DEPLOYMENT_FINISHED",
                "deployment " + id + " has finished already (" + d.result() + ")");
          }
          if (!RUNNING.equals(d.state())) {
            throw SightlineException.conflict(
                "DEPLOYMENT_NOT_RUNNING",
                "deployment "
                    + id
                    + " is "
                    + d.state()
                    + ": only a deployment whose lease was claimed can finish; cancel it instead"
                    + " (POST /api/v1/deployments/"
                    + id
                    + "/cancel)");
          }
          DeploymentRecord f = finish(tx, d, b.result(), b.exitCode(), null, requestId, now);
          return view(tx, f, now);
        });
  }

  /** Withdraws a deployment (its pending approvals are withdrawn); a finished one is answered. */
  public DeploymentView cancel(String id, String actor, String requestId) {
    Instant now = clock.instant();
    return store.transact(
        tx -> {
          DeploymentRecord d = lockDeployment(tx, id);
          if (FINISHED.equals(d.state())) {
            return view(tx, d, now);
          }
          DeploymentRecord f =
              finish(tx, d, "cancelled", null, "cancelled by " + actor, requestId, now);
          return view(tx, f, now);
        });
  }

  // ================================================================== approvals

  public List<ApprovalView> approvals(boolean pendingOnly, Principal mine, int limit) {
    Instant now = clock.instant();
    return store.transact(
        tx ->
            tx.environments().listApprovals(pendingOnly, limit).stream()
                .filter(a -> !pendingOnly || a.timeoutAt().isAfter(now))
                .filter(a -> mine == null || mayApprove(mine, a))
                .map(a -> approvalView(tx, a))
                .toList());
  }

  public ApprovalView approval(String id) {
    return store.transact(tx -> approvalView(tx, approvalOf(tx, id)));
  }

  public ApprovalView decide(Principal p, String id, DecisionBody b, String requestId) {
    if (b == null
        || b.decision() == null
        || !(b.decision().equals("approve") || b.decision().equals("reject"))) {
      throw bad("INVALID_DECISION", "decision", "decision must be approve or reject");
    }
    if (b.comment() != null && b.comment().length() > 4000) {
      throw bad("INVALID_DECISION", "comment", "the comment is longer than 4000 characters");
    }
    Instant now = clock.instant();
    Decided o =
        store.transact(
            tx -> {
              ApprovalRecord a0 = approvalOf(tx, id);
              DeploymentRecord d = lockDeployment(tx, a0.deploymentId());
              d = evaluate(tx, d, now, requestId);
              ApprovalRecord a = approvalOf(tx, id);
              if (!"pending".equals(a.state())) {
                throw SightlineException.conflict(
                    "APPROVAL_CLOSED",
                    "approval " + id + " is " + a.state() + " already: nothing to decide");
              }
              if (!mayApprove(p, a)) {
                return refuse(
                    tx,
                    p,
                    a,
                    d,
                    b,
                    requestId,
                    "NOT_AN_APPROVER",
                    p.name()
                        + " is not among this approval's approvers ("
                        + String.join(", ", a.approvers())
                        + ")");
              }
              if (a.requesterCannotApprove() && p.name().equals(a.requester())) {
                return refuse(
                    tx,
                    p,
                    a,
                    d,
                    b,
                    requestId,
                    "REQUESTER_CANNOT_APPROVE",
                    p.name()
                        + " asked for this deployment and this check forbids approving one's"
                        + " own deployment: another approver must decide");
              }
              tx.environments()
                  .addDecision(
                      new Decision(a.id(), p.name(), b.decision(), blank(b.comment()), now));
              Map<String, Object> ad = deploymentAudit(d);
              ad.put("approval", a.id());
              ad.put("check", a.checkId());
              ad.put("decision", b.decision());
              if (b.comment() != null && !b.comment().isBlank()) {
                ad.put("comment", b.comment().strip());
              }
              audit(
                  tx,
                  "approval." + b.decision(),
                  p.name(),
                  a.environmentName(),
                  "success",
                  requestId,
                  ad);
              if (b.decision().equals("reject")) {
                tx.environments().setApprovalState(a.id(), "rejected", now);
                finish(
                    tx,
                    d,
                    "rejected",
                    null,
                    "rejected by "
                        + p.name()
                        + (b.comment() == null || b.comment().isBlank()
                            ? ""
                            : ": " + b.comment().strip()),
                    requestId,
                    now);
              } else {
                List<String> approvers = new ArrayList<>(new LinkedHashSet<>(d.approvers()));
                if (!approvers.contains(p.name())) {
                  approvers.add(p.name());
                }
                d =
                    d.with(
                        d.state(),
                        d.result(),
                        d.exitCode(),
                        d.checks(),
                        approvers,
                        d.leaseId(),
                        d.failure(),
                        d.startedAt(),
                        d.finishedAt());
                tx.environments().updateDeployment(d);
                long approved = approvedCount(tx, a.id());
                if (approved >= a.minApprovers()) {
                  tx.environments().setApprovalState(a.id(), "approved", now);
                }
                evaluate(tx, d, now, requestId);
              }
              return new Decided(approvalView(tx, approvalOf(tx, id)), null);
            });
    if (o.error() != null) {
      throw o.error();
    }
    return o.view();
  }

  private record Decided(ApprovalView view, SightlineException error) {}

  /** Audits a decision refused to {@code p} and answers it as 403 once the record is written. */
  private static Decided refuse(
      StoreTx tx,
      Principal p,
      ApprovalRecord a,
      DeploymentRecord d,
      DecisionBody b,
      String requestId,
      String code,
      String detail) {
    Map<String, Object> ad = deploymentAudit(d);
    ad.put("approval", a.id());
    ad.put("decision", b.decision());
    ad.put("reason", code);
    audit(tx, "approval." + b.decision(), p.name(), a.environmentName(), "denied", requestId, ad);
    return new Decided(null, SightlineException.forbidden(code, detail));
  }

  // ================================================================== evaluation

  /**
   * Brings {@code d} up to date at {@code now}: times out approvals, finishes rejected ones, checks
   * business hours and the lock queue; waiting ↔ ready. Call with the environment locked.
   */
  DeploymentRecord evaluate(StoreTx tx, DeploymentRecord d, Instant now, String requestId) {
    if (FINISHED.equals(d.state())) {
      return d;
    }
    if (sweep(tx, d.environmentId(), now, requestId).contains(d.id())) {
      return tx.environments().deployment(d.id()).orElseThrow();
    }
    if (RUNNING.equals(d.state())) {
      return d;
    }
    List<ApprovalRecord> approvals = tx.environments().approvals(d.id());
    List<Map<String, Object>> checks = new ArrayList<>();
    boolean allPassed = true;
    for (Map<String, Object> c0 : d.checks()) {
      Map<String, Object> c = new LinkedHashMap<>(c0);
      Map<String, Object> s = settings(c);
      switch ((String) c.get("type")) {
        case Checks.APPROVAL -> {
          ApprovalRecord a =
              approvals.stream()
                  .filter(x -> x.checkId().equals(c.get("id")))
                  .findFirst()
                  .orElse(null);
          if (a == null) {
            c.put("status", "failed");
            break;
          }
          if ("rejected".equals(a.state())) {
            return finish(tx, d, "rejected", null, "approval rejected", requestId, now);
          }
          if ("pending".equals(a.state()) && !now.isBefore(a.timeoutAt())) {
            tx.environments().setApprovalState(a.id(), "timed-out", now);
            Map<String, Object> ad = deploymentAudit(d);
            ad.put("approval", a.id());
            audit(tx, "approval.timeout", "system", d.environmentName(), "failure", requestId, ad);
            return finish(
                tx,
                d,
                "timed-out",
                null,
                "approval timed out: "
                    + approvedCount(tx, a.id())
                    + " of "
                    + a.minApprovers()
                    + " approvals by "
                    + a.timeoutAt(),
                requestId,
                now);
          }
          if ("approved".equals(a.state())) {
            c.put("status", "passed");
            c.put("progress", "approved by " + String.join(", ", approvedBy(tx, a.id())));
          } else {
            allPassed = false;
            c.put("status", "pending");
            c.put(
                "progress",
                approvedCount(tx, a.id())
                    + " of "
                    + a.minApprovers()
                    + ", by "
                    + String.join(
                        ", ",
                        a.approvers().stream()
                            .map(x -> x.startsWith("group:") ? x.substring(6) : x)
                            .toList())
                    + " — "
                    + Checks.minutes(Duration.between(now, a.timeoutAt()))
                    + " left");
          }
        }
        case Checks.BUSINESS_HOURS -> {
          if (Checks.open(s, now)) {
            c.put("status", "passed");
            c.put("progress", "within business hours");
          } else {
            allPassed = false;
            c.put("status", "pending");
            c.put("progress", Checks.hoursProgress(s, now));
          }
        }
        case Checks.EXCLUSIVE_LOCK -> {
          int pos = position(tx, d);
          if (pos == 0) {
            c.put("status", "passed");
            c.put("progress", "first in queue");
          } else {
            allPassed = false;
            c.put("status", "pending");
            c.put("progress", Checks.ordinal(pos + 1) + " in queue");
          }
        }
        default -> {
          // branchControl: decided when the deployment was requested
        }
      }
      checks.add(c);
    }
    String state = allPassed ? READY : WAITING;
    if (!state.equals(d.state()) || !checks.equals(d.checks())) {
      d =
          d.with(
              state,
              d.result(),
              d.exitCode(),
              checks,
              d.approvers(),
              d.leaseId(),
              d.failure(),
              d.startedAt(),
              d.finishedAt());
      tx.environments().updateDeployment(d);
    }
    return d;
  }

  /**
   * Ends the environment's open deployments whose run is gone: running ones whose lease ended
   * {@link #ABANDONED_AFTER} ago without a finish (failed), waiting or ready ones not looked at by
   * their run for {@link #UNWATCHED_AFTER} (cancelled). Answers the ids it ended.
   */
  private List<String> sweep(StoreTx tx, String environmentId, Instant now, String requestId) {
    List<String> ended = new ArrayList<>();
    for (DeploymentRecord o : tx.environments().openDeployments(environmentId)) {
      if (RUNNING.equals(o.state())) {
        if (o.leaseId() == null) {
          continue;
        }
        Optional<Leases.LeaseRecord> l = tx.leases().find(o.leaseId());
        if (l.isPresent()
            && l.get().state() != Leases.State.ACTIVE
            && l.get().state() != Leases.State.ISSUING
            && l.get().updatedAt() != null
            && l.get().updatedAt().plus(ABANDONED_AFTER).isBefore(now)) {
          finish(
              tx,
              o,
              "failed",
              null,
              "the run did not report its end; its lease " + l.get().state().wireName(),
              requestId,
              now);
          ended.add(o.id());
        }
      } else if (o.seenAt() != null && o.seenAt().plus(UNWATCHED_AFTER).isBefore(now)) {
        finish(
            tx,
            o,
            "cancelled",
            null,
            "its run stopped watching it (not looked at since " + o.seenAt() + ")",
            requestId,
            now);
        ended.add(o.id());
      }
    }
    return ended;
  }

  private DeploymentRecord finish(
      StoreTx tx,
      DeploymentRecord d,
      String result,
      Integer exitCode,
      String failure,
      String requestId,
      Instant now) {
    for (ApprovalRecord a : tx.environments().approvals(d.id())) {
      if ("pending".equals(a.state())) {
        tx.environments().setApprovalState(a.id(), "withdrawn", now);
      }
    }
    DeploymentRecord f =
        d.with(
            FINISHED,
            result,
            exitCode,
            d.checks(),
            d.approvers(),
            d.leaseId(),
            failure,
            d.startedAt(),
            now);
    tx.environments().updateDeployment(f);
    Map<String, Object> ad = deploymentAudit(f);
    if (exitCode != null) {
      ad.put("exitCode", exitCode);
    }
    if (failure != null) {
      ad.put("reason", failure);
    }
    audit(
        tx,
        "deployment.finish",
        "system",
        d.environmentName(),
        result.equals("succeeded") ? "success" : "failure",
        requestId,
        ad);
    return f;
  }

  /** The deployments queued for the environment's exclusive lock, in order. */
  private static List<DeploymentRecord> lockQueue(StoreTx tx, String environmentId) {
    return tx.environments().openDeployments(environmentId).stream()
        .filter(x -> x.checks().stream().anyMatch(c -> Checks.EXCLUSIVE_LOCK.equals(c.get("type"))))
        .toList();
  }

  private static int position(StoreTx tx, DeploymentRecord d) {
    List<DeploymentRecord> q = lockQueue(tx, d.environmentId());
    for (int i = 0; i < q.size(); i++) {
      if (q.get(i).id().equals(d.id())) {
        return i;
      }
    }
    return 0;
  }

  /** The deployment, with its environment's row locked (when the environment still exists). */
  private static DeploymentRecord lockDeployment(StoreTx tx, String id) {
    DeploymentRecord d =
        tx.environments()
            .deployment(id)
            .orElseThrow(
                () ->
                    SightlineException.notFound(
                        "DEPLOYMENT_NOT_FOUND",
                        "no deployment " + id + ": list them with sightline env history ENV"));
    tx.environments().lock(d.environmentName());
    return tx.environments().deployment(id).orElseThrow();
  }

  // ================================================================== views

  private DeploymentView view(StoreTx tx, DeploymentRecord d, Instant now) {
    List<CheckStatus> checks =
        d.checks().stream()
            .map(
                c ->
                    new CheckStatus(
                        (String) c.get("id"),
                        (String) c.get("type"),
                        (String) c.get("scope"),
                        c.get("status") == null ? "pending" : (String) c.get("status"),
                        (String) c.get("progress")))
            .toList();
    boolean locked = d.checks().stream().anyMatch(c -> Checks.EXCLUSIVE_LOCK.equals(c.get("type")));
    Integer pos = locked && !FINISHED.equals(d.state()) ? position(tx, d) : null;
    LeaseTarget target = targetOf(d.target());
    return new DeploymentView(
        d.id(),
        d.environmentName(),
        d.resource(),
        target,
        connectionType(target),
        d.state(),
        d.result(),
        d.exitCode(),
        d.requester(),
        d.pipelineIdentity(),
        d.task(),
        checks,
        tx.environments().approvals(d.id()).stream().map(a -> approvalView(tx, a, d)).toList(),
        d.approvers(),
        pos,
        WAITING.equals(d.state()) ? waitingFor(tx, d, now) : null,
        d.leaseId(),
        d.failure(),
        d.createdAt(),
        d.startedAt(),
        d.finishedAt(),
        null);
  }

  private static String waitingFor(StoreTx tx, DeploymentRecord d, Instant now) {
    for (Map<String, Object> c : d.checks()) {
      if ("pending".equals(c.get("status")) || c.get("status") == null) {
        String label =
            switch ((String) c.get("type")) {
              case Checks.APPROVAL -> "approval";
              case Checks.BUSINESS_HOURS -> "business hours";
              case Checks.EXCLUSIVE_LOCK -> "the exclusive lock";
              default -> (String) c.get("type");
            };
        return c.get("progress") == null ? label : label + ": " + c.get("progress");
      }
    }
    return "checks";
  }

  private static DeploymentView withClaim(DeploymentView v, SecretValue claim) {
    return new DeploymentView(
        v.id(),
        v.environment(),
        v.resource(),
        v.target(),
        v.connectionType(),
        v.state(),
        v.result(),
        v.exitCode(),
        v.requester(),
        v.pipelineIdentity(),
        v.task(),
        v.checks(),
        v.approvals(),
        v.approvers(),
        v.queuePosition(),
        v.waitingFor(),
        v.leaseId(),
        v.failure(),
        v.createdAt(),
        v.startedAt(),
        v.finishedAt(),
        claim.reveal());
  }

  private ApprovalView approvalView(StoreTx tx, ApprovalRecord a) {
    DeploymentRecord d = tx.environments().deployment(a.deploymentId()).orElse(null);
    return approvalView(tx, a, d);
  }

  private static ApprovalView approvalView(StoreTx tx, ApprovalRecord a, DeploymentRecord d) {
    List<Decision> decisions = tx.environments().decisions(a.id());
    return new ApprovalView(
        a.id(),
        a.deploymentId(),
        a.environmentName(),
        d == null ? null : d.resource(),
        a.state(),
        a.approvers(),
        a.minApprovers(),
        (int) decisions.stream().filter(x -> x.decision().equals("approve")).count(),
        a.requesterCannotApprove(),
        a.instructions(),
        a.requester(),
        d == null ? null : d.task(),
        a.timeoutAt(),
        a.createdAt(),
        a.decidedAt(),
        decisions.stream()
            .map(x -> new DecisionView(x.principal(), x.decision(), x.comment(), x.decidedAt()))
            .toList());
  }

  private EnvironmentView view(StoreTx tx, EnvironmentRecord e) {
    return new EnvironmentView(
        e.name(),
        e.description(),
        tx.environments().resources(e.id()).stream().map(EnvironmentService::resourceView).toList(),
        tx.environments().checks(Scope.ENVIRONMENT, e.id()).stream()
            .map(c -> Checks.view(c, e.name()))
            .toList(),
        new Permissions(e.permissions().allPipelines(), e.permissions().patterns()),
        e.roles().stream().map(g -> new RoleGrantBody(g.member(), g.role())).toList(),
        e.createdAt(),
        e.createdBy(),
        e.updatedAt());
  }

  static ResourceView resourceView(ResourceRecord r) {
    LeaseTarget t = targetOf(r.target());
    return new ResourceView(r.name(), r.tags(), t, connectionType(t), r.createdAt(), r.createdBy());
  }

  /** Azure DevOps' {@code connectionType}, derived from which target form is used. */
  public static String connectionType(LeaseTarget t) {
    return t.isAzure() ? "Azure Resource Manager" : "Kubernetes Service Connection";
  }

  static LeaseTarget targetOf(Map<String, Object> m) {
    return new LeaseTarget(
        str(m.get("connection")),
        str(m.get("namespace")),
        str(m.get("azureConnection")),
        str(m.get("resourceGroup")),
        str(m.get("cluster")),
        m.get("useClusterAdmin") == null ? null : Boolean.TRUE.equals(m.get("useClusterAdmin")));
  }

  private static TaskInfo taskOf(Map<String, Object> m) {
    if (m == null || m.isEmpty()) {
      return null;
    }
    return new TaskInfo(
        str(m.get("pipeline")),
        str(m.get("run")),
        str(m.get("job")),
        str(m.get("task")),
        m.get("attempt") == null ? null : ((Number) m.get("attempt")).intValue(),
        str(m.get("commit")),
        str(m.get("url")));
  }

  @SuppressWarnings("unchecked")
  private static PipelineIdentity pipelineOf(DeploymentRecord d) {
    Map<String, Object> m = d.pipelineIdentity();
    if (m == null) {
      return null;
    }
    return new PipelineIdentity(
        str(m.get("trust")),
        str(m.get("issuer")),
        str(m.get("subject")),
        str(m.get("identity")),
        (Map<String, Object>) m.get("claims"));
  }

  // ================================================================== helpers

  /** The ref branch control reads: the ID token's {@code ref} claim, else the identity's @ref. */
  static String ref(PipelineIdentity p) {
    if (p == null) {
      return null;
    }
    Object ref = p.claims().get("ref");
    if (ref instanceof String s && !s.isBlank()) {
      if (!s.startsWith("refs/")) {
        return "tag".equals(p.claims().get("ref_type")) ? "refs/tags/" + s : "refs/heads/" + s;
      }
      return s;
    }
    int at = p.identity().lastIndexOf('@');
    return at < 0 ? null : p.identity().substring(at + 1);
  }

  private void mayDeploy(
      StoreTx tx,
      EnvironmentRecord e,
      Principal principal,
      PipelineIdentity pipeline,
      String requestId) {
    if (pipeline != null) {
      if (LeasePermissions.allows(e.permissions(), pipeline.identity())) {
        return;
      }
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("reason", "PIPELINE_NOT_PERMITTED");
      d.put("pipelineIdentity", pipeline.toMap());
      store.transact(
          t2 -> {
            audit(t2, "deployment.refused", pipeline.name(), e.name(), "denied", requestId, d);
            return null;
          });
      throw SightlineException.forbidden(
          "PIPELINE_NOT_PERMITTED",
          "pipeline "
              + pipeline.identity()
              + " may not deploy to environment "
              + e.name()
              + ": someone who manages it can allow it (PUT /api/v1/environments/"
              + e.name()
              + " with pipelinePermissions)");
    }
    if (e.roles().isEmpty() || principal.has(Role.ADMIN) || granted(e, principal) != null) {
      return;
    }
    throw SightlineException.forbidden(
        "ENVIRONMENT_ROLE_REQUIRED",
        principal.name()
            + " has no role on environment "
            + e.name()
            + ": its roles name "
            + String.join(", ", e.roles().stream().map(RoleGrant::member).toList()));
  }

  /** The highest environment role granted to {@code p} (by name or group), or null. */
  private static String granted(EnvironmentRecord e, Principal p) {
    String best = null;
    for (RoleGrant g : e.roles()) {
      boolean match =
          g.member().startsWith("group:")
              ? p.groups().contains(g.member().substring(6))
              : g.member().equals(p.name());
      if (match && (best == null || g.role().equals("creator"))) {
        best = g.role();
      }
    }
    return best;
  }

  private static void requireManage(Principal p, EnvironmentRecord e) {
    if (p.has(Role.CREATOR) || "creator".equals(granted(e, p))) {
      return;
    }
    throw roleRequired(p, "environment " + e.name());
  }

  private static SightlineException roleRequired(Principal p, String what) {
    return SightlineException.forbidden(
        "ROLE_REQUIRED",
        "changing "
            + what
            + " needs the creator role (or the environment's creator role); "
            + p.name()
            + " has "
            + p.role().wireName());
  }

  private static boolean mayApprove(Principal p, ApprovalRecord a) {
    for (String m : a.approvers()) {
      if (m.startsWith("group:") ? p.groups().contains(m.substring(6)) : m.equals(p.name())) {
        return true;
      }
    }
    return false;
  }

  private static long approvedCount(StoreTx tx, String approvalId) {
    return tx.environments().decisions(approvalId).stream()
        .filter(x -> x.decision().equals("approve"))
        .count();
  }

  private static List<String> approvedBy(StoreTx tx, String approvalId) {
    return tx.environments().decisions(approvalId).stream()
        .filter(x -> x.decision().equals("approve"))
        .map(Decision::principal)
        .toList();
  }

  private static Map<String, Object> snapshot(CheckRecord c, String scopeName) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", c.id());
    m.put("type", c.type());
    m.put("scope", c.scope().wireName());
    m.put("scopeName", scopeName);
    m.put("settings", c.settings());
    m.put("status", "pending");
    return m;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> settings(Map<String, Object> check) {
    Object s = check.get("settings");
    return s == null ? Map.of() : (Map<String, Object>) s;
  }

  private static Map<String, Object> deploymentAudit(DeploymentRecord d) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("deployment", d.id());
    m.put("environment", d.environmentName());
    m.put("resource", d.resource());
    m.put("target", d.target());
    m.put("requester", d.requester());
    if (d.pipelineIdentity() != null) {
      m.put("pipelineIdentity", d.pipelineIdentity());
    }
    m.put("task", d.task());
    m.put("state", d.state());
    if (d.result() != null) {
      m.put("result", d.result());
    }
    if (!d.approvers().isEmpty()) {
      m.put("approvers", d.approvers());
    }
    if (d.leaseId() != null) {
      m.put("lease", d.leaseId());
    }
    return m;
  }

  private static void audit(
      StoreTx tx,
      String action,
      String actor,
      String environment,
      String outcome,
      String requestId,
      Map<String, Object> details) {
    tx.audit()
        .append(
            new AuditEvent(
                action,
                actor,
                environment.contains("/") ? environment : "environment/" + environment,
                outcome,
                requestId,
                details));
  }

  private static PipelinePermissions permissions(Permissions p) {
    if (p == null) {
      return PipelinePermissions.NONE;
    }
    return TrustRoutes.validate(p.allPipelines(), p.pipelines(), "pipelinePermissions.pipelines");
  }

  private static List<RoleGrant> roles(List<RoleGrantBody> roles) {
    if (roles == null) {
      return List.of();
    }
    if (roles.size() > 100) {
      throw bad("INVALID_ROLES", "roles", "at most 100 role grants: grant groups instead");
    }
    List<RoleGrant> out = new ArrayList<>();
    for (int i = 0; i < roles.size(); i++) {
      RoleGrantBody g = roles.get(i);
      if (g == null
          || g.member() == null
          || g.member().isBlank()
          || g.member().length() > 200
          || g.member().chars().anyMatch(c -> c <= ' ')
          || g.member().equals("group:")) {
        throw bad(
            "INVALID_ROLES",
            "roles[" + i + "].member",
            "a role grant's member is a principal name or group:<name>");
      }
      if (!"user".equals(g.role()) && !"creator".equals(g.role())) {
        throw bad(
            "INVALID_ROLES",
            "roles[" + i + "].role",
            "an environment role is user (may deploy) or creator (may also change it)");
      }
      out.add(new RoleGrant(g.member(), g.role()));
    }
    return out;
  }

  private static List<Map<String, Object>> grantsWire(List<RoleGrant> roles) {
    return roles.stream()
        .map(g -> Map.<String, Object>of("member", g.member(), "role", g.role()))
        .toList();
  }

  private static void checkDescription(String d) {
    if (d != null && d.length() > 2000) {
      throw bad("INVALID_DESCRIPTION", "description", "description is longer than 2000 characters");
    }
  }

  private static EnvironmentRecord env(StoreTx tx, String name) {
    return tx.environments().find(name).orElseThrow(() -> notFoundEnv(name));
  }

  private static SightlineException notFoundEnv(String name) {
    return SightlineException.notFound(
        "ENVIRONMENT_NOT_FOUND",
        "no environment named " + name + ": list them with sightline env list");
  }

  private static SightlineException notFoundResource(String env, String resource) {
    return SightlineException.notFound(
        "RESOURCE_NOT_FOUND",
        "environment " + env + " has no resource " + resource + ": see sightline env show " + env);
  }

  private static ApprovalRecord approvalOf(StoreTx tx, String id) {
    return tx.environments()
        .approval(id)
        .orElseThrow(
            () ->
                SightlineException.notFound(
                    "APPROVAL_NOT_FOUND",
                    "no approval "
                        + id
                        + ": list pending ones with GET /api/v1/approvals?pending=true"));
  }

  private static SecretValue newClaim() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return SecretValue.of(CLAIM_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(b));
  }

  private static String hash(Map<String, Object> m) {
    try {
      return LeaseHandles.sha256(CANONICAL.writeValueAsString(m));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String blank(String s) {
    return s == null || s.isBlank() ? null : s.strip();
  }

  private static String str(Object o) {
    return o == null ? null : o.toString();
  }

  private static SightlineException bad(String code, String field, String detail) {
    return SightlineException.badRequest(code, field, detail);
  }
}
