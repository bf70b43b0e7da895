package io.sightline.cli.kubelogin;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * {@code sightline get-token --connection X [-n NS]}: kubectl's exec plugin whose token is a
 * Sightline lease, so people's kubectl uses short-lived, audited tokens too. The lease is cached
 * (same cache as {@code kubelogin get-token}, keyed by server, connection and namespace) until a
 * minute before it expires, and never revoked by the plugin: it expires (TTL default 15 minutes).
 * The warm path loads no JSON library and no picocli.
 */
public final class LeaseToken {
  /** A cached lease is replaced when less than this is left. */
  public static final Duration REFRESH_MARGIN = Duration.ofMinutes(1);

  public static final String USAGE =
      String.join(
          "\n",
          "Usage: sightline get-token --connection NAME [-n NS] [--server URL] [--ttl 15m]",
          "Prints an ExecCredential whose token is a Sightline lease for the connection (kubectl's"
              + " exec plugin protocol). Write a kubeconfig that uses it with `sightline kubeconfig"
              + " --connection NAME`.",
          "",
          "      --connection NAME    a kubernetes service connection (required)",
          "  -n, --namespace NS       the namespace (default: the connection's)",
          "      --server URL         the Sightline server [$SIGHTLINE_SERVER, else `sightline login`]",
          "      --ttl DURATION       the lease's lifetime (default 15m)",
          "      --cache-dir DIR      default $KUBECACHEDIR/sightline, else ~/.kube/cache/sightline",
          "      --timeout DURATION   default 60s",
          "The API token comes from $SIGHTLINE_TOKEN, else from `sightline login`.",
          "");

  /** The parsed options. */
  public record Options(
      String connection,
      String namespace,
      String server,
      String ttl,
      Path cacheDir,
      Duration timeout,
      Map<String, String> env) {

    /** The cache entry's identity. */
    public String cacheKey(String resolvedServer) {
      return String.join(
          "\n", "lease/v1", resolvedServer, connection, namespace == null ? "" : namespace);
    }
  }

  private LeaseToken() {}

  public static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
    try {
      for (String a : args) {
        if (a.equals("-h") || a.equals("--help")) {
          out.print(USAGE);
          out.flush();
          return 0;
        }
      }
      Options o = parse(args, env);
      String apiVersion = ExecCredential.apiVersion(env);
      TokenCache.Entry e = token(o, err);
      out.println(ExecCredential.json(apiVersion, e.revealToken(), e.expiresAt()));
      out.flush();
      return 0;
    } catch (KubeloginException e) {
      return fail(err, e.getMessage(), e.exitCode());
    } catch (Exception e) {
      return fail(err, GetToken.describe(e), 1);
    }
  }

  private static int fail(PrintStream err, String message, int code) {
    err.println("sightline get-token: ".concat(GetToken.oneLine(message)));
    err.flush();
    return code;
  }

  static TokenCache.Entry token(Options o, PrintStream err) throws Exception {
    String server = o.server();
    if (server == null) {
      // not named on the command line or in the environment: the login config (JSON) says
      server = io.sightline.cli.kubelogin.internal.LeaseFetch.defaultServer(o.env());
    }
    TokenCache cache = new TokenCache(o.cacheDir());
    String key = o.cacheKey(trimSlash(server));
    TokenCache.Entry hit = cache.read(key);
    if (hit != null && hit.freshFor(REFRESH_MARGIN, Instant.now())) {
      return hit;
    }
    return cache.refill(key, REFRESH_MARGIN, o.timeout(), new ServerFetch(o, trimSlash(server)));
  }

  /** On a miss: asks the Sightline server for a lease (a cached entry is never refreshed). */
  private static final class ServerFetch implements TokenCache.Fetch {
    private final Options o;
    private final String server;

    ServerFetch(Options o, String server) {
      this.o = o;
      this.server = server;
    }

    @Override
    public TokenCache.Entry fetch(TokenCache.Entry previous) throws Exception {
      return io.sightline.cli.kubelogin.internal.LeaseFetch.fetch(o, server).entry();
    }
  }

  static String trimSlash(String s) {
    String t = s.strip();
    return t.endsWith("/") ? t.substring(0, t.length() - 1) : t;
  }

  /** Parses the plugin's arguments (after {@code get-token}). */
  public static Options parse(String[] args, Map<String, String> env) {
    String connection = null;
    String namespace = null;
    String server = null;
    String ttl = "15m";
    String cacheDir = null;
    String timeout = null;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      String name = a;
      String value = null;
      int eq = a.indexOf('=');
      if (a.startsWith("--") && eq > 0) {
        name = a.substring(0, eq);
        value = a.substring(eq + 1);
      }
      if (!(name.equals("--connection")
          || name.equals("-n")
          || name.equals("--namespace")
          || name.equals("--server")
          || name.equals("--ttl")
          || name.equals("--cache-dir")
          || name.equals("--timeout"))) {
        throw KubeloginException.usage(
            "unknown option '" + a + "': see sightline get-token --help");
      }
      if (value == null) {
        if (i + 1 >= args.length) {
          throw KubeloginException.usage(name + " needs a value");
        }
        value = args[++i];
      }
      switch (name) {
        case "--connection":
          connection = value;
          break;
        case "-n":
        case "--namespace":
          namespace = value;
          break;
        case "--server":
          server = value;
          break;
        case "--ttl":
          ttl = value;
          break;
        case "--cache-dir":
          cacheDir = value;
          break;
        default:
          timeout = value;
      }
    }
    if (connection == null || connection.isBlank()) {
      throw KubeloginException.usage(
          "--connection is required: the kubernetes service connection to take a lease for");
    }
    if (server == null) {
      server = GetTokenOptions.blankToNull(env.get("SIGHTLINE_SERVER"));
    }
    Path dir = cacheDir != null ? Path.of(cacheDir) : GetTokenOptions.defaultCacheDir(env);
    Duration t = GetTokenOptions.DEFAULT_TIMEOUT;
    if (timeout != null) {
      try {
        t = io.sightline.core.Durations.parse(timeout, "--timeout");
      } catch (RuntimeException e) {
        throw KubeloginException.usage("--timeout must be a duration such as 60s or 2m");
      }
    }
    return new Options(connection.trim(), namespace, server, ttl, dir, t, env);
  }
}
