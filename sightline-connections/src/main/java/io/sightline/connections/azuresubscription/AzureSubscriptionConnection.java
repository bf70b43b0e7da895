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
 * and keeps only the minter's token. The cluster-admin kubeconfig is fetched from ARM ({@code
 * listClusterAdminCredential}) through a named {@code azurerm} connection ({@code azureConnection}
 * with {@code resourceGroup} and {@code cluster}, or Azure DevOps' {@code clusterId}), or given
 * directly ({@code adminKubeconfig}) for clusters outside Azure; either way it is used during the
 * call and never stored.
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
  public static final String RENEW_SERVICE_ACCOUNT = "renewServiceAccount";
  public static final String AZURE_CONNECTION = "azureConnection";
  public static final String RESOURCE_GROUP = "resourceGroup";
  public static final String CLUSTER = "cluster";

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
              "the subscription of the AKS cluster (informational; the azurerm connection names the"
                  + " subscription ARM is asked about)"),
          FieldSpec.flag(
                  RENEW_SERVICE_ACCOUNT,
                  "Renew service account",
                  "with adminKubeconfig on an update: re-provision and replace the minter's token"
                      + " (the old one stops working)")
              .notStored(),
          FieldSpec.text(
              CLUSTER_ID,
              "Cluster id",
              "the ARM resource id of the AKS cluster (with azureConnection, instead of"
                  + " resourceGroup and cluster)"),
          FieldSpec.text(
              AZURE_CONNECTION,
              "Azure connection",
              "an azurerm connection through which the cluster-admin kubeconfig is fetched from"
                  + " ARM (listClusterAdminCredential), instead of adminKubeconfig"),
          FieldSpec.text(
              RESOURCE_GROUP,
              "Resource group",
              "with azureConnection: the AKS cluster's resource group"),
          FieldSpec.text(CLUSTER, "Cluster", "with azureConnection: the AKS cluster's name"),
          io.sightline.connections.Via.field());

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
    if (spec.string(AZURE_CONNECTION) != null) {
      if (spec.secret(ADMIN_KUBECONFIG) != null) {
        throw SightlineException.badRequest(
            "CONFLICTING_FIELDS",
            ADMIN_KUBECONFIG,
            "give either azureConnection (the kubeconfig comes from ARM) or adminKubeconfig, not"
                + " both");
      }
      aksCluster(spec);
    } else if (spec.string(RESOURCE_GROUP) != null || spec.string(CLUSTER) != null) {
      throw SightlineException.badRequest(
          "MISSING_FIELD",
          AZURE_CONNECTION,
          "resourceGroup and cluster go with azureConnection: name the azurerm connection that"
              + " reaches the cluster's subscription");
    }
    if (spec.secret(ADMIN_KUBECONFIG) != null) {
      access(spec);
    }
  }

  /** An AKS cluster named by resource group and name. */
  public record AksClusterRef(String subscriptionId, String resourceGroup, String cluster) {}

  /**
   * The AKS cluster {@code azureConnection} reaches: {@code resourceGroup} and {@code cluster}, or
   * the ARM id in {@code clusterId} (subscription, resource group and name).
   */
  public static AksClusterRef aksCluster(ConnectionSpec spec) {
    String rg = spec.string(RESOURCE_GROUP);
    String name = spec.string(CLUSTER);
    if (rg != null || name != null) {
      if (rg == null || name == null) {
        throw SightlineException.badRequest(
            "MISSING_FIELD",
            rg == null ? RESOURCE_GROUP : CLUSTER,
            "azureConnection needs both resourceGroup and cluster (the AKS cluster), or clusterId");
      }
      return new AksClusterRef(spec.string(AZURE_SUBSCRIPTION_ID), rg, name);
    }
    String id = spec.string(CLUSTER_ID);
    if (id == null) {
      throw SightlineException.badRequest(
          "MISSING_FIELD",
          RESOURCE_GROUP,
          "azureConnection needs the AKS cluster: resourceGroup and cluster, or clusterId (its ARM"
              + " resource id)");
    }
    String[] p = id.split("/");
    String sub = null;
    String group = null;
    String cluster = null;
    for (int i = 0; i + 1 < p.length; i++) {
      if (p[i].equalsIgnoreCase("subscriptions")) {
        sub = p[i + 1];
      } else if (p[i].equalsIgnoreCase("resourceGroups")) {
        group = p[i + 1];
      } else if (p[i].equalsIgnoreCase("managedClusters")) {
        cluster = p[i + 1];
      }
    }
    if (group == null || cluster == null || group.isBlank() || cluster.isBlank()) {
      throw SightlineException.badRequest(
          "INVALID_FIELD",
          CLUSTER_ID,
          "clusterId is not an AKS resource id: /subscriptions/SUB/resourceGroups/RG/providers/"
              + "Microsoft.ContainerService/managedClusters/NAME");
    }
    return new AksClusterRef(sub, group, cluster);
  }

  /** The cluster-admin access from {@code adminKubeconfig} (probe before provisioning). */
  @Override
  public ClusterAccess access(ConnectionSpec spec) {
    if (spec.secret(ADMIN_KUBECONFIG) == null) {
      throw SightlineException.badRequest(
          "MISSING_FIELD",
          ADMIN_KUBECONFIG,
          "adminKubeconfig or azureConnection is required to provision or probe an"
              + " AzureSubscription connection: name an azurerm connection (with resourceGroup and"
              + " cluster), or give"
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
        spec.bool(RENEW_SERVICE_ACCOUNT),
        null);
  }
}
