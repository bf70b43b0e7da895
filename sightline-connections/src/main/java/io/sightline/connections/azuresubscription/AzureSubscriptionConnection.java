package io.sightline.connections.azuresubscription;

import io.sightline.connections.ConnectionKind;
import io.sightline.connections.ConnectionSpec;
import io.sightline.connections.ConnectionType;
import io.sightline.connections.FieldSpec;
import io.sightline.connections.FieldType;
import io.sightline.core.SightlineException;
import io.sightline.kubernetes.ClusterAccess;
import io.sightline.kubernetes.KubeconfigParser;
import io.sightline.kubernetes.provision.DeployerRole;
import io.sightline.kubernetes.provision.ProvisionNames;
import io.sightline.kubernetes.provision.ProvisionSpec;
import java.util.List;

/**
 * {@code kind: kubernetes}, {@code authorizationType: AzureSubscription}: Sightline provisions its
 * home namespace, a minter and one deployer per target namespace with a cluster-admin kubeconfig,
 * and keeps only the minter's token. In this version the cluster-admin kubeconfig is given directly
 * ({@code adminKubeconfig}, used during the call and never stored); fetching it from ARM through an
 * {@code azurerm} connection comes with that kind.
 */
public final class AzureSubscriptionConnection implements ConnectionType {
  public static final AzureSubscriptionConnection TYPE = new AzureSubscriptionConnection();

  public static final String ADMIN_KUBECONFIG = "adminKubeconfig";
  public static final String CLUSTER_CONTEXT = "clusterContext";
  public static final String NAMESPACES = "namespaces";
  public static final String CREATE_NAMESPACE = "createNamespace";
  public static final String CLUSTER_ADMIN = "clusterAdmin";
  public static final String DEPLOYER_ROLE = "deployerRole";
  public static final String HOME_NAMESPACE = "homeNamespace";
  public static final String ACCEPT_UNTRUSTED_CERTS = "acceptUntrustedCerts";
  public static final String AZURE_SUBSCRIPTION_ID = "azureSubscriptionId";
  public static final String CLUSTER_ID = "clusterId";

  private static final List<FieldSpec> FIELDS =
      List.of(
          FieldSpec.text(
                  ADMIN_KUBECONFIG,
                  "Cluster-admin kubeconfig",
                  "a cluster-admin kubeconfig used once to provision the home namespace, minter and"
                      + " deployers; never stored")
              .ofType(FieldType.TEXT)
              .asSecret()
              .notStored(),
          FieldSpec.text(
              CLUSTER_CONTEXT,
              "Cluster context",
              "the context of adminKubeconfig to use; default: its current-context"),
          FieldSpec.text(
                  NAMESPACES,
                  "Namespaces",
                  "the target namespaces tasks deploy to; each gets its own deployer")
              .ofType(FieldType.STRING_LIST)
              .withAliases("namespace"),
          FieldSpec.flag(
              CREATE_NAMESPACE, "Create namespaces", "create target namespaces that do not exist"),
          FieldSpec.flag(
              CLUSTER_ADMIN,
              "Cluster admin",
              "bind the deployers to cluster-admin cluster-wide: every task is all-powerful"),
          FieldSpec.text(
                  DEPLOYER_ROLE,
                  "Deployer role",
                  "the ClusterRole deployers get in their namespace: sightline-deploy, edit, admin or"
                      + " a ClusterRole name")
              .withDefault(ProvisionNames.DEPLOY_CLUSTER_ROLE),
          FieldSpec.text(
              HOME_NAMESPACE,
              "Home namespace",
              "where Sightline's own objects live; default sightline-<name>"),
          FieldSpec.flag(
              ACCEPT_UNTRUSTED_CERTS,
              "Accept untrusted certificates",
              "trust any server certificate (insecure)"),
          FieldSpec.text(
              AZURE_SUBSCRIPTION_ID,
              "Azure subscription id",
              "the subscription of the AKS cluster (informational until the azurerm kind exists)"),
          FieldSpec.text(
              CLUSTER_ID,
              "Cluster id",
              "the ARM resource id of the AKS cluster (informational until the azurerm kind"
                  + " exists)"));

  private AzureSubscriptionConnection() {}

  @Override
  public ConnectionKind kind() {
    return ConnectionKind.KUBERNETES_AZURE_SUBSCRIPTION;
  }

  @Override
  public List<FieldSpec> fields() {
    return FIELDS;
  }

  @Override
  public boolean provisionsOnCreate() {
    return true;
  }

  @Override
  public void validate(ConnectionSpec spec) {
    DeployerRole.parse(spec.string(DEPLOYER_ROLE));
    String home = spec.string(HOME_NAMESPACE);
    if (home != null && !ProvisionNames.isDnsLabel(home)) {
      throw SightlineException.badRequest(
          "INVALID_NAMESPACE",
          HOME_NAMESPACE,
          "homeNamespace '"
              + home
              + "' is not a namespace name: lowercase letters, digits and '-'");
    }
    if (!spec.list(NAMESPACES).isEmpty()) {
      provisionSpec(spec);
    }
    if (spec.secret(ADMIN_KUBECONFIG) != null) {
      access(spec);
    }
  }

  /** The cluster-admin access from {@code adminKubeconfig} (probe before provisioning). */
  @Override
  public ClusterAccess access(ConnectionSpec spec) {
    if (spec.secret(ADMIN_KUBECONFIG) == null) {
      throw SightlineException.badRequest(
          "MISSING_FIELD",
          ADMIN_KUBECONFIG,
          "adminKubeconfig is required to provision or probe an AzureSubscription connection: give"
              + " a cluster-admin kubeconfig (it is used once and never stored), or save with"
              + " ?verify=false and provision later");
    }
    ClusterAccess a =
        io.sightline.connections.internal.Errors.withField(
            KubeconfigParser.FIELD,
            ADMIN_KUBECONFIG,
            () ->
                KubeconfigParser.parse(
                    spec.secret(ADMIN_KUBECONFIG).reveal(), spec.string(CLUSTER_CONTEXT)));
    return spec.bool(ACCEPT_UNTRUSTED_CERTS) ? a.withAcceptUntrustedCerts(true) : a;
  }

  /**
   * Parses a cluster-admin kubeconfig given as {@code adminKubeconfig} (errors name that field).
   */
  public static ClusterAccess parseAdminKubeconfig(String text, String context) {
    return io.sightline.connections.internal.Errors.withField(
        KubeconfigParser.FIELD, ADMIN_KUBECONFIG, () -> KubeconfigParser.parse(text, context));
  }

  @Override
  public List<String> targetNamespaces(ConnectionSpec spec) {
    return spec.list(NAMESPACES);
  }

  /** What to provision for {@code spec}. */
  public ProvisionSpec provisionSpec(ConnectionSpec spec) {
    List<String> namespaces = spec.list(NAMESPACES);
    if (namespaces.isEmpty()) {
      throw SightlineException.badRequest(
          "NAMESPACE_REQUIRED",
          NAMESPACES,
          "namespaces is required to provision: name at least one target namespace (each gets"
              + " its own deployer)");
    }
    return new ProvisionSpec(
        spec.name(),
        spec.string(HOME_NAMESPACE),
        namespaces,
        spec.bool(CREATE_NAMESPACE),
        spec.bool(CLUSTER_ADMIN),
        DeployerRole.parse(spec.string(DEPLOYER_ROLE)),
        false,
        null);
  }
}
