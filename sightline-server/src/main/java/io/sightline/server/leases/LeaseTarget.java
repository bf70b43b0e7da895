package io.sightline.server.leases;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.sightline.server.http.ApiField;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A cluster target (DESIGN.md "Wire shapes"): {@code {"connection","namespace"}} for a {@code
 * kubernetes} connection, or {@code {"azureConnection","resourceGroup","cluster","namespace",
 * "useClusterAdmin"}} for an {@code azurerm} connection and an AKS cluster.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record LeaseTarget(
    @ApiField("a kubernetes connection's name") String connection,
    @ApiField("the namespace the task deploys to") String namespace,
    @ApiField("an azurerm connection's name (instead of connection)") String azureConnection,
    @ApiField("the AKS cluster's resource group (azurerm form)") String resourceGroup,
    @ApiField("the AKS cluster's name (azurerm form)") String cluster,
    @ApiField("azurerm form: the cluster-admin credential (static, off unless allowed)")
        Boolean useClusterAdmin) {

  @JsonIgnore
  public boolean isAzure() {
    return azureConnection != null || resourceGroup != null || cluster != null;
  }

  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    put(m, "connection", connection);
    put(m, "azureConnection", azureConnection);
    put(m, "resourceGroup", resourceGroup);
    put(m, "cluster", cluster);
    put(m, "namespace", namespace);
    put(m, "useClusterAdmin", useClusterAdmin);
    return m;
  }

  private static void put(Map<String, Object> m, String k, Object v) {
    if (v != null) {
      m.put(k, v);
    }
  }
}
