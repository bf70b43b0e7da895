package io.sightline.testing.kube.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** An error answered as kube-apiserver would: an HTTP status and a {@code Status} body. */
public final class ApiException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int code;
  private final transient ObjectNode body;

  public ApiException(int code, ObjectNode body) {
    super(body.path("message").asText(), null, false, false);
    this.code = code;
    this.body = body;
  }

  public int code() {
    return code;
  }

  public ObjectNode body() {
    return body;
  }

  /** {@code group resource} as kube-apiserver names it in messages: {@code deployments.apps}. */
  public static String qualified(String group, String resource) {
    return group == null || group.isEmpty() ? resource : resource + "." + group;
  }

  public static ApiException notFound(String group, String resource, String name) {
    return new ApiException(
        404,
        Json.status(
            404,
            "NotFound",
            qualified(group, resource) + " \"" + name + "\" not found",
            Json.details(name, group, resource)));
  }

  public static ApiException pathNotFound() {
    return new ApiException(
        404,
        Json.status(
            404, "NotFound", "the server could not find the requested resource", Json.object()));
  }

  public static ApiException alreadyExists(String group, String resource, String name) {
    return new ApiException(
        409,
        Json.status(
            409,
            "AlreadyExists",
            qualified(group, resource) + " \"" + name + "\" already exists",
            Json.details(name, group, resource)));
  }

  public static ApiException conflict(String group, String resource, String name, String why) {
    return new ApiException(
        409,
        Json.status(
            409,
            "Conflict",
            "Operation cannot be fulfilled on "
                + qualified(group, resource)
                + " \""
                + name
                + "\": "
                + why,
            Json.details(name, group, resource)));
  }

  public static ApiException badRequest(String message) {
    return new ApiException(400, Json.status(400, "BadRequest", message, null));
  }

  /** 422 with one field cause, message {@code Kind.group "name" is invalid: field: detail}. */
  public static ApiException invalid(
      String group, String kind, String name, String field, String detail) {
    ObjectNode d = Json.details(name, group, kind);
    ObjectNode cause = d.putArray("causes").addObject();
    cause.put("reason", detail.startsWith("Required") ? "FieldValueRequired" : "FieldValueInvalid");
    cause.put("message", detail);
    cause.put("field", field);
    String qualifiedKind = group == null || group.isEmpty() ? kind : kind + "." + group;
    return new ApiException(
        422,
        Json.status(
            422,
            "Invalid",
            qualifiedKind + " \"" + name + "\" is invalid: " + field + ": " + detail,
            d));
  }

  public static ApiException methodNotAllowed() {
    return new ApiException(
        405,
        Json.status(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
            Json.object()));
  }

  public static ApiException unauthorized() {
    return new ApiException(401, Json.status(401, "Unauthorized", "Unauthorized", null));
  }
}
