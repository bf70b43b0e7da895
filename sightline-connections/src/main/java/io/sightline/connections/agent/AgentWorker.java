package io.sightline.connections.agent;

import com.fasterxml.jackson.databind.JsonNode;
import io.sightline.connections.ClusterOperations;
import io.sightline.core.SecretValue;
import io.sightline.core.SightlineException;
import io.sightline.kubernetes.ClusterAccess;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one job on the agent with the same kind code the server runs ({@link ClusterOperations}),
 * and answers its result or error as {@link JobCodec} JSON. Jobs of {@code AgentIdentity}
 * connections use the agent's own identity and may only mint and revoke.
 */
public final class AgentWorker {
  private static final Logger log = LoggerFactory.getLogger(AgentWorker.class);

  private final ClusterOperations ops;
  private final AgentIdentity identity;

  /**
   * @param identity the agent's own identity (null: this agent serves no AgentIdentity connection)
   */
  public AgentWorker(ClusterOperations ops, AgentIdentity identity) {
    this.ops = ops;
    this.identity = identity;
  }

  /** Runs the job; never throws for a job that fails (the error is the answer). */
  public SecretValue run(String jobId, SecretValue plaintext) {
    JobCodec.Job job;
    try {
      job = JobCodec.readJob(plaintext);
    } catch (RuntimeException e) {
      return JobCodec.error(
          new SightlineException(
              "AGENT_JOB_UNREADABLE", 502, null, "the agent cannot read job " + jobId));
    }
    long start = System.nanoTime();
    try {
      SecretValue out = JobCodec.ok(run(job));
      log.info(
          "job {} ({}) done in {} ms",
          jobId,
          job.kind().wireName(),
          (System.nanoTime() - start) / 1_000_000);
      return out;
    } catch (SightlineException e) {
      log.info("job {} ({}) failed: {} {}", jobId, job.kind().wireName(), e.code(), e.getMessage());
      return JobCodec.error(e);
    } catch (RuntimeException e) {
      log.warn("job {} ({}) failed unexpectedly", jobId, job.kind().wireName(), e);
      return JobCodec.error(
          new SightlineException(
              "AGENT_JOB_FAILED",
              502,
              null,
              "the agent could not run the "
                  + job.kind().wireName()
                  + " job: "
                  + e.getClass().getSimpleName()));
    }
  }

  private JsonNode run(JobCodec.Job job) {
    ClusterAccess access = job.access();
    if (job.agentIdentity()) {
      if (job.kind() != JobCodec.Kind.MINT
          && job.kind() != JobCodec.Kind.REVOKE
          && job.kind() != JobCodec.Kind.PROBE) {
        throw SightlineException.forbidden(
            "AGENT_IDENTITY_CANNOT_PROVISION",
            "an AgentIdentity connection only mints and revokes: apply the manifests of"
                + " 'sightline connection manifests NAME' instead of provisioning");
      }
      if (identity == null) {
        throw new SightlineException(
            "AGENT_IDENTITY_MISSING",
            502,
            null,
            "this agent has no identity of its own: start it with --identity-token-file or"
                + " --identity-kubeconfig to serve AgentIdentity connections");
      }
      access = identity.access(access.server());
    }
    return switch (job.kind()) {
      case PROBE -> JobCodec.probeResult(ops.probe(access, JobCodec.probeOptions(job.args())));
      case MINT -> JobCodec.minted(ops.mint(access, JobCodec.mintRequest(job.args())));
      case REVOKE ->
          JobCodec.revoked(
              ops.revoke(
                  access,
                  job.args().path("leaseId").asText(),
                  job.args().path("homeNamespace").asText()));
      case PROVISION ->
          JobCodec.provisioned(ops.provision(access, JobCodec.provisionSpec(job.args())));
      case DEPROVISION ->
          JobCodec.deprovisioned(ops.deprovision(access, JobCodec.provisionSpec(job.args())));
    };
  }
}
