package io.sightline.connections.agent;

import io.sightline.core.SecretValue;
import io.sightline.core.SightlineException;
import io.sightline.kubernetes.ClusterAccess;
import io.sightline.kubernetes.KubeconfigParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The agent's own identity for {@code AgentIdentity} connections: a ServiceAccount token file (in a
 * cluster: {@code /var/run/secrets/kubernetes.io/serviceaccount/token}, re-read for every job
 * because the kubelet rotates it) with its CA, or a kubeconfig on the agent host with inline
 * credentials. Configured on the agent's command line, never sent by the server.
 */
public sealed interface AgentIdentity {
  /** In-cluster default paths of a Pod's projected ServiceAccount token and CA. */
  Path IN_CLUSTER_TOKEN = Path.of("/var/run/secrets/kubernetes.io/serviceaccount/token");

  Path IN_CLUSTER_CA = Path.of("/var/run/secrets/kubernetes.io/serviceaccount/ca.crt");

  /** How to reach {@code server} (the URL the connection names) as this agent. */
  ClusterAccess access(String server);

  /** A description for the startup log (paths, never contents). */
  String describe();

  /** A ServiceAccount token file and CA file (null: the JVM's trust store). */
  record TokenFile(Path token, Path ca) implements AgentIdentity {
    @Override
    public ClusterAccess access(String server) {
      String value = read(token).strip();
      String caPem = ca == null ? null : read(ca);
      return ClusterAccess.ofToken(server, caPem, SecretValue.of(value));
    }

    @Override
    public String describe() {
      return "service-account token " + token + (ca == null ? "" : " with CA " + ca);
    }
  }

  /**
   * A kubeconfig on the agent host (inline credentials only, parsed safely); the server URL of the
   * connection replaces the kubeconfig's own.
   */
  record Kubeconfig(Path file, String context) implements AgentIdentity {
    @Override
    public ClusterAccess access(String server) {
      ClusterAccess a = KubeconfigParser.parse(read(file), context);
      return new ClusterAccess(
          server,
          a.caPem(),
          a.insecureSkipTlsVerify(),
          a.tlsServerName(),
          a.bearerToken(),
          a.clientCertificatePem(),
          a.clientKeyPem(),
          a.username(),
          a.password(),
          a.namespace());
    }

    @Override
    public String describe() {
      return "kubeconfig " + file + (context == null ? "" : " (context " + context + ")");
    }
  }

  private static String read(Path p) {
    try {
      return Files.readString(p, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new SightlineException(
          "AGENT_IDENTITY_UNREADABLE",
          502,
          null,
          "the agent cannot read its identity file " + p + ": " + e.getMessage());
    }
  }
}
