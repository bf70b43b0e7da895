package io.sightline.server.environments;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.sightline.server.http.ApiField;
import io.sightline.server.leases.LeaseTarget;
import io.sightline.server.leases.TaskInfo;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** The wire shapes of {@code /api/v1/environments}, deployments and approvals (issue 8). */
public final class EnvironmentWire {
  private EnvironmentWire() {}

  /** A resource as given: a name, tags, and the cluster target (DESIGN.md "Wire shapes"). */
  public record ResourceBody(
      @ApiField(value = "1-63 of [a-z0-9-], starting with a letter or digit", required = true)
          String name,
      @ApiField("free labels, e.g. web, eu") List<String> tags,
      @ApiField(
              value =
                  "{\"connection\",\"namespace\"} or {\"azureConnection\",\"resourceGroup\","
                      + "\"cluster\",\"namespace\",\"useClusterAdmin\"}",
              required = true)
          LeaseTarget target) {}

  public record ResourceView(
      String name,
      List<String> tags,
      LeaseTarget target,
      @ApiField(
              "Azure DevOps' word, derived from the target: Kubernetes Service Connection or Azure"
                  + " Resource Manager")
          String connectionType,
      Instant createdAt,
      String createdBy) {}

  public record ResourceList(List<ResourceView> items) {}

  public record Permissions(
      @ApiField("true: every pipeline identity from a trusted issuer") Boolean allPipelines,
      @ApiField("identity patterns, e.g. github:org/app@refs/heads/main") List<String> pipelines) {}

  public record RoleGrantBody(
      @ApiField("a principal name, or group:<name>") String member,
      @ApiField("user (may deploy) or creator (may also change the environment)") String role) {}

  public record EnvironmentCreate(
      @ApiField(value = "1-63 of [a-z0-9-], starting with a letter", required = true) String name,
      String description,
      @ApiField("resources to add at once (an environment may also start empty)")
          List<ResourceBody> resources,
      @ApiField("which pipeline identities may deploy here; none by default")
          Permissions pipelinePermissions,
      @ApiField(
              "role grants; when any is given, API-token callers need one (or the admin role) to"
                  + " deploy")
          List<RoleGrantBody> roles) {}

  /** {@code PUT}: replaces description, pipeline permissions and roles (omitted: unchanged). */
  public record EnvironmentUpdate(
      String description, Permissions pipelinePermissions, List<RoleGrantBody> roles) {}

  @JsonInclude(JsonInclude.Include.ALWAYS)
  public record EnvironmentView(
      String name,
      String description,
      List<ResourceView> resources,
      List<CheckView> checks,
      Permissions pipelinePermissions,
      List<RoleGrantBody> roles,
      Instant createdAt,
      String createdBy,
      Instant updatedAt) {}

  public record EnvironmentList(List<EnvironmentView> items) {}

  /** A check as given; which fields apply depends on {@code type}. */
  public record CheckBody(
      @ApiField(value = "approval, businessHours, exclusiveLock or branchControl", required = true)
          String type,
      @ApiField("approval: principal names or group:<name> (as given to API tokens)")
          List<String> approvers,
      @ApiField("approval: how many approvers must approve (default 1)") Integer minApprovers,
      @ApiField("approval: the requester may not approve their own deployment (default false)")
          Boolean requesterCannotApprove,
      @ApiField("approval: shown to approvers") String instructions,
      @ApiField("approval: how long to wait for approval (default 86400, at most 30 days)")
          Long timeoutSeconds,
      @ApiField("businessHours: mon … sun (default mon-fri)") List<String> days,
      @ApiField("businessHours: HH:mm, local to timeZone") String start,
      @ApiField("businessHours: HH:mm, after start") String end,
      @ApiField("businessHours: an IANA zone, e.g. Europe/Berlin (default UTC)") String timeZone,
      @ApiField("exclusiveLock: refuse at once instead of queueing when the lock is taken")
          Boolean failFast,
      @ApiField(
              "branchControl: refs the pipeline identity's ref claim must match (* within a"
                  + " segment, ** anything), e.g. refs/heads/main, refs/heads/release/*")
          List<String> allowedRefs) {}

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record CheckView(
      String id,
      String type,
      @ApiField("environment or connection") String scope,
      @ApiField("the environment's or connection's name") String scopeName,
      List<String> approvers,
      Integer minApprovers,
      Boolean requesterCannotApprove,
      String instructions,
      Long timeoutSeconds,
      List<String> days,
      String start,
      String end,
      String timeZone,
      Boolean failFast,
      List<String> allowedRefs,
      Instant createdAt,
      String createdBy) {}

  public record CheckList(List<CheckView> items) {}

  /** The body of {@code POST /api/v1/environments/{name}/deployments}. */
  public record DeploymentCreate(
      @ApiField(value = "the environment's resource to deploy to", required = true) String resource,
      @ApiField("the lease's token lifetime; default 900") Long ttlSeconds,
      @ApiField("the task (pipeline, run, job, task, attempt, commit, url)") TaskInfo task) {}

  /** One check of a deployment and where it stands. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record CheckStatus(
      String id,
      String type,
      String scope,
      @ApiField("pending, passed or failed") String status,
      @ApiField("a line for people, e.g. 1 of 2, by ops-leads — 14 min left") String progress) {}

  @JsonInclude(JsonInclude.Include.ALWAYS)
  public record DecisionView(
      String principal, String decision, String comment, Instant decidedAt) {}

  @JsonInclude(JsonInclude.Include.ALWAYS)
  public record ApprovalView(
      String id,
      String deployment,
      String environment,
      String resource,
      @ApiField("pending, approved, rejected, timed-out or withdrawn") String state,
      List<String> approvers,
      int minApprovers,
      @ApiField("approvals so far") int approved,
      boolean requesterCannotApprove,
      String instructions,
      String requester,
      Map<String, Object> task,
      Instant timeoutAt,
      Instant createdAt,
      Instant decidedAt,
      List<DecisionView> decisions) {}

  public record ApprovalList(List<ApprovalView> items) {}

  /** The body of {@code POST /api/v1/approvals/{id}}. */
  public record DecisionBody(
      @ApiField(value = "approve or reject", required = true) String decision,
      @ApiField("why (recorded and audited)") String comment) {}

  @JsonInclude(JsonInclude.Include.ALWAYS)
  public record DeploymentView(
      String id,
      String environment,
      String resource,
      LeaseTarget target,
      String connectionType,
      @ApiField("waiting (for checks), ready (lease claimable), running (lease claimed), finished")
          String state,
      @ApiField(
              "once finished: succeeded, failed, rejected, timed-out, cancelled or refused; else"
                  + " null")
          String result,
      Integer exitCode,
      @ApiField("who asked: an API token's principal or a pipeline identity") String requester,
      Map<String, Object> pipelineIdentity,
      Map<String, Object> task,
      List<CheckStatus> checks,
      List<ApprovalView> approvals,
      @ApiField("the principals who approved") List<String> approvers,
      @ApiField("exclusiveLock: 0 holds or may take the lock, 1 is next, …; null without a lock")
          Integer queuePosition,
      @ApiField("what it waits for, for people, e.g. approval: 1 of 2, by ops-leads — 14 min left")
          String waitingFor,
      String leaseId,
      String failure,
      Instant createdAt,
      Instant startedAt,
      Instant finishedAt,
      @JsonInclude(JsonInclude.Include.NON_NULL)
          @ApiField(
              "sld_…: shown once, at creation; claims the lease once all checks pass (POST"
                  + " /api/v1/deployments/{id}/claim), reads, cancels and finishes this"
                  + " deployment")
          String claimHandle) {}

  public record DeploymentList(List<DeploymentView> items) {}

  /** The body of {@code POST /api/v1/deployments/{id}/finish}. */
  public record FinishBody(
      @ApiField(value = "succeeded or failed", required = true) String result,
      @ApiField("the command's exit code") Integer exitCode) {}
}
