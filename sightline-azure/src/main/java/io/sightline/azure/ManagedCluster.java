package io.sightline.azure;

/**
 * An AKS cluster as ARM describes it: the facts that decide which way to reach it will work.
 *
 * @param fqdn the public API server name, null for a private cluster without one
 * @param privateFqdn the private API server name, null unless private
 * @param aadManaged Entra ID integration ({@code aadProfile.managed})
 * @param azureRbac Azure RBAC for Kubernetes authorization ({@code aadProfile.enableAzureRBAC})
 * @param localAccountsDisabled {@code disableLocalAccounts}: no static admin credential
 * @param rbacEnabled Kubernetes RBAC ({@code enableRBAC})
 */
public record ManagedCluster(
    String id,
    String name,
    String resourceGroup,
    String location,
    String kubernetesVersion,
    String fqdn,
    String privateFqdn,
    boolean privateCluster,
    boolean aadManaged,
    boolean azureRbac,
    boolean localAccountsDisabled,
    boolean rbacEnabled) {}
