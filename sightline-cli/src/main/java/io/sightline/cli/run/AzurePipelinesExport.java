package io.sightline.cli.run;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The variables Azure Pipelines tasks read for a Kubernetes service connection of the
 * ServiceAccount kind (azure-pipelines-task-lib's {@code getEndpointUrl}, {@code
 * getEndpointAuthorizationParameter}, {@code getEndpointDataParameter}), filled from a lease.
 *
 * <p>{@code azure-pipelines-tasks-kubernetes-common}'s {@code createKubeconfig} base64-decodes
 * {@code apiToken} and puts {@code serviceAccountCertificate} as it is into {@code
 * certificate-authority-data} — so the token goes base64-encoded and the certificate as the lease's
 * base64 PEM (checked against the published package 2.281.0 by {@code RunIT} in sightline-it). The
 * tasks inline the token in their own kubeconfig: it is not renewed.
 *
 * <p>{@code createKubeconfig} requires {@code serviceAccountCertificate}: a lease without a CA (a
 * publicly trusted server certificate, or TLS verification off) exports none rather than an empty
 * one, and {@link #warning} says why the tasks will stop with "Endpoint auth data not present".
 */
public final class AzurePipelinesExport {
  private AzurePipelinesExport() {}

  /** The variables for endpoint id {@code lease.connectionId()}. */
  public static Map<String, String> variables(Lease lease) {
    String id = lease.connectionId();
    if (id == null || id.isBlank()) {
      throw new IllegalStateException(
          "the server's lease answer has no connectionId, which --export azure-pipelines needs");
    }
    String token =
        Base64.getEncoder().encodeToString(lease.token().reveal().getBytes(StandardCharsets.UTF_8));
    String ca = hasCa(lease) ? lease.certificateAuthorityData().strip() : null;
    Map<String, String> v = new LinkedHashMap<>();
    v.put("ENDPOINT_URL_" + id, lease.server());
    v.put(
        "ENDPOINT_AUTH_" + id,
        "{\"scheme\":\"Token\",\"parameters\":{\"apitoken\":\""
            + token
            + (ca == null ? "" : "\",\"serviceAccountCertificate\":\"" + ca)
            + "\",\"isCreatedFromSecretYaml\":\"false\"}}");
    v.put("ENDPOINT_AUTH_SCHEME_" + id, "Token");
    v.put("ENDPOINT_AUTH_PARAMETER_" + id + "_APITOKEN", token);
    if (ca != null) {
      v.put("ENDPOINT_AUTH_PARAMETER_" + id + "_SERVICEACCOUNTCERTIFICATE", ca);
    }
    v.put("ENDPOINT_AUTH_PARAMETER_" + id + "_ISCREATEDFROMSECRETYAML", "false");
    v.put("ENDPOINT_DATA_" + id + "_AUTHORIZATIONTYPE", "ServiceAccount");
    if (lease.namespace() != null) {
      v.put("ENDPOINT_DATA_" + id + "_NAMESPACE", lease.namespace());
    }
    return v;
  }

  /**
   * What {@code run} should tell the user about these variables, or null: a lease without a CA
   * cannot give the tasks the {@code serviceAccountCertificate} they require.
   */
  public static String warning(Lease lease) {
    if (hasCa(lease)) {
      return null;
    }
    return "the lease has no CA certificate (the cluster's certificate is publicly trusted or TLS"
        + " verification is off), so no ENDPOINT_AUTH_PARAMETER_"
        + lease.connectionId()
        + "_SERVICEACCOUNTCERTIFICATE is exported: Azure Pipelines Kubernetes tasks require it"
        + " and will stop with \"Endpoint auth data not present\"; give the connection its CA"
        + " certificate";
  }

  private static boolean hasCa(Lease lease) {
    return lease.certificateAuthorityData() != null && !lease.certificateAuthorityData().isBlank();
  }
}
