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

  Call(Context ctx, Principal principal, ApiRoute route, JsonBodies json) {
    this.ctx = ctx;
    this.principal = principal;
    this.route = route;
    this.json = json;
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
    return json.read(ctx, type);
  }

  /** As {@link #body}, but null when the request has no body at all. */
  public <T> T optionalBody(Class<T> type) {
    if (route.requestType() != type) {
      throw new IllegalStateException(route.path() + " declares body " + route.requestType());
    }
    byte[] bytes = JsonBodies.readLimited(ctx);
    return new String(bytes, java.nio.charset.StandardCharsets.UTF_8).isBlank()
        ? null
        : json.parse(bytes, type);
  }

  public String pathParam(String name) {
    return ctx.pathParam(name);
  }

  public String query(String name) {
    String v = ctx.queryParam(name);
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
