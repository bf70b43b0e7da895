package io.sightline.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sightline.cli.CliContext;
import io.sightline.cli.ClientOptions;
import io.sightline.cli.Json;
import io.sightline.cli.OutputOptions;
import io.sightline.cli.Table;
import io.sightline.cli.UsageException;
import io.sightline.cli.client.CliConfig;
import io.sightline.cli.identity.TaskMetadata;
import io.sightline.cli.run.Lease;
import io.sightline.cli.run.LeaseApi;
import io.sightline.cli.run.TaskKubeconfig;
import io.sightline.core.Durations;
import io.sightline.core.SecretValue;
import io.sightline.core.SightlineException;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "lease",
    mixinStandardHelpOptions = true,
    aliases = "leases",
    description =
        "Take, inspect and revoke per-task leases (for tools that manage their kubeconfig"
            + " themselves; `sightline run` does all of it for one command).",
    subcommands = {
      LeaseCommand.Create.class,
      LeaseCommand.Revoke.class,
      LeaseCommand.Show.class,
      LeaseCommand.ListLeases.class
    })
public final class LeaseCommand {
  static final String BASE = "/api/v1/leases";

  /** The cluster target: a kubernetes connection, or an azurerm connection and an AKS cluster. */
  public static final class TargetOptions {
    @Option(
        names = "--connection",
        paramLabel = "NAME",
        description = "A kubernetes service connection.")
    String connection;

    @Option(
        names = "--azure-connection",
        paramLabel = "NAME",
        description = "An azurerm service connection (with --resource-group and --cluster).")
    String azureConnection;

    @Option(names = "--resource-group", paramLabel = "GROUP", description = "AKS resource group.")
    String resourceGroup;

    @Option(names = "--cluster", paramLabel = "NAME", description = "AKS cluster name.")
    String cluster;

    @Option(names = "--admin", description = "Use the AKS cluster-admin credential.")
    boolean admin;

    @Option(
        names = {"-n", "--namespace"},
        paramLabel = "NS",
        description = "Namespace (default: the connection's).")
    String namespace;

    /** True when any target option was given. */
    public boolean given() {
      return connection != null
          || azureConnection != null
          || resourceGroup != null
          || cluster != null
          || admin
          || namespace != null;
    }

    /** The wire {@code target} object; a usage error when the options do not name one. */
    public ObjectNode target() {
      ObjectNode t = JsonNodeFactory.instance.objectNode();
      if (connection != null && azureConnection != null) {
        throw new UsageException("give either --connection or --azure-connection, not both");
      }
      if (connection != null) {
        if (resourceGroup != null || cluster != null || admin) {
          throw new UsageException(
              "--resource-group, --cluster and --admin go with --azure-connection, not --connection");
        }
        t.put("connection", connection);
      } else if (azureConnection != null) {
        if (resourceGroup == null || cluster == null) {
          throw new UsageException(
              "--azure-connection needs --resource-group and --cluster (the AKS cluster)");
        }
        t.put("azureConnection", azureConnection);
        t.put("resourceGroup", resourceGroup);
        t.put("cluster", cluster);
      } else {
        throw new UsageException(
            "name the cluster: --connection NAME, or --azure-connection NAME --resource-group G"
                + " --cluster C");
      }
      if (namespace != null) {
        t.put("namespace", namespace);
      }
      if (azureConnection != null) {
        t.put("useClusterAdmin", admin);
      }
      return t;
    }
  }

  /** Parses a CLI duration into whole seconds; a usage error names the option. */
  public static long ttlSeconds(String text, String option) {
    try {
      Duration d = Durations.parse(text, option);
      if (d.toSeconds() <= 0) {
        throw new UsageException(option + " must be positive, e.g. 15m");
      }
      return d.toSeconds();
    } catch (SightlineException e) {
      throw new UsageException(e.getMessage());
    }
  }

  /** The server URL and API token the way {@link CliContext#client} picks them. */
  public record Server(URI url, String apiToken, boolean explicit) {}

  public static Server server(CliContext ctx, String option) {
    var login = ctx.config().read();
    String server = option;
    boolean explicit = true;
    if (server == null || server.isBlank()) {
      server = ctx.env().get("SIGHTLINE_SERVER");
    }
    if (server == null || server.isBlank()) {
      server = login.map(CliConfig.Login::server).orElse(null);
    }
    if (server == null || server.isBlank()) {
      server = CliContext.DEFAULT_SERVER;
      explicit = false;
    }
    URI url = CliContext.parseServer(server);
    String token = ctx.env().get("SIGHTLINE_TOKEN");
    if (token == null || token.isBlank()) {
      String s = trim(server);
      token =
          login
              .filter(l -> l.server() != null && trim(l.server()).equals(s))
              .map(CliConfig.Login::token)
              .orElse(null);
    }
    return new Server(url, token, explicit);
  }

  private static String trim(String s) {
    s = s.strip();
    return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
  }

  @Command(
      name = "create",
      description = {
        "Take a lease and print it as JSON (the token included) on standard output, or write a"
            + " kubeconfig (mode 0600) with --kubeconfig-out and its handle next to it.",
        "The lease is not renewed and not revoked for you: revoke it with `sightline lease"
            + " revoke ID --handle-file FILE.handle`."
      })
  static final class Create implements Callable<Integer> {
    private final CliContext ctx;

    @Mixin ClientOptions client;
    @Mixin TargetOptions target;

    @Option(
        names = "--ttl",
        paramLabel = "DURATION",
        defaultValue = "15m",
        description = "Lifetime, e.g. 15m, 1h (default ${DEFAULT-VALUE}).")
    String ttl;

    @Option(
        names = "--kubeconfig-out",
        paramLabel = "FILE",
        description = "Write a kubeconfig (0600) here instead of printing JSON.")
    Path kubeconfigOut;

    @Mixin OutputOptions output;

    Create(CliContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() throws IOException {
      ObjectNode body = JsonNodeFactory.instance.objectNode();
      body.set("target", target.target());
      body.put("ttlSeconds", ttlSeconds(ttl, "--ttl"));
      ObjectNode task = body.putObject("task");
      TaskMetadata.fromEnvironment(ctx.env(), "sightline lease create").forEach(task::put);
      Server s = server(ctx, client.server);
      if (s.apiToken() == null || s.apiToken().isBlank()) {
        throw new UsageException(
            "no API token: set SIGHTLINE_TOKEN or run `sightline login` (pipelines use"
                + " `sightline run`, which finds their ID token)");
      }
      Lease lease =
          new LeaseApi(s.url(), Duration.ofSeconds(60)).create(body, SecretValue.of(s.apiToken()));
      for (String w : lease.warnings()) {
        ctx.err().println("warning: " + w);
      }
      if (kubeconfigOut == null) {
        Json.print(ctx.out(), lease.json());
        return 0;
      }
      TaskKubeconfig.writePrivate(
          kubeconfigOut, TaskKubeconfig.renderInline(lease).getBytes(StandardCharsets.UTF_8));
      Path handleFile = kubeconfigOut.resolveSibling(kubeconfigOut.getFileName() + ".handle");
      if (lease.handle() != null) {
        TaskKubeconfig.writePrivate(handleFile, lease.handle().revealUtf8());
      }
      ctx.err()
          .println(
              "lease "
                  + lease.id()
                  + " ("
                  + lease.credential()
                  + ") expires at "
                  + lease.expiresAt()
                  + "; kubeconfig written to "
                  + kubeconfigOut
                  + (lease.handle() == null
                      ? ""
                      : "\nrevoke it with: sightline lease revoke "
                          + lease.id()
                          + " --handle-file "
                          + handleFile));
      ctx.err().flush();
      return 0;
    }
  }

  @Command(
      name = "revoke",
      description =
          "Revoke a lease (idempotent). Authorised by its handle (--handle-file, else"
              + " $SIGHTLINE_LEASE_HANDLE), else by your API token.")
  static final class Revoke implements Callable<Integer> {
    private final CliContext ctx;

    @Mixin ClientOptions client;

    @Parameters(paramLabel = "ID", description = "Lease id.")
    String id;

    @Option(
        names = "--handle-file",
        paramLabel = "FILE",
        description = "File holding the lease's handle.")
    Path handleFile;

    Revoke(CliContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() throws IOException {
      Server s = server(ctx, client.server);
      String credential;
      if (handleFile != null) {
        credential = Files.readString(handleFile, StandardCharsets.UTF_8).strip();
      } else if (ctx.env().get("SIGHTLINE_LEASE_HANDLE") != null
          && !ctx.env().get("SIGHTLINE_LEASE_HANDLE").isBlank()) {
        credential = ctx.env().get("SIGHTLINE_LEASE_HANDLE").strip();
      } else {
        credential = s.apiToken();
      }
      if (credential == null || credential.isBlank()) {
        throw new UsageException(
            "no credential: pass --handle-file, set SIGHTLINE_LEASE_HANDLE, or log in");
      }
      new LeaseApi(s.url(), Duration.ofSeconds(60)).revoke(id, SecretValue.of(credential));
      ctx.err().println("revoked lease " + id);
      ctx.err().flush();
      return 0;
    }
  }

  @Command(name = "show", description = "Show a lease (never its token or handle).")
  static final class Show implements Callable<Integer> {
    private final CliContext ctx;

    @Mixin ClientOptions client;

    @Parameters(paramLabel = "ID", description = "Lease id.")
    String id;

    Show(CliContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      JsonNode lease =
          ctx.client(client.server).get(BASE + "/" + URLEncoder.encode(id, StandardCharsets.UTF_8));
      Json.print(ctx.out(), lease);
      return 0;
    }
  }

  @Command(name = "list", description = "List leases.")
  static final class ListLeases implements Callable<Integer> {
    private final CliContext ctx;

    @Mixin ClientOptions client;
    @Mixin OutputOptions output;

    @Option(names = "--active", description = "Only leases that are neither expired nor revoked.")
    boolean active;

    ListLeases(CliContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      JsonNode answer =
          ctx.client(client.server).get(BASE, active ? Map.of("active", "true") : Map.of());
      if (output.json()) {
        Json.print(ctx.out(), answer);
        return 0;
      }
      JsonNode items = answer.isArray() ? answer : answer.path("items");
      Table table = new Table("ID", "TARGET", "NAMESPACE", "CREDENTIAL", "EXPIRES", "STATE");
      for (JsonNode l : items) {
        JsonNode t = l.path("target");
        String target =
            t.hasNonNull("connection")
                ? t.get("connection").asText()
                : t.path("azureConnection").asText("") + "/" + t.path("cluster").asText("");
        table.row(
            Json.text(l, "id"),
            target,
            Json.text(l, "namespace"),
            Json.text(l, "credential"),
            Json.text(l, "expiresAt"),
            Json.text(l, "state"));
      }
      table.print(ctx.out());
      return 0;
    }
  }
}
