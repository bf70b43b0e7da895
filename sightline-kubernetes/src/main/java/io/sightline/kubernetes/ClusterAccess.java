package io.sightline.kubernetes;

import io.sightline.core.SecretValue;
import io.sightline.kubernetes.internal.ServerUrls;
import java.util.Objects;

/**
 * How to reach one cluster, from explicit values only: never a file path, never a command. Built by
 * {@link KubeconfigParser} or {@link ServiceAccountSecretParser}; consumed by {@link
 * KubernetesClients} and {@link ClusterProber}. Secrets are {@link SecretValue}s, so {@link
 * #toString()} never shows them.
 *
 * @param server the API server URL ({@code https://host:port[/path]}); validated (a 400 {@code
 *     SightlineException} on field {@code url} otherwise) and stored without a trailing slash
 * @param caPem the CA bundle to trust, PEM (null: the JVM's default trust store)
 * @param insecureSkipTlsVerify trust any server certificate (kubeconfig {@code
 *     insecure-skip-tls-verify}, connection field {@code acceptUntrustedCerts})
 * @param tlsServerName the name to verify the server certificate against instead of the URL host
 * @param bearerToken the bearer token, or null
 * @param clientCertificatePem the client certificate chain, PEM (not secret), or null
 * @param clientKeyPem the client certificate's private key, PEM, or null
 * @param username basic-auth user name, or null
 * @param password basic-auth password, or null
 * @param namespace the context's default namespace, or null
 */
public record ClusterAccess(
    String server,
    String caPem,
    boolean insecureSkipTlsVerify,
    String tlsServerName,
    SecretValue bearerToken,
    String clientCertificatePem,
    SecretValue clientKeyPem,
    String username,
    SecretValue password,
    String namespace) {

  public ClusterAccess {
    Objects.requireNonNull(server, "server");
    server = ServerUrls.validate(server, "url");
    if ((clientCertificatePem == null) != (clientKeyPem == null)) {
      throw new IllegalArgumentException("a client certificate needs its key and vice versa");
    }
    if ((username == null) != (password == null)) {
      throw new IllegalArgumentException("basic authentication needs a username and a password");
    }
  }

  /** Token authentication against {@code server}, trusting {@code caPem} (may be null). */
  public static ClusterAccess ofToken(String server, String caPem, SecretValue token) {
    return new ClusterAccess(
        server,
        caPem,
        false,
        null,
        Objects.requireNonNull(token, "token"),
        null,
        null,
        null,
        null,
        null);
  }

  /** The same access, trusting any server certificate when {@code accept} is true. */
  public ClusterAccess withAcceptUntrustedCerts(boolean accept) {
    if (accept == insecureSkipTlsVerify) {
      return this;
    }
    return new ClusterAccess(
        server,
        caPem,
        accept,
        tlsServerName,
        bearerToken,
        clientCertificatePem,
        clientKeyPem,
        username,
        password,
        namespace);
  }

  @Override
  public String toString() {
    return "ClusterAccess[server="
        + server
        + ", auth="
        + authMethod()
        + ", ca="
        + (caPem != null)
        + ", insecureSkipTlsVerify="
        + insecureSkipTlsVerify
        + "]";
  }

  /**
   * How the credential authenticates: {@code token}, {@code client-certificate}, {@code basic} or
   * {@code anonymous}.
   */
  public String authMethod() {
    if (bearerToken != null) {
      return "token";
    }
    if (clientCertificatePem != null) {
      return "client-certificate";
    }
    if (username != null) {
      return "basic";
    }
    return "anonymous";
  }
}
