package io.sightline.kubernetes.provision;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * The names and labels of every object Sightline provisions for a connection. They are predictable
 * from the connection's name (documented in {@code docs/connections/provisioning.md}); a name that
 * would pass Kubernetes' 63-character limit for labels and namespace names is cut and ends with
 * {@code -} and the first 8 hex digits of the SHA-256 of the full name, so it stays unique.
 */
public final class ProvisionNames {
  /** Kubernetes' limit for namespace names, label values and ServiceAccount names we create. */
  public static final int MAX_LABEL = 63;

  public static final String LABEL_MANAGED_BY = "app.kubernetes.io/managed-by";
  public static final String MANAGED_BY = "sightline";
  public static final String LABEL_CONNECTION = "sightline.io/connection";

  /** What an object is to Sightline: {@code minter}, {@code deployer}, {@code lease}, ... */
  public static final String LABEL_COMPONENT = "app.kubernetes.io/component";

  public static final String LABEL_TARGET_NAMESPACE = "sightline.io/target-namespace";
  public static final String LABEL_ALL_POWERFUL = "sightline.io/all-powerful";
  public static final String LABEL_LEASE = "sightline.io/lease";
  public static final String LABEL_EXPIRES = "sightline.io/expires";

  /** Sightline's own ClusterRole for deployers (shared by all connections of a cluster). */
  public static final String DEPLOY_CLUSTER_ROLE = "sightline-deploy";

  public static final String MINTER_SERVICE_ACCOUNT = "sightline-minter";
  public static final String MINTER_TOKEN_SECRET = "sightline-minter-token";
  public static final String MINTER_ROLE = "sightline-minter";
  public static final String MINTER_ROLE_BINDING = "sightline-minter";
  public static final String LEASE_SECRET_PREFIX = "sightline-lease-";

  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");

  private ProvisionNames() {}

  /** {@code sightline-<connection>}, the default home namespace. */
  public static String defaultHomeNamespace(String connection) {
    return fit("sightline-" + connection);
  }

  /** The deployer ServiceAccount (in the home namespace) for one target namespace. */
  public static String deployer(String targetNamespace) {
    return fit("deployer-" + targetNamespace);
  }

  /** The RoleBinding, in a target namespace, giving the connection's deployer its role there. */
  public static String deployerRoleBinding(String connection) {
    return fit("sightline-" + connection + "-deployer");
  }

  /** The ClusterRoleBinding to {@code cluster-admin}, only with {@code clusterAdmin}. */
  public static String clusterAdminBinding(String connection) {
    return fit("sightline-" + connection + "-cluster-admin");
  }

  /** The Secret a lease's token is bound to, in the home namespace. */
  public static String leaseSecret(String leaseId) {
    return LEASE_SECRET_PREFIX + leaseId;
  }

  /** The value of the {@link #LABEL_CONNECTION} label (the name, cut and hashed if too long). */
  public static String connectionLabel(String connection) {
    return fit(connection);
  }

  /** Whether {@code name} is a DNS-1123 label: lowercase letters, digits, '-', at most 63. */
  public static boolean isDnsLabel(String name) {
    return name != null && name.length() <= MAX_LABEL && DNS_LABEL.matcher(name).matches();
  }

  /**
   * {@code name} if it is at most 63 characters, else its first characters, {@code -} and 8 hex
   * digits of its SHA-256: stable, unique in practice, and still a DNS label.
   */
  static String fit(String name) {
    if (name.length() <= MAX_LABEL) {
      return name;
    }
    String hash = sha256Hex(name).substring(0, 8);
    String head = name.substring(0, MAX_LABEL - 9);
    while (head.endsWith("-")) {
      head = head.substring(0, head.length() - 1);
    }
    return head + "-" + hash;
  }

  static String sha256Hex(String s) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
