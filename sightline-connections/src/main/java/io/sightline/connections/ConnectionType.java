package io.sightline.connections;

import io.sightline.core.SightlineException;
import io.sightline.kubernetes.ClusterAccess;
import java.util.List;

/**
 * What one connection kind does. One implementation per kind, in the kind's own package, returned
 * by {@link ConnectionTypes#of}.
 */
public interface ConnectionType {
  ConnectionKind kind();

  /**
   * The kind's fields, beyond {@code name}, {@code kind}, {@code authorizationType}, {@code
   * description}.
   */
  List<FieldSpec> fields();

  /**
   * Checks what only this kind knows (which fields go together, that the kubeconfig parses) and
   * refuses with a 400 naming the field and the fix. Reads nothing from disk, dials nothing.
   */
  void validate(ConnectionSpec spec);

  /**
   * How to reach the cluster with the credential the spec itself holds (for a probe before anything
   * is provisioned).
   */
  ClusterAccess access(ConnectionSpec spec);

  /** The namespaces tasks deploy to, as far as the spec says (for Pod Security warnings). */
  default List<String> targetNamespaces(ConnectionSpec spec) {
    return List.of();
  }

  /** Whether creating this kind provisions objects in the cluster. */
  default boolean provisionsOnCreate() {
    return false;
  }

  /** The declared field named {@code name} (or one of its aliases). */
  default FieldSpec field(String name) {
    for (FieldSpec f : fields()) {
      if (f.name().equals(name) || f.aliases().contains(name)) {
        return f;
      }
    }
    throw new SightlineException(
        "UNKNOWN_FIELD", 400, name, "unknown field \"" + name + "\" for " + kind());
  }
}
