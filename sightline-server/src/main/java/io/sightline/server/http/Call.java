package io.sightline.server.http;

import io.javalin.http.Context;
import io.sightline.core.Principal;
import io.sightline.core.SightlineException;

/** One API call as a handler sees it: the caller, the request id, the typed body and parameters. */
public final class Call {
  private final Context ctx;
  private final Principal principal;
  private final ApiRoute route;
  private final JsonBodies json;
  private final java.util.Map<String, String> pathParams;
  private final java.util.Map<String, String> queryParams;
  private final byte[] body;

  Call(Context ctx, Principal principal, ApiRoute route, JsonBodies json) {
    this(ctx, principal, route, json, null, null, null);
  }

  /**
   * An in-process call ({@link ApiCalls}): path and query parameters and the body are given, not
   * read from {@code ctx} (which is the web UI's own request).
   */
  Call(
      Context ctx,
      Principal principal,
      ApiRoute route,
      JsonBodies json,
      java.util.Map<String, String> pathParams,
      java.util.Map<String, String> queryParams,
      byte[] body) {
    this.ctx = ctx;
    this.principal = principal;
    this.route = route;
    this.json = json;
    this.pathParams = pathParams;
    this.queryParams = queryParams;
    this.body = body;
  }

  private byte[] readBody;

  /**
   * The raw request body, size-limited (read once: an agent's MAC covers it, then it is parsed).
   */
  public byte[] bodyBytes() {
    if (body != null) {
      return body;
    }
    if (readBody == null) {
      readBody = JsonBodies.readLimited(ctx);
    }
    return readBody;
  }

  /** The authenticated caller; null only on public routes. */
  public Principal principal() {
    return principal;
  }

  /** The caller's name for audit records ({@code anonymous} on public routes). */
  public String actor() {
    return principal == null ? "anonymous" : principal.name();
  }

  public String requestId() {
    return RequestIds.current(ctx);
  }

  /** The body as the route's declared request type (size-limited, unknown fields refused). */
  public <T> T body(Class<T> type) {
    if (route.requestType() != type) {
      throw new IllegalStateException(route.path() + " declares body " + route.requestType());
    }
    return json.parse(bodyBytes(), type);
  }

  /** As {@link #body}, but null when the request has no body at all. */
  public <T> T optionalBody(Class<T> type) {
    if (route.requestType() != type) {
      throw new IllegalStateException(route.path() + " declares body " + route.requestType());
    }
    byte[] bytes = bodyBytes();
    return new String(bytes, java.nio.charset.StandardCharsets.UTF_8).isBlank()
        ? null
        : json.parse(bytes, type);
  }

  public String pathParam(String name) {
    return pathParams != null ? pathParams.get(name) : ctx.pathParam(name);
  }

  public String query(String name) {
    String v = queryParams != null ? queryParams.get(name) : ctx.queryParam(name);
    return v == null || v.isBlank() ? null : v;
  }

  /** A query parameter that must be an integer within bounds, or null when absent. */
  public Integer queryInt(String name, int min, int max) {
    String v = query(name);
    if (v == null) {
      return null;
    }
    try {
      int n = Integer.parseInt(v.trim());
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // fall through
    }
    throw SightlineException.badRequest(
        "INVALID_PARAMETER", name, name + " must be an integer from " + min + " to " + max);
  }

  public Context context() {
    return ctx;
  }

  /** Sets a response header. */
  public void header(String name, String value) {
    ctx.header(name, value);
  }
}
