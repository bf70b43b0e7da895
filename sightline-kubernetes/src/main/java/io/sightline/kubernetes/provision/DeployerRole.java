package io.sightline.kubernetes.provision;

import io.sightline.core.SightlineException;
import java.util.regex.Pattern;

/**
 * The ClusterRole a connection's deployers are bound to in their target namespaces (through a
 * RoleBinding, so the rights hold only there): Sightline's own {@code sightline-deploy} (default),
 * Kubernetes' {@code edit} or {@code admin}, or any other ClusterRole named by the user.
 *
 * @param clusterRole the ClusterRole's name
 */
public record DeployerRole(String clusterRole) {
  // Before the constants below: they are validated with it.
  private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9.:]*[a-z0-9])?");

  public static final DeployerRole SIGHTLINE_DEPLOY =
      new DeployerRole(ProvisionNames.DEPLOY_CLUSTER_ROLE);
  public static final DeployerRole EDIT = new DeployerRole("edit");
  public static final DeployerRole ADMIN = new DeployerRole("admin");

  public DeployerRole {
    if (clusterRole == null || clusterRole.length() > 253 || !NAME.matcher(clusterRole).matches()) {
      throw SightlineException.badRequest(
          "INVALID_DEPLOYER_ROLE",
          "deployerRole",
          "deployerRole must be sightline-deploy, edit, admin or the name of a ClusterRole"
              + " (lowercase letters, digits, '-', '.', ':')");
    }
  }

  /** {@code null} or blank means the default, {@code sightline-deploy}. */
  public static DeployerRole parse(String value) {
    if (value == null || value.isBlank()) {
      return SIGHTLINE_DEPLOY;
    }
    return new DeployerRole(value.trim());
  }

  /** Whether this is Sightline's own ClusterRole, which provisioning creates and keeps current. */
  public boolean isSightlineDeploy() {
    return clusterRole.equals(ProvisionNames.DEPLOY_CLUSTER_ROLE);
  }
}
