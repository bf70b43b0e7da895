package io.sightline.connections;

import io.sightline.api.probe.ProbeResult;
import io.sightline.kubernetes.ClusterAccess;
import io.sightline.kubernetes.ProbeOptions;
import io.sightline.kubernetes.mint.MintRequest;
import io.sightline.kubernetes.mint.MintedToken;
import io.sightline.kubernetes.provision.DeprovisionResult;
import io.sightline.kubernetes.provision.ProvisionResult;
import io.sightline.kubernetes.provision.ProvisionSpec;

/**
 * The port through which the server runs a connection's cluster operations: {@link
 * LocalClusterOperations} dials the cluster from this process; the server's agent-pool
 * implementation queues a job that an agent of the connection's pool runs with a {@link
 * LocalClusterOperations} of its own (issue 9). Every operation is idempotent by its arguments
 * (minting and revoking by lease id), so a job retried on another agent does no harm.
 *
 * <p>For an {@code AgentIdentity} connection {@code access} carries only the API server URL (no
 * credential): the agent authenticates with its own identity.
 */
public interface ClusterOperations {

  /** Probes the cluster (reachability, TLS, identity, namespaces) within the options' deadline. */
  ProbeResult probe(ClusterAccess access, ProbeOptions options);

  /** Creates the lease Secret (reused when it exists) and mints a token bound to it. */
  MintedToken mint(ClusterAccess access, MintRequest request);

  /** Deletes the lease's Secret; true when deleted now, false when it was already gone. */
  boolean revoke(ClusterAccess access, String leaseId, String homeNamespace);

  /** Provisions the home namespace, minter and deployers with a cluster-admin credential. */
  ProvisionResult provision(ClusterAccess admin, ProvisionSpec spec);

  /** Removes what provisioning created. */
  DeprovisionResult deprovision(ClusterAccess access, ProvisionSpec spec);
}
