package io.sightline.server.http;

import io.javalin.http.HandlerType;
import io.sightline.core.Role;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One {@code /api/v1} route, declared once: method, path, the role a caller needs, a summary, the
 * request and response types, and the handler. The same declaration registers the route with
 * Javalin and describes it in {@code /openapi.json}. Adding a route:
 *
 * <pre>{@code
 * ApiRoute.get("/api/v1/things", Role.READER, "List things").returns(ThingList.class).handle(c -> ...)
 * }</pre>
 *
 * @param role null for a route that needs no API token (anyone, or see {@code auth})
 * @param auth how the caller is authenticated: an API token holding {@code role}, nothing, or (for
 *     agents) an agent's registration token or a proof signed by its key, checked by the handler
 */
public record ApiRoute(
    HandlerType method,
    String path,
    Role role,
    String summary,
    Class<?> requestType,
    Class<?> responseType,
    int status,
    List<QueryParam> queryParams,
    RouteHandler handler,
    Auth auth) {

  /** How a route's caller is authenticated (the authorization matrix reads it). */
  public enum Auth {
    /** An API token (or lease handle or ID token) whose principal holds {@link #role()}. */
    API_TOKEN,
    /** Nobody: anyone may call it. */
    NONE,
    /** A one-time agent registration token ({@code slr_…}), checked by the handler. */
    AGENT_REGISTRATION_TOKEN,
    /**
     * A short-lived proof signed by a registered agent's key (JWS), or a MAC under the session key
     * the server gave it; checked by the handler.
     */
    AGENT_PROOF
  }

  /** A documented query parameter. */
  public record QueryParam(String name, String type, String description) {}

  public ApiRoute {
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(summary, "summary");
    Objects.requireNonNull(handler, "handler");
    queryParams = List.copyOf(queryParams);
    if (auth == null) {
      auth = role == null ? Auth.NONE : Auth.API_TOKEN;
    }
    if ((auth == Auth.API_TOKEN) != (role != null)) {
      throw new IllegalArgumentException(path + ": a role goes with API-token authentication only");
    }
  }

  public static Builder get(String path, Role role, String summary) {
    return new Builder(HandlerType.GET, path, role, summary, 200);
  }

  public static Builder post(String path, Role role, String summary) {
    return new Builder(HandlerType.POST, path, role, summary, 200);
  }

  public static Builder put(String path, Role role, String summary) {
    return new Builder(HandlerType.PUT, path, role, summary, 200);
  }

  public static Builder patch(String path, Role role, String summary) {
    return new Builder(HandlerType.PATCH, path, role, summary, 200);
  }

  public static Builder delete(String path, Role role, String summary) {
    return new Builder(HandlerType.DELETE, path, role, summary, 204);
  }

  /** Path parameters named in {@code {braces}}. */
  public List<String> pathParams() {
    List<String> out = new ArrayList<>();
    int i = 0;
    while ((i = path.indexOf('{', i)) >= 0) {
      int end = path.indexOf('}', i);
      out.add(path.substring(i + 1, end));
      i = end;
    }
    return out;
  }

  /** Collects a route's declaration; {@link #handle} ends it. */
  public static final class Builder {
    private final HandlerType method;
    private final String path;
    private final Role role;
    private final String summary;
    private int status;
    private Class<?> requestType;
    private Class<?> responseType;
    private final List<QueryParam> query = new ArrayList<>();
    private Auth auth;

    private Builder(HandlerType method, String path, Role role, String summary, int status) {
      this.method = method;
      this.path = path;
      this.role = role;
      this.summary = summary;
      this.status = status;
    }

    /** The JSON body type (a record); unknown fields are refused. */
    public Builder body(Class<?> type) {
      this.requestType = type;
      return this;
    }

    public Builder returns(Class<?> type) {
      this.responseType = type;
      return this;
    }

    public Builder returns(int status, Class<?> type) {
      this.status = status;
      this.responseType = type;
      return this;
    }

    public Builder query(String name, String type, String description) {
      query.add(new QueryParam(name, type, description));
      return this;
    }

    /** A route (role null) whose handler authenticates agents itself. */
    public Builder authenticatedBy(Auth how) {
      this.auth = how;
      return this;
    }

    public ApiRoute handle(RouteHandler handler) {
      return new ApiRoute(
          method, path, role, summary, requestType, responseType, status, query, handler, auth);
    }
  }
}
