package io.sightline.server.ui;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.http.Context;
import io.sightline.core.SightlineException;
import io.sightline.server.http.ProblemException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/** The page shell (head, navigation, who is signed in), security headers and shared widgets. */
final class Layout {
  private static final DateTimeFormatter WHEN =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'").withZone(ZoneOffset.UTC);

  /** A navigation entry, shown when its page exists (its API routes are in the route table). */
  record NavItem(String label, String path) {}

  private final List<NavItem> nav = new ArrayList<>();

  void nav(String label, String path) {
    nav.add(new NavItem(label, path));
  }

  static void securityHeaders(Context ctx) {
    ctx.header(
        "Content-Security-Policy",
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src"
            + " 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
    ctx.header("X-Content-Type-Options", "nosniff");
    // same-origin, not no-referrer: under no-referrer browsers send "Origin: null" on form posts
    ctx.header("Referrer-Policy", "same-origin");
    ctx.header("X-Frame-Options", "DENY");
    ctx.header("Cache-Control", "no-store");
  }

  /** A whole page; {@code session} null for the signed-out pages. */
  void page(Context ctx, int status, String title, UiSessions.Session session, Html main) {
    securityHeaders(ctx);
    Html h = new Html().doctype();
    h.open("html", "lang", "en").open("head");
    h.empty("meta", "charset", "utf-8");
    h.empty("meta", "name", "viewport", "content", "width=device-width, initial-scale=1");
    h.el("title", title + " — Sightline");
    h.empty("link", "rel", "stylesheet", "href", "/ui/static/ui.css");
    h.open("script", "src", "/ui/static/ui.js", "defer", "defer").close("script");
    h.close("head").open("body");
    h.a("#main", "Skip to content", "class", "skip");
    h.open("header").open("nav", "aria-label", "Main");
    h.a(session == null ? "/" : "/ui/connections", "Sightline", "class", "brand");
    if (session != null) {
      String path = ctx.path();
      for (NavItem n : nav) {
        h.a(n.path(), n.label(), "aria-current", path.startsWith(n.path()) ? "page" : null);
      }
      h.open("span", "class", "who");
      h.el(
          "span",
          session.principal().name() + " (" + session.principal().role().wireName() + ")",
          "id",
          "who");
      h.open("form", "method", "post", "action", "/ui/sign-out");
      h.empty("input", "type", "hidden", "name", UiSessions.CSRF_FIELD, "value", session.csrf());
      h.el("button", "Sign out", "type", "submit");
      h.close("form").close("span");
    }
    h.close("nav").close("header");
    h.open("main", "id", "main", "tabindex", "-1");
    h.add(main);
    h.close("main").close("body").close("html");
    ctx.status(status);
    ctx.contentType("text/html; charset=utf-8");
    ctx.result(h.toString());
  }

  /** The problem's title, detail, code and field, as a page section. */
  static Html problem(SightlineException e) {
    Html h = new Html().open("div", "class", "problem", "role", "alert");
    h.el("h2", title(e.status()) + " (" + e.status() + ")", "tabindex", "-1");
    h.el("p", e.getMessage(), "class", "detail");
    h.open("p", "class", "muted").text("code ").el("code", e.code());
    if (e.field() != null) {
      h.text(" · field ").el("code", e.field());
    }
    h.close("p").close("div");
    return h;
  }

  static String title(int status) {
    return switch (status) {
      case 400 -> "Bad request";
      case 401 -> "Not signed in";
      case 403 -> "Not allowed";
      case 404 -> "Not found";
      case 409 -> "Conflict";
      case 422 -> "Could not be done";
      case 429 -> "Too many requests";
      case 503 -> "Unavailable";
      default -> status >= 500 ? "Server error" : "Request refused";
    };
  }

  /** The {@code probe} extension of a problem (a failed verification), or null. */
  static Object probeOf(SightlineException e) {
    return e instanceof ProblemException pe ? pe.extensions().get("probe") : null;
  }

  static String when(JsonNode n) {
    if (n == null || n.isNull() || n.isMissingNode()) {
      return "—";
    }
    try {
      return WHEN.format(Instant.parse(n.asText()));
    } catch (DateTimeParseException e) {
      return n.asText();
    }
  }

  static String text(JsonNode n) {
    return n == null || n.isNull() || n.isMissingNode() ? "—" : n.asText();
  }

  /** A table inside a horizontally scrolling wrapper (phone width). */
  static Html table(String caption, List<String> headers, Html rows) {
    Html h = new Html().open("div", "class", "table-wrap").open("table");
    if (caption != null) {
      h.el("caption", caption, "class", "muted");
    }
    h.open("thead").open("tr");
    for (String th : headers) {
      h.el("th", th, "scope", "col");
    }
    h.close("tr").close("thead").open("tbody").add(rows).close("tbody").close("table").close("div");
    return h;
  }
}
