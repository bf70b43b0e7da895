package io.sightline.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sightline.cli.CliContext;
import io.sightline.cli.ClientOptions;
import io.sightline.cli.Json;
import io.sightline.cli.OutputOptions;
import io.sightline.cli.ProbeOutput;
import io.sightline.cli.Table;
import io.sightline.cli.UsageException;
import io.sightline.cli.client.ApiException;
import io.sightline.core.Durations;
import io.sightline.core.SightlineException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "connection",
    aliases = "connections",
    description = "Create, inspect, verify and delete service connections.",
    subcommands = {
      ConnectionCommand.Create.class,
      ConnectionCommand.ListConnections.class,
      ConnectionCommand.Show.class,
      ConnectionCommand.Verify.class,
      ConnectionCommand.Namespaces.class,
      ConnectionCommand.Delete.class,
      ConnectionCommand.Import.class,
      ConnectionCommand.Harden.class,
      ConnectionCommand.Manifests.class,
      ConnectionPermitCommand.class,
      ConnectionCommand.AksClusters.class
    })
public final class ConnectionCommand {
  private static final String BASE = "/api/v1/connections";

  /** {@code --timeout} (the server-side probe deadline) and {@code --no-verify}. */
  public static final class ProbeOptions {
    @Option(
        names = "--timeout",
        paramLabel = "DURATION",
        description =
            "Deadline for the whole probe on the server (DNS, TCP, TLS, every API call), e.g. 5s."
                + " Default 10s, at most 60s.")
    String timeout;

    Map<String, String> query() {
      Map<String, String> q = new LinkedHashMap<>();
      if (timeout != null) {
        try {
          Durations.parse(timeout, "--timeout");
        } catch (SightlineException e) {
          throw new UsageException(e.getMessage());
        }
        q.put("timeout", timeout);
      }
      return q;
    }
  }

  @Command(
      name = "create",
      description = {
        "Create a connection. It is verified (probed) before it is saved unless --no-verify:"
            + " a failed verification saves nothing and prints the diagnosis and what to do.",
        "Kinds: kubernetes (--auth kubeconfig | service-account | azure-subscription),"
            + " azurerm (--scheme ServicePrincipal | WorkloadIdentityFederation |"
            + " ManagedServiceIdentity).",
        "Files are sent as they are; - reads standard input. Secret fields are write-only and"
            + " are never taken from the command line."
      })
  public static final class Create implements Callable<Integer> {
    private final CliContext ctx;

    @Mixin ClientOptions client;
    @Mixin OutputOptions output;
    @Mixin ProbeOptions probe;

    @Parameters(index = "0", paramLabel = "KIND", description = "kubernetes or azurerm")
    String kind;

    @Option(names = "--name", required = true, description = "Connection name (a-z, 0-9, -).")
    String name;

    @Option(
        names = "--auth",
        paramLabel = "TYPE",
        description =
            "kubernetes: kubeconfig, service-account, azure-subscription or agent-identity.")
    String auth;

    @Option(
        names = "--via-pool",
        paramLabel = "POOL",
        description =
            "Run every cluster operation on an agent of this pool (for clusters the server cannot"
                + " reach); required with --auth agent-identity.")
    String viaPool;

    @Option(
        names = "--api-server",
        paramLabel = "URL",
        description =
            "auth agent-identity: the API server URL as the agent sees it, e.g."
                + " https://kubernetes.default.svc")
    String apiServer;

    @Option(
        names = "--scheme",
        paramLabel = "SCHEME",
        description =
            "azurerm: ServicePrincipal, WorkloadIdentityFederation or ManagedServiceIdentity.")
    String scheme;

    @Option(
        names = "--tenant-id",
        paramLabel = "ID",
        description = "azurerm: the Entra ID tenant (directory) id.")
    String tenantId;

    @Option(
        names = "--client-id",
        paramLabel = "ID",
        description =
            "azurerm: the app registration's client id (serviceprincipalid); with"
                + " ManagedServiceIdentity a user-assigned identity's client id.")
    String clientId;

    @Option(
        names = "--subscription-id",
        paramLabel = "ID",
        description = "azurerm: the Azure subscription id.")
    String subscriptionId;

    @Option(
        names = "--subscription-name",
        paramLabel = "NAME",
        description = "azurerm: the subscription's display name (optional).")
    String subscriptionName;

    @Option(
        names = "--certificate-file",
        paramLabel = "FILE",
        description =
            "azurerm ServicePrincipal: one PEM with the private key and the certificate"
                + " (authenticationType spnCertificate); - reads standard input.")
    Path certificateFile;

    @Option(
        names = "--environment",
        paramLabel = "ENV",
        description =
            "azurerm: AzureCloud (default), AzureChinaCloud, AzureUSGovernment, or Custom with"
                + " --authority-host and --resource-manager-url.")
    String environment;

    @Option(
        names = "--authority-host",
        paramLabel = "URL",
        description = "azurerm, environment Custom: the Entra ID authority host.")
    String authorityHost;

    @Option(
        names = "--resource-manager-url",
        paramLabel = "URL",
        description = "azurerm, environment Custom: the ARM endpoint.")
    String resourceManagerUrl;

    @Option(
        names = "--resource-manager-audience",
        paramLabel = "AUDIENCE",
        description = "azurerm, environment Custom: ARM's token audience (default the URL).")
    String resourceManagerAudience;

    @Option(
        names = "--ca-bundle",
        paramLabel = "FILE",
        description =
            "azurerm: PEM certificates to trust for Entra and ARM instead of the default.")
    Path caBundle;

    @Option(
        names = "--allow-static-credentials",
        description =
            "azurerm: let leases hand out ARM's long-lived client certificates (clusters without"
                + " Entra ID, --admin).")
    boolean allowStaticCredentials;

    @Option(
        names = "--token-cache",
        description =
            "azurerm: share one Entra token between tasks until shortly before it expires"
                + " (default: a fresh token per task).")
    boolean tokenCache;

    @Option(
        names = "--azure-connection",
        paramLabel = "NAME",
        description =
            "azure-subscription: the azurerm connection through which the cluster-admin"
                + " kubeconfig is fetched from ARM (with --resource-group and --cluster).")
    String azureConnection;

    @Option(
        names = "--resource-group",
        paramLabel = "GROUP",
        description = "azure-subscription: the AKS cluster's resource group.")
    String resourceGroup;

    @Option(
        names = "--cluster",
        paramLabel = "NAME",
        description = "azure-subscription: the AKS cluster's name.")
    String cluster;

    @Option(names = "--description", description = "Free text shown with the connection.")
    String description;

    @Option(
        names = "--kubeconfig",
        paramLabel = "FILE",
        description =
            "Kubeconfig (auth kubeconfig). Inline credentials only: exec plugins,"
                + " auth-providers and file references are refused.")
    Path kubeconfig;

    @Option(names = "--context", description = "Kubeconfig context (default: current-context).")
    String context;

    @Option(
        names = "--accept-untrusted-certs",
        description = "Trust any server certificate (prefer giving the CA).")
    boolean acceptUntrustedCerts;

    @Option(names = "--server-url", paramLabel = "URL", description = "API server URL.")
    String serverUrl;

    @Option(
        names = "--secret-file",
        paramLabel = "FILE",
        description =
            "auth service-account: a token Secret as `kubectl get secret NAME -o yaml` (or -o"
                + " json) prints it. azurerm ServicePrincipal: the client secret's value. -"
                + " reads standard input.")
    Path secretFile;

    @Option(names = "--token-file", paramLabel = "FILE", description = "A bearer token.")
    Path tokenFile;

    @Option(names = "--ca-file", paramLabel = "FILE", description = "The cluster CA, PEM.")
    Path caFile;

    @Option(
        names = "--admin-kubeconfig",
        paramLabel = "FILE",
        description =
            "Cluster-admin kubeconfig used once to provision (auth azure-subscription); not"
                + " stored.")
    Path adminKubeconfig;

    @Option(
        names = {"-n", "--namespace"},
        paramLabel = "NS",
        description = "Target namespace (repeatable).")
    List<String> namespaces = new ArrayList<>();

    @Option(names = "--create-namespace", description = "Create target namespaces if missing.")
    boolean createNamespace;

    @Option(
        names = "--cluster-admin",
        description =
            "Give tasks cluster-wide cluster-admin (all-powerful; labelled so everywhere).")
    boolean clusterAdmin;

    @Option(
        names = "--deployer-role",
        paramLabel = "ROLE",
        description = "sightline-deploy (default), edit, admin or a ClusterRole name.")
    String deployerRole;

    @Option(names = "--home-namespace", paramLabel = "NS", description = "Default sightline-NAME.")
    String homeNamespace;

    @Option(names = "--no-verify", description = "Save without verification (shown as unverified).")
    boolean noVerify;

    public Create(CliContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() throws IOException {
      ObjectNode body;
      if ("azurerm".equals(kind)) {
        body = azurerm();
      } else if ("kubernetes".equals(kind)) {
        body = kubernetes();
      } else {
        throw new UsageException(
            "unknown connection kind \"" + kind + "\": use kubernetes or azurerm");
      }
      Map<String, String> q = probe.query();
      if (noVerify) {
        q.put("verify", "false");
      }
      JsonNode view = verifying(ctx, () -> ctx.client(client.server).post(BASE + query(q), body));
      if (output.json()) {
        Json.print(ctx.out(), view);
      }
      ctx.err()
          .printf(
              "Created connection %s (%s/%s), %s.%n",
              Json.text(view, "name"),
              Json.text(view, "kind"),
              view.has("scheme") ? Json.text(view, "scheme") : Json.text(view, "authorizationType"),
              view.path("verified").asBoolean() ? "verified" : "NOT verified");
      printFederation(ctx, view);
      printWarnings(ctx, view);
      ctx.err().flush();
      return 0;
    }

    private ObjectNode azurerm() throws IOException {
      if (auth != null) {
        throw new UsageException("--auth goes with kind kubernetes; azurerm takes --scheme");
      }
      if (scheme == null) {
        throw new UsageException(
            "azurerm needs --scheme ServicePrincipal, WorkloadIdentityFederation or"
                + " ManagedServiceIdentity");
      }
      if (kubeconfig != null
          || adminKubeconfig != null
          || tokenFile != null
          || caFile != null
          || serverUrl != null
          || !namespaces.isEmpty()
          || azureConnection != null) {
        throw new UsageException(
            "azurerm connections reach Azure Resource Manager, not a cluster: --kubeconfig,"
                + " --admin-kubeconfig, --token-file, --ca-file, --server-url, --namespace and"
                + " --azure-connection do not apply");
      }
      ObjectNode body = Json.MAPPER.createObjectNode();
      body.put("name", name);
      body.put("kind", "azurerm");
      body.put("scheme", scheme);
      putIf(body, "description", description);
      putIf(body, "tenantid", tenantId);
      putIf(body, "serviceprincipalid", clientId);
      putIf(body, "subscriptionId", subscriptionId);
      putIf(body, "subscriptionName", subscriptionName);
      putIf(body, "environment", environment);
      putIf(body, "activeDirectoryAuthority", authorityHost);
      putIf(body, "resourceManagerUrl", resourceManagerUrl);
      putIf(body, "resourceManagerAudience", resourceManagerAudience);
      if (secretFile != null && certificateFile != null) {
        throw new UsageException("give --secret-file or --certificate-file, not both");
      }
      if (secretFile != null) {
        body.put("authenticationType", "spnKey");
        body.put("servicePrincipalKey", read(secretFile, "--secret-file").strip());
      }
      if (certificateFile != null) {
        body.put("authenticationType", "spnCertificate");
        body.put("servicePrincipalCertificate", read(certificateFile, "--certificate-file"));
      }
      if (caBundle != null) {
        body.put("caBundle", read(caBundle, "--ca-bundle"));
      }
      if (allowStaticCredentials) {
        body.put("allowStaticCredentials", true);
      }
      if (tokenCache) {
        body.put("tokenCache", true);
      }
      return body;
    }

    private ObjectNode kubernetes() throws IOException {
      if (auth == null) {
        throw new UsageException(
            "kubernetes needs --auth kubeconfig, service-account or azure-subscription");
      }
      if (scheme != null || tenantId != null || clientId != null || subscriptionId != null) {
        throw new UsageException(
            "--scheme, --tenant-id, --client-id and --subscription-id go with kind azurerm");
      }
      ObjectNode body = Json.MAPPER.createObjectNode();
      body.put("name", name);
      body.put("kind", kind);
      body.put("authorizationType", authorizationType(auth));
      putIf(body, "description", description);
      if (kubeconfig != null) {
        body.put("kubeconfig", read(kubeconfig, "--kubeconfig"));
      }
      putIf(body, "clusterContext", context);
      if (acceptUntrustedCerts) {
        body.put("acceptUntrustedCerts", true);
      }
      putIf(body, "serverUrl", serverUrl);
      if (secretFile != null) {
        body.put("secret", read(secretFile, "--secret-file"));
      }
      if (tokenFile != null) {
        body.put("apiToken", read(tokenFile, "--token-file").strip());
      }
      if (caFile != null) {
        body.put("serviceAccountCertificate", read(caFile, "--ca-file"));
      }
      if (adminKubeconfig != null) {
        body.put("adminKubeconfig", read(adminKubeconfig, "--admin-kubeconfig"));
      }
      if (!namespaces.isEmpty()) {
        namespaces.forEach(body.putArray("namespaces")::add);
      }
      if (createNamespace) {
        body.put("createNamespace", true);
      }
      if (clusterAdmin) {
        body.put("clusterAdmin", true);
      }
      putIf(body, "deployerRole", deployerRole);
      putIf(body, "homeNamespace", homeNamespace);
      putIf(body, "azureConnection", azureConnection);
      putIf(body, "resourceGroup", resourceGroup);
      putIf(body, "cluster", cluster);
      putIf(body, "server", apiServer);
      if (viaPool != null) {
        body.putObject("via").put("pool", viaPool);
      }
      return body;
    }

    private InputStream stdin() {
      return ctx.in();
    }

    private String read(Path file, String option) throws IOException {
      if (file.toString().equals("-")) {
        return new String(stdin().readAllBytes(), StandardCharsets.UTF_8);
      }
      if (!Files.isRegularFile(file)) {
        throw new UsageException(option + ": no such file " + file);
      }
      if (Files.size(file) > 1024 * 1024) {
        throw new UsageException(option + ": " + file + " is larger than 1 MiB");
      }
      return Files.readString(file, StandardCharsets.UTF_8);
    }
  }

  @Command(name = "list", description = "List connections.")
  public static final class ListConnections implements Callable<Integer> {
    private final CliContext ctx;

    @Mixin ClientOptions client;
    @Mixin OutputOptions output;

    public ListConnections(CliContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      JsonNode list = ctx.client(client.server).get(BASE);
      output.printList(
          ctx.out(),
          list,
          new Table("NAME", "KIND", "AUTHORIZATION", "SERVER", "VERIFIED", "LAST PROBE"),
          c -> {
            JsonNode last = c.path("lastProbe");
            String lastProbe =
                last.isObject()
                    ? (last.path("ok").asBoolean() ? "ok" : last.path("diagnosis").asText("failed"))
                        + " "
                        + last.path("at").asText("")
                    : "-";
            return new Object[] {
              Json.text(c, "name"),
              Json.text(c, "kind"),
              (c.has("scheme") ? Json.text(c, "scheme") : Json.text(c, "authorizationType"))
                  + (c.path("allPowerful").asBoolean() ? " (cluster-admin: ALL-POWERFUL)" : ""),
              Json.text(c, "serverUrl"),
              c.path("verified").asBoolean() ? "yes" : "no",
              lastProbe.strip()
            };
          });
      return 0;
    }
  }

  @Command(name = "show", description = "Show a connection (secret fields are never shown).")
  public static final class Show implements Callable<Integer> {
    private final CliContext ctx;

    @Mixin ClientOptions client;
    @Mixin OutputOptions output;

    @Parameters(paramLabel = "NAME")
    String name;

    public Show(CliContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      JsonNode view = ctx.client(client.server).get(BASE + "/" + enc(name));
      if (output.json()) {
        Json.print(ctx.out(), view);
        return 0;
      }
      view.fields()
          .forEachRemaining(
              e -> {
                if (!e.getKey().equals("workloadIdentityFederation")) {
                  ctx.out()
                      .printf(
                          "%-22s %s%n",
                          e.getKey() + ":",
                          e.getValue().isValueNode() ? e.getValue().asText() : e.getValue());
                }
              });
      JsonNode f = view.path("workloadIdentityFederation");
      if (f.isObject()) {
        ctx.out().println();
        ctx.out().println("Federated credential to add in Entra ID (Other issuer):");
        ctx.out().printf("  %-10s %s%n", "issuer:", Json.text(f, "issuer"));
        ctx.out().printf("  %-10s %s%n", "subject:", Json.text(f, "subject"));
        ctx.out().printf("  %-10s %s%n", "audience:", Json.text(f, "audience"));
      }
      ctx.out().flush();
      return 0;
    }
  }

  @Command(
      name = "verify",
      description = "Probe a saved connection now; exits 1 with the diagnosis when it fails.")
  public static final class Verify implements Callable<Integer> {
    private final CliContext ctx;

    @Mixin ClientOptions client;
    @Mixin OutputOptions output;
    @Mixin ProbeOptions probe;

    @Parameters(paramLabel = "NAME")
    String name;

    public Verify(CliContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      JsonNode result =
          ctx.client(client.server)
              .post(BASE + "/" + enc(name) + "/verify" + query(probe.query()), null);
      boolean ok = result.path("ok").asBoolean();
      if (output.json()) {
        Json.print(ctx.out(), result);
      } else {
        ctx.out().printf("%s: %s%n", name, ok ? "verified" : "FAILED");
        ProbeOutput.print(ctx.out(), result);
      }
      return ok ? 0 : 1;
    }
  }

  @Command(
      name = "manifests",
      description =
          "Print the YAML an administrator applies for an AgentIdentity connection: home"
              + " namespace, deployers, RoleBindings and the agent's narrow RBAC.")
  public static final class Manifests implements Callable<Integer> {
    private final CliContext ctx;

    @Mixin ClientOptions client;
    @Mixin OutputOptions output;

    @Parameters(paramLabel = "NAME")
    String name;

    public Manifests(CliContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      JsonNode answer = ctx.client(client.server).get(BASE + "/" + enc(name) + "/manifests");
      if (output.json()) {
        Json.print(ctx.out(), answer);
      } else {
        ctx.out().print(answer.path("yaml").asText());
        ctx.out().flush();
      }
      return 0;
    }
  }

  @Command(
      name = "namespaces",
      description =
          "List the namespaces a connection can see (one per line). When listing is forbidden,"
              + " says so: the connection still works and a namespace can be typed.")
  public static final class Namespaces implements Callable<Integer> {
    private final CliContext ctx;

    @Mixin ClientOptions client;
    @Mixin OutputOptions output;
    @Mixin ProbeOptions probe;

    @Parameters(paramLabel = "NAME")
    String name;

    public Namespaces(CliContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      JsonNode answer =
          ctx.client(client.server).get(BASE + "/" + enc(name) + "/namespaces", probe.query());
      if (output.json()) {
        Json.print(ctx.out(), answer);
      } else {
        for (JsonNode ns : answer.path("namespaces")) {
          ctx.out().println(ns.asText());
        }
        ctx.out().flush();
      }
      if (answer.path("forbidden").asBoolean()) {
        ctx.err()
            .println(
                "Listing namespaces is forbidden for this connection's identity; it can still"
                    + " deploy: type the namespace.");
      }
      JsonNode d = answer.path("diagnosis");
      if (d.isObject()) {
        ctx.err().printf("%s: %s%n", d.path("code").asText(), d.path("message").asText());
        if (d.hasNonNull("hint")) {
          ctx.err().printf("what to do: %s%n", d.get("hint").asText());
        }
        ctx.err().flush();
        return 1;
      }
      ctx.err().flush();
      return 0;
    }
  }

  @Command(
      name = "delete",
      description = {
        "Delete a connection. Objects Sightline provisioned in the cluster are removed first;"
            + " when the cluster cannot be reached this is refused unless --force, which deletes"
            + " the connection and lists what is left behind."
      })
  public static final class Delete implements Callable<Integer> {
    private final CliContext ctx;

    @Mixin ClientOptions client;
    @Mixin OutputOptions output;

    @Parameters(paramLabel = "NAME")
    String name;

    @Mixin ProbeOptions probe;

    @Option(names = "--force", description = "Delete even if deprovisioning fails.")
    boolean force;

    @Option(
        names = "--admin-kubeconfig",
        paramLabel = "FILE",
        description =
            "Cluster-admin kubeconfig to remove provisioned objects with (the stored minter token"
                + " may not delete the RoleBindings in target namespaces).")
    Path adminKubeconfig;

    public Delete(CliContext ctx) {
      this.ctx = ctx;
    }

    private Map<String, String> deleteQuery() {
      Map<String, String> q = probe.query();
      if (force) {
        q.put("force", "true");
      }
      return q;
    }

    @Override
    public Integer call() throws IOException {
      ObjectNode body = null;
      if (adminKubeconfig != null) {
        body = Json.MAPPER.createObjectNode();
        body.put("adminKubeconfig", Files.readString(adminKubeconfig, StandardCharsets.UTF_8));
      }
      JsonNode answer;
      try {
        answer =
            ctx.client(client.server)
                .send("DELETE", BASE + "/" + enc(name) + query(deleteQuery()), body);
      } catch (ApiException e) {
        if (e.problem() != null) {
          for (JsonNode left : e.problem().path("leftBehind")) {
            ctx.err()
                .printf("  would be left behind: %s%n", left.isTextual() ? left.asText() : left);
          }
          if ("DEPROVISION_FAILED".equals(e.code())) {
            ctx.err()
                .println(
                    "  Give --admin-kubeconfig FILE to remove them, or --force to delete the"
                        + " connection and leave them.");
          }
        }
        throw e;
      }
      if (output.json()) {
        Json.print(ctx.out(), answer);
      }
      ctx.err().printf("Deleted connection %s%n", name);
      for (JsonNode left : answer.path("leftBehind")) {
        ctx.err()
            .printf("  left behind in the cluster: %s%n", left.isTextual() ? left.asText() : left);
      }
      ctx.err().flush();
      return 0;
    }
  }

  @Command(
      name = "import",
      description = {
        "Import service connections from Azure DevOps: the JSON its service-endpoint REST API"
            + " returns (one endpoint, or {count, value:[…]}). Endpoints whose secrets Azure"
            + " DevOps does not export are created unverified and listed with what they still"
            + " need."
      })
  public static final class Import implements Callable<Integer> {
    private final CliContext ctx;

    @Mixin ClientOptions client;
    @Mixin OutputOptions output;

    @Option(
        names = "--azure-devops",
        required = true,
        paramLabel = "FILE",
        description = "The exported JSON (- for standard input).")
    Path file;

    @Option(names = "--dry-run", description = "Print what would be created; create nothing.")
    boolean dryRun;

    public Import(CliContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() throws IOException {
      String text =
          file.toString().equals("-")
              ? new String(ctx.in().readAllBytes(), StandardCharsets.UTF_8)
              : Files.readString(file, StandardCharsets.UTF_8);
      JsonNode body;
      try {
        body = Json.MAPPER.readTree(text);
      } catch (IOException e) {
        throw new UsageException(
            "--azure-devops: "
                + file
                + " is not JSON: "
                + e.getMessage().lines().findFirst().orElse(""));
      }
      JsonNode answer =
          ctx.client(client.server)
              .post(BASE + "/import/azure-devops" + (dryRun ? "?dryRun=true" : ""), body);
      if (output.json()) {
        Json.print(ctx.out(), answer);
        return 0;
      }
      Table t = new Table("NAME", "FROM", "KIND", "AUTHORIZATION", "VERIFIED", "STILL NEEDS");
      for (JsonNode c : answer.path("created")) {
        List<String> needs = new ArrayList<>();
        c.path("needs").forEach(n -> needs.add(n.asText()));
        t.row(
            Json.text(c, "name"),
            Json.text(c, "sourceName"),
            Json.text(c, "kind"),
            Json.text(c, "authorizationType"),
            c.path("verified").asBoolean() ? "yes" : "no",
            needs.isEmpty() ? "-" : String.join("; ", needs));
      }
      t.print(ctx.out());
      for (JsonNode s : answer.path("skipped")) {
        ctx.err().printf("skipped %s: %s%n", Json.text(s, "name"), Json.text(s, "reason"));
      }
      if (dryRun) {
        ctx.err().println("Dry run: nothing was created.");
      }
      ctx.err().flush();
      return 0;
    }
  }

  @Command(
      name = "harden",
      description = {
        "Turn a Kubeconfig or ServiceAccount connection that holds an admin credential into the"
            + " home-namespace design: a minter and one deployer per target namespace are"
            + " provisioned with the stored credential, which is then replaced by the minter's"
            + " token."
      })
  public static final class Harden implements Callable<Integer> {
    private final CliContext ctx;

    @Mixin ClientOptions client;
    @Mixin OutputOptions output;
    @Mixin ProbeOptions probe;

    @Parameters(paramLabel = "NAME")
    String name;

    @Option(
        names = {"-n", "--namespace"},
        required = true,
        paramLabel = "NS",
        description = "Target namespace (repeatable).")
    List<String> namespaces = new ArrayList<>();

    @Option(names = "--create-namespace", description = "Create target namespaces if missing.")
    boolean createNamespace;

    @Option(
        names = "--deployer-role",
        paramLabel = "ROLE",
        description = "Default sightline-deploy.")
    String deployerRole;

    public Harden(CliContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      ObjectNode body = Json.MAPPER.createObjectNode();
      namespaces.forEach(body.putArray("namespaces")::add);
      if (createNamespace) {
        body.put("createNamespace", true);
      }
      putIf(body, "deployerRole", deployerRole);
      JsonNode view =
          verifying(
              ctx,
              () ->
                  ctx.client(client.server)
                      .post(BASE + "/" + enc(name) + "/harden" + query(probe.query()), body));
      if (output.json()) {
        Json.print(ctx.out(), view);
      }
      ctx.err()
          .printf(
              "Hardened %s: home namespace %s; the stored credential is now the minter's token.%n",
              name, Json.text(view, "homeNamespace"));
      ctx.err().flush();
      return 0;
    }
  }

  /** Runs a call that verifies; on a failed verification prints the probe's diagnosis first. */
  @Command(
      name = "aks-clusters",
      description = {
        "List the AKS clusters an azurerm connection sees, with the facts that decide how to"
            + " reach each (private, local accounts, Entra ID, Azure RBAC, version) and a"
            + " recommendation. Asks ARM only; never touches a cluster.",
        "With --resource-group and --cluster, shows one cluster in full."
      })
  public static final class AksClusters implements Callable<Integer> {
    private final CliContext ctx;

    @Mixin ClientOptions client;
    @Mixin OutputOptions output;

    @Parameters(paramLabel = "NAME", description = "The azurerm connection.")
    String name;

    @Option(names = "--resource-group", paramLabel = "GROUP", description = "Only this group.")
    String resourceGroup;

    @Option(names = "--cluster", paramLabel = "CLUSTER", description = "One cluster's facts.")
    String cluster;

    public AksClusters(CliContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      String base = BASE + "/" + enc(name) + "/aks/clusters";
      if (cluster != null) {
        if (resourceGroup == null) {
          throw new UsageException("--cluster needs --resource-group");
        }
        JsonNode f =
            ctx.client(client.server).get(base + "/" + enc(resourceGroup) + "/" + enc(cluster));
        if (output.json()) {
          Json.print(ctx.out(), f);
          return 0;
        }
        for (String k :
            List.of(
                "name",
                "resourceGroup",
                "kubernetesVersion",
                "apiServerHost",
                "privateCluster",
                "entraId",
                "azureRbac",
                "localAccountsDisabled",
                "kubernetesRbac")) {
          ctx.out().printf("%-22s %s%n", k + ":", f.path(k).asText(""));
        }
        ctx.out().printf("%-22s %s%n", "recommendation:", f.path("recommendation").asText(""));
        ctx.out().flush();
        return 0;
      }
      JsonNode list =
          ctx.client(client.server)
              .get(base + (resourceGroup == null ? "" : "?resourceGroup=" + enc(resourceGroup)));
      output.printList(
          ctx.out(),
          list,
          new Table(
              "RESOURCE GROUP",
              "NAME",
              "VERSION",
              "PRIVATE",
              "LOCAL ACCOUNTS",
              "ENTRA ID",
              "AZURE RBAC"),
          c ->
              new Object[] {
                Json.text(c, "resourceGroup"),
                Json.text(c, "name"),
                Json.text(c, "kubernetesVersion"),
                c.path("privateCluster").asBoolean() ? "yes" : "no",
                c.path("localAccountsDisabled").asBoolean() ? "disabled" : "enabled",
                c.path("entraId").asBoolean() ? "yes" : "no",
                c.path("azureRbac").asBoolean() ? "yes" : "no"
              });
      return 0;
    }
  }

  static JsonNode verifying(CliContext ctx, java.util.function.Supplier<JsonNode> call) {
    try {
      return call.get();
    } catch (ApiException e) {
      JsonNode problem = e.problem();
      String key =
          problem == null
              ? null
              : problem.path("probe").isObject()
                  ? "probe"
                  : problem.path("verification").isObject() ? "verification" : null;
      if (key != null) {
        ctx.err().println("Verification failed:");
        ProbeOutput.print(ctx.err(), problem.get(key));
        ctx.err().println("  To save it anyway, add --no-verify (it will be shown as unverified).");
      }
      throw e;
    }
  }

  static String authorizationType(String auth) {
    return switch (auth == null ? "" : auth.toLowerCase(java.util.Locale.ROOT)) {
      case "kubeconfig" -> "Kubeconfig";
      case "service-account", "serviceaccount" -> "ServiceAccount";
      case "azure-subscription", "azuresubscription" -> "AzureSubscription";
      case "agent-identity", "agentidentity" -> "AgentIdentity";
      default ->
          throw new UsageException(
              "--auth must be kubeconfig, service-account, azure-subscription or agent-identity"
                  + " (got \""
                  + auth
                  + "\")");
    };
  }

  /** For a WorkloadIdentityFederation connection: what to paste into Entra. */
  static void printFederation(CliContext ctx, JsonNode view) {
    JsonNode f = view.path("workloadIdentityFederation");
    if (f.isObject()) {
      ctx.err()
          .printf(
              "Add a federated credential to the Entra app: issuer %s, subject %s, audience %s%n",
              Json.text(f, "issuer"), Json.text(f, "subject"), Json.text(f, "audience"));
    }
  }

  static void printWarnings(CliContext ctx, JsonNode view) {
    for (JsonNode w : view.path("warnings")) {
      ctx.err().printf("warning: %s%n", w.asText());
    }
    if (view.path("allPowerful").asBoolean()) {
      ctx.err().println("warning: tasks of this connection get cluster-admin: ALL-POWERFUL");
    }
  }

  static void putIf(ObjectNode body, String field, String value) {
    if (value != null) {
      body.put(field, value);
    }
  }

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  static String query(Map<String, String> q) {
    if (q.isEmpty()) {
      return "";
    }
    StringBuilder b = new StringBuilder("?");
    q.forEach(
        (k, v) -> {
          if (b.length() > 1) {
            b.append('&');
          }
          b.append(enc(k)).append('=').append(enc(v));
        });
    return b.toString();
  }
}
