package io.sightline.server.leases;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sightline.core.SecretValue;
import io.sightline.kubernetes.ClusterAccess;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The kubeconfig a lease hands to its task: one cluster, one user, one context, everything inline
 * (token, {@code certificate-authority-data}), no file references and no exec plugin.
 */
public final class LeaseKubeconfig {
  private static final ObjectMapper JSON = new ObjectMapper();

  private LeaseKubeconfig() {}

  /** Base64 of the CA PEM, as kubeconfig's {@code certificate-authority-data}; null for none. */
  public static String caData(String caPem) {
    return caPem == null
        ? null
        : Base64.getEncoder().encodeToString(caPem.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * A kubeconfig for {@code access} (its bearer token, client certificate or basic credentials).
   *
   * @param name cluster/context name (the connection's)
   * @param namespace the context's namespace, or null
   */
  public static SecretValue of(String name, ClusterAccess access, String namespace) {
    StringBuilder y = new StringBuilder();
    y.append("apiVersion: v1\nkind: Config\nclusters:\n- name: ")
        .append(q(name))
        .append("\n  cluster:\n    server: ")
        .append(q(access.server()))
        .append("\n");
    if (access.insecureSkipTlsVerify()) {
      y.append("    insecure-skip-tls-verify: true\n");
    } else if (access.caPem() != null) {
      y.append("    certificate-authority-data: ").append(caData(access.caPem())).append("\n");
    }
    if (access.tlsServerName() != null && !access.insecureSkipTlsVerify()) {
      y.append("    tls-server-name: ").append(q(access.tlsServerName())).append("\n");
    }
    y.append("users:\n- name: sightline\n  user:\n");
    if (access.bearerToken() != null) {
      y.append("    token: ").append(q(access.bearerToken().reveal())).append("\n");
    } else if (access.clientCertificatePem() != null) {
      y.append("    client-certificate-data: ")
          .append(caData(access.clientCertificatePem()))
          .append("\n    client-key-data: ")
          .append(caData(access.clientKeyPem().reveal()))
          .append("\n");
    } else if (access.username() != null) {
      y.append("    username: ")
          .append(q(access.username()))
          .append("\n    password: ")
          .append(q(access.password().reveal()))
          .append("\n");
    } else {
      y.append("    {}\n");
    }
    y.append("contexts:\n- name: ")
        .append(q(name))
        .append("\n  context:\n    cluster: ")
        .append(q(name))
        .append("\n    user: sightline\n");
    if (namespace != null) {
      y.append("    namespace: ").append(q(namespace)).append("\n");
    }
    y.append("current-context: ").append(q(name)).append("\n");
    return SecretValue.of(y.toString());
  }

  /** A YAML double-quoted scalar (JSON string syntax is valid YAML). */
  private static String q(String s) {
    try {
      return JSON.writeValueAsString(s);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(e);
    }
  }
}
