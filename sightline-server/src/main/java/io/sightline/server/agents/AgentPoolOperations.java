package io.sightline.server.agents;

import io.sightline.api.probe.Diagnosis;
import io.sightline.api.probe.DiagnosisCode;
import io.sightline.api.probe.ProbeResult;
import io.sightline.api.probe.ProbeStep;
import io.sightline.connections.ClusterOperations;
import io.sightline.connections.agent.JobCodec;
import io.sightline.core.SecretValue;
import io.sightline.core.SightlineException;
import io.sightline.kubernetes.ClusterAccess;
import io.sightline.kubernetes.ProbeOptions;
import io.sightline.kubernetes.mint.MintRequest;
import io.sightline.kubernetes.mint.MintedToken;
import io.sightline.kubernetes.provision.DeprovisionResult;
import io.sightline.kubernetes.provision.ProvisionResult;
import io.sightline.kubernetes.provision.ProvisionSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link ClusterOperations} through an agent pool: each operation is a stored job that an online
 * agent of the pool takes, runs with the same kind code and answers. Minting and revoking are
 * idempotent by lease id (the job's idempotency key, and the agent's TokenMinter reuses the lease
 * Secret). A probe through a pool with no online agent answers within its deadline with {@code
 * AGENT_POOL_OFFLINE}; a probe that went through an agent names it in a step {@code agent}.
 */
public final class AgentPoolOperations implements ClusterOperations {
  /** How long a mint, revoke or provisioning job may take end to end. */
  static final Duration JOB_TIMEOUT = Duration.ofSeconds(30);

  private final AgentService agents;
  private final String pool;
  private final boolean agentIdentity;

  /**
   * @param agentIdentity jobs use the agent's own identity (the access carries only the URL)
   */
  public AgentPoolOperations(AgentService agents, String pool, boolean agentIdentity) {
    this.agents = agents;
    this.pool = pool;
    this.agentIdentity = agentIdentity;
  }

  public String pool() {
    return pool;
  }

  @Override
  public ProbeResult probe(ClusterAccess access, ProbeOptions options) {
    long start = System.nanoTime();
    // The agent gets most of the deadline; the rest covers the queue and the way back.
    Duration agentDeadline =
        options
                    .deadline()
                    .minus(options.deadline().dividedBy(5))
                    .compareTo(ProbeOptions.MIN_DEADLINE)
                < 0
            ? ProbeOptions.MIN_DEADLINE
            : options.deadline().minus(options.deadline().dividedBy(5));
    try {
      SecretValue out =
          agents.run(
              pool,
              JobCodec.Kind.PROBE,
              null,
              JobCodec.probe(access, agentIdentity, options.withDeadline(agentDeadline)),
              options.deadline());
      ProbeResult r = JobCodec.probeResult(JobCodec.readResult(out));
      List<ProbeStep> steps = new ArrayList<>();
      steps.add(
          agentStep(true, millis(start) - r.durationMillis(), "through an agent of pool " + pool));
      steps.addAll(r.steps());
      return new ProbeResult(
          r.ok(),
          steps,
          r.identity(),
          r.serverVersion(),
          r.namespaces(),
          r.namespacesForbidden(),
          r.diagnosis(),
          r.warnings(),
          millis(start));
    } catch (SightlineException e) {
      DiagnosisCode code =
          "AGENT_POOL_OFFLINE".equals(e.code())
              ? DiagnosisCode.AGENT_POOL_OFFLINE
              : DiagnosisCode.PROBE_DEADLINE_EXCEEDED;
      String hint =
          code == DiagnosisCode.AGENT_POOL_OFFLINE
              ? "Start an agent of pool "
                  + pool
                  + " in the cluster's network (sightline agent --pool "
                  + pool
                  + "), or save the connection without verification (?verify=false)."
              : "Check the agents of pool " + pool + " (GET /api/v1/agents?pool=" + pool + ").";
      return new ProbeResult(
          false,
          List.of(agentStep(false, millis(start), e.getMessage())),
          null,
          null,
          null,
          false,
          new Diagnosis(code, e.getMessage(), hint),
          List.of(),
          millis(start));
    }
  }

  private static ProbeStep agentStep(boolean ok, long ms, String detail) {
    return new ProbeStep(
        ProbeStep.Name.AGENT,
        ok ? ProbeStep.Status.OK : ProbeStep.Status.FAILED,
        Math.max(0, ms),
        detail);
  }

  private static long millis(long start) {
    return (System.nanoTime() - start) / 1_000_000;
  }

  @Override
  public MintedToken mint(ClusterAccess access, MintRequest request) {
    String key =
        request.leaseId()
            + "@"
            + (request.expiresAt() == null ? "" : request.expiresAt().toEpochMilli());
    SecretValue out =
        agents.run(
            pool,
            JobCodec.Kind.MINT,
            key,
            JobCodec.mint(access, agentIdentity, request),
            JOB_TIMEOUT);
    return JobCodec.minted(JobCodec.readResult(out));
  }

  @Override
  public boolean revoke(ClusterAccess access, String leaseId, String homeNamespace) {
    SecretValue out =
        agents.run(
            pool,
            JobCodec.Kind.REVOKE,
            leaseId,
            JobCodec.revoke(access, agentIdentity, leaseId, homeNamespace),
            JOB_TIMEOUT);
    return JobCodec.revoked(JobCodec.readResult(out));
  }

  @Override
  public ProvisionResult provision(ClusterAccess admin, ProvisionSpec spec) {
    refuseAgentIdentity();
    SecretValue out =
        agents.run(
            pool,
            JobCodec.Kind.PROVISION,
            null,
            JobCodec.provision(JobCodec.Kind.PROVISION, admin, spec),
            JOB_TIMEOUT);
    return JobCodec.provisioned(JobCodec.readResult(out));
  }

  @Override
  public DeprovisionResult deprovision(ClusterAccess access, ProvisionSpec spec) {
    refuseAgentIdentity();
    SecretValue out =
        agents.run(
            pool,
            JobCodec.Kind.DEPROVISION,
            null,
            JobCodec.provision(JobCodec.Kind.DEPROVISION, access, spec),
            JOB_TIMEOUT);
    return JobCodec.deprovisioned(JobCodec.readResult(out));
  }

  private void refuseAgentIdentity() {
    if (agentIdentity) {
      throw SightlineException.conflict(
          "AGENT_IDENTITY_CANNOT_PROVISION",
          "an AgentIdentity connection is never provisioned by Sightline: apply the output of"
              + " 'sightline connection manifests NAME' instead");
    }
  }
}
