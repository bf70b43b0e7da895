package io.sightline.server.ui;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.config.JavalinConfig;
import io.javalin.http.HandlerType;
import io.sightline.core.SightlineException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Agents (issue 9): pools and their agents (online or offline, last seen), enable/disable, and
 * one-time registration tokens. Installed only when the server has the agent routes (role admin).
 */
final class AgentPages {
  static final String AGENTS = "/api/v1/agents";
  private static final String AGENT = AGENTS + "/{id}";
  private static final String TOKENS = "/api/v1/agent-pools/{pool}/registration-tokens";

  private final WebUi ui;

  AgentPages(WebUi ui) {
    this.ui = ui;
  }

  void install(JavalinConfig cfg) {
    ui.page(
        cfg,
        HandlerType.GET,
        "/ui/agents",
        "Agent pools and their agents: online state, last seen",
        List.of("GET " + AGENTS),
        r -> list(r, null));
    ui.page(
        cfg,
        HandlerType.POST,
        "/ui/agents/registration-tokens",
        "Create a one-time registration token for a pool (shown once)",
        List.of("POST " + TOKENS, "GET " + AGENTS),
        this::token);
    ui.page(
        cfg,
        HandlerType.POST,
        "/ui/agents/{id}/disable",
        "Disable an agent",
        List.of("POST " + AGENT + "/disable"),
        r -> toggle(r, "disable"));
    ui.page(
        cfg,
        HandlerType.POST,
        "/ui/agents/{id}/enable",
        "Enable an agent",
        List.of("POST " + AGENT + "/enable"),
        r -> toggle(r, "enable"));
  }

  private void list(UiRequest r, Html created) throws Exception {
    JsonNode agents = r.get(AGENTS, Map.of(), Map.of());
    Map<String, List<JsonNode>> pools = new TreeMap<>();
    agents
        .path("items")
        .forEach(
            a -> pools.computeIfAbsent(a.path("pool").asText(), k -> new ArrayList<>()).add(a));
    Html h = new Html().el("h1", "Agents");
    ActivityPages.notice(r, h);
    if (created != null) {
      h.add(created);
    }
    h.el(
        "p",
        "An agent runs in a cluster's network, dials out to this server and runs probes, provisioning, minting and revocation for connections with via: {pool}.",
        "class",
        "muted");
    h.el("h2", "Register an agent");
    h.add(r.form("/ui/agents/registration-tokens", "class", "filters", "id", "registration"));
    h.open("div", "class", "field").el("label", "Pool", "for", "f-pool");
    h.empty(
        "input",
        "type",
        "text",
        "id",
        "f-pool",
        "name",
        "pool",
        "required",
        "required",
        "autocomplete",
        "off",
        "placeholder",
        "e.g. private-eu");
    h.close("div");
    h.open("div", "class", "field").el("label", "Valid for (minutes)", "for", "f-ttl");
    h.empty(
        "input", "type", "number", "id", "f-ttl", "name", "minutes", "min", "1", "max", "10080",
        "value", "60");
    h.close("div");
    h.el("button", "Create registration token", "type", "submit");
    h.close("form");
    if (pools.isEmpty()) {
      h.el("p", "No agent has registered yet.", "class", "muted");
    }
    for (Map.Entry<String, List<JsonNode>> pool : pools.entrySet()) {
      long online =
          pool.getValue().stream().filter(a -> "online".equals(a.path("status").asText())).count();
      h.open("h2")
          .text("Pool " + pool.getKey() + " ")
          .el(
              "span",
              online + " of " + pool.getValue().size() + " online",
              "class",
              online > 0 ? "badge ok" : "badge bad")
          .close("h2");
      Html rows = new Html();
      for (JsonNode a : pool.getValue()) {
        String id = a.path("id").asText();
        String status = a.path("status").asText();
        rows.open("tr", "data-agent", id);
        rows.el("td", a.path("name").asText());
        rows.el("td", status, "class", "online".equals(status) ? "ok" : "bad");
        rows.el("td", a.path("enabled").asBoolean() ? "enabled" : "disabled");
        rows.el("td", Layout.when(a.path("lastSeenAt")));
        rows.el("td", Layout.text(a.path("version")));
        rows.open("td");
        boolean enabled = a.path("enabled").asBoolean();
        rows.add(
            r.button(
                Html.path("/ui/agents/", id) + (enabled ? "/disable" : "/enable"),
                enabled ? "Disable" : "Enable",
                "class",
                enabled ? "danger" : "secondary",
                "aria-label",
                (enabled ? "Disable " : "Enable ") + a.path("name").asText()));
        rows.close("td").close("tr");
      }
      h.add(Layout.table(null, List.of("Agent", "State", "", "Last seen", "Version", ""), rows));
    }
    r.render("Agents", h);
  }

  private void token(UiRequest r) throws Exception {
    String pool = r.form("pool") == null ? "" : r.form("pool");
    Map<String, Object> body = new LinkedHashMap<>();
    if (r.form("minutes") != null) {
      try {
        body.put("ttlSeconds", Long.parseLong(r.form("minutes")) * 60);
      } catch (NumberFormatException e) {
        throw SightlineException.badRequest(
            "INVALID_PARAMETER",
            "minutes",
            "how long the token is valid: a whole number of minutes");
      }
    }
    JsonNode t = r.call(HandlerType.POST, TOKENS, Map.of("pool", pool), body);
    Html h =
        new Html().open("div", "class", "notice", "role", "status", "id", "registration-token");
    h.el("h2", "Registration token for pool " + t.path("pool").asText(), "tabindex", "-1");
    h.el(
        "p",
        "Shown only now; it works once and expires "
            + Layout.when(t.path("expiresAt"))
            + ". Put it in a file on the agent's host and start the agent:");
    h.open("div", "class", "copy").el("code", t.path("token").asText(), "id", "reg-token");
    h.el(
        "button",
        "Copy",
        "type",
        "button",
        "class",
        "secondary",
        "data-copy",
        "reg-token",
        "hidden",
        "hidden",
        "aria-label",
        "Copy the registration token");
    h.close("div");
    String server = r.ctx.scheme() + "://" + r.ctx.host();
    h.open("pre")
        .el(
            "code",
            "sightline agent --server "
                + server
                + " --pool "
                + t.path("pool").asText()
                + " --registration-token-file FILE")
        .close("pre");
    h.close("div");
    list(r, h);
  }

  private void toggle(UiRequest r, String how) throws Exception {
    r.call(HandlerType.POST, AGENT + "/" + how, Map.of("id", r.ctx.pathParam("id")), null);
    r.redirect("/ui/agents?notice=saved");
  }
}
