package io.sightline.kubernetes.provision;

import io.sightline.core.SightlineException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What to provision in a cluster for one connection (DESIGN.md "How credentials are issued").
 *
 * @param connection the connection's name; it names the home namespace and the bindings
 * @param homeNamespace where Sightline's own objects live (null: {@code sightline-<connection>})
 * @param targetNamespaces the namespaces tasks deploy to; one deployer each (at least one)
 * @param createNamespace create target namespaces that do not exist (else: an error, before
 *     anything is created)
 * @param clusterAdmin bind the deployers to {@code cluster-admin} cluster-wide (all-powerful)
 * @param deployerRole the ClusterRole deployers get in their target namespace (null: default)
 * @param rotateMinterToken on a re-provision, replace the minter's token with a new one
 * @param tokenWait how long to wait for the token controller to fill the minter's token Secret
 *     (null: 10 s)
 */
public record ProvisionSpec(
    String connection,
    String homeNamespace,
    List<String> targetNamespaces,
    boolean createNamespace,
    boolean clusterAdmin,
    DeployerRole deployerRole,
    boolean rotateMinterToken,
    Duration tokenWait) {

  public static final Duration DEFAULT_TOKEN_WAIT = Duration.ofSeconds(10);

  public ProvisionSpec {
    if (connection == null || connection.isBlank()) {
      throw SightlineException.badRequest(
          "INVALID_CONNECTION_NAME", "name", "a connection needs a name");
    }
    if (connection.length() > 200 || !connection.matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?")) {
      throw SightlineException.badRequest(
          "INVALID_CONNECTION_NAME",
          "name",
          "a connection that provisions objects in a cluster needs a name of lowercase letters,"
              + " digits and '-' (at most 200), starting and ending with a letter or digit");
    }
    if (homeNamespace == null || homeNamespace.isBlank()) {
      homeNamespace = ProvisionNames.defaultHomeNamespace(connection);
    }
    if (!ProvisionNames.isDnsLabel(homeNamespace)) {
      throw SightlineException.badRequest(
          "INVALID_NAMESPACE",
          "homeNamespace",
          "homeNamespace '"
              + homeNamespace
              + "' is not a namespace name: lowercase letters, digits and '-', at most 63");
    }
    Objects.requireNonNull(targetNamespaces, "targetNamespaces");
    if (targetNamespaces.isEmpty()) {
      throw SightlineException.badRequest(
          "NAMESPACE_REQUIRED",
          "namespace",
          "name at least one target namespace (--namespace NS); each gets its own deployer");
    }
    for (String ns : targetNamespaces) {
      if (!ProvisionNames.isDnsLabel(ns)) {
        throw SightlineException.badRequest(
            "INVALID_NAMESPACE",
            "namespace",
            "'" + ns + "' is not a namespace name: lowercase letters, digits and '-', at most 63");
      }
      if (ns.equals(homeNamespace)) {
        throw SightlineException.badRequest(
            "INVALID_NAMESPACE",
            "namespace",
            "the home namespace '"
                + ns
                + "' holds the minter's token and cannot also be a target namespace;"
                + " choose another homeNamespace");
      }
    }
    targetNamespaces = targetNamespaces.stream().distinct().sorted().toList();
    if (deployerRole == null) {
      deployerRole = DeployerRole.SIGHTLINE_DEPLOY;
    }
    if (tokenWait == null) {
      tokenWait = DEFAULT_TOKEN_WAIT;
    }
    if (tokenWait.isNegative() || tokenWait.compareTo(Duration.ofMinutes(5)) > 0) {
      throw SightlineException.badRequest(
          "INVALID_TOKEN_WAIT", "tokenWait", "tokenWait must be between 0 and 5 minutes");
    }
  }

  /** The usual spec: default home namespace, {@code sightline-deploy}, 10 s token wait. */
  public static ProvisionSpec of(String connection, List<String> targetNamespaces) {
    return new ProvisionSpec(connection, null, targetNamespaces, false, false, null, false, null);
  }

  public ProvisionSpec withCreateNamespace(boolean value) {
    return new ProvisionSpec(
        connection,
        homeNamespace,
        targetNamespaces,
        value,
        clusterAdmin,
        deployerRole,
        rotateMinterToken,
        tokenWait);
  }

  public ProvisionSpec withClusterAdmin(boolean value) {
    return new ProvisionSpec(
        connection,
        homeNamespace,
        targetNamespaces,
        createNamespace,
        value,
        deployerRole,
        rotateMinterToken,
        tokenWait);
  }

  public ProvisionSpec withDeployerRole(DeployerRole value) {
    return new ProvisionSpec(
        connection,
        homeNamespace,
        targetNamespaces,
        createNamespace,
        clusterAdmin,
        value,
        rotateMinterToken,
        tokenWait);
  }

  public ProvisionSpec withHomeNamespace(String value) {
    return new ProvisionSpec(
        connection,
        value,
        targetNamespaces,
        createNamespace,
        clusterAdmin,
        deployerRole,
        rotateMinterToken,
        tokenWait);
  }

  /** The same spec asking to replace the minter's token on the next provision. */
  public ProvisionSpec withRotateMinterToken(boolean value) {
    return new ProvisionSpec(
        connection,
        homeNamespace,
        targetNamespaces,
        createNamespace,
        clusterAdmin,
        deployerRole,
        value,
        tokenWait);
  }

  public ProvisionSpec withTokenWait(Duration value) {
    return new ProvisionSpec(
        connection,
        homeNamespace,
        targetNamespaces,
        createNamespace,
        clusterAdmin,
        deployerRole,
        rotateMinterToken,
        value);
  }

  /** The deployer ServiceAccount's name for one of the target namespaces. */
  public String deployerFor(String targetNamespace) {
    return ProvisionNames.deployer(targetNamespace);
  }
}
