package io.sightline.testing.azure;

import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * A user of the emulated tenant. The password is a test value and is compared as given; it is never
 * echoed in answers or logs.
 */
public record EntraUser(
    String tenantId, String upn, String password, String objectId, List<String> groups) {
  public EntraUser {
    Objects.requireNonNull(tenantId, "tenantId");
    Objects.requireNonNull(upn, "upn");
    Objects.requireNonNull(password, "password");
    objectId = objectId != null ? objectId : UUID.randomUUID().toString();
    groups = List.copyOf(groups == null ? List.of() : groups);
  }

  public static EntraUser of(String tenantId, String upn, String password, String... groups) {
    return new EntraUser(tenantId, upn, password, null, List.of(groups));
  }

  @Override
  public String toString() {
    return "EntraUser[" + upn + ", oid=" + objectId + "]";
  }
}
