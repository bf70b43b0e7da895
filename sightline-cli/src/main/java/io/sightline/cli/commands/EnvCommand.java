package io.sightline.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sightline.cli.CliContext;
import io.sightline.cli.ClientOptions;
import io.sightline.cli.Json;
import io.sightline.cli.OutputOptions;
import io.sightline.cli.Table;
import io.sightline.cli.UsageException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sightline env …}: environments, their resources and checks, history and approvals. */
@Command(
    name = "env",
    description = {
      "Environments: named deployment targets (e.g. production) holding Kubernetes resources"
          + " (a cluster target each), checks that gate the minting of a credential (approval,"
          + " businessHours, exclusiveLock, branchControl), and deployment history.",
      "  sightline env create production",
      "  sightline env add-resource production --name web --connection prod -n web",
      "  sightline env add-check production approval --approver group:ops-leads",
      "  sightline run --environment production --resource web -- kubectl apply -f k8s/",
      "See docs/environments.md."
    },
    subcommands = {
      EnvCommand.Create.class,
      EnvCommand.ListEnvs.class,
      EnvCommand.Show.class,
      EnvCommand.Update.class,
      EnvCommand.Delete.class,
      EnvCommand.AddResource.class,
      EnvCommand.RemoveResource.class,
      EnvCommand.AddCheck.class,
      EnvCommand.RemoveCheck.class,
      EnvCommand.Checks.class,
      EnvCommand.History.class,
      EnvCommand.Approvals.class,
      EnvCommand.Cancel.class
    })
public final class EnvCommand {
  private EnvCommand() {}

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  /** Who may deploy: pipeline patterns and role grants, shared by create and update. */
  static final class AccessOptions {
    @Option(
        names = "--pipeline",
        paramLabel = "PATTERN",
        description =
            "A pipeline identity pattern that may deploy here, e.g."
                + " 'github:org/app@refs/heads/main' (repeatable).")
    List<String> pipelines = new ArrayList<>();

    @Option(
        names = "--all-pipelines",
        description = "Every pipeline identity from a trusted issuer may deploy here.")
    boolean allPipelines;

    @Option(
        names = "--role",
        paramLabel = "MEMBER=ROLE",
        description =
            "Grant an environment role: alice=user, group:ops=creator (repeatable). With any"
                + " grant, API-token callers need one (or admin) to deploy; creator may also"
                + " change the environment.")
    List<String> roles = new ArrayList<>();

    boolean givesPipelines() {
      return allPipelines || !pipelines.isEmpty();
    }

    ObjectNode permissions() {
      ObjectNode p = Json.MAPPER.createObjectNode().put("allPipelines", allPipelines);
      ArrayNode a = p.putArray("pipelines");
      pipelines.forEach(a::add);
      return p;
    }

    ArrayNode roles() {
      ArrayNode a = Json.MAPPER.createArrayNode();
      for (String r : roles) {
        int eq = r.lastIndexOf('=');
        if (eq <= 0 || eq == r.length() - 1) {
          throw new UsageException(
              "--role takes MEMBER=ROLE, e.g. group:ops=creator or alice=user (got \"" + r + "\")");
        }
        a.addObject().put("member", r.substring(0, eq)).put("role", r.substring(eq + 1));
      }
      return a;
    }
  }

  @Command(
      name = "create",
      description = {
        "Create an environment (role creator). It may start empty: add resources later, also for"
            + " clusters the server cannot reach now (an azurerm resource is checked only at"
            + " deployment time).",
        "  sightline env create production --description 'live' --pipeline"
            + " 'github:org/app@refs/heads/main'"
      })
  public static final class Create implements Callable<Integer> {
    private final CliContext ctx;

    @Mixin ClientOptions client;
    @Mixin OutputOptions output;
    @Mixin AccessOptions access;

    @Parameters(paramLabel = "NAME", description = "1-63 of [a-z0-9-], starting with a letter.")
    String name;

    @Option(names = "--description", paramLabel = "TEXT", description = "What it is.")
    String description;

    public Create(CliContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      ObjectNode body = Json.MAPPER.createObjectNode().put("name", name);
      if (description != null) {
        body.put("description", description);
      }
      if (access.givesPipelines()) {
        body.set("pipelinePermissions", access.permissions());
      }
      if (!access.roles.isEmpty()) {
        body.set("roles", access.roles());
      }
      JsonNode e = ctx.client(client.server).post("/api/v1/environments", body);
      if (output.json()) {
        Json.print(ctx.out(), e);
      }
      ctx.err().printf("Created environment %s%n", name);
      ctx.err().flush();
      return 0;
    }
  }

  @Command(
      name = "update",
      description =
          "Change an environment's description, pipeline permissions (--pipeline/--all-pipelines"
              + " replace them) or roles (--role replaces them; --no-roles clears them).")
  public static final class Update implements Callable<Integer> {
    private final CliContext ctx;

    @Mixin ClientOptions client;
    @Mixin OutputOptions output;
    @Mixin AccessOptions access;

    @Parameters(paramLabel = "NAME", description = "The environment.")
    String name;

    @Option(names = "--description", paramLabel = "TEXT", description = "What it is.")
    String description;

    @Option(names = "--no-pipelines", description = "No pipeline may deploy here.")
    boolean noPipelines;

    @Option(names = "--no-roles", description = "Remove every role grant.")
    boolean noRoles;

    public Update(CliContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      ObjectNode body = Json.MAPPER.createObjectNode();
      if (description != null) {
        body.put("description", description);
      }
      if (access.givesPipelines() || noPipelines) {
        body.set("pipelinePermissions", access.permissions());
      }
      if (!access.roles.isEmpty() || noRoles) {
        body.set("roles", access.roles());
      }
      JsonNode e = ctx.client(client.server).send("PUT", "/api/v1/environments/" + enc(name), body);
      if (output.json()) {
        Json.print(ctx.out(), e);
      }
      ctx.err().printf("Updated environment %s%n", name);
      ctx.err().flush();
      return 0;
    }
  }

  @Command(name = "list", description = "List environments, their resources and checks.")
  public static final class ListEnvs implements Callable<Integer> {
    private final CliContext ctx;

    @Mixin ClientOptions client;
    @Mixin OutputOptions output;

    public ListEnvs(CliContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      JsonNode list = ctx.client(client.server).get("/api/v1/environments");
      output.printList(
          ctx.out(),
          list,
          new Table("NAME", "RESOURCES", "CHECKS", "PIPELINES", "DESCRIPTION"),
          e ->
              new Object[] {
                Json.text(e, "name"),
                String.join(",", names(e.path("resources"), "name")),
                String.join(",", names(e.path("checks"), "type")),
                e.at("/pipelinePermissions/allPipelines").asBoolean()
                    ? "all"
                    : String.valueOf(e.at("/pipelinePermissions/pipelines").size()),
                e.path("description").asText("")
              });
      return 0;
    }
  }

  static List<String> names(JsonNode array, String field) {
    List<String> out = new ArrayList<>();
    array.forEach(x -> out.add(x.path(field).asText()));
    return out;
  }

  @Command(name = "show", description = "Show an environment: resources, checks, permissions.")
  public static final class Show implements Callable<Integer> {
    private final CliContext ctx;

    @Mixin ClientOptions client;
    @Mixin OutputOptions output;

    @Parameters(paramLabel = "NAME", description = "The environment.")
    String name;

    public Show(CliContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      JsonNode e = ctx.client(client.server).get("/api/v1/environments/" + enc(name));
      if (output.json()) {
        Json.print(ctx.out(), e);
        return 0;
      }
      var out = ctx.out();
      out.printf("environment  %s%n", Json.text(e, "name"));
      if (e.hasNonNull("description")) {
        out.printf("description  %s%n", Json.text(e, "description"));
      }
      out.printf(
          "pipelines    %s%n",
          e.at("/pipelinePermissions/allPipelines").asBoolean()
              ? "all"
              : String.join(", ", names2(e.at("/pipelinePermissions/pipelines"))));
      List<String> roles = new ArrayList<>();
      e.path("roles")
          .forEach(r -> roles.add(r.path("member").asText() + "=" + r.path("role").asText()));
      out.printf(
          "roles        %s%n", roles.isEmpty() ? "(global roles)" : String.join(", ", roles));
      out.println();
      Table r = new Table("RESOURCE", "TAGS", "CONNECTION TYPE", "TARGET");
      for (JsonNode x : e.path("resources")) {
        r.row(
            Json.text(x, "name"),
            String.join(",", names2(x.path("tags"))),
            Json.text(x, "connectionType"),
            target(x.path("target")));
      }
      r.print(out);
      out.println();
      checksTable(e.path("checks")).print(out);
      return 0;
    }
  }

  static List<String> names2(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(x -> out.add(x.asText()));
    return out;
  }

  static String target(JsonNode t) {
    if (t.hasNonNull("azureConnection")) {
      return "azurerm "
          + t.path("azureConnection").asText()
          + " "
          + t.path("resourceGroup").asText()
          + "/"
          + t.path("cluster").asText()
          + " ns "
          + t.path("namespace").asText();
    }
    return t.path("connection").asText() + " ns " + t.path("namespace").asText();
  }

  static Table checksTable(JsonNode checks) {
    Table t = new Table("CHECK", "TYPE", "ON", "SETTINGS");
    for (JsonNode c : checks) {
      Map<String, String> s = new LinkedHashMap<>();
      c.fields()
          .forEachRemaining(
              f -> {
                if (!List.of("id", "type", "scope", "scopeName", "createdAt", "createdBy")
                    .contains(f.getKey())) {
                  s.put(
                      f.getKey(),
                      f.getValue().isArray()
                          ? String.join(",", names2(f.getValue()))
                          : f.getValue().asText());
                }
              });
      List<String> parts = new ArrayList<>();
      s.forEach((k, v) -> parts.add(k + "=" + v));
      t.row(
          Json.text(c, "id"),
          Json.text(c, "type"),
          Json.text(c, "scope") + " " + Json.text(c, "scopeName"),
          String.join(" ", parts));
    }
    return t;
  }

  @Command(
      name = "delete",
      description =
          "Delete an environment with its resources and checks (its deployment history stays);"
              + " refused while deployments are not finished.")
  public static final class Delete implements Callable<Integer> {
    private final CliContext ctx;

    @Mixin ClientOptions client;

    @Parameters(paramLabel = "NAME", description = "The environment.")
    String name;

    public Delete(CliContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      ctx.client(client.server).delete("/api/v1/environments/" + enc(name));
      ctx.err().printf("Deleted environment %s%n", name);
      ctx.err().flush();
      return 0;
    }
  }

  @Command(
      name = "add-resource",
      description = {
        "Add a Kubernetes resource to an environment: a name, tags and a cluster target (a"
            + " kubernetes connection + namespace, or an azurerm connection + resource group +"
            + " cluster + namespace). A deployment's lease can act only in its resource's"
            + " namespace.",
        "  sightline env add-resource production --name web --connection prod -n web --tag eu",
        "  sightline env add-resource production --name api --azure-connection arm"
            + " --resource-group rg --cluster aks1 -n api"
      })
  public static final class AddResource implements Callable<Integer> {
    private final CliContext ctx;

    @Mixin ClientOptions client;
    @Mixin OutputOptions output;
    @Mixin LeaseCommand.TargetOptions target;

    @Parameters(paramLabel = "ENV", description = "The environment.")
    String env;

    @Option(names = "--name", required = true, paramLabel = "NAME", description = "Resource name.")
    String name;

    @Option(names = "--tag", paramLabel = "TAG", description = "A tag (repeatable).")
    List<String> tags = new ArrayList<>();

    public AddResource(CliContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      ObjectNode body = Json.MAPPER.createObjectNode().put("name", name);
      ArrayNode t = body.putArray("tags");
      tags.forEach(t::add);
      body.set("target", target.target());
      JsonNode r =
          ctx.client(client.server).post("/api/v1/environments/" + enc(env) + "/resources", body);
      if (output.json()) {
        Json.print(ctx.out(), r);
      }
      ctx.err()
          .printf(
              "Added resource %s to %s: %s (%s)%n",
              name, env, target(r.path("target")), Json.text(r, "connectionType"));
      ctx.err().flush();
      return 0;
    }
  }

  @Command(name = "remove-resource", description = "Remove a resource from an environment.")
  public static final class RemoveResource implements Callable<Integer> {
    private final CliContext ctx;

    @Mixin ClientOptions client;

    @Parameters(index = "0", paramLabel = "ENV", description = "The environment.")
    String env;

    @Parameters(index = "1", paramLabel = "RESOURCE", description = "The resource.")
    String resource;

    public RemoveResource(CliContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      ctx.client(client.server)
          .delete("/api/v1/environments/" + enc(env) + "/resources/" + enc(resource));
      ctx.err().printf("Removed resource %s from %s%n", resource, env);
      ctx.err().flush();
      return 0;
    }
  }

  /** ENV, or --connection NAME: where a check lives. */
  static final class CheckScope {
    @Option(
        names = "--connection",
        paramLabel = "NAME",
        description =
            "Put the check on this connection instead of an environment: it applies to every"
                + " environment resource on the connection.")
    String connection;

    String path(List<String> positional, int expected, String usage) {
      int envs = connection == null ? 1 : 0;
      if (positional.size() != expected + envs) {
        throw new UsageException(usage);
      }
      return connection != null
          ? "/api/v1/connections/" + enc(connection) + "/checks"
          : "/api/v1/environments/" + enc(positional.get(0)) + "/checks";
    }

    List<String> rest(List<String> positional) {
      return connection == null ? positional.subList(1, positional.size()) : positional;
    }
  }

  @Command(
      name = "add-check",
      description = {
        "Add a check to an environment (or with --connection to a connection). Types:",
        "  approval       --approver NAME|group:NAME… [--min-approvers N]"
            + " [--requester-cannot-approve] [--instructions TEXT] [--timeout 24h]",
        "  businessHours  --start 09:00 --end 17:00 [--days mon,tue,wed,thu,fri]"
            + " [--time-zone Europe/Berlin]",
        "  exclusiveLock  [--fail-fast]   (one deployment holding a lease at a time; others queue"
            + " in order, or are refused with --fail-fast)",
        "  branchControl  --allowed-ref refs/heads/main…   (read from the pipeline's ID token)",
        "  sightline env add-check production approval --approver group:ops-leads"
            + " --min-approvers 2 --requester-cannot-approve"
      })
  public static final class AddCheck implements Callable<Integer> {
    private final CliContext ctx;

    @Mixin ClientOptions client;
    @Mixin OutputOptions output;
    @Mixin CheckScope scope;

    @Parameters(
        paramLabel = "ENV TYPE",
        description = "The environment (unless --connection), then the check type.")
    List<String> positional = new ArrayList<>();

    @Option(
        names = "--approver",
        paramLabel = "MEMBER",
        description = "approval: a principal name or group:NAME (repeatable).")
    List<String> approvers = new ArrayList<>();

    @Option(
        names = "--min-approvers",
        paramLabel = "N",
        description = "approval: how many must approve (default 1).")
    Integer minApprovers;

    @Option(
        names = "--requester-cannot-approve",
        description = "approval: the requester may not approve their own deployment.")
    boolean requesterCannotApprove;

    @Option(
        names = "--instructions",
        paramLabel = "TEXT",
        description = "approval: shown to approvers.")
    String instructions;

    @Option(
        names = "--timeout",
        paramLabel = "DURATION",
        description = "approval: how long to wait, e.g. 2h (default 24h).")
    String timeout;

    @Option(
        names = "--days",
        paramLabel = "DAYS",
        split = ",",
        description = "businessHours: mon,tue,… (default mon-fri).")
    List<String> days = new ArrayList<>();

    @Option(names = "--start", paramLabel = "HH:mm", description = "businessHours: opening time.")
    String start;

    @Option(names = "--end", paramLabel = "HH:mm", description = "businessHours: closing time.")
    String end;

    @Option(
        names = "--time-zone",
        paramLabel = "ZONE",
        description = "businessHours: IANA zone (default UTC).")
    String timeZone;

    @Option(names = "--fail-fast", description = "exclusiveLock: refuse instead of queueing.")
    boolean failFast;

    @Option(
        names = "--allowed-ref",
        paramLabel = "REF",
        description = "branchControl: an allowed ref or glob (repeatable).")
    List<String> allowedRefs = new ArrayList<>();

    public AddCheck(CliContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      String path =
          scope.path(
              positional, 1, "give ENV TYPE (or --connection NAME TYPE), e.g. production approval");
      String type = scope.rest(positional).get(0);
      ObjectNode body = Json.MAPPER.createObjectNode().put("type", type);
      if (!approvers.isEmpty()) {
        approvers.forEach(body.putArray("approvers")::add);
      }
      if (minApprovers != null) {
        body.put("minApprovers", minApprovers);
      }
      if (requesterCannotApprove) {
        body.put("requesterCannotApprove", true);
      }
      if (instructions != null) {
        body.put("instructions", instructions);
      }
      if (timeout != null) {
        body.put("timeoutSeconds", LeaseCommand.ttlSeconds(timeout, "--timeout"));
      }
      if (!days.isEmpty()) {
        days.forEach(body.putArray("days")::add);
      }
      if (start != null) {
        body.put("start", start);
      }
      if (end != null) {
        body.put("end", end);
      }
      if (timeZone != null) {
        body.put("timeZone", timeZone);
      }
      if (failFast) {
        body.put("failFast", true);
      }
      if (!allowedRefs.isEmpty()) {
        allowedRefs.forEach(body.putArray("allowedRefs")::add);
      }
      JsonNode c = ctx.client(client.server).post(path, body);
      if (output.json()) {
        Json.print(ctx.out(), c);
      }
      ctx.err()
          .printf(
              "Added %s check %s to %s %s%n",
              type, Json.text(c, "id"), Json.text(c, "scope"), Json.text(c, "scopeName"));
      ctx.err().flush();
      return 0;
    }
  }

  @Command(
      name = "remove-check",
      description =
          "Remove a check from an environment (or with --connection from a connection);"
              + " deployments already requested keep theirs.")
  public static final class RemoveCheck implements Callable<Integer> {
    private final CliContext ctx;

    @Mixin ClientOptions client;
    @Mixin CheckScope scope;

    @Parameters(
        paramLabel = "ENV CHECK",
        description = "The environment (unless --connection), then the check id.")
    List<String> positional = new ArrayList<>();

    public RemoveCheck(CliContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      String path = scope.path(positional, 1, "give ENV CHECK (or --connection NAME CHECK)");
      String id = scope.rest(positional).get(0);
      ctx.client(client.server).delete(path + "/" + enc(id));
      ctx.err().printf("Removed check %s%n", id);
      ctx.err().flush();
      return 0;
    }
  }

  @Command(
      name = "checks",
      description = "List an environment's checks (or with --connection a connection's).")
  public static final class Checks implements Callable<Integer> {
    private final CliContext ctx;

    @Mixin ClientOptions client;
    @Mixin OutputOptions output;
    @Mixin CheckScope scope;

    @Parameters(
        paramLabel = "ENV",
        arity = "0..1",
        description = "The environment (unless --connection).")
    List<String> positional = new ArrayList<>();

    public Checks(CliContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      String path = scope.path(positional, 0, "give ENV (or --connection NAME)");
      JsonNode list = ctx.client(client.server).get(path);
      if (output.json()) {
        Json.print(ctx.out(), list);
        return 0;
      }
      checksTable(list.path("items")).print(ctx.out());
      return 0;
    }
  }

  @Command(
      name = "history",
      description = {
        "An environment's deployments, newest first: who, which resource, the checks' outcome,"
            + " approvers, result and exit code.",
        "  sightline env history production --resource web --result failed --since 2026-11-01T00:00:00Z"
      })
  public static final class History implements Callable<Integer> {
    private final CliContext ctx;

    @Mixin ClientOptions client;
    @Mixin OutputOptions output;

    @Parameters(paramLabel = "ENV", description = "The environment.")
    String env;

    @Option(names = "--resource", paramLabel = "RESOURCE", description = "Only this resource.")
    String resource;

    @Option(
        names = "--result",
        paramLabel = "RESULT",
        description = "succeeded, failed, rejected, timed-out, cancelled or refused.")
    String result;

    @Option(
        names = "--pipeline",
        paramLabel = "NAME",
        description = "Only this pipeline (the task's pipeline name).")
    String pipeline;

    @Option(
        names = "--since",
        paramLabel = "INSTANT",
        description = "Created at or after, e.g. 2026-11-29T00:00:00Z.")
    String since;

    @Option(names = "--until", paramLabel = "INSTANT", description = "Created before.")
    String until;

    @Option(names = "--limit", paramLabel = "N", description = "At most N (default 100).")
    Integer limit;

    public History(CliContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      Map<String, String> q = new LinkedHashMap<>();
      put(q, "resource", resource);
      put(q, "result", result);
      put(q, "pipeline", pipeline);
      put(q, "since", since);
      put(q, "until", until);
      put(q, "limit", limit == null ? null : limit.toString());
      JsonNode list =
          ctx.client(client.server).get("/api/v1/environments/" + enc(env) + "/deployments", q);
      output.printList(
          ctx.out(),
          list,
          new Table(
              "DEPLOYMENT",
              "CREATED",
              "RESOURCE",
              "REQUESTER",
              "STATE",
              "RESULT",
              "EXIT",
              "APPROVERS",
              "LEASE"),
          d ->
              new Object[] {
                Json.text(d, "id"),
                Json.text(d, "createdAt"),
                Json.text(d, "resource"),
                Json.text(d, "requester"),
                d.path("state").asText().equals("waiting")
                    ? "waiting: " + d.path("waitingFor").asText()
                    : Json.text(d, "state"),
                d.path("result").asText(""),
                d.hasNonNull("exitCode") ? d.get("exitCode").asText() : "",
                String.join(",", names2(d.path("approvers"))),
                d.path("leaseId").asText("")
              });
      return 0;
    }

    private static void put(Map<String, String> q, String k, String v) {
      if (v != null) {
        q.put(k, v);
      }
    }
  }

  @Command(
      name = "approvals",
      description =
          "Approvals waiting for a decision (--all: every approval), newest decisions last.")
  public static final class Approvals implements Callable<Integer> {
    private final CliContext ctx;

    @Mixin ClientOptions client;
    @Mixin OutputOptions output;

    @Option(names = "--all", description = "Also decided, timed-out and withdrawn approvals.")
    boolean all;

    @Option(names = "--mine", description = "Only those you may decide.")
    boolean mine;

    public Approvals(CliContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      Map<String, String> q = new LinkedHashMap<>();
      q.put("pending", String.valueOf(!all));
      if (mine) {
        q.put("mine", "true");
      }
      JsonNode list = ctx.client(client.server).get("/api/v1/approvals", q);
      output.printList(
          ctx.out(),
          list,
          new Table(
              "APPROVAL",
              "ENVIRONMENT",
              "RESOURCE",
              "REQUESTER",
              "STATE",
              "APPROVED",
              "APPROVERS",
              "TIMEOUT",
              "INSTRUCTIONS"),
          a ->
              new Object[] {
                Json.text(a, "id"),
                Json.text(a, "environment"),
                Json.text(a, "resource"),
                Json.text(a, "requester"),
                Json.text(a, "state"),
                a.path("approved").asInt() + "/" + a.path("minApprovers").asInt(),
                String.join(",", names2(a.path("approvers"))),
                Json.text(a, "timeoutAt"),
                a.path("instructions").asText("")
              });
      return 0;
    }
  }

  @Command(
      name = "cancel",
      description =
          "Withdraw a deployment (role creator; a waiting run withdraws its own on Ctrl-C).")
  public static final class Cancel implements Callable<Integer> {
    private final CliContext ctx;

    @Mixin ClientOptions client;

    @Parameters(paramLabel = "DEPLOYMENT", description = "The deployment id.")
    String id;

    public Cancel(CliContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      JsonNode d =
          ctx.client(client.server).post("/api/v1/deployments/" + enc(id) + "/cancel", null);
      ctx.err()
          .printf("Deployment %s: %s%n", id, d.path("result").asText(d.path("state").asText()));
      ctx.err().flush();
      return 0;
    }
  }
}
