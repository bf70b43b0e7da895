package io.sightline.store.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sightline.core.SightlineException;
import io.sightline.store.Environments;
import io.sightline.store.Trust.PipelinePermissions;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.Query;

/** Environments, resources, checks, deployments and approvals (see V6__environments.sql). */
final class JdbiEnvironments implements Environments {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<List<String>> STRINGS = new TypeReference<>() {};
  private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};
  private static final TypeReference<List<Map<String, Object>>> MAPS = new TypeReference<>() {};
  private static final TypeReference<List<RoleGrant>> GRANTS = new TypeReference<>() {};

  private final Handle h;
  private final Clock clock;

  JdbiEnvironments(Handle h, Clock clock) {
    this.h = h;
    this.clock = clock;
  }

  private Instant now() {
    return Sql.millis(clock.instant());
  }

  private static String by(String who) {
    return who == null || who.isBlank() ? "system" : who;
  }

  // ------------------------------------------------------------------ environments

  @Override
  public EnvironmentRecord create(
      String name,
      String description,
      PipelinePermissions permissions,
      List<RoleGrant> roles,
      String createdBy) {
    String id = UUID.randomUUID().toString();
    Instant now = now();
    try {
      h.createUpdate(
              "INSERT INTO environments (id, name, description, all_pipelines, pipelines, roles,"
                  + " created_at, created_by, updated_at) VALUES (:id, :name, :d, :all, :p, :r,"
                  + " :now, :by, :now)")
          .bind("id", id)
          .bind("name", name)
          .bind("d", description)
          .bind("all", permissions.allPipelines())
          .bind("p", json(permissions.patterns()))
          .bind("r", json(roles == null ? List.of() : roles))
          .bind("now", Sql.instant(now))
          .bind("by", by(createdBy))
          .execute();
    } catch (RuntimeException e) {
      if (Failures.isUniqueViolation(e)) {
        throw SightlineException.conflict(
            "ENVIRONMENT_EXISTS",
            "an environment named "
                + name
                + " exists already: choose another name, or delete it first (sightline env delete "
                + name
                + ")");
      }
      throw e;
    }
    return findById(id).orElseThrow();
  }

  @Override
  public Optional<EnvironmentRecord> find(String name) {
    if (name == null || name.length() > 63) {
      return Optional.empty();
    }
    return h.createQuery("SELECT * FROM environments WHERE name = :n")
        .bind("n", name)
        .map((rs, ctx) -> env(rs))
        .findFirst();
  }

  @Override
  public Optional<EnvironmentRecord> findById(String id) {
    return h.createQuery("SELECT * FROM environments WHERE id = :id")
        .bind("id", id)
        .map((rs, ctx) -> env(rs))
        .findFirst();
  }

  @Override
  public Optional<EnvironmentRecord> lock(String name) {
    if (name == null || name.length() > 63) {
      return Optional.empty();
    }
    return h.createQuery("SELECT * FROM environments WHERE name = :n FOR UPDATE")
        .bind("n", name)
        .map((rs, ctx) -> env(rs))
        .findFirst();
  }

  @Override
  public List<EnvironmentRecord> list() {
    return h.createQuery("SELECT * FROM environments ORDER BY name")
        .map((rs, ctx) -> env(rs))
        .list();
  }

  @Override
  public void update(
      String id, String description, PipelinePermissions permissions, List<RoleGrant> roles) {
    h.createUpdate(
            "UPDATE environments SET description = :d, all_pipelines = :all, pipelines = :p,"
                + " roles = :r, updated_at = :now WHERE id = :id")
        .bind("id", id)
        .bind("d", description)
        .bind("all", permissions.allPipelines())
        .bind("p", json(permissions.patterns()))
        .bind("r", json(roles == null ? List.of() : roles))
        .bind("now", Sql.instant(now()))
        .execute();
  }

  @Override
  public boolean delete(String id) {
    h.createUpdate("DELETE FROM checks WHERE scope = 'environment' AND scope_id = :id")
        .bind("id", id)
        .execute();
    return h.createUpdate("DELETE FROM environments WHERE id = :id").bind("id", id).execute() > 0;
  }

  private static EnvironmentRecord env(ResultSet rs) throws SQLException {
    return new EnvironmentRecord(
        rs.getString("id"),
        rs.getString("name"),
        rs.getString("description"),
        new PipelinePermissions(
            rs.getBoolean("all_pipelines"), parse(rs.getString("pipelines"), STRINGS)),
        parse(rs.getString("roles"), GRANTS),
        Sql.instant(rs, "created_at"),
        rs.getString("created_by"),
        Sql.instant(rs, "updated_at"));
  }

  // ------------------------------------------------------------------ resources

  @Override
  public ResourceRecord addResource(
      String environmentId,
      String name,
      List<String> tags,
      Map<String, Object> target,
      String createdBy) {
    try {
      h.createUpdate(
              "INSERT INTO environment_resources (environment_id, name, tags, target, created_at,"
                  + " created_by) VALUES (:e, :n, :tags, :t, :now, :by)")
          .bind("e", environmentId)
          .bind("n", name)
          .bind("tags", json(tags == null ? List.of() : tags))
          .bind("t", json(target))
          .bind("now", Sql.instant(now()))
          .bind("by", by(createdBy))
          .execute();
    } catch (RuntimeException e) {
      if (Failures.isUniqueViolation(e)) {
        throw SightlineException.conflict(
            "RESOURCE_EXISTS",
            "the environment has a resource named "
                + name
                + " already: remove it first, or choose another name");
      }
      throw e;
    }
    return resources(environmentId).stream()
        .filter(r -> r.name().equals(name))
        .findFirst()
        .orElseThrow();
  }

  @Override
  public List<ResourceRecord> resources(String environmentId) {
    return h.createQuery(
            "SELECT * FROM environment_resources WHERE environment_id = :e ORDER BY name")
        .bind("e", environmentId)
        .map(
            (rs, ctx) ->
                new ResourceRecord(
                    rs.getString("environment_id"),
                    rs.getString("name"),
                    parse(rs.getString("tags"), STRINGS),
                    parse(rs.getString("target"), MAP),
                    Sql.instant(rs, "created_at"),
                    rs.getString("created_by")))
        .list();
  }

  @Override
  public List<ResourceRecord> resourcesOn(String connectionName) {
    // The target is JSON (written compactly by this class): the LIKE keeps the rows of other
    // connections out (every direct lease asks this), the parsed names decide.
    String name = json(connectionName);
    return h
        .createQuery(
            "SELECT * FROM environment_resources WHERE target LIKE :k ESCAPE '!'"
                + " OR target LIKE :a ESCAPE '!' ORDER BY name")
        .bind("k", "%" + likeLiteral("\"connection\":" + name) + "%")
        .bind("a", "%" + likeLiteral("\"azureConnection\":" + name) + "%")
        .map(
            (rs, ctx) ->
                new ResourceRecord(
                    rs.getString("environment_id"),
                    rs.getString("name"),
                    parse(rs.getString("tags"), STRINGS),
                    parse(rs.getString("target"), MAP),
                    Sql.instant(rs, "created_at"),
                    rs.getString("created_by")))
        .list()
        .stream()
        .filter(
            r ->
                connectionName.equals(r.target().get("connection"))
                    || connectionName.equals(r.target().get("azureConnection")))
        .toList();
  }

  @Override
  public boolean removeResource(String environmentId, String name) {
    return h.createUpdate(
                "DELETE FROM environment_resources WHERE environment_id = :e AND name = :n")
            .bind("e", environmentId)
            .bind("n", name)
            .execute()
        > 0;
  }

  // ------------------------------------------------------------------ checks

  @Override
  public CheckRecord addCheck(
      Scope scope, String scopeId, String type, Map<String, Object> settings, String createdBy) {
    String id = UUID.randomUUID().toString();
    h.createUpdate(
            "INSERT INTO checks (id, scope, scope_id, type, settings, created_at, created_by)"
                + " VALUES (:id, :scope, :sid, :type, :s, :now, :by)")
        .bind("id", id)
        .bind("scope", scope.wireName())
        .bind("sid", scopeId)
        .bind("type", type)
        .bind("s", json(settings))
        .bind("now", Sql.instant(now()))
        .bind("by", by(createdBy))
        .execute();
    return checks(scope, scopeId).stream().filter(c -> c.id().equals(id)).findFirst().orElseThrow();
  }

  @Override
  public List<CheckRecord> checks(Scope scope, String scopeId) {
    return h.createQuery(
            "SELECT * FROM checks WHERE scope = :scope AND scope_id = :sid ORDER BY created_at, id")
        .bind("scope", scope.wireName())
        .bind("sid", scopeId)
        .map(
            (rs, ctx) ->
                new CheckRecord(
                    rs.getString("id"),
                    Scope.valueOf(rs.getString("scope").toUpperCase(Locale.ROOT)),
                    rs.getString("scope_id"),
                    rs.getString("type"),
                    parse(rs.getString("settings"), MAP),
                    Sql.instant(rs, "created_at"),
                    rs.getString("created_by")))
        .list();
  }

  @Override
  public boolean removeCheck(Scope scope, String scopeId, String checkId) {
    return h.createUpdate(
                "DELETE FROM checks WHERE scope = :scope AND scope_id = :sid AND id = :id")
            .bind("scope", scope.wireName())
            .bind("sid", scopeId)
            .bind("id", checkId)
            .execute()
        > 0;
  }

  // ------------------------------------------------------------------ deployments

  @Override
  public DeploymentRecord createDeployment(
      DeploymentRecord d,
      String claimSha256,
      String idemPrincipal,
      String idemKey,
      String requestHash) {
    long seq =
        h.createQuery("SELECT COALESCE(MAX(seq), 0) + 1 FROM deployments WHERE environment_id = :e")
            .bind("e", d.environmentId())
            .mapTo(Long.class)
            .one();
    // The caller's clock decides (created_at and seen_at are compared with it later).
    Instant now = d.createdAt() == null ? now() : Sql.millis(d.createdAt());
    try {
      h.createUpdate(
              "INSERT INTO deployments (id, environment_id, environment_name, resource, seq, state,"
                  + " result, exit_code, requester, pipeline, pipeline_identity, task, target,"
                  + " ttl_seconds, checks, approvers, lease_id, failure, claim_hash,"
                  + " idem_principal, idem_key, request_hash, created_at, updated_at, seen_at,"
                  + " started_at, finished_at) VALUES (:id, :env, :envName, :res, :seq, :state,"
                  + " :result, :exit, :requester, :pipeline, :pid, :task, :target, :ttl, :checks,"
                  + " :approvers, :lease, :failure, :claim, :ip, :ik, :rh, :now, :now, :now,"
                  + " :started, :finished)")
          .bind("id", d.id())
          .bind("env", d.environmentId())
          .bind("envName", d.environmentName())
          .bind("res", d.resource())
          .bind("seq", seq)
          .bind("state", d.state())
          .bind("result", d.result())
          .bind("exit", d.exitCode())
          .bind("requester", d.requester())
          .bind("pipeline", d.pipeline())
          .bind("pid", d.pipelineIdentity() == null ? null : json(d.pipelineIdentity()))
          .bind("task", json(d.task() == null ? Map.of() : d.task()))
          .bind("target", json(d.target()))
          .bind("ttl", d.ttlSeconds())
          .bind("checks", json(d.checks()))
          .bind("approvers", json(d.approvers()))
          .bind("lease", d.leaseId())
          .bind("failure", d.failure())
          .bind("claim", claimSha256)
          .bind("ip", idemKey == null ? null : idemPrincipal)
          .bind("ik", idemKey)
          .bind("rh", requestHash)
          .bind("now", Sql.instant(now))
          .bind("started", Sql.instant(d.startedAt()))
          .bind("finished", Sql.instant(d.finishedAt()))
          .execute();
    } catch (RuntimeException e) {
      if (Failures.isUniqueViolation(e) && idemKey != null) {
        throw SightlineException.conflict(
            "IDEMPOTENCY_KEY_IN_USE", "a concurrent request holds this Idempotency-Key; retry");
      }
      throw e;
    }
    return deployment(d.id()).orElseThrow();
  }

  @Override
  public Optional<DeploymentRecord> deployment(String id) {
    if (id == null || id.length() > 36) {
      return Optional.empty();
    }
    return h.createQuery("SELECT * FROM deployments WHERE id = :id")
        .bind("id", id)
        .map((rs, ctx) -> deployment(rs))
        .findFirst();
  }

  @Override
  public Optional<String[]> deploymentByIdempotencyKey(String principal, String key) {
    return h.createQuery(
            "SELECT id, request_hash FROM deployments WHERE idem_principal = :p AND idem_key = :k")
        .bind("p", principal)
        .bind("k", key)
        .map((rs, ctx) -> new String[] {rs.getString("id"), rs.getString("request_hash")})
        .findFirst();
  }

  @Override
  public void setClaimHash(String id, String claimSha256) {
    h.createUpdate("UPDATE deployments SET claim_hash = :c WHERE id = :id")
        .bind("id", id)
        .bind("c", claimSha256)
        .execute();
  }

  @Override
  public boolean claimMatches(String id, String claimSha256) {
    if (id == null || id.length() > 36 || claimSha256 == null) {
      return false;
    }
    Optional<String> stored =
        h.createQuery("SELECT claim_hash FROM deployments WHERE id = :id")
            .bind("id", id)
            .mapTo(String.class)
            .findFirst();
    return stored.isPresent()
        && MessageDigest.isEqual(
            stored.get().getBytes(StandardCharsets.US_ASCII),
            claimSha256.getBytes(StandardCharsets.US_ASCII));
  }

  @Override
  public void seen(String id, Instant at) {
    h.createUpdate("UPDATE deployments SET seen_at = :at WHERE id = :id")
        .bind("id", id)
        .bind("at", Sql.instant(Sql.millis(at)))
        .execute();
  }

  @Override
  public void updateDeployment(DeploymentRecord d) {
    h.createUpdate(
            "UPDATE deployments SET state = :state, result = :result, exit_code = :exit, checks ="
                + " :checks, approvers = :approvers, lease_id = :lease, failure = :failure,"
                + " started_at = :started, finished_at = :finished, updated_at = :now WHERE id ="
                + " :id")
        .bind("id", d.id())
        .bind("state", d.state())
        .bind("result", d.result())
        .bind("exit", d.exitCode())
        .bind("checks", json(d.checks()))
        .bind("approvers", json(d.approvers()))
        .bind("lease", d.leaseId())
        .bind("failure", d.failure())
        .bind("started", Sql.instant(d.startedAt()))
        .bind("finished", Sql.instant(d.finishedAt()))
        .bind("now", Sql.instant(now()))
        .execute();
  }

  @Override
  public List<DeploymentRecord> deployments(DeploymentQuery q) {
    StringBuilder sql = new StringBuilder("SELECT * FROM deployments WHERE 1 = 1");
    if (q.environmentId() != null) {
      sql.append(" AND environment_id = :env");
    }
    if (q.resource() != null) {
      sql.append(" AND resource = :res");
    }
    if (q.result() != null) {
      sql.append(" AND result = :result");
    }
    if (q.pipeline() != null) {
      sql.append(" AND pipeline = :pipeline");
    }
    if (q.since() != null) {
      sql.append(" AND created_at >= :since");
    }
    if (q.until() != null) {
      sql.append(" AND created_at < :until");
    }
    sql.append(" ORDER BY created_at DESC, seq DESC LIMIT :limit");
    Query query = h.createQuery(sql.toString());
    if (q.environmentId() != null) {
      query.bind("env", q.environmentId());
    }
    if (q.resource() != null) {
      query.bind("res", q.resource());
    }
    if (q.result() != null) {
      query.bind("result", q.result());
    }
    if (q.pipeline() != null) {
      query.bind("pipeline", q.pipeline());
    }
    if (q.since() != null) {
      query.bind("since", Sql.instant(q.since()));
    }
    if (q.until() != null) {
      query.bind("until", Sql.instant(q.until()));
    }
    query.bind("limit", q.limit());
    return query.map((rs, ctx) -> deployment(rs)).list();
  }

  @Override
  public List<DeploymentRecord> openDeployments(String environmentId) {
    return h.createQuery(
            "SELECT * FROM deployments WHERE environment_id = :e AND state IN ('waiting', 'ready',"
                + " 'running') ORDER BY seq")
        .bind("e", environmentId)
        .map((rs, ctx) -> deployment(rs))
        .list();
  }

  private static DeploymentRecord deployment(ResultSet rs) throws SQLException {
    String pid = rs.getString("pipeline_identity");
    long ttl = rs.getLong("ttl_seconds");
    Long ttlSeconds = rs.wasNull() ? null : ttl;
    int exit = rs.getInt("exit_code");
    Integer exitCode = rs.wasNull() ? null : exit;
    return new DeploymentRecord(
        rs.getString("id"),
        rs.getString("environment_id"),
        rs.getString("environment_name"),
        rs.getString("resource"),
        rs.getLong("seq"),
        rs.getString("state"),
        rs.getString("result"),
        exitCode,
        rs.getString("requester"),
        rs.getString("pipeline"),
        pid == null ? null : parse(pid, MAP),
        parse(rs.getString("task"), MAP),
        parse(rs.getString("target"), MAP),
        ttlSeconds,
        parse(rs.getString("checks"), MAPS),
        parse(rs.getString("approvers"), STRINGS),
        rs.getString("lease_id"),
        rs.getString("failure"),
        Sql.instant(rs, "created_at"),
        Sql.instant(rs, "updated_at"),
        Sql.instant(rs, "seen_at"),
        Sql.instant(rs, "started_at"),
        Sql.instant(rs, "finished_at"));
  }

  // ------------------------------------------------------------------ approvals

  @Override
  public void createApproval(ApprovalRecord a) {
    h.createUpdate(
            "INSERT INTO approvals (id, deployment_id, environment_name, check_id, state,"
                + " approvers, min_approvers, requester_cannot_approve, instructions, requester,"
                + " timeout_at, created_at, decided_at) VALUES (:id, :d, :env, :check, :state,"
                + " :approvers, :min, :rca, :instr, :requester, :timeout, :now, :decided)")
        .bind("id", a.id())
        .bind("d", a.deploymentId())
        .bind("env", a.environmentName())
        .bind("check", a.checkId())
        .bind("state", a.state())
        .bind("approvers", json(a.approvers()))
        .bind("min", a.minApprovers())
        .bind("rca", a.requesterCannotApprove())
        .bind("instr", a.instructions())
        .bind("requester", a.requester())
        .bind("timeout", Sql.instant(a.timeoutAt()))
        .bind("now", Sql.instant(a.createdAt() == null ? now() : Sql.millis(a.createdAt())))
        .bind("decided", Sql.instant(a.decidedAt()))
        .execute();
  }

  @Override
  public Optional<ApprovalRecord> approval(String id) {
    if (id == null || id.length() > 36) {
      return Optional.empty();
    }
    return h.createQuery("SELECT * FROM approvals WHERE id = :id")
        .bind("id", id)
        .map((rs, ctx) -> approval(rs))
        .findFirst();
  }

  @Override
  public List<ApprovalRecord> approvals(String deploymentId) {
    return h.createQuery("SELECT * FROM approvals WHERE deployment_id = :d ORDER BY created_at, id")
        .bind("d", deploymentId)
        .map((rs, ctx) -> approval(rs))
        .list();
  }

  @Override
  public List<ApprovalRecord> listApprovals(boolean pendingOnly, int limit) {
    return h.createQuery(
            pendingOnly
                ? "SELECT * FROM approvals WHERE state = 'pending' ORDER BY created_at, id LIMIT"
                    + " :limit"
                : "SELECT * FROM approvals ORDER BY created_at DESC, id LIMIT :limit")
        .bind("limit", limit)
        .map((rs, ctx) -> approval(rs))
        .list();
  }

  @Override
  public void setApprovalState(String id, String state, Instant decidedAt) {
    h.createUpdate("UPDATE approvals SET state = :state, decided_at = :at WHERE id = :id")
        .bind("id", id)
        .bind("state", state)
        .bind("at", Sql.instant(decidedAt))
        .execute();
  }

  private static ApprovalRecord approval(ResultSet rs) throws SQLException {
    return new ApprovalRecord(
        rs.getString("id"),
        rs.getString("deployment_id"),
        rs.getString("environment_name"),
        rs.getString("check_id"),
        rs.getString("state"),
        parse(rs.getString("approvers"), STRINGS),
        rs.getInt("min_approvers"),
        rs.getBoolean("requester_cannot_approve"),
        rs.getString("instructions"),
        rs.getString("requester"),
        Sql.instant(rs, "timeout_at"),
        Sql.instant(rs, "created_at"),
        Sql.instant(rs, "decided_at"));
  }

  @Override
  public void addDecision(Decision d) {
    try {
      h.createUpdate(
              "INSERT INTO approval_decisions (approval_id, principal, decision, comment,"
                  + " decided_at) VALUES (:a, :p, :d, :c, :at)")
          .bind("a", d.approvalId())
          .bind("p", d.principal())
          .bind("d", d.decision())
          .bind("c", d.comment())
          .bind("at", Sql.instant(d.decidedAt() == null ? now() : Sql.millis(d.decidedAt())))
          .execute();
    } catch (RuntimeException e) {
      if (Failures.isUniqueViolation(e)) {
        throw SightlineException.conflict(
            "ALREADY_DECIDED", d.principal() + " has decided on this approval already");
      }
      throw e;
    }
  }

  @Override
  public List<Decision> decisions(String approvalId) {
    return h.createQuery(
            "SELECT * FROM approval_decisions WHERE approval_id = :a ORDER BY decided_at,"
                + " principal")
        .bind("a", approvalId)
        .map(
            (rs, ctx) ->
                new Decision(
                    rs.getString("approval_id"),
                    rs.getString("principal"),
                    rs.getString("decision"),
                    rs.getString("comment"),
                    Sql.instant(rs, "decided_at")))
        .list();
  }

  // ------------------------------------------------------------------ JSON

  /** {@code text} as a LIKE pattern that matches only itself (escape character {@code !}). */
  private static String likeLiteral(String text) {
    return text.replace("!", "!!").replace("%", "!%").replace("_", "!_");
  }

  private static String json(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static <T> T parse(String json, TypeReference<T> type) {
    try {
      return JSON.readValue(json, type);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("stored JSON does not read back", e);
    }
  }
}
