package io.sightline.testing.azure;

import java.util.Objects;
import java.util.UUID;

/**
 * A managed identity served by the App Service-style endpoint. The first one registered is the
 * system-assigned identity (answered when no {@code client_id} is given); the others are
 * user-assigned and chosen by {@code client_id}, {@code principal_id} or {@code mi_res_id}.
 */
public record ManagedIdentity(
    String tenantId, String clientId, String objectId, String resourceId) {
  public ManagedIdentity {
    Objects.requireNonNull(tenantId, "tenantId");
    Objects.requireNonNull(clientId, "clientId");
    objectId = objectId != null ? objectId : UUID.randomUUID().toString();
  }

  public static ManagedIdentity of(String tenantId, String clientId) {
    return new ManagedIdentity(tenantId, clientId, null, null);
  }
}
