package io.sightline.cli.kubelogin;

import io.sightline.cli.CliContext;
import io.sightline.cli.UsageException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Unmatched;

/** {@code sightline kubelogin …}: a kubelogin-compatible exec plugin for Entra ID clusters. */
@Command(
    name = "kubelogin",
    mixinStandardHelpOptions = true,
    description =
        "Entra ID (Azure AD) sign-in for kubectl, compatible with Azure/kubelogin: get-token,"
            + " convert-kubeconfig, remove-tokens.",
    subcommands = {
      KubeloginCommand.GetTokenCommand.class,
      KubeloginCommand.Convert.class,
      KubeloginCommand.RemoveTokens.class
    })
public final class KubeloginCommand {

  /**
   * Listed for help; a real kubectl call never gets here (the jar's launcher runs {@link GetToken}
   * before picocli). In-process callers (tests) get the same behaviour.
   */
  @Command(
      name = "get-token",
      description =
          "Print an ExecCredential with an Entra ID token (see `sightline kubelogin get-token"
              + " --help` for the options).")
  static final class GetTokenCommand implements Callable<Integer> {
    private final CliContext ctx;

    @Unmatched List<String> args = new java.util.ArrayList<>();

    GetTokenCommand(CliContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      return runPlugin(ctx, false, args);
    }
  }

  /** Runs one of the plugins in-process, through the context's writers. */
  static int runPlugin(CliContext ctx, boolean lease, List<String> args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    String[] a = args.toArray(String[]::new);
    int code;
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      code = lease ? LeaseToken.run(a, ctx.env(), o, e) : GetToken.run(a, ctx.env(), o, e);
    }
    ctx.out().print(out.toString(StandardCharsets.UTF_8));
    ctx.out().flush();
    ctx.err().print(err.toString(StandardCharsets.UTF_8));
    ctx.err().flush();
    return code;
  }

  @Command(
      name = "convert-kubeconfig",
      mixinStandardHelpOptions = true,
      description = {
        "Rewrite the kubeconfig's Entra ID users (the legacy `azure` auth-provider, or a kubelogin"
            + " exec, as ARM's listClusterUserCredential returns) to call `sightline kubelogin"
            + " get-token --login MODE`. Other users are left untouched. No secret is written:"
            + " secrets stay in the environment (AZURE_CLIENT_SECRET, AZURE_PASSWORD, …).",
        "The file is replaced atomically and keeps its mode."
      })
  static final class Convert implements Callable<Integer> {
    private final CliContext ctx;

    @Option(
        names = {"-l", "--login"},
        paramLabel = "MODE",
        defaultValue = "devicecode",
        description =
            "devicecode (default), interactive, spn, ropc, msi, azurecli, workloadidentity,"
                + " azurepipelines.")
    String login;

    @Option(
        names = "--kubeconfig",
        paramLabel = "FILE",
        description = "Default: the first file of $KUBECONFIG, else ~/.kube/config.")
    Path kubeconfig;

    @Option(
        names = "--context",
        paramLabel = "NAME",
        description = "Convert only this context's user.")
    String context;

    @Option(
        names = "--command",
        paramLabel = "CMD",
        description = "The exec command: sightline (default), or kubelogin to call Azure's plugin.")
    String command;

    @Option(names = "--server-id", paramLabel = "ID")
    String serverId;

    @Option(names = "--client-id", paramLabel = "ID")
    String clientId;

    @Option(
        names = {"-t", "--tenant-id"},
        paramLabel = "ID")
    String tenantId;

    @Option(
        names = {"-e", "--environment"},
        paramLabel = "NAME")
    String environment;

    @Option(names = "--authority-host", paramLabel = "URL")
    String authorityHost;

    @Option(
        names = "--client-certificate",
        paramLabel = "FILE",
        description = "spn: a PEM or PFX file path (its password stays in the environment).")
    String clientCertificate;

    @Option(names = "--federated-token-file", paramLabel = "FILE")
    String federatedTokenFile;

    @Option(names = "--identity-resource-id", paramLabel = "ID")
    String identityResourceId;

    @Option(names = "--azure-pipelines-service-connection-id", paramLabel = "ID")
    String pipelinesServiceConnectionId;

    @Option(names = "--redirect-url", paramLabel = "URL")
    String redirectUrl;

    @Option(
        names = {"--cache-dir", "--token-cache-dir"},
        paramLabel = "DIR")
    String cacheDir;

    @Option(names = "--timeout", paramLabel = "DURATION")
    String timeout;

    @Option(names = "--use-azurerm-env-vars")
    boolean useAzurermEnvVars;

    @Option(names = "--disable-environment-override")
    boolean disableEnvironmentOverride;

    Convert(CliContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() throws IOException {
      LoginMode mode;
      try {
        mode = LoginMode.parse(login);
      } catch (KubeloginException e) {
        throw new UsageException(e.getMessage());
      }
      Path file = kubeconfig != null ? kubeconfig : defaultKubeconfig(ctx);
      if (!Files.isRegularFile(file)) {
        throw new UsageException(
            "no kubeconfig at " + file + ": give --kubeconfig FILE (or set KUBECONFIG)");
      }
      KubeconfigConverter.Result r;
      try {
        r =
            KubeconfigConverter.convert(
                Files.readString(file, StandardCharsets.UTF_8),
                new KubeconfigConverter.Settings(
                    mode,
                    context,
                    command,
                    serverId,
                    clientId,
                    tenantId,
                    environment,
                    authorityHost,
                    clientCertificate,
                    federatedTokenFile,
                    identityResourceId,
                    pipelinesServiceConnectionId,
                    redirectUrl,
                    cacheDir,
                    timeout,
                    useAzurermEnvVars,
                    disableEnvironmentOverride));
      } catch (KubeloginException e) {
        throw new UsageException(e.getMessage());
      }
      if (r.converted().isEmpty()) {
        ctx.err()
            .println(
                "no Entra ID user (azure auth-provider or kubelogin exec) "
                    + (context == null ? "" : "in context " + context + " ")
                    + "in "
                    + file
                    + ": nothing changed");
        return 0;
      }
      writeAtomically(file, r.yaml());
      ctx.err()
          .println(
              "converted "
                  + String.join(", ", r.converted())
                  + " in "
                  + file
                  + " to --login "
                  + mode.flag());
      return 0;
    }
  }

  static Path defaultKubeconfig(CliContext ctx) {
    String env = ctx.env().get("KUBECONFIG");
    if (env != null && !env.isBlank()) {
      return Path.of(env.split(java.io.File.pathSeparator)[0]);
    }
    return Path.of(ctx.envOr("HOME", System.getProperty("user.home")), ".kube", "config");
  }

  static void writeAtomically(Path file, String content) throws IOException {
    Path abs = file.toAbsolutePath();
    Set<PosixFilePermission> mode =
        Files.exists(abs)
            ? Files.getPosixFilePermissions(abs)
            : PosixFilePermissions.fromString("rw-------");
    Path tmp =
        Files.createTempFile(
            abs.getParent(),
            ".kubeconfig-",
            ".tmp",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    try {
      Files.writeString(tmp, content, StandardCharsets.UTF_8);
      Files.setPosixFilePermissions(tmp, mode);
      try {
        Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  @Command(
      name = "remove-tokens",
      mixinStandardHelpOptions = true,
      description = "Delete every cached token (and the cache's key) of the exec plugins.")
  static final class RemoveTokens implements Callable<Integer> {
    private final CliContext ctx;

    @Option(
        names = {"--cache-dir", "--token-cache-dir"},
        paramLabel = "DIR",
        description = "Default: $KUBECACHEDIR/sightline, else ~/.kube/cache/sightline.")
    Path cacheDir;

    RemoveTokens(CliContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() throws IOException {
      Path dir = cacheDir != null ? cacheDir : defaultCacheDir(ctx);
      int n = new TokenCache(dir).clear();
      ctx.err().println("removed " + n + " cached token" + (n == 1 ? "" : "s") + " from " + dir);
      return 0;
    }
  }

  static Path defaultCacheDir(CliContext ctx) {
    return GetTokenOptions.defaultCacheDir(ctx.env());
  }
}
