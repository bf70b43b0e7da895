package io.sightline.testing.kube.internal;

import java.util.List;

/**
 * One served resource: where it lives in the API and how discovery describes it. {@code stored}
 * resources are kept in the store; the others (reviews, token requests) are computed per request.
 */
public record ResourceType(
    String group,
    String version,
    String kind,
    String plural,
    String singular,
    boolean namespaced,
    List<String> shortNames,
    List<String> verbs,
    boolean stored) {

  static final List<String> CRUD =
      List.of("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch");
  static final List<String> CREATE_ONLY = List.of("create");

  public String apiVersion() {
    return group.isEmpty() ? version : group + "/" + version;
  }

  /** Key of this resource in the store, independent of the version it is served under. */
  public String storeKey() {
    return group + "/" + plural;
  }
}
