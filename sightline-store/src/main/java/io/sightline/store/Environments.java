package io.sightline.store;

import io.sightline.store.Trust.PipelinePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Environments (issue 8): named deployment targets with Kubernetes resources (a name, tags and a
 * cluster target), pipeline permissions and role grants, checks (on an environment or a
 * connection), deployments and their approvals. Nothing here is secret: a deployment's claim handle
 * is kept only as its SHA-256. Validation is the caller's (the server's environment routes).
 */
public interface Environments {

  /** {@code member} is a principal name or {@code group:<name>}; {@code role} user or creator. */
  record RoleGrant(String member, String role) {}

  record EnvironmentRecord(
      String id,
      String name,
      String description,
      PipelinePermissions permissions,
      List<RoleGrant> roles,
      Instant createdAt,
      String createdBy,
      Instant updatedAt) {
    public EnvironmentRecord {
      roles = roles == null ? List.of() : List.copyOf(roles);
    }
  }

  record ResourceRecord(
      String environmentId,
      String name,
      List<String> tags,
      Map<String, Object> target,
      Instant createdAt,
      String createdBy) {}

  /** A check's scope: an environment or a connection (by id). */
  enum Scope {
    ENVIRONMENT,
    CONNECTION;

    public String wireName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  record CheckRecord(
      String id,
      Scope scope,
      String scopeId,
      String type,
      Map<String, Object> settings,
      Instant createdAt,
      String createdBy) {}

  /**
   * A deployment as stored. {@code checks} is the list of the checks it goes through, each a map
   * with at least {@code id}, {@code type}, {@code scope}, {@code settings}, {@code status}.
   */
  record DeploymentRecord(
      String id,
      String environmentId,
      String environmentName,
      String resource,
      long seq,
      String state,
      String result,
      Integer exitCode,
      String requester,
      String pipeline,
      Map<String, Object> pipelineIdentity,
      Map<String, Object> task,
      Map<String, Object> target,
      Long ttlSeconds,
      List<Map<String, Object>> checks,
      List<String> approvers,
      String leaseId,
      String failure,
      Instant createdAt,
      Instant updatedAt,
      Instant seenAt,
      Instant startedAt,
      Instant finishedAt) {
    public DeploymentRecord {
      Objects.requireNonNull(id, "id");
      checks = checks == null ? List.of() : List.copyOf(checks);
      approvers = approvers == null ? List.of() : List.copyOf(approvers);
    }

    public DeploymentRecord with(
        String state,
        String result,
        Integer exitCode,
        List<Map<String, Object>> checks,
        List<String> approvers,
        String leaseId,
        String failure,
        Instant startedAt,
        Instant finishedAt) {
      return new DeploymentRecord(
          id,
          environmentId,
          environmentName,
          resource,
          seq,
          state,
          result,
          exitCode,
          requester,
          pipeline,
          pipelineIdentity,
          task,
          target,
          ttlSeconds,
          checks,
          approvers,
          leaseId,
          failure,
          createdAt,
          updatedAt,
          seenAt,
          startedAt,
          finishedAt);
    }
  }

  /** History filters; null means any. */
  record DeploymentQuery(
      String environmentId,
      String resource,
      String result,
      String pipeline,
      Instant since,
      Instant until,
      int limit) {}

  record ApprovalRecord(
      String id,
      String deploymentId,
      String environmentName,
      String checkId,
      String state,
      List<String> approvers,
      int minApprovers,
      boolean requesterCannotApprove,
      String instructions,
      String requester,
      Instant timeoutAt,
      Instant createdAt,
      Instant decidedAt) {
    public ApprovalRecord {
      approvers = List.copyOf(approvers);
    }
  }

  record Decision(
      String approvalId, String principal, String decision, String comment, Instant decidedAt) {}

  // ------------------------------------------------------------------ environments

  /**
   * @throws io.sightline.core.SightlineException 409 {@code ENVIRONMENT_EXISTS}
   */
  EnvironmentRecord create(
      String name,
      String description,
      PipelinePermissions permissions,
      List<RoleGrant> roles,
      String createdBy);

  Optional<EnvironmentRecord> find(String name);

  Optional<EnvironmentRecord> findById(String id);

  /**
   * The environment, its row locked until the transaction ends ({@code SELECT … FOR UPDATE}): every
   * decision about its deployment queue is made under this lock, so replicas agree on it.
   */
  Optional<EnvironmentRecord> lock(String name);

  List<EnvironmentRecord> list();

  /** Replaces description, pipeline permissions and roles. */
  void update(
      String id, String description, PipelinePermissions permissions, List<RoleGrant> roles);

  /** Deletes the environment, its resources and its checks (deployment history stays). */
  boolean delete(String id);

  // ------------------------------------------------------------------ resources

  /**
   * @throws io.sightline.core.SightlineException 409 {@code RESOURCE_EXISTS}
   */
  ResourceRecord addResource(
      String environmentId,
      String name,
      List<String> tags,
      Map<String, Object> target,
      String createdBy);

  List<ResourceRecord> resources(String environmentId);

  boolean removeResource(String environmentId, String name);

  /** Every environment's resources whose target names connection {@code connectionName}. */
  List<ResourceRecord> resourcesOn(String connectionName);

  // ------------------------------------------------------------------ checks

  CheckRecord addCheck(
      Scope scope, String scopeId, String type, Map<String, Object> settings, String createdBy);

  List<CheckRecord> checks(Scope scope, String scopeId);

  boolean removeCheck(Scope scope, String scopeId, String checkId);

  // ------------------------------------------------------------------ deployments

  /**
   * Writes a new deployment; {@code d.seq()} is ignored: the next number of its environment is
   * assigned (call with the environment locked).
   *
   * @throws io.sightline.core.SightlineException 409 {@code IDEMPOTENCY_KEY_IN_USE}
   */
  DeploymentRecord createDeployment(
      DeploymentRecord d,
      String claimSha256,
      String idemPrincipal,
      String idemKey,
      String requestHash);

  Optional<DeploymentRecord> deployment(String id);

  /** [deployment id, request hash] bound to an Idempotency-Key of {@code principal}. */
  Optional<String[]> deploymentByIdempotencyKey(String principal, String key);

  /** Replaces deployment {@code id}'s claim handle (an idempotent retry gets a fresh one). */
  void setClaimHash(String id, String claimSha256);

  /** True when {@code claimSha256} is deployment {@code id}'s claim handle. */
  boolean claimMatches(String id, String claimSha256);

  /** Records that the run looked at deployment {@code id} at {@code at}. */
  void seen(String id, Instant at);

  /** Writes state, result, exit code, checks, approvers, lease, failure and timestamps. */
  void updateDeployment(DeploymentRecord d);

  /** Newest first. */
  List<DeploymentRecord> deployments(DeploymentQuery q);

  /** The environment's deployments not yet ended (waiting, ready, running), in queue order. */
  List<DeploymentRecord> openDeployments(String environmentId);

  // ------------------------------------------------------------------ approvals

  void createApproval(ApprovalRecord a);

  Optional<ApprovalRecord> approval(String id);

  List<ApprovalRecord> approvals(String deploymentId);

  /** Approvals, newest first; {@code pendingOnly}: state pending, oldest first. */
  List<ApprovalRecord> listApprovals(boolean pendingOnly, int limit);

  void setApprovalState(String id, String state, Instant decidedAt);

  /**
   * @throws io.sightline.core.SightlineException 409 {@code ALREADY_DECIDED} when this principal
   *     decided already
   */
  void addDecision(Decision d);

  List<Decision> decisions(String approvalId);
}
