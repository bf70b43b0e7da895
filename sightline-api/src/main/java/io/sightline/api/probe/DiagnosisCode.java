package io.sightline.api.probe;

/**
 * The stable diagnosis codes of a probe (DESIGN.md "Diagnosis catalogue"). Part of the API: extend,
 * never rename.
 */
public enum DiagnosisCode {
  /** The server's host name does not resolve from here. */
  DNS_UNRESOLVABLE,
  /** The name resolves to a private address that does not answer from here. */
  PRIVATE_ENDPOINT_UNREACHABLE,
  /** No TCP connection within the deadline. */
  CONNECT_TIMEOUT,
  /** The address actively refused the TCP connection. */
  CONNECTION_REFUSED,
  /** TCP connected but the TLS handshake did not finish within the deadline. */
  TLS_HANDSHAKE_TIMEOUT,
  /**
   * The server's certificate is not signed by the given CA: give the CA or set
   * acceptUntrustedCerts.
   */
  TLS_UNTRUSTED,
  /** The cluster rejected the credential (HTTP 401). */
  UNAUTHORIZED,
  /**
   * Listing namespaces was refused (HTTP 403): the connection can still be saved and a namespace
   * typed.
   */
  FORBIDDEN_NAMESPACES,
  /** ARM refuses static credentials because the cluster's local accounts are disabled. */
  LOCAL_ACCOUNTS_DISABLED,
  /** The kubeconfig needs a device-code or browser login. */
  INTERACTIVE_LOGIN_REQUIRED,
  /** The kubeconfig runs a command (exec plugin or auth-provider) to get its credential. */
  EXEC_PLUGIN_NOT_ALLOWED,
  /** Kubernetes ≥ 1.24 and nothing created a service-account token Secret. */
  SERVICE_ACCOUNT_TOKEN_SECRET_MISSING,
  /** The token controller did not fill a token Secret in time. */
  TOKEN_NOT_POPULATED,
  ENTRA_AUTH_FAILED,
  ARM_NOT_FOUND,
  ARM_FORBIDDEN,
  /** The address is refused by Sightline's egress rules. */
  EGRESS_DENIED,
  // Additions (extend, never rename).
  /** The TLS handshake failed for a reason other than an untrusted certificate or a timeout. */
  TLS_HANDSHAKE_FAILED,
  /** The kubeconfig names a proxy ({@code proxy-url}); Sightline does not dial through proxies. */
  PROXY_NOT_ALLOWED,
  /** The server answered, but not as a Kubernetes API server would. */
  UNEXPECTED_RESPONSE,
  /** The probe's hard deadline passed before the server answered. */
  PROBE_DEADLINE_EXCEEDED,
  /** The kubeconfig or Secret refers to a file on disk instead of carrying the value inline. */
  FILE_REFERENCE_NOT_ALLOWED,
  /**
   * The connection runs through an agent pool ({@code via: {pool}}) and no enabled agent of that
   * pool is online: start one in the cluster's network.
   */
  AGENT_POOL_OFFLINE
}
