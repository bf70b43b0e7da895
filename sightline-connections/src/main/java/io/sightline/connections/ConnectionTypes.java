package io.sightline.connections;

import io.sightline.connections.agentidentity.AgentIdentityConnection;
import io.sightline.connections.azurerm.AzureRmConnection;
import io.sightline.connections.azuresubscription.AzureSubscriptionConnection;
import io.sightline.connections.kubeconfig.KubeconfigConnection;
import io.sightline.connections.serviceaccount.ServiceAccountConnection;

/** The registry: one line per kind, in an exhaustive {@code switch}. */
public final class ConnectionTypes {
  private ConnectionTypes() {}

  public static ConnectionType of(ConnectionKind kind) {
    return switch (kind) {
      case KUBERNETES_KUBECONFIG -> KubeconfigConnection.TYPE;
      case KUBERNETES_SERVICE_ACCOUNT -> ServiceAccountConnection.TYPE;
      case KUBERNETES_AZURE_SUBSCRIPTION -> AzureSubscriptionConnection.TYPE;
      case KUBERNETES_AGENT_IDENTITY -> AgentIdentityConnection.TYPE;
      case AZURERM_SERVICE_PRINCIPAL -> AzureRmConnection.SERVICE_PRINCIPAL;
      case AZURERM_WORKLOAD_IDENTITY_FEDERATION -> AzureRmConnection.WORKLOAD_IDENTITY_FEDERATION;
      case AZURERM_MANAGED_SERVICE_IDENTITY -> AzureRmConnection.MANAGED_SERVICE_IDENTITY;
    };
  }
}
