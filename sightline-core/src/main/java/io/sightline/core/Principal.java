package io.sightline.core;

import java.util.List;
import java.util.Objects;

/**
 * Who is calling: a name, the groups it belongs to, and its role (the highest of the roles granted
 * to it or its groups).
 */
public record Principal(String name, List<String> groups, Role role) {
  public Principal {
    Objects.requireNonNull(name, "name");
    groups = groups == null ? List.of() : List.copyOf(groups);
    Objects.requireNonNull(role, "role");
  }

  public boolean has(Role required) {
    return role.includes(required);
  }
}
