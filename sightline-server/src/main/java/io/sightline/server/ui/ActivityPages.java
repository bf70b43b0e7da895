package io.sightline.server.ui;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.config.JavalinConfig;
import io.javalin.http.HandlerType;
import java.util.List;
import java.util.Map;

/** Leases (active, expired, revoked; revoke) and the audit log (filters, chain verification). */
final class ActivityPages {
  private static final String LEASES = "/api/v1/leases";
  private static final String LEASE = "/api/v1/leases/{id}";
  private static final String AUDIT = "/api/v1/audit";
  private static final String AUDIT_VERIFY = "/api/v1/audit/verify";

  private final WebUi ui;

  ActivityPages(WebUi ui) {
    this.ui = ui;
  }

  void install(JavalinConfig cfg) {
    ui.page(
        cfg,
        HandlerType.GET,
        "/ui/leases",
        "Leases: active, expired, revoked",
        List.of("GET " + LEASES),
        this::leases);
    ui.page(
        cfg,
        HandlerType.POST,
        "/ui/leases/{id}/revoke",
        "Revoke a lease",
        List.of("DELETE " + LEASE),
        this::revoke);
    ui.page(
        cfg,
        HandlerType.GET,
        "/ui/audit",
        "Audit records with filters, and the chain's verification",
        List.of("GET " + AUDIT, "GET " + AUDIT_VERIFY),
        this::audit);
  }

  // ------------------------------------------------------------------ leases

  private void leases(UiRequest r) throws Exception {
    String state = r.param("state") == null ? "active" : r.param("state");
    if (!List.of("active", "expired", "revoked", "all").contains(state)) {
      state = "active";
    }
    JsonNode list =
        r.get(
            LEASES,
            Map.of(),
            UiRequest.map("active", state.equals("active") ? "true" : null, "limit", "1000"));
    Html h = new Html().el("h1", "Leases");
    notice(r, h);
    h.open("nav", "aria-label", "Lease states", "class", "actions");
    for (String s : List.of("active", "expired", "revoked", "all")) {
      h.a(
          "/ui/leases?state=" + s,
          s.substring(0, 1).toUpperCase(java.util.Locale.ROOT) + s.substring(1),
          "class",
          s.equals(state) ? "button" : "button secondary",
          "aria-current",
          s.equals(state) ? "page" : null);
    }
    h.close("nav");
    String wanted = state;
    h.add(
        leaseTable(
            r,
            list.path("items"),
            l ->
                wanted.equals("all")
                    || wanted.equals("active")
                    || wanted.equals(l.path("state").asText()),
            "/ui/leases?state=" + state));
    r.render("Leases", h);
  }

  /** A table of leases with a revoke button on each revocable active one. */
  static Html leaseTable(
      UiRequest r, JsonNode items, java.util.function.Predicate<JsonNode> keep, String back) {
    Html rows = new Html();
    int n = 0;
    for (JsonNode l : items) {
      if (!keep.test(l)) {
        continue;
      }
      n++;
      String id = l.path("id").asText();
      rows.open("tr", "data-lease", id);
      rows.open("td").el("code", id).close("td");
      String st = l.path("state").asText();
      rows.open("td").el("span", st, "class", "badge " + (st.equals("active") ? "ok" : "muted"));
      if ("static".equals(l.path("credential").asText())) {
        rows.text(" ")
            .el(
                "span",
                "static",
                "class",
                "badge bad",
                "title",
                "the credential outlives the lease");
      }
      rows.close("td");
      rows.el("td", target(l.path("target")));
      rows.el("td", Layout.text(l.path("principal")));
      rows.el("td", Layout.when(l.path("createdAt")));
      rows.el("td", Layout.when(l.path("expiresAt")));
      rows.open("td");
      if (st.equals("active") || st.equals("issuing")) {
        rows.add(
            r.button(
                Html.path("/ui/leases/", id) + "/revoke?back=" + Html.q(back),
                "Revoke",
                "class",
                "danger",
                "aria-label",
                "Revoke lease " + id,
                "data-busy-label",
                "Revoking…"));
      } else if (!l.path("revokedAt").isNull() && !l.path("revokedAt").isMissingNode()) {
        rows.text(
            "revoked "
                + Layout.when(l.path("revokedAt"))
                + " by "
                + Layout.text(l.path("revokedBy")));
      }
      rows.close("td").close("tr");
    }
    if (n == 0) {
      return new Html().el("p", "No leases here.", "class", "muted");
    }
    return Layout.table(
        null, List.of("Lease", "State", "Target", "Principal", "Created", "Expires", ""), rows);
  }

  static String target(JsonNode t) {
    if (t == null || t.isMissingNode() || t.isNull()) {
      return "—";
    }
    if (t.has("azureConnection")) {
      return t.path("azureConnection").asText()
          + " → "
          + t.path("resourceGroup").asText()
          + "/"
          + t.path("cluster").asText()
          + (t.hasNonNull("namespace") ? " / " + t.path("namespace").asText() : "");
    }
    return t.path("connection").asText()
        + (t.hasNonNull("namespace") ? " / " + t.path("namespace").asText() : "");
  }

  private void revoke(UiRequest r) throws Exception {
    String id = r.ctx.pathParam("id");
    r.call(HandlerType.DELETE, LEASE, Map.of("id", id), null);
    String back = WebUi.safeNext(r.param("back"));
    r.redirect(
        (back == null ? "/ui/leases" : back)
            + (back != null && back.contains("?") ? "&" : "?")
            + "notice=revoked");
  }

  static void notice(UiRequest r, Html h) {
    String n = r.param("notice");
    String text =
        n == null
            ? null
            : switch (n) {
              case "revoked" ->
                  "The lease is revoked: its token no longer works (within about 10 s).";
              case "created" -> "The connection is saved.";
              case "saved" -> "Saved.";
              case "decided" -> "Your decision is recorded.";
              default -> null;
            };
    if (text != null) {
      h.el("p", text, "class", "notice", "role", "status");
    }
  }

  // ------------------------------------------------------------------ audit

  private void audit(UiRequest r) throws Exception {
    List<String> filters = List.of("action", "actor", "target", "outcome", "since", "until");
    Map<String, String> query = UiRequest.map("limit", "100", "cursor", r.param("cursor"));
    for (String f : filters) {
      if (r.param(f) != null) {
        query.put(f, r.param(f));
      }
    }
    JsonNode verify = r.get(AUDIT_VERIFY, Map.of(), Map.of());
    Html h = new Html().el("h1", "Audit log");
    boolean ok = verify.path("ok").asBoolean();
    h.open("div", "class", ok ? "notice" : "problem", "role", "status", "id", "chain-status");
    h.el(
        "strong",
        ok ? "The audit chain verifies." : "The audit chain does NOT verify.",
        "class",
        ok ? "ok" : "bad");
    h.text(" " + verify.path("checked").asLong() + " records checked. ");
    h.text(Layout.text(verify.path("message")));
    if (verify.hasNonNull("firstBrokenSeq")) {
      h.text(" First broken record: " + verify.path("firstBrokenSeq").asLong() + ".");
    }
    h.close("div");

    h.open("form", "method", "get", "action", "/ui/audit", "class", "filters", "role", "search");
    for (String f : filters) {
      h.open("div", "class", "field");
      h.el(
          "label",
          f.substring(0, 1).toUpperCase(java.util.Locale.ROOT) + f.substring(1),
          "for",
          "f-" + f);
      if (f.equals("outcome")) {
        h.open("select", "id", "f-" + f, "name", f);
        for (String o : List.of("", "success", "failure", "denied")) {
          h.el(
              "option",
              o.isEmpty() ? "any" : o,
              "value",
              o,
              "selected",
              o.equals(r.param(f) == null ? "" : r.param(f)) ? "selected" : null);
        }
        h.close("select");
      } else {
        h.empty(
            "input",
            "type",
            "text",
            "id",
            "f-" + f,
            "name",
            f,
            "value",
            r.param(f),
            "placeholder",
            switch (f) {
              case "action" -> "e.g. connection.create";
              case "target" -> "e.g. connection/prod";
              case "since", "until" -> "2026-11-29T00:00:00Z";
              default -> "";
            });
      }
      h.close("div");
    }
    h.open("div", "class", "actions")
        .el("button", "Filter", "type", "submit")
        .a("/ui/audit", "Clear", "class", "button secondary")
        .close("div");
    h.close("form");

    JsonNode page;
    try {
      page = r.get(AUDIT, Map.of(), query);
    } catch (io.sightline.core.SightlineException e) {
      if (!e.isUserError()) {
        throw e;
      }
      h.add(Layout.problem(e));
      r.render(e.status(), "Audit log", h);
      return;
    }
    Html rows = new Html();
    for (JsonNode a : page.path("items")) {
      rows.open("tr");
      rows.el("td", a.path("seq").asText());
      rows.el("td", Layout.when(a.path("at")));
      rows.open("td").el("code", a.path("action").asText()).close("td");
      rows.el("td", Layout.text(a.path("actor")));
      rows.el("td", Layout.text(a.path("target")));
      String outcome = a.path("outcome").asText();
      rows.el("td", outcome, "class", outcome.equals("success") ? "ok" : "bad");
      rows.open("td")
          .el(
              "code",
              a.path("details").isMissingNode() ? "" : a.path("details").toString(),
              "class",
              "mono")
          .close("td");
      rows.close("tr");
    }
    h.add(
        Layout.table(
            null, List.of("#", "When", "Action", "Actor", "Target", "Outcome", "Details"), rows));
    if (page.hasNonNull("nextCursor")) {
      StringBuilder next =
          new StringBuilder("/ui/audit?cursor=" + Html.q(page.path("nextCursor").asText()));
      for (String f : filters) {
        if (r.param(f) != null) {
          next.append('&').append(f).append('=').append(Html.q(r.param(f)));
        }
      }
      h.a(next.toString(), "Older records", "class", "button secondary");
    }
    r.render("Audit log", h);
  }
}
