package io.sightline.server;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sightline server}: runs the Sightline server until interrupted. The CLI's root command
 * adds this as a subcommand. Exit codes: 0 after a clean shutdown, 1 when startup fails (one line
 * on stderr, no stack trace).
 */
@Command(
    name = "server",
    sortOptions = false,
    description = {
      "Run the Sightline server: REST API under /api/v1, /openapi.json, /healthz, /readyz, /metrics.",
      "",
      "Settings come from flags, then SIGHTLINE_* environment variables (sightline.db.url <->"
          + " SIGHTLINE_DB_URL), then sightline.yaml, then defaults.",
      "On the first start with the embedded database it creates <data-dir>/master.key and prints an"
          + " admin API token once (also saved to <data-dir>/admin.token, mode 0600).",
      "Secrets from the environment only: SIGHTLINE_MASTER_KEY or SIGHTLINE_MASTER_KEY_FILE,"
          + " SIGHTLINE_BOOTSTRAP_TOKEN or SIGHTLINE_BOOTSTRAP_TOKEN_FILE, SIGHTLINE_DB_PASSWORD."
    })
public final class ServerCommand implements Callable<Integer> {

  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help and exit.")
  boolean help;

  @Option(
      names = "--port",
      paramLabel = "PORT",
      description =
          "TCP port to listen on (default 8480; 0 picks a free port). Env SIGHTLINE_PORT.")
  String port;

  @Option(
      names = "--bind",
      paramLabel = "ADDRESS",
      description =
          "Address to listen on (default 127.0.0.1). A non-loopback address needs --tls-cert/--tls-key"
              + " or --allow-plaintext. Env SIGHTLINE_BIND.")
  String bind;

  @Option(
      names = "--data-dir",
      paramLabel = "DIR",
      description =
          "Directory for the embedded H2 database, master.key and admin.token (default"
              + " ./sightline-data). Env SIGHTLINE_DATA_DIR.")
  String dataDir;

  @Option(
      names = "--db-url",
      paramLabel = "JDBC_URL",
      description =
          "Use PostgreSQL instead of the embedded database, e.g. jdbc:postgresql://db:5432/sightline."
              + " Then SIGHTLINE_MASTER_KEY(_FILE) and, for an empty database,"
              + " SIGHTLINE_BOOTSTRAP_TOKEN must be supplied. Env SIGHTLINE_DB_URL.")
  String dbUrl;

  @Option(
      names = "--db-user",
      paramLabel = "USER",
      description = "PostgreSQL user. Env SIGHTLINE_DB_USER.")
  String dbUser;

  @Option(
      names = "--db-password-file",
      paramLabel = "FILE",
      description =
          "File holding the PostgreSQL password (or set SIGHTLINE_DB_PASSWORD)."
              + " Env SIGHTLINE_DB_PASSWORD_FILE.")
  String dbPasswordFile;

  @Option(
      names = "--public-url",
      paramLabel = "URL",
      description =
          "The URL clients use to reach this server (behind a proxy), e.g."
              + " https://sightline.example.com. Env SIGHTLINE_PUBLIC_URL.")
  String publicUrl;

  @Option(
      names = "--oidc-issuer-url",
      paramLabel = "URL",
      description =
          "The issuer URL of the server's workload identity federation assertions, where Entra"
              + " fetches /.well-known/openid-configuration and the JWKS: the server's public URL,"
              + " or a static site hosting `sightline issuer export` (default: --public-url, else"
              + " the URL the server listens on). Env SIGHTLINE_OIDC_ISSUER_URL.")
  String oidcIssuerUrl;

  @Option(
      names = "--oidc-server-name",
      paramLabel = "NAME",
      description =
          "The server's name in assertion subjects sc://<name>/<connection> (default sightline)."
              + " Env SIGHTLINE_OIDC_SERVER_NAME.")
  String oidcServerName;

  @Option(
      names = "--tls-cert",
      paramLabel = "PEM",
      description =
          "Serve HTTPS with this PEM certificate chain (needs --tls-key). Env SIGHTLINE_TLS_CERT.")
  String tlsCert;

  @Option(
      names = "--tls-key",
      paramLabel = "PEM",
      description = "The unencrypted PEM private key of --tls-cert. Env SIGHTLINE_TLS_KEY.")
  String tlsKey;

  @Option(
      names = "--allow-plaintext",
      description =
          "Allow plain HTTP on a non-loopback address (only behind a TLS-terminating proxy)."
              + " Env SIGHTLINE_ALLOW_PLAINTEXT.")
  Boolean allowPlaintext;

  @Option(
      names = "--log-format",
      paramLabel = "text|json",
      description =
          "Log as text lines (default) or one JSON object per line. Env SIGHTLINE_LOG_FORMAT.")
  String logFormat;

  @Option(
      names = "--token-ttl",
      paramLabel = "DURATION",
      description =
          "Default lifetime of new API tokens, e.g. 90d, 12h, 30m (default 90d). Env SIGHTLINE_TOKEN_TTL.")
  String tokenTtl;

  @Option(
      names = "--audit-checkpoint-file",
      paramLabel = "FILE",
      description =
          "Also append signed audit checkpoints to this file (keep it outside the database);"
              + " audit verify checks the newest one. Env SIGHTLINE_AUDIT_CHECKPOINT_FILE.")
  String auditCheckpointFile;

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description = "Settings file (YAML; default ./sightline.yaml when it exists).")
  Path configFile;

  private final Map<String, String> env;
  private final PrintStream err;

  /** For the CLI: the process environment and stderr. */
  public ServerCommand() {
    this(System.getenv(), System.err);
  }

  /** For tests: an injected environment and error stream. */
  public ServerCommand(Map<String, String> env, PrintStream err) {
    this.env = env;
    this.err = err;
  }

  /** The flags that were given, by dotted key. */
  Map<String, String> flags() {
    Map<String, String> f = new LinkedHashMap<>();
    put(f, ServerConfig.PORT, port);
    put(f, ServerConfig.BIND, bind);
    put(f, ServerConfig.DATA_DIR, dataDir);
    put(f, ServerConfig.DB_URL, dbUrl);
    put(f, ServerConfig.DB_USER, dbUser);
    put(f, ServerConfig.DB_PASSWORD_FILE, dbPasswordFile);
    put(f, ServerConfig.PUBLIC_URL, publicUrl);
    put(f, ServerConfig.OIDC_ISSUER_URL, oidcIssuerUrl);
    put(f, ServerConfig.OIDC_SERVER_NAME, oidcServerName);
    put(f, ServerConfig.TLS_CERT, tlsCert);
    put(f, ServerConfig.TLS_KEY, tlsKey);
    put(f, ServerConfig.ALLOW_PLAINTEXT, allowPlaintext == null ? null : allowPlaintext.toString());
    put(f, ServerConfig.LOG_FORMAT, logFormat);
    put(f, ServerConfig.TOKEN_TTL, tokenTtl);
    put(f, ServerConfig.AUDIT_CHECKPOINT_FILE, auditCheckpointFile);
    return f;
  }

  private static void put(Map<String, String> m, String key, String value) {
    if (value != null) {
      m.put(key, value);
    }
  }

  /** Builds the validated config (flags > env > yaml > defaults). */
  public ServerConfig config() {
    Path yaml = configFile;
    if (yaml == null) {
      Path dflt = Path.of("sightline.yaml");
      yaml = Files.isRegularFile(dflt) ? dflt : null;
    } else if (!Files.isRegularFile(yaml)) {
      throw new StartupException("--config " + yaml + " is not a readable file: fix the path");
    }
    return ServerConfig.load(flags(), env, yaml);
  }

  /**
   * Runs {@code server} on its own (development, benchmarks); the product's entry point is the
   * CLI's root command, which adds this class as a subcommand.
   */
  public static void main(String[] args) {
    System.exit(new picocli.CommandLine(new ServerCommand()).execute(args));
  }

  @Override
  public Integer call() {
    SightlineServer server;
    try {
      server = new SightlineServer(config()).start();
    } catch (StartupException e) {
      err.println("sightline server: " + e.getMessage());
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.stop();
                  stopped.countDown();
                },
                "sightline-shutdown"));
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      server.stop();
    }
    return 0;
  }
}
