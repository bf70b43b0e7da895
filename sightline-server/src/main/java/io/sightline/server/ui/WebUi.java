package io.sightline.server.ui;

import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.sightline.core.SightlineException;
import io.sightline.server.http.ApiCalls;
import io.sightline.server.http.HttpApp;
import io.sightline.server.http.RequestIds;
import io.sightline.store.Store;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The web UI at {@code /} and {@code /ui/…}: server-rendered pages that work before any script
 * runs. Every action calls the {@code /api/v1} route that does it, in-process ({@link ApiCalls}),
 * as the signed-in principal: the route's role check, validation and audit apply unchanged. The UI
 * routes themselves need only a session; {@link #pages()} says which API routes each one calls.
 */
public final class WebUi implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WebUi.class);

  /**
   * One UI route and the API routes it calls (whose roles decide what it may do).
   *
   * @param session whether it needs a signed-in session (POSTs then also its CSRF token)
   */
  public record UiRoute(
      String method, String path, String summary, boolean session, List<String> calls) {}

  /** Handles one signed-in page request. */
  @FunctionalInterface
  interface PageHandler {
    void handle(UiRequest r) throws Exception;
  }

  private final UiSessions sessions;
  private final ApiCalls api;
  private final Layout layout = new Layout();
  private final List<UiRoute> pages = new ArrayList<>();
  private final ExecutorService probes =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "sightline-ui-probe");
            t.setDaemon(true);
            return t;
          });

  /**
   * @param secure whether session cookies get {@code Secure} (TLS, or an https public URL)
   */
  public WebUi(Store store, Clock clock, boolean secure, ApiCalls api) {
    this.sessions = new UiSessions(store, clock, secure);
    this.api = api;
  }

  /** Every UI route and the API routes it calls, for the authorization matrix. */
  public List<UiRoute> pages() {
    return List.copyOf(pages);
  }

  /** Registers the pages on a Javalin config (after the API routes). */
  public void install(JavalinConfig cfg) {
    layout.nav("Connections", "/ui/connections");
    boolean environments = api.has(HandlerType.GET, "/api/v1/environments");
    if (environments) {
      layout.nav("Environments", "/ui/environments");
    }
    layout.nav("Leases", "/ui/leases");
    layout.nav("Audit", "/ui/audit");
    boolean agents = api.has(HandlerType.GET, AgentPages.AGENTS);
    if (agents) {
      layout.nav("Agents", "/ui/agents");
    }

    cfg.routes.get("/", this::home);
    cfg.routes.get("/ui", this::home);
    cfg.routes.get("/ui/static/{file}", WebUi::asset);
    cfg.routes.get("/ui/sign-in", this::signInPage);
    cfg.routes.post("/ui/sign-in", this::signIn);
    cfg.routes.post("/ui/sign-out", this::signOut);
    pages.add(
        new UiRoute(
            "GET", "/", "Sign-in form, or the connections when signed in", false, List.of()));
    pages.add(new UiRoute("GET", "/ui", "As GET /", false, List.of()));
    pages.add(new UiRoute("GET", "/ui/sign-in", "Sign-in form (API token)", false, List.of()));
    pages.add(
        new UiRoute(
            "POST", "/ui/sign-in", "Exchange an API token for a session", false, List.of()));
    pages.add(new UiRoute("POST", "/ui/sign-out", "End the session", false, List.of()));
    pages.add(new UiRoute("GET", "/ui/static/{file}", "The UI's CSS and script", false, List.of()));

    new ConnectionPages(this, probes).install(cfg);
    if (environments) {
      new EnvironmentPages(this).install(cfg);
    }
    new ActivityPages(this).install(cfg);
    if (agents) {
      new AgentPages(this).install(cfg);
    }
  }

  /** Registers a signed-in page: session required; POSTs need the session's CSRF token. */
  void page(
      JavalinConfig cfg,
      HandlerType method,
      String path,
      String summary,
      List<String> calls,
      PageHandler handler) {
    pages.add(new UiRoute(method.name(), path, summary, true, calls));
    cfg.routes.addHttpHandler(method, path, ctx -> run(ctx, method, handler));
  }

  private void run(Context ctx, HandlerType method, PageHandler handler) {
    Layout.securityHeaders(ctx);
    Optional<UiSessions.Session> s = sessions.current(ctx);
    if (s.isEmpty()) {
      if (method == HandlerType.GET) {
        String next = ctx.path() + (ctx.queryString() == null ? "" : "?" + ctx.queryString());
        ctx.status(303);
        ctx.header("Location", "/ui/sign-in?next=" + Html.q(next));
      } else {
        signedOutPage(
            ctx,
            401,
            "Signed out",
            new Html()
                .open("div", "class", "problem", "role", "alert")
                .el("p", "Your session has ended (signed out, expired, or its API token revoked).")
                .close("div")
                .a("/ui/sign-in", "Sign in again"));
      }
      return;
    }
    UiSessions.Session session = s.get();
    HttpApp.attach(ctx, session.principal());
    UiRequest r = new UiRequest(ctx, session, api, layout);
    if (method != HandlerType.GET && (!sameOrigin(ctx) || !UiSessions.csrfMatches(ctx, session))) {
      log.debug("UI form refused: CSRF token or origin does not match");
      r.render(
          403,
          "Form refused",
          new Html()
              .open("div", "class", "problem", "role", "alert")
              .el("h2", "This form was refused")
              .el(
                  "p",
                  "It came from another site, or from a page of an earlier session. Go back,"
                      + " reload the page and send it again.")
              .close("div"));
      return;
    }
    try {
      handler.handle(r);
    } catch (SightlineException e) {
      if (!e.isUserError() && e.status() != 503) {
        internalError(r, e);
        return;
      }
      r.render(e.status(), Layout.title(e.status()), Layout.problem(e));
    } catch (Exception e) {
      internalError(r, e);
    }
  }

  private static void internalError(UiRequest r, Exception e) {
    String errorId = RequestIds.fresh();
    log.error("unexpected error {} on {} {}", errorId, r.ctx.method(), r.ctx.path(), e);
    r.render(
        500,
        "Server error",
        Layout.problem(
            new SightlineException(
                "INTERNAL_ERROR",
                500,
                null,
                "an unexpected error happened; tell an operator errorId " + errorId)));
  }

  /** Whether a POST's Origin (when the browser sends one) is this server. */
  private static boolean sameOrigin(Context ctx) {
    String origin = ctx.header("Origin");
    if (origin == null || origin.isBlank()) {
      return true; // SameSite=Strict and the CSRF token still apply
    }
    try {
      URI o = URI.create(origin);
      String host = ctx.header("Host");
      return host != null && host.equalsIgnoreCase(o.getRawAuthority());
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  // ------------------------------------------------------------------ signed out

  /**
   * Where a principal starts: the connections, or the leases for a reader (who may not list
   * connections).
   */
  private static String startPage(io.sightline.core.Principal p) {
    return p.has(io.sightline.core.Role.USER) ? "/ui/connections" : "/ui/leases";
  }

  private void home(Context ctx) {
    Optional<UiSessions.Session> s = sessions.current(ctx);
    if (s.isPresent()) {
      ctx.status(303);
      ctx.header("Location", startPage(s.get().principal()));
      return;
    }
    signInForm(ctx, 200, null, null);
  }

  private void signInPage(Context ctx) {
    signInForm(ctx, 200, null, ctx.queryParam("next"));
  }

  private void signInForm(Context ctx, int status, String error, String next) {
    String csrf = sessions.signInCsrf(ctx);
    Html h = new Html().el("h1", "Sign in to Sightline");
    if (error != null) {
      h.open("div", "class", "problem", "role", "alert").el("p", error).close("div");
    }
    h.open("form", "method", "post", "action", "/ui/sign-in", "class", "stack");
    h.empty("input", "type", "hidden", "name", UiSessions.CSRF_FIELD, "value", csrf);
    if (safeNext(next) != null) {
      h.empty("input", "type", "hidden", "name", "next", "value", safeNext(next));
    }
    h.open("div", "class", "field");
    h.el("label", "API token", "for", "token");
    h.empty(
        "input",
        "type",
        "password",
        "id",
        "token",
        "name",
        "token",
        "required",
        "required",
        "autocomplete",
        "off",
        "autofocus",
        "autofocus",
        "aria-describedby",
        "token-help");
    h.el(
        "span",
        "An API token (slt_…) from `sightline token create` or the server's first start"
            + " (sightline-data/admin.token). You act with its principal and role.",
        "class",
        "help",
        "id",
        "token-help");
    h.close("div");
    h.open("div", "class", "actions").el("button", "Sign in", "type", "submit").close("div");
    h.close("form");
    signedOutPage(ctx, status, "Sign in", h);
  }

  private void signedOutPage(Context ctx, int status, String title, Html main) {
    layout.page(ctx, status, title, null, main);
  }

  private void signIn(Context ctx) {
    Layout.securityHeaders(ctx);
    if (!sameOrigin(ctx) || !UiSessions.signInCsrfMatches(ctx)) {
      signInForm(ctx, 403, "The sign-in form expired or came from another site: try again.", null);
      return;
    }
    String next = safeNext(ctx.formParam("next"));
    io.sightline.core.Principal who;
    try {
      who = sessions.signIn(ctx, ctx.formParam("token"));
    } catch (SightlineException e) {
      if (e.status() != 401) {
        throw e;
      }
      signInForm(ctx, 401, e.getMessage(), next);
      return;
    }
    ctx.status(303);
    ctx.header("Location", next == null ? startPage(who) : next);
  }

  private void signOut(Context ctx) {
    Layout.securityHeaders(ctx);
    Optional<UiSessions.Session> s = sessions.current(ctx);
    if (s.isPresent() && UiSessions.csrfMatches(ctx, s.get())) {
      sessions.signOut(ctx, s.get());
    }
    ctx.status(303);
    ctx.header("Location", "/ui/sign-in");
  }

  /** A local path under /ui/ to return to after sign-in (never another site). */
  static String safeNext(String next) {
    if (next == null
        || !next.startsWith("/ui/")
        || next.startsWith("//")
        || next.contains("\\")
        || next.contains("//")
        || next.length() > 500
        || next.chars().anyMatch(c -> c < 0x20)) {
      return null;
    }
    return next;
  }

  // ------------------------------------------------------------------ 404 and assets

  /** The 404 page for {@code /} and {@code /ui/…} paths no page serves. */
  public void notFound(Context ctx) {
    Optional<UiSessions.Session> s = sessions.current(ctx);
    Html h =
        new Html()
            .el("h1", "Page not found")
            .open("div", "class", "problem", "role", "alert")
            .el("p", "There is no page at " + ctx.path() + ".")
            .close("div")
            .a(s.isPresent() ? "/ui/connections" : "/ui/sign-in", "Go to the start page");
    layout.page(ctx, 404, "Not found", s.orElse(null), h);
  }

  private static void asset(Context ctx) throws IOException {
    String file = ctx.pathParam("file");
    String type =
        switch (file) {
          case "ui.css" -> "text/css; charset=utf-8";
          case "ui.js" -> "text/javascript; charset=utf-8";
          default -> null;
        };
    InputStream in = type == null ? null : WebUi.class.getResourceAsStream("static/" + file);
    if (in == null) {
      ctx.status(404).contentType("text/plain").result("not found");
      return;
    }
    try (in) {
      ctx.header("X-Content-Type-Options", "nosniff");
      ctx.header("Cache-Control", "no-cache");
      ctx.contentType(type).result(in.readAllBytes());
    }
  }

  @Override
  public void close() {
    probes.shutdownNow();
  }
}
