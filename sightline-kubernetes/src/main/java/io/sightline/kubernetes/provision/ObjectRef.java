package io.sightline.kubernetes.provision;

import io.fabric8.kubernetes.api.model.HasMetadata;

/**
 * One Kubernetes object by kind, namespace (null for cluster-scoped objects) and name. Its {@link
 * #toString()} reads as {@code kubectl} would name it: {@code
 * rolebinding/web/sightline-prod-deployer}.
 */
public record ObjectRef(String kind, String namespace, String name) {

  public static ObjectRef of(HasMetadata object) {
    return new ObjectRef(
        object.getKind(), object.getMetadata().getNamespace(), object.getMetadata().getName());
  }

  @Override
  public String toString() {
    return kind.toLowerCase(java.util.Locale.ROOT)
        + "/"
        + (namespace == null ? "" : namespace + "/")
        + name;
  }
}
