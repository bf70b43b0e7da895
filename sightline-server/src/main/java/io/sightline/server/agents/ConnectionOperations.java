package io.sightline.server.agents;

import io.sightline.connections.ClusterOperations;
import io.sightline.connections.ConnectionKind;
import io.sightline.connections.LocalClusterOperations;
import io.sightline.connections.Via;
import java.util.Map;

/**
 * Picks where a connection's cluster operations run: from this server ({@link
 * LocalClusterOperations}), or as jobs on an agent of its {@code via} pool ({@link
 * AgentPoolOperations}). {@code AgentIdentity} connections always run on their pool, with the
 * agent's own identity.
 */
public final class ConnectionOperations implements AutoCloseable {
  private final LocalClusterOperations local;
  private final AgentService agents;

  public ConnectionOperations(LocalClusterOperations local, AgentService agents) {
    this.local = local;
    this.agents = agents;
  }

  public LocalClusterOperations local() {
    return local;
  }

  public AgentService agents() {
    return agents;
  }

  /** The operations for a connection of {@code kind} whose non-secret values are {@code values}. */
  public ClusterOperations of(ConnectionKind kind, Map<String, Object> values) {
    String pool = Via.pool(values);
    if (pool == null || agents == null) {
      return local;
    }
    return new AgentPoolOperations(agents, pool, kind == ConnectionKind.KUBERNETES_AGENT_IDENTITY);
  }

  @Override
  public void close() {
    local.close();
  }
}
