package io.sightline.kubernetes.provision;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesList;
import io.fabric8.kubernetes.api.model.KubernetesListBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The exact objects provisioning creates for a spec, in creation order (for {@code connection
 * manifests}, documentation, and review by a cluster admin who prefers to apply them by hand). The
 * minter token Secret is included as on Kubernetes ≥ 1.24; it holds no value until the token
 * controller fills it.
 */
public record ProvisionPlan(List<HasMetadata> objects) {
  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  public ProvisionPlan {
    objects = List.copyOf(objects);
  }

  public List<ObjectRef> refs() {
    return objects.stream().map(ObjectRef::of).toList();
  }

  /** A multi-document YAML stream, as {@code kubectl apply -f} takes it. */
  public String toYaml() {
    return objects.stream()
        .map(o -> stripDocumentStart(SERIALIZATION.asYaml(o)))
        .collect(Collectors.joining("---\n", "---\n", ""));
  }

  /** A {@code v1/List} in JSON. */
  public String toJson() {
    KubernetesList list = new KubernetesListBuilder().withItems(objects).build();
    return SERIALIZATION.asJson(list);
  }

  private static String stripDocumentStart(String yaml) {
    return yaml.startsWith("---\n") ? yaml.substring(4) : yaml;
  }
}
