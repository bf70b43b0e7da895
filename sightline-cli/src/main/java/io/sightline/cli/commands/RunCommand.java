package io.sightline.cli.commands;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sightline.cli.CliContext;
import io.sightline.cli.UsageException;
import io.sightline.cli.identity.IdentityDetector;
import io.sightline.cli.identity.IdentityException;
import io.sightline.cli.identity.PipelineIdentity;
import io.sightline.cli.identity.TaskMetadata;
import io.sightline.cli.run.DeploymentApi;
import io.sightline.cli.run.EnvironmentRun;
import io.sightline.cli.run.LeaseApi;
import io.sightline.cli.run.TaskRunner;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    versionProvider = io.sightline.cli.VersionProvider.class,
    sortOptions = false,
    description = {
      "Run one command with a fresh, short-lived credential for a cluster:",
      "  sightline run --connection prod -n web -- kubectl apply -f k8s/",
      "Takes a lease as the pipeline's own identity (GitHub Actions, GitLab, Azure Pipelines ID"
          + " token, --id-token-file, else $SIGHTLINE_TOKEN / `sightline login`), writes a private"
          + " kubeconfig (0600, temp dir 0700) and runs the command with KUBECONFIG set. The token"
          + " (and its base64) is masked as *** in the command's output; the lease is renewed while"
          + " the command runs and revoked when it ends, also on failure, timeout or Ctrl-C.",
      "With an environment instead of a connection, the cluster is the resource's target and the"
          + " environment's checks come first:",
      "  sightline run --environment production --resource web -- kubectl apply -f k8s/",
      "requests a deployment, waits for its checks (approval, business hours, exclusive lock,"
          + " branch control) with progress on stderr, claims the lease with the deployment's"
          + " one-shot claim handle (the CI's ID token may have expired meanwhile), runs the"
          + " command, and records its end and exit code. Ctrl-C or SIGTERM while waiting"
          + " withdraws the request.",
      "Exit code: the command's (127 when it cannot be started; 1 or 2 when no lease was taken)."
    })
public final class RunCommand implements Callable<Integer> {
  private final CliContext ctx;

  @Mixin LeaseCommand.TargetOptions target;

  @Option(
      names = "--ttl",
      paramLabel = "DURATION",
      defaultValue = "15m",
      description = "Lease lifetime before renewal, e.g. 15m, 1h (default ${DEFAULT-VALUE}).")
  String ttl;

  @Option(
      names = "--audience",
      paramLabel = "AUD",
      description =
          "Audience of the GitHub Actions ID token (default: the server URL when one is"
              + " configured, else `sightline`).")
  String audience;

  @Option(
      names = "--id-token-file",
      paramLabel = "FILE",
      description = "Read the pipeline's OIDC ID token from this file.")
  String idTokenFile;

  @Option(
      names = "--azure-devops-service-connection",
      paramLabel = "ID",
      description = "Azure Pipelines: the service connection id the ID token is requested for.")
  String azureServiceConnection;

  @Option(
      names = "--export",
      paramLabel = "FORMAT",
      description =
          "azure-pipelines: also give the command the ENDPOINT_* variables of a Kubernetes"
              + " service connection (id = the Sightline connection id). Not renewed.")
  String export;

  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      description = "Stop the command after this long (SIGTERM, then SIGKILL 5s later).")
  String timeout;

  @Option(
      names = "--environment",
      paramLabel = "ENV",
      description =
          "Deploy to this environment (with --resource) instead of a connection: its checks gate"
              + " the lease.")
  String environment;

  @Option(
      names = "--resource",
      paramLabel = "RESOURCE",
      description = "The environment's resource to deploy to (`sightline env show ENV`).")
  String resource;

  @Option(
      names = "--poll",
      paramLabel = "DURATION",
      defaultValue = "5s",
      description =
          "With --environment: how often to look at the checks (default ${DEFAULT-VALUE}).")
  String poll;

  @Option(
      names = "--server",
      paramLabel = "URL",
      description = "Sightline server URL (default: $SIGHTLINE_SERVER, else `sightline login`'s).")
  String server;

  @Parameters(arity = "1..*", paramLabel = "COMMAND", description = "The command, after --.")
  List<String> command;

  RunCommand(CliContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public Integer call() throws Exception {
    boolean env = environment != null || resource != null;
    if (env && (environment == null || resource == null)) {
      throw new UsageException(
          "--environment and --resource go together: the resource names the cluster target");
    }
    if (env && target.given()) {
      throw new UsageException(
          "give either --environment/--resource or a connection (--connection,"
              + " --azure-connection …, -n), not both: the resource names the cluster target");
    }
    boolean exportAzure = false;
    if (export != null) {
      if (!export.equals("azure-pipelines")) {
        throw new UsageException("--export takes azure-pipelines (got \"" + export + "\")");
      }
      exportAzure = true;
    }
    ObjectNode body = JsonNodeFactory.instance.objectNode();
    if (env) {
      body.put("resource", resource);
    } else {
      body.set("target", target.target());
    }
    body.put("ttlSeconds", LeaseCommand.ttlSeconds(ttl, "--ttl"));
    Duration pollEvery = Duration.ofSeconds(LeaseCommand.ttlSeconds(poll, "--poll"));
    Duration timeoutDuration =
        timeout == null ? null : Duration.ofSeconds(LeaseCommand.ttlSeconds(timeout, "--timeout"));
    ObjectNode task = body.putObject("task");
    TaskMetadata.fromEnvironment(ctx.env(), command.get(0)).forEach(task::put);

    LeaseCommand.Server s = LeaseCommand.server(ctx, server);
    String aud = audience;
    if (aud == null) {
      String url = s.url().toString();
      aud =
          s.explicit()
              ? (url.endsWith("/") ? url.substring(0, url.length() - 1) : url)
              : "sightline";
    }
    PipelineIdentity identity;
    try {
      identity =
          new IdentityDetector(ctx.env(), s::apiToken)
              .detect(new IdentityDetector.Options(idTokenFile, aud, azureServiceConnection));
    } catch (IdentityException e) {
      throw new UsageException(e.getMessage());
    }
    ctx.err().println("sightline: using " + identity.source());
    ctx.err().flush();

    LeaseApi api = new LeaseApi(s.url(), Duration.ofSeconds(60));
    TaskRunner runner = TaskRunner.forWriters(api, ctx.out(), ctx.err());
    TaskRunner.Spec spec =
        new TaskRunner.Spec(
            body, identity.token(), command, ctx.env(), exportAzure, timeoutDuration);
    if (env) {
      return new EnvironmentRun(new DeploymentApi(api), ctx.err(), pollEvery)
          .run(environment, body, identity.token(), runner, spec);
    }
    return runner.run(spec);
  }
}
