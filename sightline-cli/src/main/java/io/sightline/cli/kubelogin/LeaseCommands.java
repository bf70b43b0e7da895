package io.sightline.cli.kubelogin;

import io.sightline.cli.CliContext;
import io.sightline.cli.ClientOptions;
import io.sightline.cli.UsageException;
import io.sightline.cli.kubelogin.internal.LeaseFetch;
import io.sightline.cli.run.Lease;
import io.sightline.cli.run.TaskKubeconfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Unmatched;

/** {@code sightline get-token} and {@code sightline kubeconfig}: kubectl on Sightline leases. */
public final class LeaseCommands {
  private LeaseCommands() {}

  /**
   * Listed for help; kubectl's calls are run by the jar's launcher before picocli ({@link
   * LeaseToken}).
   */
  @Command(
      name = "get-token",
      description =
          "Exec plugin: print an ExecCredential whose token is a Sightline lease (cached until a"
              + " minute before it expires). See `sightline get-token --help`.")
  public static final class GetTokenCommand implements Callable<Integer> {
    private final CliContext ctx;

    @Unmatched List<String> args = new ArrayList<>();

    GetTokenCommand(CliContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      return KubeloginCommand.runPlugin(ctx, true, args);
    }
  }

  @Command(
      name = "kubeconfig",
      mixinStandardHelpOptions = true,
      description = {
        "Write a kubeconfig whose user is `sightline get-token --connection NAME`: every kubectl"
            + " call uses a short-lived, audited lease (taken now, then again a minute before it"
            + " expires). The kubeconfig holds no token.",
        "Standard output unless --file (written 0600)."
      })
  public static final class KubeconfigCommand implements Callable<Integer> {
    private final CliContext ctx;

    @Mixin ClientOptions client;

    @Option(
        names = "--connection",
        required = true,
        paramLabel = "NAME",
        description = "A kubernetes service connection.")
    String connection;

    @Option(
        names = {"-n", "--namespace"},
        paramLabel = "NS",
        description = "Namespace (default: the connection's).")
    String namespace;

    @Option(
        names = "--ttl",
        paramLabel = "DURATION",
        defaultValue = "15m",
        description = "Lifetime of each lease (default ${DEFAULT-VALUE}).")
    String ttl;

    @Option(
        names = "--command",
        paramLabel = "CMD",
        defaultValue = "sightline",
        description = "How kubectl runs Sightline (default ${DEFAULT-VALUE}, found on the PATH).")
    String command;

    @Option(names = "--cache-dir", paramLabel = "DIR", description = "The token cache directory.")
    String cacheDir;

    @Option(names = "--file", paramLabel = "FILE", description = "Write here (0600).")
    Path file;

    KubeconfigCommand(CliContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() throws Exception {
      List<String> pluginArgs = new ArrayList<>(List.of("--connection", connection));
      if (namespace != null) {
        pluginArgs.addAll(List.of("--namespace", namespace));
      }
      if (client.server != null) {
        pluginArgs.addAll(List.of("--server", client.server));
      }
      if (cacheDir != null) {
        pluginArgs.addAll(List.of("--cache-dir", cacheDir));
      }
      LeaseToken.Options o;
      try {
        o = LeaseToken.parse(pluginArgs.toArray(String[]::new), ctx.env());
      } catch (KubeloginException e) {
        throw new UsageException(e.getMessage());
      }
      String server = o.server() != null ? o.server() : LeaseFetch.defaultServer(ctx.env());
      String trimmed = LeaseToken.trimSlash(server);
      o =
          new LeaseToken.Options(
              o.connection(), o.namespace(), trimmed, ttl, o.cacheDir(), o.timeout(), o.env());
      LeaseFetch.Fetched f;
      try {
        f = LeaseFetch.fetch(o, trimmed);
      } catch (KubeloginException e) {
        if (e.exitCode() == 2) {
          throw new UsageException(e.getMessage());
        }
        throw e;
      }
      // the first kubectl call is served from the cache
      new TokenCache(o.cacheDir()).write(o.cacheKey(trimmed), f.entry());
      List<String> args = new ArrayList<>(List.of("get-token", "--connection", connection));
      if (namespace != null) {
        args.addAll(List.of("--namespace", namespace));
      }
      args.addAll(List.of("--server", trimmed, "--ttl", ttl));
      if (cacheDir != null) {
        args.addAll(List.of("--cache-dir", cacheDir));
      }
      String yaml = render(f.lease(), connection, namespace, command, args);
      for (String w : f.lease().warnings()) {
        ctx.err().println("warning: " + w);
      }
      if (file == null) {
        ctx.out().print(yaml);
        ctx.out().flush();
      } else {
        TaskKubeconfig.writePrivate(file, yaml.getBytes(StandardCharsets.UTF_8));
        ctx.err().println("wrote " + file + " (kubectl --kubeconfig " + file + " …)");
      }
      return 0;
    }
  }

  static String render(
      Lease lease, String connection, String namespace, String command, List<String> args)
      throws IOException {
    String name = "sightline-" + connection + (namespace == null ? "" : "-" + namespace);
    StringBuilder y = new StringBuilder("apiVersion: v1\nkind: Config\n");
    y.append("clusters:\n- name: ").append(q(name)).append("\n  cluster:\n");
    y.append("    server: ").append(q(lease.server())).append('\n');
    if (lease.certificateAuthorityData() != null) {
      y.append("    certificate-authority-data: ")
          .append(q(lease.certificateAuthorityData()))
          .append('\n');
    }
    y.append("users:\n- name: ").append(q(name)).append("\n  user:\n    exec:\n");
    y.append("      apiVersion: ").append(ExecCredential.V1).append('\n');
    y.append("      command: ").append(q(command)).append('\n');
    y.append("      args:\n");
    for (String a : args) {
      y.append("      - ").append(q(a)).append('\n');
    }
    y.append("      interactiveMode: Never\n      provideClusterInfo: false\n");
    y.append(
        "      installHint: \"sightline is not on the PATH: this kubeconfig takes Sightline leases"
            + " through it\"\n");
    y.append("contexts:\n- name: ").append(q(name)).append("\n  context:\n");
    y.append("    cluster: ").append(q(name)).append('\n');
    y.append("    user: ").append(q(name)).append('\n');
    String ns = namespace != null ? namespace : lease.namespace();
    if (ns != null) {
      y.append("    namespace: ").append(q(ns)).append('\n');
    }
    y.append("current-context: ").append(q(name)).append('\n');
    return y.toString();
  }

  private static String q(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') {
        b.append('\\').append(c);
      } else if (c < 0x20) {
        b.append(String.format("\\x%02x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.append('"').toString();
  }
}
