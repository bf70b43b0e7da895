package io.sightline.server.ui;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.sightline.server.http.ApiCalls;
import java.util.LinkedHashMap;
import java.util.Map;

/** One signed-in page request: the session, API calls as its principal, and page output. */
final class UiRequest {
  final Context ctx;
  final UiSessions.Session session;
  private final ApiCalls api;
  private final Layout layout;

  UiRequest(Context ctx, UiSessions.Session session, ApiCalls api, Layout layout) {
    this.ctx = ctx;
    this.session = session;
    this.api = api;
    this.layout = layout;
  }

  /** Calls an API route (a path template of the route table) as the signed-in principal. */
  JsonNode call(HandlerType method, String path, Map<String, String> params, Object body)
      throws Exception {
    return call(method, path, params, Map.of(), body);
  }

  JsonNode call(
      HandlerType method,
      String path,
      Map<String, String> params,
      Map<String, String> query,
      Object body)
      throws Exception {
    return api.call(ctx, session.principal(), method, path, params, query, body);
  }

  JsonNode get(String path, Map<String, String> params, Map<String, String> query)
      throws Exception {
    return call(HandlerType.GET, path, params, query, null);
  }

  boolean has(HandlerType method, String path) {
    return api.has(method, path);
  }

  /** A form posting to {@code action} with this session's CSRF token. */
  Html form(String action, String... attrs) {
    String[] all = new String[attrs.length + 4];
    all[0] = "method";
    all[1] = "post";
    all[2] = "action";
    all[3] = action;
    System.arraycopy(attrs, 0, all, 4, attrs.length);
    return new Html()
        .open("form", all)
        .empty("input", "type", "hidden", "name", UiSessions.CSRF_FIELD, "value", session.csrf());
  }

  /** A one-button form (revoke, verify, approve). */
  Html button(String action, String label, String... buttonAttrs) {
    String[] all = new String[buttonAttrs.length + 2];
    all[0] = "type";
    all[1] = "submit";
    System.arraycopy(buttonAttrs, 0, all, 2, buttonAttrs.length);
    return form(action, "data-busy", "data-busy").el("button", label, all).close("form");
  }

  void render(String title, Html main) {
    render(200, title, main);
  }

  void render(int status, String title, Html main) {
    layout.page(ctx, status, title, session, main);
  }

  /** 303 to {@code location} (a path of this server). */
  void redirect(String location) {
    ctx.status(303);
    ctx.header("Location", location);
  }

  String param(String name) {
    String v = ctx.queryParam(name);
    return v == null || v.isBlank() ? null : v.strip();
  }

  String form(String name) {
    String v = ctx.formParam(name);
    return v == null || v.isBlank() ? null : v.strip();
  }

  static Map<String, String> map(String... kv) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      if (kv[i + 1] != null) {
        m.put(kv[i], kv[i + 1]);
      }
    }
    return m;
  }
}
