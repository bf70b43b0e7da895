package io.sightline.server.ui;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.JavalinConfig;
import io.javalin.http.HandlerType;
import io.sightline.api.probe.ProbeStep;
import io.sightline.connections.ConnectionKind;
import io.sightline.connections.ConnectionType;
import io.sightline.connections.ConnectionTypes;
import io.sightline.connections.FieldSpec;
import io.sightline.connections.FieldType;
import io.sightline.core.SightlineException;
import io.sightline.kubernetes.ProbeProgress;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Connections: the list, a create wizard per kind whose fields come from the kind's {@link
 * FieldSpec} declarations, the namespace picker (a probe whose steps stream live), the detail page
 * and the AKS pickers. Secret fields are write-only: never given a value, also not after an error.
 */
final class ConnectionPages {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String BASE = "/api/v1/connections";
  static final String ONE = BASE + "/{name}";
  private static final String PROBE = BASE + "/probe";
  private static final String VERIFY = ONE + "/verify";
  private static final String VERIFICATIONS = ONE + "/verifications";
  private static final String AKS = ONE + "/aks/clusters";
  private static final String AKS_ONE = ONE + "/aks/clusters/{resourceGroup}/{cluster}";
  private static final String LEASES = "/api/v1/leases";
  private static final String PERMISSIONS = ONE + "/pipeline-permissions";
  private static final List<String> RESERVED =
      List.of("name", "description", "kind", "type", "action", "csrf", "timeout");

  private final WebUi ui;
  private final ExecutorService probes;

  ConnectionPages(WebUi ui, ExecutorService probes) {
    this.ui = ui;
    this.probes = probes;
  }

  void install(JavalinConfig cfg) {
    ui.page(
        cfg,
        HandlerType.GET,
        "/ui/connections",
        "Connections: kind, authorization type, verified, last probe, leases in use",
        List.of("GET " + BASE, "GET " + LEASES),
        this::list);
    ui.page(
        cfg,
        HandlerType.GET,
        "/ui/connections/new",
        "Choose a kind; the create form of a kind (fields from its declarations)",
        List.of(),
        this::newForm);
    ui.page(
        cfg,
        HandlerType.POST,
        "/ui/connections/new",
        "Probe the form's spec, save it verified, or save it without verification",
        List.of("POST " + PROBE, "POST " + BASE),
        this::submit);
    ui.page(
        cfg,
        HandlerType.POST,
        "/ui/connections/probe-stream",
        "Probe the form's spec, streaming each step as it happens (NDJSON, for the script)",
        List.of("POST " + PROBE),
        this::probeStream);
    ui.page(
        cfg,
        HandlerType.GET,
        "/ui/connections/{name}",
        "A connection: fields (secrets masked), verification history, active leases, pipeline"
            + " permissions, federated credential",
        List.of("GET " + ONE, "GET " + VERIFICATIONS, "GET " + LEASES),
        r -> detail(r, null));
    ui.page(
        cfg,
        HandlerType.POST,
        "/ui/connections/{name}/verify",
        "Verify a saved connection (probe, recorded) and show its namespaces",
        List.of("POST " + VERIFY, "GET " + ONE, "GET " + VERIFICATIONS, "GET " + LEASES),
        this::verify);
    ui.page(
        cfg,
        HandlerType.POST,
        "/ui/connections/{name}/verify-stream",
        "Verify a saved connection, streaming each step as it happens (NDJSON, for the script)",
        List.of("POST " + VERIFY, "GET " + ONE),
        this::verifyStream);
    ui.page(
        cfg,
        HandlerType.POST,
        "/ui/connections/{name}/pipeline-permissions",
        "Replace which pipeline identities may use a connection",
        List.of("PUT " + PERMISSIONS),
        this::permissions);
    ui.page(
        cfg,
        HandlerType.GET,
        "/ui/connections/{name}/aks",
        "AKS pickers of an azurerm connection: resource group, cluster, facts and recommendation",
        List.of("GET " + AKS, "GET " + AKS_ONE),
        this::aks);
  }

  // ------------------------------------------------------------------ list

  private void list(UiRequest r) throws Exception {
    JsonNode list = r.get(BASE, Map.of(), Map.of());
    Map<String, Integer> inUse = new HashMap<>();
    try {
      JsonNode leases = r.get(LEASES, Map.of(), Map.of("active", "true", "limit", "1000"));
      for (JsonNode l : leases.path("items")) {
        JsonNode t = l.path("target");
        String c =
            t.has("azureConnection")
                ? t.path("azureConnection").asText()
                : t.path("connection").asText();
        inUse.merge(c, 1, Integer::sum);
      }
    } catch (SightlineException e) {
      // a caller who may not read leases still sees the connections
    }
    Html h = new Html().el("h1", "Connections");
    ActivityPages.notice(r, h);
    h.open("p").a("/ui/connections/new", "New connection", "class", "button").close("p");
    Html rows = new Html();
    int n = 0;
    for (JsonNode c : list.path("items")) {
      n++;
      String name = c.path("name").asText();
      rows.open("tr", "data-connection", name);
      rows.open("td").a(Html.path("/ui/connections/", name), name).close("td");
      rows.el("td", c.path("kind").asText());
      rows.el(
          "td",
          c.hasNonNull("authorizationType")
              ? c.path("authorizationType").asText()
              : Layout.text(c.path("scheme")));
      boolean verified = c.path("verified").asBoolean();
      rows.el("td", verified ? "verified" : "not verified", "class", verified ? "ok" : "muted");
      JsonNode lp = c.path("lastProbe");
      if (lp.isObject()) {
        rows.open("td");
        rows.el(
            "span",
            lp.path("ok").asBoolean() ? "ok" : Layout.text(lp.path("diagnosis")),
            "class",
            lp.path("ok").asBoolean() ? "ok" : "bad");
        rows.el("span", " " + Layout.when(lp.path("at")), "class", "muted");
        rows.close("td");
      } else {
        rows.el("td", "never", "class", "muted");
      }
      rows.el("td", String.valueOf(inUse.getOrDefault(name, 0)));
      rows.close("tr");
    }
    if (n == 0) {
      h.el(
          "p",
          "No connections yet. Create one to give tasks short-lived access to a cluster.",
          "class",
          "muted");
    } else {
      h.add(
          Layout.table(
              null,
              List.of("Name", "Kind", "Authorization", "Verified", "Last probe", "Leases in use"),
              rows));
    }
    r.render("Connections", h);
  }

  // ------------------------------------------------------------------ wizard

  private static ConnectionKind kindOf(UiRequest r, boolean fromForm) {
    String kind = fromForm ? r.form("kind") : r.param("kind");
    String type = fromForm ? r.form("type") : r.param("type");
    return ConnectionKind.fromWire(kind, type);
  }

  /** The kind of a connection as the API shows it. */
  private static ConnectionKind kindOf(JsonNode c) {
    return ConnectionKind.fromWire(
        c.path("kind").asText(),
        c.hasNonNull("authorizationType")
            ? c.path("authorizationType").asText()
            : c.path("scheme").asText());
  }

  private void newForm(UiRequest r) throws Exception {
    if (r.param("kind") == null) {
      Html h = new Html().el("h1", "New connection").el("p", "What should Sightline reach?");
      h.open("div", "class", "kinds");
      for (ConnectionKind k : ConnectionKind.values()) {
        h.open(
            "a",
            "href",
            "/ui/connections/new?kind="
                + Html.q(k.kind())
                + "&type="
                + Html.q(k.authorizationType()));
        h.el("strong", k.kind() + " · " + k.authorizationType());
        h.el("span", describe(k), "class", "muted");
        h.close("a");
      }
      h.close("div");
      r.render("New connection", h);
      return;
    }
    ConnectionKind kind = kindOf(r, false);
    r.render(
        "New " + kind.authorizationType() + " connection", wizard(r, kind, Map.of(), null, null));
  }

  static String describe(ConnectionKind k) {
    return switch (k) {
      case KUBERNETES_KUBECONFIG -> "a kubeconfig with an inline token or client certificate";
      case KUBERNETES_SERVICE_ACCOUNT -> "a service-account token and the cluster's CA";
      case KUBERNETES_AGENT_IDENTITY ->
          "an agent in the cluster mints with its own identity: the server stores no cluster"
              + " credential";
      case KUBERNETES_AZURE_SUBSCRIPTION ->
          "provision a home namespace, minter and deployers; store only the minter's token";
      case AZURERM_SERVICE_PRINCIPAL -> "Entra ID sign-in with a client secret or certificate";
      case AZURERM_WORKLOAD_IDENTITY_FEDERATION ->
          "Entra ID trusts Sightline's own OIDC issuer: no Azure secret stored";
      case AZURERM_MANAGED_SERVICE_IDENTITY -> "the server's managed identity in Azure";
    };
  }

  /**
   * The create form of {@code kind}: {@code values} refills non-secret fields only; {@code result}
   * is the probe/problem panel shown inside the form.
   */
  private Html wizard(
      UiRequest r, ConnectionKind kind, Map<String, String> values, Html result, Html problem) {
    ConnectionType type = ConnectionTypes.of(kind);
    Html h =
        new Html().el("h1", "New " + kind.kind() + " connection · " + kind.authorizationType());
    h.el("p", describe(kind), "class", "muted");
    if (problem != null) {
      h.add(problem);
    }
    h.add(
        r.form(
                "/ui/connections/new",
                "class",
                "stack",
                "id",
                "wizard",
                "data-busy",
                "data-busy",
                "data-probe",
                "/ui/connections/probe-stream")
            .empty("input", "type", "hidden", "name", "kind", "value", kind.kind())
            .empty("input", "type", "hidden", "name", "type", "value", kind.authorizationType()));
    h.add(
        textField(
            "name",
            "Name",
            "lower-case letters, digits and '-'; tasks name it (--connection)",
            values.get("name"),
            true));
    h.add(
        textField(
            "description",
            "Description",
            "optional: what this connection is for",
            values.get("description"),
            false));
    boolean secrets = false;
    for (FieldSpec f : type.fields()) {
      if (RESERVED.contains(f.name())) {
        continue;
      }
      secrets |= f.secret();
      h.add(field(f, f.secret() ? null : values.get(f.name())));
    }
    if (secrets && result != null) {
      h.el(
          "p",
          "Secret fields are never sent back to the browser: type them again to save.",
          "class",
          "warning");
    }
    h.open("div", "class", "field");
    h.el("label", "Probe deadline (seconds)", "for", "f-timeout");
    h.empty(
        "input",
        "type",
        "number",
        "id",
        "f-timeout",
        "name",
        "timeout",
        "min",
        "1",
        "max",
        "60",
        "value",
        values.getOrDefault("timeout", "10"),
        "aria-describedby",
        "h-timeout");
    h.el(
        "span",
        "the probe answers with the namespaces or a diagnosis within this time",
        "class",
        "help",
        "id",
        "h-timeout");
    h.close("div");
    h.open("div", "class", "actions");
    h.el(
        "button",
        kind.isAzureRm() ? "Check sign-in" : "Probe and list namespaces",
        "type",
        "submit",
        "name",
        "action",
        "value",
        "probe",
        "class",
        "secondary",
        "data-busy-label",
        "Probing…");
    h.el(
        "button",
        "Save",
        "type",
        "submit",
        "name",
        "action",
        "value",
        "save",
        "data-busy-label",
        "Verifying and saving…");
    h.el(
        "button",
        "Save without verification",
        "type",
        "submit",
        "name",
        "action",
        "value",
        "save-unverified",
        "class",
        "secondary");
    h.el("span", "", "data-busy-status", "data-busy-status", "role", "status", "class", "muted");
    h.close("div");
    h.open("div", "id", "probe-result", "aria-live", "polite").add(result).close("div");
    h.close("form");
    h.add(liveTemplate());
    return h;
  }

  private static Html textField(
      String name, String label, String help, String value, boolean required) {
    Html h = new Html().open("div", "class", "field");
    h.el("label", label, "for", "f-" + name);
    h.empty(
        "input",
        "type",
        "text",
        "id",
        "f-" + name,
        "name",
        name,
        "value",
        value,
        "required",
        required ? "required" : null,
        "aria-describedby",
        "h-" + name,
        "autocomplete",
        "off");
    h.el("span", help, "class", "help", "id", "h-" + name);
    return h.close("div");
  }

  private static Html field(FieldSpec f, String value) {
    String id = "f-" + f.name();
    Html h =
        new Html().open("div", "class", f.type() == FieldType.BOOLEAN ? "field check" : "field");
    String label =
        f.label()
            + (f.required() ? "" : f.type() == FieldType.BOOLEAN ? "" : " (optional)")
            + (f.secret() ? " — secret, write-only" : "");
    if (f.type() == FieldType.BOOLEAN) {
      h.empty(
          "input",
          "type",
          "checkbox",
          "id",
          id,
          "name",
          f.name(),
          "value",
          "true",
          "checked",
          "true".equals(value) ? "checked" : null,
          "aria-describedby",
          "h-" + f.name());
      h.text(" ").el("label", label, "for", id);
    } else {
      h.el("label", label, "for", id);
      String req = f.required() ? "required" : null;
      if (f.type() == FieldType.TEXT) {
        h.open(
                "textarea",
                "id",
                id,
                "name",
                f.name(),
                "rows",
                "8",
                "required",
                req,
                "spellcheck",
                "false",
                "autocomplete",
                "off",
                "class",
                f.secret() ? "secret" : null,
                "aria-describedby",
                "h-" + f.name())
            .text(f.secret() ? null : value)
            .close("textarea");
      } else {
        h.empty(
            "input",
            "type",
            f.secret() ? "password" : "text",
            "id",
            id,
            "name",
            f.name(),
            "value",
            f.secret() ? null : value,
            "required",
            req,
            "autocomplete",
            f.secret() ? "new-password" : "off",
            "data-namespace-field",
            f.type() == FieldType.STRING_LIST && f.name().startsWith("namespace")
                ? "data-namespace-field"
                : null,
            "aria-describedby",
            "h-" + f.name());
      }
    }
    h.el(
        "span",
        f.type() == FieldType.VIA
            ? "optional: the name of an agent pool, e.g. private-eu — probes, provisioning and"
                + " minting then run on an agent of that pool, for clusters this server cannot"
                + " reach"
            : f.help() + (f.type() == FieldType.STRING_LIST ? " (separate with commas)" : ""),
        "class",
        "help",
        "id",
        "h-" + f.name());
    return h.close("div");
  }

  /** The live steps panel the script clones while a probe streams. */
  private static Html liveTemplate() {
    Html h = new Html().open("template", "id", "probe-live-template");
    h.open("div", "class", "panel")
        .open("h2")
        .text("Probing… ")
        .el("span", "0.0 s", "data-elapsed", "data-elapsed")
        .close("h2");
    h.add(steps(null));
    h.close("div").close("template");
    return h;
  }

  /** The probe's steps: as recorded in {@code probe}, or all waiting (null). */
  private static Html steps(JsonNode probe) {
    Html h = new Html().open("ol", "class", "steps", "aria-label", "Probe steps");
    Map<String, JsonNode> byName = new LinkedHashMap<>();
    if (probe != null) {
      for (JsonNode s : probe.path("steps")) {
        byName.put(s.path("name").asText(), s);
      }
    }
    List<String> order = new ArrayList<>();
    if (byName.containsKey("agent")) {
      order.add("agent"); // the probe went through an agent: its step comes first
    }
    for (ProbeStep.Name n : ProbeStep.Name.values()) {
      String name = n.name().toLowerCase(Locale.ROOT);
      if (!name.equals("agent")) {
        order.add(name);
      }
    }
    for (String name : order) {
      JsonNode s = byName.get(name);
      String status = s == null ? "waiting" : s.path("status").asText();
      h.open("li", "data-step", name);
      h.el("span", label(name), "class", "n");
      h.el("span", status, "class", "st s-" + status);
      h.el(
          "span",
          s == null || status.equals("skipped") ? "" : s.path("millis").asLong() + " ms",
          "class",
          "ms");
      h.el("span", s == null ? "" : Layout.text(s.path("detail")).replace("—", ""), "class", "d");
      h.close("li");
    }
    return h.close("ol");
  }

  private static String label(String step) {
    return switch (step) {
      case "tls" -> "TLS";
      default -> step.substring(0, 1).toUpperCase(Locale.ROOT) + step.substring(1);
    };
  }

  /** The spec the form describes, as the API's connection body (never echoed to the page). */
  private static ObjectNode body(UiRequest r, ConnectionKind kind) {
    ObjectNode b = JSON.createObjectNode();
    b.put("name", r.form("name") == null ? "" : r.form("name"));
    b.put("kind", kind.kind());
    b.put(kind.typeField(), kind.authorizationType());
    if (r.form("description") != null) {
      b.put("description", r.form("description"));
    }
    for (FieldSpec f : ConnectionTypes.of(kind).fields()) {
      if (RESERVED.contains(f.name())) {
        continue;
      }
      String v = f.type() == FieldType.TEXT ? r.ctx.formParam(f.name()) : r.form(f.name());
      if (v == null || v.isBlank()) {
        if (f.type() == FieldType.STRING_LIST) {
          List<String> picked = r.ctx.formParams(f.name());
          if (picked.size() > 1) {
            ArrayNode a = b.putArray(f.name());
            picked.stream().filter(p -> !p.isBlank()).distinct().forEach(a::add);
          }
        }
        continue;
      }
      switch (f.type()) {
        case BOOLEAN -> b.put(f.name(), "true".equals(v));
        case VIA -> b.putObject(f.name()).put("pool", v);
        case STRING_LIST -> {
          ArrayNode a = b.putArray(f.name());
          List<String> all = new ArrayList<>();
          for (String p : r.ctx.formParams(f.name())) {
            for (String x : p.split("[,\\s]+")) {
              if (!x.isBlank() && !all.contains(x.strip())) {
                all.add(x.strip());
              }
            }
          }
          all.forEach(a::add);
        }
        default -> b.put(f.name(), v);
      }
    }
    return b;
  }

  /** The non-secret values of the form, to fill it again. */
  private static Map<String, String> values(UiRequest r, ConnectionKind kind) {
    Map<String, String> v = new HashMap<>();
    v.put("name", r.form("name"));
    v.put("description", r.form("description"));
    v.put("timeout", r.form("timeout"));
    for (FieldSpec f : ConnectionTypes.of(kind).fields()) {
      if (!f.secret() && !RESERVED.contains(f.name())) {
        List<String> all = r.ctx.formParams(f.name()).stream().filter(x -> !x.isBlank()).toList();
        v.put(f.name(), all.isEmpty() ? null : String.join(", ", all));
      }
    }
    return v;
  }

  private static String timeout(UiRequest r) {
    String t = r.form("timeout");
    if (t == null) {
      return null;
    }
    try {
      int s = Integer.parseInt(t);
      if (s >= 1 && s <= 60) {
        return s + "s";
      }
    } catch (NumberFormatException e) {
      // fall through
    }
    throw SightlineException.badRequest(
        "INVALID_PARAMETER", "timeout", "the probe deadline must be 1 to 60 seconds");
  }

  private void submit(UiRequest r) throws Exception {
    ConnectionKind kind = kindOf(r, true);
    String action = r.form("action") == null ? "probe" : r.form("action");
    Map<String, String> values = values(r, kind);
    try {
      if (action.equals("probe")) {
        JsonNode probe =
            r.call(
                HandlerType.POST,
                PROBE,
                Map.of(),
                UiRequest.map("timeout", timeout(r)),
                body(r, kind));
        r.render(
            "Probe " + kind.authorizationType(),
            wizard(r, kind, values, result(r, kind, probe, false), null));
        return;
      }
      boolean verify = !action.equals("save-unverified");
      JsonNode saved =
          r.call(
              HandlerType.POST,
              BASE,
              Map.of(),
              UiRequest.map("verify", verify ? null : "false", "timeout", timeout(r)),
              body(r, kind));
      r.redirect(Html.path("/ui/connections/", saved.path("name").asText()) + "?notice=created");
    } catch (SightlineException e) {
      if (!e.isUserError()) {
        throw e;
      }
      Object probe = Layout.probeOf(e);
      Html panel = probe == null ? null : result(r, kind, JSON.valueToTree(probe), false);
      r.render(
          e.status(),
          "New " + kind.authorizationType() + " connection",
          wizard(r, kind, values, panel, Layout.problem(e)));
    }
  }

  /**
   * A probe's answer: its steps, then the namespaces (to pick) or the diagnosis, its hint and the
   * ways out.
   */
  private Html result(UiRequest r, ConnectionKind kind, JsonNode probe, boolean saved) {
    boolean ok = probe.path("ok").asBoolean();
    Html h =
        new Html()
            .open("div", "class", "panel", "id", "probe-answer", "data-ok", String.valueOf(ok));
    h.el(
        "h2",
        ok ? "Reached the cluster" : "The probe failed",
        "tabindex",
        "-1",
        "class",
        ok ? "ok" : "bad");
    if (probe.has("steps")) {
      h.add(steps(probe));
    }
    if (probe.hasNonNull("durationMillis")) {
      h.el(
          "p",
          "Answered in "
              + probe.path("durationMillis").asLong()
              + " ms"
              + (probe.hasNonNull("serverVersion")
                  ? " · Kubernetes " + probe.path("serverVersion").asText()
                  : "")
              + (probe.path("identity").hasNonNull("username")
                  ? " · as " + probe.path("identity").path("username").asText()
                  : ""),
          "class",
          "muted");
    }
    JsonNode d = probe.path("diagnosis");
    if (d.isObject()) {
      h.open("div", "class", "problem", "role", "alert", "id", "diagnosis");
      h.open("p")
          .el("strong", d.path("code").asText(), "class", "diagnosis-code")
          .text(": " + Layout.text(d.path("message")))
          .close("p");
      if (d.hasNonNull("hint")) {
        h.open("p").el("strong", "What to do: ").text(d.path("hint").asText()).close("p");
      }
      h.close("div");
      h.el("h3", "Ways forward");
      h.open("ul", "class", "options");
      boolean nsField =
          ConnectionTypes.of(kind).fields().stream().anyMatch(f -> f.name().equals("namespaces"));
      h.el(
          "li",
          nsField
              ? "Type the namespaces in the Namespaces field above instead of picking them."
              : "Type the namespace when a task takes a lease (sightline run -n NAMESPACE); no pick list is needed.");
      h.open("li")
          .text("Save without verification: ")
          .el(
              "button",
              "Save without verification",
              "type",
              "submit",
              "name",
              "action",
              "value",
              "save-unverified",
              "class",
              "secondary")
          .text(" (shown as not verified; verify it later from where the cluster is reachable).")
          .close("li");
      boolean via =
          ConnectionTypes.of(kind).fields().stream().anyMatch(f -> f.type() == FieldType.VIA);
      h.open("li")
          .text(
              "Use an agent pool in the cluster's network, so probes and minting run there"
                  + (via && !saved ? " (fill in the Via agent pool field above)" : ""));
      if (r.has(HandlerType.GET, AgentPages.AGENTS)) {
        h.text(": ").a("/ui/agents", "agents");
      } else {
        h.text(" (sightline agent).");
      }
      h.close("li");
      h.open("li")
          .text(
              "For AKS, use an azurerm target: nothing touches the cluster at configuration time — ")
          .a(
              "/ui/connections/new?kind=azurerm&type=WorkloadIdentityFederation",
              "new azurerm connection")
          .text(".")
          .close("li");
      h.close("ul");
    } else if (d.isTextual()) {
      h.open("div", "class", "problem", "role", "alert").el("p", d.asText()).close("div");
    }
    for (JsonNode w : probe.path("warnings")) {
      h.el("p", w.asText(), "class", "warning");
    }
    JsonNode ns = probe.path("namespaces");
    if (ns.isArray()) {
      h.el("h3", ns.size() + " namespaces");
      boolean pick =
          ConnectionTypes.of(kind).fields().stream().anyMatch(f -> f.name().equals("namespaces"));
      h.open("ul", "class", "namespaces", "id", "namespaces");
      for (JsonNode n : ns) {
        h.open("li");
        if (pick) {
          String id = "ns-" + n.asText();
          h.empty("input", "type", "checkbox", "name", "namespaces", "value", n.asText(), "id", id);
          h.text(" ").el("label", n.asText(), "for", id);
        } else {
          h.el("span", n.asText(), "class", "ns");
        }
        h.close("li");
      }
      h.close("ul");
    } else if (probe.path("namespacesForbidden").asBoolean()
        && !probe.path("warnings").toString().contains("FORBIDDEN_NAMESPACES")) {
      h.el(
          "p",
          "This credential may not list namespaces: type the namespace instead.",
          "class",
          "warning");
    }
    JsonNode clusters = probe.path("clusters");
    if (clusters.isArray()) {
      h.el("h3", clusters.size() + " AKS clusters");
      h.open("ul");
      for (JsonNode c : clusters) {
        h.el("li", c.asText());
      }
      h.close("ul");
    }
    return h.close("div");
  }

  // ------------------------------------------------------------------ live probe

  private void probeStream(UiRequest r) throws Exception {
    ConnectionKind kind = kindOf(r, true);
    ObjectNode body = body(r, kind);
    String deadline = timeout(r);
    stream(
        r,
        () -> r.call(HandlerType.POST, PROBE, Map.of(), UiRequest.map("timeout", deadline), body),
        probe -> result(r, kind, probe, false));
  }

  private void verifyStream(UiRequest r) throws Exception {
    String name = r.ctx.pathParam("name");
    ConnectionKind kind = kindOf(r.get(ONE, Map.of("name", name), Map.of()));
    String deadline = r.form("timeout") == null ? null : timeout(r);
    stream(
        r,
        () ->
            r.call(
                HandlerType.POST,
                VERIFY,
                Map.of("name", name),
                UiRequest.map("timeout", deadline),
                null),
        probe -> result(r, kind, probe, true));
  }

  /** What a streamed call does: the API call, run while its probe's steps are heard. */
  @FunctionalInterface
  private interface ApiWork {
    JsonNode run() throws Exception;
  }

  /**
   * Runs {@code work} (an API call that probes) on a worker while this request streams the probe's
   * steps as NDJSON lines ({@code started}, {@code ended}), then one {@code result} line with the
   * rendered answer (or the problem).
   */
  private void stream(UiRequest r, ApiWork work, java.util.function.Function<JsonNode, Html> render)
      throws Exception {
    BlockingQueue<ObjectNode> events = new LinkedBlockingQueue<>();
    ProbeProgress progress =
        new ProbeProgress() {
          @Override
          public void started(ProbeStep.Name name) {
            ObjectNode e = JSON.createObjectNode();
            e.put("type", "started");
            e.put("step", name.name().toLowerCase(Locale.ROOT));
            events.add(e);
          }

          @Override
          public void ended(ProbeStep step) {
            ObjectNode e = JSON.createObjectNode();
            e.put("type", "ended");
            e.put("step", step.name().name().toLowerCase(Locale.ROOT));
            e.put("status", step.status().name().toLowerCase(Locale.ROOT));
            e.put("millis", step.millis());
            e.put("detail", step.detail());
            events.add(e);
          }
        };
    Future<JsonNode> answer =
        probes.submit(
            () ->
                ProbeProgress.during(
                    progress,
                    () -> {
                      try {
                        return work.run();
                      } catch (RuntimeException e) {
                        throw e;
                      } catch (Exception e) {
                        throw new IllegalStateException(e);
                      }
                    }));
    r.ctx.status(200);
    r.ctx.contentType("application/x-ndjson; charset=utf-8");
    r.ctx.header("Cache-Control", "no-store");
    r.ctx.header("X-Accel-Buffering", "no");
    OutputStream out = r.ctx.res().getOutputStream();
    while (!answer.isDone() || !events.isEmpty()) {
      ObjectNode e = events.poll(50, TimeUnit.MILLISECONDS);
      if (e != null) {
        write(out, e);
      }
    }
    Html html;
    try {
      html = render.apply(answer.get());
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof SightlineException se && se.isUserError()) {
        Object probe = Layout.probeOf(se);
        html = probe == null ? Layout.problem(se) : render.apply(JSON.valueToTree(probe));
      } else {
        throw e.getCause() instanceof Exception x ? x : e;
      }
    }
    ObjectNode done = JSON.createObjectNode();
    done.put("type", "result");
    done.put("html", html.toString());
    write(out, done);
  }

  private static void write(OutputStream out, ObjectNode e) throws java.io.IOException {
    out.write((e.toString() + "\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  // ------------------------------------------------------------------ detail

  private void verify(UiRequest r) throws Exception {
    String name = r.ctx.pathParam("name");
    JsonNode probe;
    try {
      probe =
          r.call(
              HandlerType.POST,
              VERIFY,
              Map.of("name", name),
              UiRequest.map("timeout", r.form("timeout") == null ? null : timeout(r)),
              null);
    } catch (SightlineException e) {
      if (!e.isUserError()) {
        throw e;
      }
      detail(r, Layout.problem(e));
      return;
    }
    ConnectionKind kind = kindOf(r.get(ONE, Map.of("name", name), Map.of()));
    detail(r, result(r, kind, probe, true));
  }

  private void detail(UiRequest r, Html panel) throws Exception {
    String name = r.ctx.pathParam("name");
    JsonNode c = r.get(ONE, Map.of("name", name), Map.of());
    String type =
        c.hasNonNull("authorizationType")
            ? c.path("authorizationType").asText()
            : Layout.text(c.path("scheme"));
    ConnectionKind kind = ConnectionKind.fromWire(c.path("kind").asText(), type);
    Html h = new Html().el("h1", "Connection " + name);
    ActivityPages.notice(r, h);
    for (JsonNode w : c.path("warnings")) {
      h.el("p", w.asText(), "class", "warning");
    }
    h.open("div", "class", "actions");
    h.add(
        r.form(
                Html.path("/ui/connections/", name) + "/verify",
                "data-busy",
                "data-busy",
                "id",
                "verify",
                "data-probe",
                Html.path("/ui/connections/", name) + "/verify-stream")
            .el(
                "button",
                kind.isAzureRm() ? "Verify sign-in" : "Verify and list namespaces",
                "type",
                "submit",
                "name",
                "action",
                "value",
                "probe",
                "data-busy-label",
                "Probing…")
            .el(
                "span",
                "",
                "data-busy-status",
                "data-busy-status",
                "role",
                "status",
                "class",
                "muted")
            .close("form"));
    if (kind.isAzureRm()) {
      h.a(
          Html.path("/ui/connections/", name) + "/aks",
          "Pick an AKS cluster",
          "class",
          "button secondary");
    }
    h.close("div");
    h.open("div", "id", "probe-result", "aria-live", "polite").add(panel).close("div");
    h.add(liveTemplate());

    h.el("h2", "Settings");
    h.open("dl", "class", "facts");
    fact(h, "Kind", c.path("kind").asText());
    fact(h, kind.isAzureRm() ? "Scheme" : "Authorization type", type);
    fact(
        h,
        "Verified",
        c.path("verified").asBoolean() ? "yes, " + Layout.when(c.path("verifiedAt")) : "no");
    if (c.hasNonNull("serverUrl")) {
      fact(h, "Server", c.path("serverUrl").asText());
    }
    if (c.hasNonNull("description")) {
      fact(h, "Description", c.path("description").asText());
    }
    List<String> secretFields = new ArrayList<>();
    c.path("secretFields").forEach(s -> secretFields.add(s.asText()));
    for (FieldSpec f : ConnectionTypes.of(kind).fields()) {
      if (f.secret()) {
        if (f.stored()) {
          fact(
              h,
              f.label(),
              secretFields.contains(f.name()) ? "•••••••• (set; write-only)" : "not set");
        }
        continue;
      }
      JsonNode v = c.path(f.name());
      if (!v.isMissingNode() && !v.isNull()) {
        fact(
            h,
            f.label(),
            v.isArray() ? join(v) : v.isObject() ? Layout.text(v.path("pool")) : v.asText());
      }
    }
    if (c.hasNonNull("homeNamespace")) {
      fact(h, "Home namespace", c.path("homeNamespace").asText());
    }
    if (c.path("deployers").isObject()) {
      List<String> d = new ArrayList<>();
      c.path("deployers")
          .fields()
          .forEachRemaining(e -> d.add(e.getKey() + " → " + e.getValue().asText()));
      fact(h, "Deployers", String.join(", ", d));
    }
    if (c.path("allPowerful").asBoolean()) {
      fact(h, "Tasks are", "ALL-POWERFUL (cluster-admin)");
    }
    h.close("dl");

    JsonNode wif = c.path("workloadIdentityFederation");
    if (wif.isObject()) {
      h.el("h2", "Federated credential");
      h.el(
          "p",
          "Create a federated credential on the app registration or managed identity in Entra ID with these values:");
      h.open("dl", "class", "facts");
      for (String k : List.of("issuer", "subject", "audience")) {
        if (wif.hasNonNull(k)) {
          h.el("dt", k.substring(0, 1).toUpperCase(Locale.ROOT) + k.substring(1));
          h.open("dd", "class", "copy").el("code", wif.path(k).asText(), "id", "wif-" + k);
          h.el(
              "button",
              "Copy",
              "type",
              "button",
              "class",
              "secondary",
              "data-copy",
              "wif-" + k,
              "hidden",
              "hidden",
              "aria-label",
              "Copy the " + k);
          h.close("dd");
        }
      }
      h.close("dl");
    }

    h.el("h2", "Pipeline permissions");
    JsonNode perms = c.path("pipelinePermissions");
    if (perms.path("allPipelines").asBoolean()) {
      h.el("p", "Every pipeline identity from a trusted issuer may use this connection.");
    } else if (perms.path("pipelines").size() == 0) {
      h.el(
          "p",
          "No pipeline (CI ID token) may use this connection; API tokens with role user may.",
          "class",
          "muted");
    } else {
      h.open("ul");
      perms.path("pipelines").forEach(p -> h.open("li").el("code", p.asText()).close("li"));
      h.close("ul");
    }

    h.add(
        r.form(
            Html.path("/ui/connections/", name) + "/pipeline-permissions",
            "class",
            "stack",
            "id",
            "permissions"));
    h.open("div", "class", "field check");
    h.empty(
        "input",
        "type",
        "checkbox",
        "id",
        "f-allPipelines",
        "name",
        "allPipelines",
        "value",
        "true",
        "checked",
        perms.path("allPipelines").asBoolean() ? "checked" : null);
    h.text(" ").el("label", "Every pipeline from a trusted issuer", "for", "f-allPipelines");
    h.close("div");
    h.open("div", "class", "field");
    h.el("label", "Pipeline identity patterns (one per line)", "for", "f-pipelines");
    List<String> patterns = new ArrayList<>();
    perms.path("pipelines").forEach(p -> patterns.add(p.asText()));
    h.open(
            "textarea",
            "id",
            "f-pipelines",
            "name",
            "pipelines",
            "rows",
            "3",
            "spellcheck",
            "false",
            "aria-describedby",
            "h-pipelines")
        .text(String.join("\n", patterns))
        .close("textarea");
    h.el(
        "span",
        "e.g. github:org/app@refs/heads/main or gitlab:group/project@refs/heads/*",
        "class",
        "help",
        "id",
        "h-pipelines");
    h.close("div");
    h.open("div", "class", "actions")
        .el("button", "Save pipeline permissions", "type", "submit", "class", "secondary")
        .close("div");
    h.close("form");

    h.el("h2", "Active leases");
    try {
      JsonNode leases = r.get(LEASES, Map.of(), Map.of("active", "true", "limit", "1000"));
      h.add(
          ActivityPages.leaseTable(
              r,
              leases.path("items"),
              l ->
                  name.equals(l.path("target").path("connection").asText())
                      || name.equals(l.path("target").path("azureConnection").asText()),
              Html.path("/ui/connections/", name)));
    } catch (SightlineException e) {
      h.add(Layout.problem(e));
    }

    h.el("h2", "Verification history");
    JsonNode history = r.get(VERIFICATIONS, Map.of("name", name), Map.of("limit", "20"));
    Html rows = new Html();
    for (JsonNode v : history.path("items")) {
      rows.open("tr");
      rows.el("td", Layout.when(v.path("at")));
      boolean ok = v.path("ok").asBoolean();
      rows.el("td", ok ? "ok" : "failed", "class", ok ? "ok" : "bad");
      rows.el("td", Layout.text(v.path("diagnosis")));
      JsonNode s = v.path("summary");
      rows.el(
          "td",
          s.hasNonNull("message")
              ? s.path("message").asText()
                  + (s.hasNonNull("hint") ? " — " + s.path("hint").asText() : "")
              : (s.hasNonNull("serverVersion")
                  ? "Kubernetes " + s.path("serverVersion").asText()
                  : ""));
      rows.close("tr");
    }
    h.add(
        history.path("items").size() == 0
            ? new Html().el("p", "Never verified.", "class", "muted")
            : Layout.table(null, List.of("When", "Result", "Diagnosis", "Detail"), rows));
    r.render("Connection " + name, h);
  }

  private void permissions(UiRequest r) throws Exception {
    String name = r.ctx.pathParam("name");
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("allPipelines", "true".equals(r.form("allPipelines")));
    List<String> patterns = new ArrayList<>();
    String text = r.ctx.formParam("pipelines");
    if (text != null) {
      for (String line : text.split("[\\r\\n]+")) {
        if (!line.isBlank()) {
          patterns.add(line.strip());
        }
      }
    }
    body.put("pipelines", patterns);
    r.call(HandlerType.PUT, PERMISSIONS, Map.of("name", name), body);
    r.redirect(Html.path("/ui/connections/", name) + "?notice=saved");
  }

  private static void fact(Html h, String k, String v) {
    h.el("dt", k).el("dd", v);
  }

  private static String join(JsonNode a) {
    List<String> out = new ArrayList<>();
    a.forEach(x -> out.add(x.asText()));
    return String.join(", ", out);
  }

  // ------------------------------------------------------------------ AKS pickers

  private void aks(UiRequest r) throws Exception {
    String name = r.ctx.pathParam("name");
    String rg = r.param("resourceGroup");
    String cluster = r.param("cluster");
    Html h = new Html().el("h1", "AKS clusters of " + name);
    h.open("p").a(Html.path("/ui/connections/", name), "Back to the connection").close("p");
    JsonNode all = r.get(AKS, Map.of("name", name), Map.of());
    List<String> groups = new ArrayList<>();
    for (JsonNode c : all.path("items")) {
      String g = c.path("resourceGroup").asText();
      if (!groups.contains(g)) {
        groups.add(g);
      }
    }
    h.open(
        "form",
        "method",
        "get",
        "action",
        Html.path("/ui/connections/", name) + "/aks",
        "class",
        "filters");
    h.open("div", "class", "field").el("label", "Resource group", "for", "f-rg");
    h.open("select", "id", "f-rg", "name", "resourceGroup", "data-autosubmit", "data-autosubmit");
    h.el("option", "choose…", "value", "");
    for (String g : groups) {
      h.el("option", g, "value", g, "selected", g.equals(rg) ? "selected" : null);
    }
    h.close("select").close("div");
    h.el("button", "Show clusters", "type", "submit", "class", "secondary");
    h.close("form");
    if (rg != null) {
      h.el("h2", "Clusters in " + rg);
      h.open("ul", "id", "clusters");
      for (JsonNode c : all.path("items")) {
        if (rg.equals(c.path("resourceGroup").asText())) {
          String cn = c.path("name").asText();
          h.open("li")
              .a(
                  Html.path("/ui/connections/", name)
                      + "/aks?resourceGroup="
                      + Html.q(rg)
                      + "&cluster="
                      + Html.q(cn),
                  cn,
                  "aria-current",
                  cn.equals(cluster) ? "true" : null)
              .close("li");
        }
      }
      h.close("ul");
    }
    if (rg != null && cluster != null) {
      JsonNode f =
          r.get(AKS_ONE, Map.of("name", name, "resourceGroup", rg, "cluster", cluster), Map.of());
      h.el("h2", "Cluster " + cluster);
      h.open("dl", "class", "facts", "id", "aks-facts");
      fact(h, "Kubernetes", Layout.text(f.path("kubernetesVersion")));
      fact(h, "API server", Layout.text(f.path("apiServerHost")));
      fact(h, "Private cluster", yes(f, "privateCluster"));
      fact(h, "Entra ID", yes(f, "entraId"));
      fact(h, "Azure RBAC", yes(f, "azureRbac"));
      fact(h, "Local accounts disabled", yes(f, "localAccountsDisabled"));
      h.close("dl");
      h.el("h3", "Recommendation");
      h.el("p", Layout.text(f.path("recommendation")), "class", "notice", "id", "recommendation");
      h.el(
          "p",
          "Tasks use it as the target {azureConnection: "
              + name
              + ", resourceGroup: "
              + rg
              + ", cluster: "
              + cluster
              + "}.",
          "class",
          "muted");
    }
    r.render("AKS clusters", h);
  }

  private static String yes(JsonNode f, String k) {
    return f.path(k).asBoolean() ? "yes" : "no";
  }
}
