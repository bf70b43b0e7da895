package io.sightline.server.ui;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.config.JavalinConfig;
import io.javalin.http.HandlerType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Environments (issue 8): the list, and per environment its resources, checks, pending approvals
 * (Approve/Reject with a comment) and deployment history. Installed only when the server has the
 * environment routes.
 */
final class EnvironmentPages {
  static final String ENVS = "/api/v1/environments";
  private static final String ENV = ENVS + "/{name}";
  private static final String DEPLOYMENTS = ENV + "/deployments";
  private static final String APPROVALS = "/api/v1/approvals";
  private static final String APPROVAL = APPROVALS + "/{id}";

  private final WebUi ui;

  EnvironmentPages(WebUi ui) {
    this.ui = ui;
  }

  void install(JavalinConfig cfg) {
    ui.page(
        cfg,
        HandlerType.GET,
        "/ui/environments",
        "Environments: resources, checks, pending approvals",
        List.of("GET " + ENVS, "GET " + APPROVALS),
        this::list);
    ui.page(
        cfg,
        HandlerType.GET,
        "/ui/environments/{name}",
        "An environment: resources, checks, pending approvals, deployment history",
        List.of("GET " + ENV, "GET " + DEPLOYMENTS, "GET " + APPROVALS),
        this::detail);
    ui.page(
        cfg,
        HandlerType.POST,
        "/ui/approvals/{id}",
        "Approve or reject a pending deployment, with a comment",
        List.of("POST " + APPROVAL),
        this::decide);
  }

  private void list(UiRequest r) throws Exception {
    JsonNode envs = r.get(ENVS, Map.of(), Map.of());
    JsonNode pending = r.get(APPROVALS, Map.of(), Map.of("pending", "true", "limit", "1000"));
    Map<String, Integer> waiting = new LinkedHashMap<>();
    pending
        .path("items")
        .forEach(a -> waiting.merge(a.path("environment").asText(), 1, Integer::sum));
    Html h = new Html().el("h1", "Environments");
    ActivityPages.notice(r, h);
    Html rows = new Html();
    int n = 0;
    for (JsonNode e : envs.path("items")) {
      n++;
      String name = e.path("name").asText();
      rows.open("tr", "data-environment", name);
      rows.open("td").a(Html.path("/ui/environments/", name), name).close("td");
      rows.el("td", Layout.text(e.path("description")));
      List<String> res = new ArrayList<>();
      e.path("resources").forEach(x -> res.add(x.path("name").asText()));
      rows.el("td", res.isEmpty() ? "none yet" : String.join(", ", res));
      List<String> checks = new ArrayList<>();
      e.path("checks").forEach(x -> checks.add(x.path("type").asText()));
      rows.el("td", checks.isEmpty() ? "none" : String.join(", ", checks));
      int w = waiting.getOrDefault(name, 0);
      rows.el("td", String.valueOf(w), "class", w > 0 ? "bad" : "muted");
      rows.close("tr");
    }
    if (n == 0) {
      h.el("p", "No environments yet (sightline env create NAME).", "class", "muted");
    } else {
      h.add(
          Layout.table(
              null,
              List.of("Name", "Description", "Resources", "Checks", "Pending approvals"),
              rows));
    }
    r.render("Environments", h);
  }

  private void detail(UiRequest r) throws Exception {
    String name = r.ctx.pathParam("name");
    JsonNode e = r.get(ENV, Map.of("name", name), Map.of());
    Html h = new Html().el("h1", "Environment " + name);
    ActivityPages.notice(r, h);
    if (e.hasNonNull("description")) {
      h.el("p", e.path("description").asText());
    }

    h.el("h2", "Pending approvals");
    JsonNode pending = r.get(APPROVALS, Map.of(), Map.of("pending", "true", "limit", "1000"));
    int n = 0;
    for (JsonNode a : pending.path("items")) {
      if (!name.equals(a.path("environment").asText())) {
        continue;
      }
      n++;
      h.add(approval(r, a, Html.path("/ui/environments/", name)));
    }
    if (n == 0) {
      h.el("p", "Nothing waits for approval.", "class", "muted");
    }

    h.el("h2", "Resources");
    Html rows = new Html();
    for (JsonNode x : e.path("resources")) {
      rows.open("tr");
      rows.el("td", x.path("name").asText());
      rows.el("td", ActivityPages.target(x.path("target")));
      rows.el("td", Layout.text(x.path("connectionType")));
      List<String> tags = new ArrayList<>();
      x.path("tags").forEach(t -> tags.add(t.asText()));
      rows.el("td", String.join(", ", tags));
      rows.close("tr");
    }
    h.add(
        e.path("resources").size() == 0
            ? new Html().el("p", "No resources yet.", "class", "muted")
            : Layout.table(null, List.of("Resource", "Target", "Connection type", "Tags"), rows));

    h.el("h2", "Checks");
    if (e.path("checks").size() == 0) {
      h.el("p", "No checks: a deployment takes its lease at once.", "class", "muted");
    } else {
      h.open("ul", "id", "checks");
      for (JsonNode c : e.path("checks")) {
        h.el("li", check(c));
      }
      h.close("ul");
    }

    h.el("h2", "Deployment history");
    String resource = r.param("resource");
    String result = r.param("result");
    h.open(
        "form",
        "method",
        "get",
        "action",
        Html.path("/ui/environments/", name),
        "class",
        "filters",
        "role",
        "search");
    h.open("div", "class", "field")
        .el("label", "Resource", "for", "f-resource")
        .open("select", "id", "f-resource", "name", "resource")
        .el("option", "any", "value", "");
    for (JsonNode x : e.path("resources")) {
      String rn = x.path("name").asText();
      h.el("option", rn, "value", rn, "selected", rn.equals(resource) ? "selected" : null);
    }
    h.close("select").close("div");
    h.open("div", "class", "field")
        .el("label", "Result", "for", "f-result")
        .open("select", "id", "f-result", "name", "result")
        .el("option", "any", "value", "");
    for (String s :
        List.of("succeeded", "failed", "rejected", "timed-out", "cancelled", "refused")) {
      h.el("option", s, "value", s, "selected", s.equals(result) ? "selected" : null);
    }
    h.close("select").close("div");
    h.el("button", "Filter", "type", "submit", "class", "secondary");
    h.close("form");
    JsonNode history =
        r.get(
            DEPLOYMENTS,
            Map.of("name", name),
            UiRequest.map("resource", resource, "result", result, "limit", "100"));
    Html drows = new Html();
    for (JsonNode d : history.path("items")) {
      drows.open("tr", "data-deployment", d.path("id").asText());
      drows.open("td").el("code", d.path("id").asText()).close("td");
      drows.el("td", d.path("resource").asText());
      String state = d.path("state").asText();
      drows.el(
          "td",
          state + (d.hasNonNull("result") ? ": " + d.path("result").asText() : ""),
          "class",
          "state");
      drows.el("td", Layout.text(d.path("requester")));
      List<String> approvers = new ArrayList<>();
      d.path("approvers").forEach(a -> approvers.add(a.asText()));
      drows.el("td", approvers.isEmpty() ? "—" : String.join(", ", approvers));
      drows.el(
          "td",
          d.hasNonNull("waitingFor")
              ? d.path("waitingFor").asText()
              : d.hasNonNull("failure") ? d.path("failure").asText() : "");
      drows.el("td", Layout.when(d.path("createdAt")));
      drows.el("td", Layout.when(d.path("finishedAt")));
      drows.close("tr");
    }
    h.add(
        history.path("items").size() == 0
            ? new Html().el("p", "No deployments yet.", "class", "muted")
            : Layout.table(
                null,
                List.of(
                    "Deployment",
                    "Resource",
                    "State",
                    "Requester",
                    "Approved by",
                    "Waiting for / failure",
                    "Requested",
                    "Finished"),
                drows));
    r.render("Environment " + name, h);
  }

  /** A pending approval with its Approve/Reject form (the comment is recorded and audited). */
  static Html approval(UiRequest r, JsonNode a, String back) {
    String id = a.path("id").asText();
    Html h = new Html().open("div", "class", "panel", "data-approval", id);
    h.open("p").el("strong", a.path("resource").asText() + " in " + a.path("environment").asText());
    h.text(" — deployment ").el("code", a.path("deployment").asText());
    h.text(", requested by " + Layout.text(a.path("requester"))).close("p");
    h.el(
        "p",
        a.path("approved").asInt()
            + " of "
            + a.path("minApprovers").asInt()
            + " approvals; approvers: "
            + join(a.path("approvers"))
            + (a.path("requesterCannotApprove").asBoolean() ? " (not the requester)" : "")
            + "; times out "
            + Layout.when(a.path("timeoutAt")),
        "class",
        "muted");
    if (a.hasNonNull("instructions")) {
      h.el("p", a.path("instructions").asText(), "class", "warning");
    }
    JsonNode task = a.path("task");
    if (task.isObject() && task.size() > 0) {
      List<String> t = new ArrayList<>();
      task.fields().forEachRemaining(f -> t.add(f.getKey() + ": " + f.getValue().asText()));
      h.el("p", String.join(" · ", t), "class", "muted");
    }
    h.add(
        r.form(
            Html.path("/ui/approvals/", id) + "?back=" + Html.q(back),
            "class",
            "stack",
            "data-busy",
            "data-busy"));
    h.open("div", "class", "field").el("label", "Comment", "for", "c-" + id);
    h.empty(
        "input",
        "type",
        "text",
        "id",
        "c-" + id,
        "name",
        "comment",
        "autocomplete",
        "off",
        "placeholder",
        "why (recorded and audited)");
    h.close("div");
    h.open("div", "class", "actions");
    h.el(
        "button",
        "Approve",
        "type",
        "submit",
        "name",
        "decision",
        "value",
        "approve",
        "data-busy-label",
        "Recording…");
    h.el(
        "button",
        "Reject",
        "type",
        "submit",
        "name",
        "decision",
        "value",
        "reject",
        "class",
        "danger");
    h.el("span", "", "data-busy-status", "data-busy-status", "role", "status", "class", "muted");
    h.close("div").close("form");
    return h.close("div");
  }

  private void decide(UiRequest r) throws Exception {
    String id = r.ctx.pathParam("id");
    Map<String, String> body = new LinkedHashMap<>();
    body.put("decision", r.form("decision") == null ? "" : r.form("decision"));
    if (r.form("comment") != null) {
      body.put("comment", r.form("comment"));
    }
    r.call(HandlerType.POST, APPROVAL, Map.of("id", id), body);
    String back = WebUi.safeNext(r.param("back"));
    r.redirect(
        (back == null ? "/ui/environments" : back)
            + (back != null && back.contains("?") ? "&" : "?")
            + "notice=decided");
  }

  private static String check(JsonNode c) {
    String type = c.path("type").asText();
    String scope =
        "connection".equals(c.path("scope").asText())
            ? " (on connection " + c.path("scopeName").asText() + ")"
            : "";
    return switch (type) {
      case "approval" ->
          "approval: "
              + c.path("minApprovers").asInt(1)
              + " of "
              + join(c.path("approvers"))
              + (c.path("requesterCannotApprove").asBoolean() ? ", not the requester" : "")
              + (c.hasNonNull("timeoutSeconds")
                  ? ", times out after " + c.path("timeoutSeconds").asLong() / 60 + " min"
                  : "")
              + scope;
      case "businessHours" ->
          "business hours: "
              + join(c.path("days"))
              + " "
              + Layout.text(c.path("start"))
              + "–"
              + Layout.text(c.path("end"))
              + " "
              + Layout.text(c.path("timeZone"))
              + scope;
      case "exclusiveLock" ->
          "exclusive lock: one deployment at a time"
              + (c.path("failFast").asBoolean()
                  ? ", others fail at once"
                  : ", others queue in order")
              + scope;
      case "branchControl" -> "branch control: " + join(c.path("allowedRefs")) + scope;
      default -> type + scope;
    };
  }

  private static String join(JsonNode a) {
    List<String> out = new ArrayList<>();
    a.forEach(x -> out.add(x.asText()));
    return out.isEmpty() ? "—" : String.join(", ", out);
  }
}
