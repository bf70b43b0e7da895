package io.sightline.testing.kube.internal;

/** What a request does, as kube-apiserver's authorizer.Attributes. */
public record Attributes(
    boolean resourceRequest,
    String verb,
    String group,
    String version,
    String resource,
    String subresource,
    String namespace,
    String name,
    String path) {

  public static Attributes nonResource(String verb, String path) {
    return new Attributes(false, verb, "", "", "", "", "", "", path);
  }

  /** {@code resource} or {@code resource/subresource}. */
  public String resourceWithSub() {
    return subresource.isEmpty() ? resource : resource + "/" + subresource;
  }

  /** The 403 message kube-apiserver writes for this request and user. */
  public String forbiddenMessage(String user) {
    if (!resourceRequest) {
      return "forbidden: User \"" + user + "\" cannot " + verb + " path \"" + path + "\"";
    }
    StringBuilder sb = new StringBuilder();
    sb.append(ApiException.qualified(group, resource));
    if (!name.isEmpty()) {
      sb.append(" \"").append(name).append('"');
    }
    sb.append(" is forbidden: User \"")
        .append(user)
        .append("\" cannot ")
        .append(verb)
        .append(" resource \"")
        .append(resourceWithSub())
        .append("\" in API group \"")
        .append(group)
        .append('"');
    if (namespace.isEmpty()) {
      sb.append(" at the cluster scope");
    } else {
      sb.append(" in the namespace \"").append(namespace).append('"');
    }
    return sb.toString();
  }
}
