package io.sightline.azure;

import java.util.ArrayList;
import java.util.List;

/**
 * The facts about an AKS cluster that decide which way of reaching it will work, and a
 * recommendation in plain words.
 *
 * @param apiServerHost the name tasks connect to (the private FQDN for a private cluster)
 */
public record AksFacts(
    String name,
    String resourceGroup,
    String kubernetesVersion,
    String apiServerHost,
    boolean privateCluster,
    boolean entraId,
    boolean azureRbac,
    boolean localAccountsDisabled,
    boolean kubernetesRbac,
    String recommendation) {

  public static AksFacts of(ManagedCluster c) {
    boolean entra = c.aadManaged();
    String host = c.privateCluster() && c.privateFqdn() != null ? c.privateFqdn() : c.fqdn();
    List<String> says = new ArrayList<>();
    if (entra) {
      says.add(
          "Use an azurerm target: each task gets its own Entra token at run time, and nothing"
              + " touches the cluster at configuration time"
              + (c.localAccountsDisabled()
                  ? " (the only way, since local accounts are disabled)"
                  : "")
              + ".");
    } else {
      says.add(
          "The cluster has no Entra ID integration: ARM hands out only long-lived client"
              + " certificates (a static credential), so prefer an AzureSubscription connection,"
              + " which provisions short-lived service-account tokens.");
    }
    if (c.localAccountsDisabled()) {
      says.add(
          "An AzureSubscription connection cannot provision it: ARM refuses the cluster-admin"
              + " credential while local accounts are disabled.");
    } else if (entra) {
      says.add(
          "An AzureSubscription connection would also work (it fetches the cluster-admin"
              + " credential through ARM because local accounts are enabled).");
    }
    if (c.privateCluster()) {
      says.add(
          "The API server is private ("
              + (host == null ? "no public name" : host)
              + "): tasks must run on an agent with line of sight to it, and the server cannot"
              + " probe or provision it from outside that network.");
    }
    if (entra && c.azureRbac()) {
      says.add(
          "Authorization is Azure RBAC: give the identity an 'Azure Kubernetes Service RBAC'"
              + " role on the cluster or namespace.");
    } else if (entra) {
      says.add(
          "Authorization is Kubernetes RBAC: bind the identity's object id or one of its groups"
              + " in the cluster.");
    }
    if (c.kubernetesVersion() != null && olderThan(c.kubernetesVersion(), 1, 24)) {
      says.add(
          "Kubernetes "
              + c.kubernetesVersion()
              + " is out of support: short-lived TokenRequest credentials need 1.24 or later.");
    }
    return new AksFacts(
        c.name(),
        c.resourceGroup(),
        c.kubernetesVersion(),
        host,
        c.privateCluster(),
        entra,
        c.azureRbac(),
        c.localAccountsDisabled(),
        c.rbacEnabled(),
        String.join(" ", says));
  }

  private static boolean olderThan(String version, int major, int minor) {
    String[] p = version.split("\\.");
    try {
      int ma = Integer.parseInt(p[0]);
      int mi = p.length > 1 ? Integer.parseInt(p[1]) : 0;
      return ma < major || (ma == major && mi < minor);
    } catch (NumberFormatException e) {
      return false;
    }
  }
}
