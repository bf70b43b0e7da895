package io.sightline.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.sightline.core.Principal;
import io.sightline.core.Role;
import io.sightline.core.SightlineException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Calls {@code /api/v1} routes in-process for the web UI, as the signed-in principal: the same
 * route table, the same role check, the same handler, validation and audit records as over HTTP —
 * the UI has no second, weaker path to anything. Answers are JSON trees (what a client would read).
 */
public final class ApiCalls {
  private final Map<String, ApiRoute> routes = new HashMap<>();
  private final JsonBodies json;

  public ApiCalls(List<ApiRoute> routes, JsonBodies json) {
    for (ApiRoute r : routes) {
      this.routes.put(r.method().name() + " " + r.path(), r);
    }
    this.json = json;
  }

  /** Whether the route table has {@code method path} (a route of a feature not built is absent). */
  public boolean has(HandlerType method, String path) {
    return routes.containsKey(method.name() + " " + path);
  }

  /** The role {@code method path} needs (null: public). */
  public Role role(HandlerType method, String path) {
    return route(method, path).role();
  }

  /**
   * Calls {@code method path} (a path template of the route table, e.g. {@code
   * /api/v1/connections/{name}}) as {@code principal}.
   *
   * @param body the request body (a record, map or tree; serialised and parsed again as the route
   *     parses a request), or null
   * @return the answer as a JSON tree; {@link NullNode} for no body
   * @throws SightlineException what the route throws (problem detail), or 403 ROLE_REQUIRED
   */
  public JsonNode call(
      Context ctx,
      Principal principal,
      HandlerType method,
      String path,
      Map<String, String> pathParams,
      Map<String, String> query,
      Object body)
      throws Exception {
    ApiRoute route = route(method, path);
    if (route.role() != null) {
      HttpApp.requireRole(principal, route.role());
    }
    byte[] bytes = body == null ? new byte[0] : json.objectMapper().writeValueAsBytes(body);
    if (bytes.length > JsonBodies.MAX_BODY_BYTES) {
      throw SightlineException.badRequest(
          "BODY_TOO_LARGE", null, "the request is larger than 1024 KiB: send less");
    }
    Call call =
        new Call(
            ctx,
            principal,
            route,
            json,
            pathParams == null ? Map.of() : pathParams,
            query == null ? Map.of() : query,
            bytes);
    Object result = route.handler().handle(call);
    return result == null ? NullNode.getInstance() : json.objectMapper().valueToTree(result);
  }

  private ApiRoute route(HandlerType method, String path) {
    ApiRoute r = routes.get(method.name() + " " + path);
    if (r == null) {
      throw new IllegalArgumentException("no route " + method + " " + path);
    }
    return r;
  }
}
