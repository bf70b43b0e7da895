package io.sightline.kubernetes.internal;

/** The way out for each diagnosis (DESIGN.md: every hint names one). */
public final class Hints {
  private Hints() {}

  public static final String SAVE_UNVERIFIED =
      "or save the connection without verification (?verify=false, CLI --no-verify)";

  public static final String AGENT_OR_AZURERM =
      "Run the probe from an agent pool in the cluster's network, use an azurerm cluster target"
          + " (resolved at run time where the task runs), "
          + SAVE_UNVERIFIED
          + ".";

  public static String dns(String host) {
    return "Check the host name in the server URL ("
        + host
        + "). If it resolves only inside the"
        + " cluster's network (a private DNS zone), "
        + lower(AGENT_OR_AZURERM);
  }

  public static String privateEndpoint() {
    return "The cluster's API server is private and not reachable from this Sightline server. "
        + AGENT_OR_AZURERM;
  }

  public static String connectTimeout() {
    return "Check the port in the server URL; a firewall may drop the traffic, or the API server is"
        + " private. "
        + AGENT_OR_AZURERM;
  }

  public static String refused() {
    return "Check the host and port in the server URL (API servers usually listen on 443 or 6443),"
        + " "
        + SAVE_UNVERIFIED
        + ".";
  }

  public static String tlsTimeout() {
    return "Something between here and the cluster holds the TLS handshake (a firewall, proxy or"
        + " private link). "
        + AGENT_OR_AZURERM;
  }

  public static String tlsUntrusted() {
    return "Give the cluster's CA (kubeconfig certificate-authority-data, the Secret's ca.crt, or"
        + " serviceAccountCertificate), or set acceptUntrustedCerts to true.";
  }

  public static String tlsFailed(boolean clientCertificate) {
    return "Check that the server URL is the API server's https:// endpoint"
        + (clientCertificate
            ? ", and that client-certificate-data and client-key-data belong to this cluster"
            : "")
        + ".";
  }

  public static String unauthorized(String method) {
    String field =
        switch (method) {
          case "token" ->
              "the token (apiToken, the Secret's data.token or the kubeconfig user's token)";
          case "client-certificate" ->
              "the kubeconfig user's client-certificate-data and client-key-data";
          case "basic" -> "the kubeconfig user's username and password";
          default -> "a credential: the connection has none";
        };
    return "The token may have expired or been revoked, or belongs to another cluster. Fix "
        + field
        + ". For AKS with Entra ID, use an azurerm connection instead.";
  }

  public static String egress() {
    return "Sightline's egress rules refuse this address. Use an agent pool in the cluster's network,"
        + " or ask the Sightline administrator to allow the range (metadata and link-local"
        + " addresses can never be allowed).";
  }

  public static String deadline(long millis) {
    return "The server accepted the connection but did not answer within "
        + seconds(millis)
        + ". Probe again with a longer timeout (--timeout), use an agent pool closer to the"
        + " cluster, "
        + SAVE_UNVERIFIED
        + ".";
  }

  public static String unexpected() {
    return "Check that the server URL points at the Kubernetes API server (not a dashboard or a"
        + " load balancer's default page).";
  }

  public static String seconds(long millis) {
    return String.format(java.util.Locale.ROOT, "%.1f s", millis / 1000.0);
  }

  private static String lower(String s) {
    return Character.toLowerCase(s.charAt(0)) + s.substring(1);
  }
}
