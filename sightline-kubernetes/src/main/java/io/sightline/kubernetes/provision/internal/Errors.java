package io.sightline.kubernetes.provision.internal;

import io.fabric8.kubernetes.client.KubernetesClientException;
import io.sightline.core.SightlineException;

/** Turns fabric8's exceptions into Sightline's, naming the object and the fix, never a secret. */
public final class Errors {
  private Errors() {}

  /** A short reason: {@code forbidden (403)}, {@code not reachable}, ... */
  public static String reason(RuntimeException e) {
    if (e instanceof SightlineException se) {
      return se.code() + ": " + se.getMessage();
    }
    if (e instanceof KubernetesClientException ke) {
      int code = ke.getCode();
      if (code <= 0) {
        return "cluster not reachable (" + rootMessage(ke) + ")";
      }
      String status = ke.getStatus() != null ? ke.getStatus().getReason() : null;
      return (status != null ? status.toLowerCase(java.util.Locale.ROOT) : "HTTP")
          + " ("
          + code
          + ")";
    }
    return e.getClass().getSimpleName();
  }

  /** Wraps a failure to act on {@code what} (e.g. "create rolebinding/web/x"). */
  public static SightlineException wrap(String what, RuntimeException e) {
    if (e instanceof SightlineException se) {
      return se;
    }
    if (e instanceof KubernetesClientException ke) {
      int code = ke.getCode();
      String serverMessage =
          ke.getStatus() != null && ke.getStatus().getMessage() != null
              ? ": " + ke.getStatus().getMessage()
              : "";
      if (code == 401) {
        return new SightlineException(
            "UNAUTHORIZED",
            401,
            "adminKubeconfig",
            "the cluster rejected the admin credential (401) when trying to "
                + what
                + "; give a valid cluster-admin kubeconfig",
            null,
            e);
      }
      if (code == 403) {
        return new SightlineException(
            "PROVISION_FORBIDDEN",
            403,
            "adminKubeconfig",
            "the admin credential may not "
                + what
                + serverMessage
                + "; provisioning needs cluster-admin (or at least rights on namespaces,"
                + " serviceaccounts, secrets, roles, rolebindings, clusterroles and"
                + " clusterrolebindings, and every right it grants)",
            null,
            e);
      }
      if (code <= 0) {
        return new SightlineException(
            "CLUSTER_UNREACHABLE",
            503,
            null,
            "could not " + what + ": the cluster did not answer (" + rootMessage(ke) + ")",
            30,
            e);
      }
      return new SightlineException(
          "PROVISION_FAILED",
          502,
          null,
          "the cluster refused to " + what + " (HTTP " + code + serverMessage + ")",
          null,
          e);
    }
    return new SightlineException(
        "PROVISION_FAILED",
        500,
        null,
        "could not " + what + ": " + e.getClass().getSimpleName(),
        null,
        e);
  }

  private static String rootMessage(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getClass().getSimpleName();
  }
}
