package io.sightline.testing.azure;

/** The ARM actions the emulator authorizes, named as Azure RBAC names them. */
public enum ArmAction {
  READ_CLUSTERS("Microsoft.ContainerService/managedClusters/read"),
  LIST_USER_CREDENTIAL(
      "Microsoft.ContainerService/managedClusters/listClusterUserCredential/action"),
  LIST_ADMIN_CREDENTIAL(
      "Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action");

  private final String operation;

  ArmAction(String operation) {
    this.operation = operation;
  }

  /** The RBAC operation name, as it appears in ARM's {@code AuthorizationFailed} message. */
  public String operation() {
    return operation;
  }
}
