package io.sightline.cli.commands;

import io.sightline.cli.CliContext;
import io.sightline.cli.UsageException;
import io.sightline.cli.VersionProvider;
import io.sightline.connections.LocalClusterOperations;
import io.sightline.connections.agent.AgentClient;
import io.sightline.connections.agent.AgentIdentity;
import io.sightline.connections.agent.AgentWorker;
import io.sightline.core.SightlineException;
import io.sightline.kubernetes.EgressPolicy;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sightline agent}: runs in the cluster's network, dials out to the server only, and runs
 * the cluster operations of the connections assigned to its pool (issue 9, docs/agents.md).
 */
@Command(
    name = "agent",
    description = {
      "Run an agent: registers once with a one-time registration token (its key pair is made here;"
          + " the private key stays in --state-dir, mode 0600), then long-polls the server for"
          + " the cluster operations of its pool's connections. Outbound connections only.",
      "Get a token with: POST /api/v1/agent-pools/POOL/registration-tokens (admin)."
    })
public final class AgentCommand implements Callable<Integer> {
  private final CliContext ctx;

  @Option(
      names = "--server",
      paramLabel = "URL",
      required = true,
      description = "Sightline server URL.")
  URI server;

  @Option(names = "--pool", paramLabel = "POOL", required = true, description = "Agent pool.")
  String pool;

  @Option(
      names = "--registration-token-file",
      paramLabel = "FILE",
      description = "One-time registration token (needed only for the first start).")
  Path registrationTokenFile;

  @Option(
      names = "--name",
      paramLabel = "NAME",
      defaultValue = "${env:SIGHTLINE_AGENT_NAME}",
      description = "Agent name (default: $SIGHTLINE_AGENT_NAME, else the host name).")
  String name;

  @Option(
      names = "--state-dir",
      paramLabel = "DIR",
      description = "Where the agent keeps its id and private keys (default ./sightline-agent).")
  Path stateDir = Path.of("sightline-agent");

  @Option(
      names = "--identity-token-file",
      paramLabel = "FILE",
      description =
          "For AgentIdentity connections: this agent's ServiceAccount token file (in a Pod:"
              + " /var/run/secrets/kubernetes.io/serviceaccount/token), re-read for every job.")
  Path identityTokenFile;

  @Option(
      names = "--identity-ca-file",
      paramLabel = "FILE",
      description = "The cluster CA for --identity-token-file (in a Pod: .../ca.crt).")
  Path identityCaFile;

  @Option(
      names = "--identity-kubeconfig",
      paramLabel = "FILE",
      description =
          "For AgentIdentity connections: a kubeconfig on this host with inline credentials.")
  Path identityKubeconfig;

  @Option(
      names = "--in-cluster",
      description = "Use the Pod's own ServiceAccount token and CA as the identity.")
  boolean inCluster;

  @Option(
      names = "--pollers",
      paramLabel = "N",
      description = "Concurrent long-polls, so jobs run in parallel (default 4).")
  int pollers = 4;

  public AgentCommand(CliContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public Integer call() throws Exception {
    String agentName = name;
    if (agentName == null) {
      agentName =
          InetAddress.getLocalHost()
              .getHostName()
              .toLowerCase(Locale.ROOT)
              .replaceAll("[^a-z0-9-]", "-")
              .replaceAll("^-+|-+$", "");
      if (agentName.length() > 63) {
        agentName = agentName.substring(0, 63).replaceAll("-+$", "");
      }
    }
    AgentIdentity identity = identity();
    if (registrationTokenFile != null && !Files.isRegularFile(registrationTokenFile)) {
      throw new UsageException("--registration-token-file: no such file " + registrationTokenFile);
    }
    CountDownLatch stopped = new CountDownLatch(1);
    try (LocalClusterOperations ops = new LocalClusterOperations(EgressPolicy.defaults());
        AgentClient agent =
            new AgentClient(
                new AgentClient.Settings(
                    server,
                    pool,
                    agentName,
                    stateDir,
                    registrationTokenFile,
                    pollers,
                    Duration.ofSeconds(25),
                    Duration.ofSeconds(10),
                    VersionProvider.version()),
                new AgentWorker(ops, identity))) {
      try {
        agent.registerIfNeeded();
      } catch (SightlineException e) {
        ctx.err().println("sightline agent: " + e.getMessage());
        ctx.err().flush();
        return 1;
      }
      if (identity != null) {
        ctx.err()
            .println(
                "sightline agent: own identity for AgentIdentity connections: "
                    + identity.describe());
      }
      agent.start();
      ctx.err()
          .printf("sightline agent %s: polling %s for pool %s%n", agent.agentId(), server, pool);
      ctx.err().flush();
      Runtime.getRuntime().addShutdownHook(new Thread(stopped::countDown));
      stopped.await();
    }
    return 0;
  }

  private AgentIdentity identity() {
    int given =
        (inCluster ? 1 : 0)
            + (identityTokenFile != null ? 1 : 0)
            + (identityKubeconfig != null ? 1 : 0);
    if (given > 1) {
      throw new UsageException(
          "give one of --in-cluster, --identity-token-file and --identity-kubeconfig");
    }
    if (inCluster) {
      return new AgentIdentity.TokenFile(
          AgentIdentity.IN_CLUSTER_TOKEN, AgentIdentity.IN_CLUSTER_CA);
    }
    if (identityTokenFile != null) {
      return new AgentIdentity.TokenFile(identityTokenFile, identityCaFile);
    }
    if (identityKubeconfig != null) {
      return new AgentIdentity.Kubeconfig(identityKubeconfig, null);
    }
    return null;
  }
}
