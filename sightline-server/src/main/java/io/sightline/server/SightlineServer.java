package io.sightline.server;

import io.javalin.Javalin;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sightline.azure.OidcIssuer;
import io.sightline.connections.LocalClusterOperations;
import io.sightline.connections.azurerm.AzureRmAccessCache;
import io.sightline.core.AuditEvent;
import io.sightline.core.Principal;
import io.sightline.core.SecretValue;
import io.sightline.core.SightlineException;
import io.sightline.kubernetes.ClusterProber;
import io.sightline.kubernetes.EgressPolicy;
import io.sightline.kubernetes.ProbeOptions;
import io.sightline.kubernetes.ProbeRateLimiter;
import io.sightline.server.agents.AgentService;
import io.sightline.server.agents.ConnectionOperations;
import io.sightline.server.environments.EnvironmentService;
import io.sightline.server.http.ApiRoute;
import io.sightline.server.http.HttpApp;
import io.sightline.server.http.OpenApiDocument;
import io.sightline.server.internal.AuditCheckpoints;
import io.sightline.server.internal.Leadership;
import io.sightline.server.internal.MasterKeyRotation;
import io.sightline.server.internal.Tls;
import io.sightline.server.issuer.IssuerKeyMaintenance;
import io.sightline.server.issuer.StoreKeyStorage;
import io.sightline.server.leases.AzureLeases;
import io.sightline.server.leases.LeaseService;
import io.sightline.server.logging.Logging;
import io.sightline.server.routes.AdminRoutes;
import io.sightline.server.routes.AgentRoutes;
import io.sightline.server.routes.AuditRoutes;
import io.sightline.server.routes.AzureRmRoutes;
import io.sightline.server.routes.ConnectionRoutes;
import io.sightline.server.routes.EnvironmentRoutes;
import io.sightline.server.routes.IssuerRoutes;
import io.sightline.server.routes.LeaseRoutes;
import io.sightline.server.routes.MeRoutes;
import io.sightline.server.routes.Services;
import io.sightline.server.routes.TokenRoutes;
import io.sightline.server.routes.TrustRoutes;
import io.sightline.server.trust.IdTokenVerifier;
import io.sightline.server.trust.internal.IssuerKeys;
import io.sightline.server.trust.internal.OidcHttp;
import io.sightline.store.ApiTokens;
import io.sightline.store.MasterKey;
import io.sightline.store.MasterKeys;
import io.sightline.store.Store;
import io.sightline.store.StoreConfig;
import io.sightline.store.StoreUnavailableException;
import io.sightline.store.Stores;
import java.io.IOException;
import java.io.PrintStream;
import java.net.BindException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Sightline server: checks its configuration and surroundings, opens the store, bootstraps the
 * first admin token, and serves the API. Usable in-process (tests start it on port 0):
 *
 * <pre>{@code
 * SightlineServer server = new SightlineServer(ServerConfig.load(flags, System.getenv(), yaml)).start();
 * server.url();   // e.g. http://127.0.0.1:8480
 * server.stop();
 * }</pre>
 *
 * Startup failures a user can fix are {@link StartupException}s with a one-line message.
 */
public final class SightlineServer implements AutoCloseable {
  /**
   * The listening socket's backlog. Jetty's default (the JDK's 50) overflowed when a thousand
   * clients connected at once: the kernel dropped the handshakes it could not queue and those
   * clients' first requests met a reset (the 1,000-client load benchmark). The kernel caps it at
   * net.core.somaxconn.
   */
  public static final int ACCEPT_QUEUE = 1024;

  private static final Logger log = LoggerFactory.getLogger(SightlineServer.class);
  public static final String ADMIN_TOKEN_FILE = "admin.token";

  /** Opens the store (tests may inject a fake or a failing one). */
  @FunctionalInterface
  public interface StoreOpener {
    Store open(StoreConfig config, MasterKey key);
  }

  private final ServerConfig config;
  private final StoreOpener opener;
  private final PrintStream console;
  private final Clock clock;

  private Store store;
  private Javalin app;
  private AuditCheckpoints checkpoints;
  private Leadership leadership;
  private ClusterProber prober;
  private AgentService agents;
  private ConnectionOperations operations;
  private LeaseService leases;
  private IdTokenVerifier idTokens;
  private io.sightline.server.ui.WebUi webUi;

  /**
   * A token naming an unknown kid makes the server refetch that issuer's JWKS at most this often.
   */
  static final long JWKS_MIN_REFETCH_SECONDS = 10;

  private OidcIssuer oidcIssuer;
  private IssuerKeyMaintenance issuerKeys;
  private List<ApiRoute> routes = List.of();
  private String url;
  private long httpMs;

  public SightlineServer(ServerConfig config) {
    this(config, Stores::open, System.err, Clock.systemUTC());
  }

  /**
   * @param console where the one-time admin token banner goes (stderr in production)
   */
  public SightlineServer(
      ServerConfig config, StoreOpener opener, PrintStream console, Clock clock) {
    this.config = config;
    this.opener = opener;
    this.console = console;
    this.clock = clock;
  }

  public static String version() {
    String v = SightlineServer.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }

  /**
   * Starts the server; returns when it accepts requests.
   *
   * @throws StartupException for anything the user can fix (message names the key and the fix)
   */
  public synchronized SightlineServer start() {
    if (app != null) {
      return this;
    }
    long t0 = System.nanoTime();
    Logging.configure(config.logFormat() == ServerConfig.LogFormat.JSON);
    checkPlaintext();
    checkDataDir();
    Tls tls = config.isTls() ? Tls.load(config.tlsCert(), config.tlsKey()) : null;
    checkPortFree();
    StoreConfig storeConfig =
        new StoreConfig(
            config.dataDir(),
            config.dbUrl(),
            config.dbUser(),
            config.dbPassword(),
            config.dbPoolSize());
    Path keyFile = keyFile();
    boolean keyFileExisted = keyFile != null && Files.exists(keyFile);
    MasterKey key;
    try {
      key = MasterKeys.resolve(storeConfig, keyEnvironment());
      store = opener.open(storeConfig, key);
    } catch (StoreUnavailableException e) {
      removeNewKeyFile(keyFile, keyFileExisted, storeConfig);
      throw new StartupException(
          "cannot reach the database "
              + (config.isExternalDb() ? config.dbUrl().replaceAll("[?;].*", "") : config.dataDir())
              + ": "
              + e.getMessage()
              + (config.isExternalDb() ? " (check --db-url, --db-user and the password)" : ""));
    } catch (SightlineException e) {
      removeNewKeyFile(keyFile, keyFileExisted, storeConfig);
      throw new StartupException(e.getMessage());
    }
    long storeMs = (System.nanoTime() - t0) / 1_000_000;
    try {
      ApiTokens.CreatedToken created = bootstrapAdminToken();
      EgressPolicy egress = config.egressPolicy();
      prober = new ClusterProber(egress);
      leadership = new Leadership(store, Leadership.DEFAULT_CHECK_INTERVAL, replicaName());
      checkpoints =
          new AuditCheckpoints(
              store,
              config.auditCheckpointFile(),
              config.auditCheckpointInterval(),
              leadership::isLeader);
      oidcIssuer =
          new OidcIssuer(
              this::issuerUrl,
              config.oidc().serverName(),
              new StoreKeyStorage(store),
              OidcIssuer.KeyType.RSA_2048,
              clock);
      issuerKeys = new IssuerKeyMaintenance(oidcIssuer, config.oidc());
      agents =
          new AgentService(
              store, clock, config.publicUrl() == null ? null : config.publicUrl().toString());
      operations = new ConnectionOperations(new LocalClusterOperations(egress, prober), agents);
      Services services =
          new Services(
              store,
              clock,
              config.tokenTtl(),
              new MasterKeyRotation(store, key, keyFile),
              checkpoints,
              egress,
              prober,
              new ProbeRateLimiter(config.probesPerMinute(), Duration.ofMinutes(1)),
              oidcIssuer,
              operations);
      AzureRmAccessCache azureAccess =
          new AzureRmAccessCache(egress, oidcIssuer, ProbeOptions.DEFAULT_DEADLINE);
      AzureRmRoutes azurerm = new AzureRmRoutes(services, azureAccess);
      List<ApiRoute> all = new ArrayList<>();
      all.addAll(MeRoutes.routes());
      all.addAll(TokenRoutes.routes(services));
      all.addAll(ConnectionRoutes.routes(services, azurerm));
      all.addAll(azurerm.routes());
      AzureLeases azureLeases = new AzureLeases(store, clock, config.leases(), azureAccess);
      leases = new LeaseService(store, clock, config.leases(), operations, azureLeases);
      leases.reapOnlyWhile(leadership::isLeader);
      idTokens =
          new IdTokenVerifier(
              store,
              clock,
              new IssuerKeys(
                  trustHttp(egress), clock, Duration.ofSeconds(JWKS_MIN_REFETCH_SECONDS)));
      all.addAll(TrustRoutes.routes(services));
      all.addAll(LeaseRoutes.routes(leases, azureLeases));
      EnvironmentService environments = new EnvironmentService(store, clock, leases);
      leases.gate(environments.leaseGate());
      all.addAll(EnvironmentRoutes.routes(environments));
      all.addAll(AuditRoutes.routes(services));
      all.addAll(AdminRoutes.routes(services));
      all.addAll(IssuerRoutes.routes(services, config.oidc()));
      all.addAll(AgentRoutes.routes(agents));
      routes = List.copyOf(all);
      long t1 = System.nanoTime();
      try {
        startHttp(tls);
      } finally {
        if (created != null) {
          printBanner(created, adminTokenFile());
        }
      }
      httpMs = (System.nanoTime() - t1) / 1_000_000;
      leadership.start();
      checkpoints.start();
      leases.start();
      issuerKeys.start();
    } catch (RuntimeException e) {
      stop();
      throw e;
    }
    long ms = (System.nanoTime() - t0) / 1_000_000;
    logIssuer();
    log.info(
        "Sightline {} listening on {} (storage: {}) — ready in {} ms (store {} ms, http {} ms)",
        version(),
        url,
        store.describe(),
        ms,
        storeMs,
        httpMs);
    return this;
  }

  /**
   * The issuer URL: {@code --oidc-issuer-url}, else {@code --public-url}, else the URL the server
   * listens on (known once it listens).
   */
  private String issuerUrl() {
    if (config.oidc().issuerUrl() != null) {
      return config.oidc().issuerUrl().toString();
    }
    if (config.publicUrl() != null) {
      return config.publicUrl().toString();
    }
    return url;
  }

  private void logIssuer() {
    String issuer = oidcIssuer.issuerUrl();
    boolean configured = config.oidc().issuerUrl() != null || config.publicUrl() != null;
    if (!configured || !issuer.startsWith("https://")) {
      log.info(
          "OIDC issuer {} (key {}): Entra can use it for workload identity federation only over"
              + " HTTPS from the internet — set --oidc-issuer-url (or --public-url), or host the"
              + " documents of `sightline issuer export`",
          issuer,
          oidcIssuer.activeKeyId());
    } else {
      log.info("OIDC issuer {} (key {})", issuer, oidcIssuer.activeKeyId());
    }
  }

  private void checkPlaintext() {
    InetAddress addr;
    try {
      addr = InetAddress.getByName(config.bind());
    } catch (IOException e) {
      throw new StartupException("--bind " + config.bind() + " is not an address of this machine");
    }
    if (!addr.isLoopbackAddress() && !config.isTls() && !config.allowPlaintext()) {
      throw new StartupException(
          "refusing to serve plain HTTP on "
              + config.bind()
              + ", which is not a loopback address: pass --tls-cert and --tls-key to serve HTTPS,"
              + " or --allow-plaintext if a TLS-terminating proxy sits in front");
    }
  }

  private void checkDataDir() {
    Path dir = config.dataDir();
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new StartupException(
          "--data-dir "
              + dir
              + " exists and is a regular file, not a directory: pass another --data-dir or move"
              + " the file away");
    }
    if (!config.isExternalDb() && !Files.exists(dir)) {
      try {
        Files.createDirectories(dir);
        try {
          Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        } catch (UnsupportedOperationException e) {
          // not POSIX
        }
      } catch (IOException e) {
        throw new StartupException(
            "cannot create --data-dir " + dir + ": " + e.getMessage() + " (pick a writable path)");
      }
    }
  }

  private void checkPortFree() {
    if (config.port() == 0) {
      return;
    }
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(InetAddress.getByName(config.bind()), config.port()));
    } catch (BindException e) {
      throw portInUse();
    } catch (IOException e) {
      throw new StartupException(
          "cannot listen on " + config.bind() + ":" + config.port() + ": " + e.getMessage());
    }
  }

  private StartupException portInUse() {
    return new StartupException(
        "port "
            + config.port()
            + " on "
            + config.bind()
            + " is in use: stop the other process or pass --port");
  }

  /** The key file rotation writes to; null when the key comes from the environment. */
  private Path keyFile() {
    if (config.masterKey() != null) {
      return null;
    }
    if (config.masterKeyFile() != null) {
      return config.masterKeyFile().toAbsolutePath().normalize();
    }
    return MasterKeys.keyFile(config.dataDir());
  }

  private Map<String, String> keyEnvironment() {
    Map<String, String> env = new HashMap<>();
    if (config.masterKey() != null) {
      env.put(MasterKeys.ENV_KEY, config.masterKey().reveal());
    }
    if (config.masterKeyFile() != null) {
      env.put(MasterKeys.ENV_KEY_FILE, config.masterKeyFile().toString());
    }
    return env;
  }

  /** Removes a key file created by this start, unless a database may already depend on it. */
  private static void removeNewKeyFile(Path keyFile, boolean existed, StoreConfig storeConfig) {
    if (keyFile != null
        && !existed
        && !storeConfig.isExternal()
        && !Files.exists(storeConfig.h2File())) {
      try {
        Files.deleteIfExists(keyFile);
      } catch (IOException e) {
        // best effort: the key was never used
      }
    }
  }

  /** Returns the token created on the embedded first start (to print once), else null. */
  private ApiTokens.CreatedToken bootstrapAdminToken() {
    SecretValue supplied = config.bootstrapToken();
    if (supplied != null) {
      try {
        store.transact(
            tx -> {
              if (tx.tokens().authenticate(supplied.reveal(), clock.instant()).isEmpty()) {
                ApiTokens.ApiToken t = tx.tokens().importBootstrap(supplied, config.tokenTtl());
                tx.audit()
                    .append(
                        new AuditEvent(
                            "token.bootstrap",
                            "system",
                            "token/" + t.id(),
                            "success",
                            null,
                            Map.of("name", t.name(), "source", "SIGHTLINE_BOOTSTRAP_TOKEN")));
              }
              return null;
            });
      } catch (SightlineException e) {
        if (e.isUserError()) {
          throw new StartupException("SIGHTLINE_BOOTSTRAP_TOKEN: " + e.getMessage());
        }
        throw e;
      }
      log.info("bootstrap admin token from SIGHTLINE_BOOTSTRAP_TOKEN is in place");
      return null;
    }
    long count = store.transact(tx -> tx.tokens().count());
    if (count > 0) {
      return null;
    }
    if (store.isExternal()) {
      throw new StartupException(
          "no API token exists yet and SIGHTLINE_BOOTSTRAP_TOKEN is not set: with an external"
              + " database Sightline never generates one. Set SIGHTLINE_BOOTSTRAP_TOKEN (or"
              + " SIGHTLINE_BOOTSTRAP_TOKEN_FILE) to slt_ followed by 43 base64url characters, e.g."
              + " slt_$(openssl rand -base64 32 | tr '+/' '-_' | tr -d '=')");
    }
    ApiTokens.CreatedToken created =
        store.transact(
            tx -> {
              ApiTokens.CreatedToken t =
                  tx.tokens()
                      .create(
                          "admin",
                          io.sightline.core.Role.ADMIN,
                          List.of(),
                          config.tokenTtl(),
                          "system");
              tx.audit()
                  .append(
                      new AuditEvent(
                          "token.create",
                          "system",
                          "token/" + t.token().id(),
                          "success",
                          null,
                          Map.of("name", "admin", "role", "admin", "bootstrap", true)));
              return t;
            });
    Path file = adminTokenFile();
    writePrivateFile(file, created.value().reveal() + "\n");
    return created;
  }

  /** {@code <data-dir>/admin.token}, written on the embedded first start. */
  public Path adminTokenFile() {
    return config.dataDir().toAbsolutePath().normalize().resolve(ADMIN_TOKEN_FILE);
  }

  private static void writePrivateFile(Path file, String content) {
    try {
      Files.deleteIfExists(file);
      try {
        Files.createFile(
            file,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      } catch (UnsupportedOperationException e) {
        Files.createFile(file);
      }
      Files.writeString(file, content, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new StartupException("cannot write " + file + ": " + e.getMessage());
    }
  }

  private void printBanner(ApiTokens.CreatedToken created, Path file) {
    String line = "=".repeat(78);
    console.println(line);
    console.println(" Sightline admin API token — shown only this once:");
    console.println();
    console.println("   " + created.value().reveal());
    console.println();
    console.println(
        " Also saved to " + file + " (mode 0600). It expires " + created.token().expiresAt() + ".");
    console.println(
        " Log in with: sightline login --server " + (url == null ? "<url>" : url) + " < " + file);
    console.println(line);
    console.flush();
  }

  private void startHttp(Tls tls) {
    PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(meters);
    new JvmThreadMetrics().bindTo(meters);
    new ClassLoaderMetrics().bindTo(meters);
    new ProcessorMetrics().bindTo(meters);
    new UptimeMetrics().bindTo(meters);
    @SuppressWarnings("resource")
    JvmGcMetrics gc = new JvmGcMetrics();
    gc.bindTo(meters);
    Leadership lead = leadership;
    io.micrometer.core.instrument.Gauge.builder(
            "sightline.leader", () -> lead != null && lead.isLeader() ? 1 : 0)
        .description("1 while this replica runs the lease reaper and audit checkpoints")
        .register(meters);

    Store routesStore = store;
    IdTokenVerifier verifier = idTokens;
    HttpApp http =
        new HttpApp(
            this::authenticate,
            (handle, ctx) -> LeaseRoutes.authenticateHandle(routesStore, handle, ctx),
            (token, ctx) ->
                token.startsWith(EnvironmentRoutes.CLAIM_PREFIX)
                    ? EnvironmentRoutes.authenticateClaim(routesStore, token, ctx)
                    : EnvironmentRoutes.acceptsIdToken(ctx)
                        ? EnvironmentRoutes.authenticateIdToken(verifier, token, ctx)
                        : LeaseRoutes.authenticateIdToken(verifier, token, ctx),
            meters);
    if (leases != null) {
      leases.meters(meters);
    }
    webUi =
        new io.sightline.server.ui.WebUi(
            store,
            clock,
            tls != null
                || (config.publicUrl() != null
                    && "https".equalsIgnoreCase(config.publicUrl().getScheme())),
            new io.sightline.server.http.ApiCalls(routes, http.json()));
    http.htmlNotFound(webUi::notFound);
    String[] openApi = new String[1];
    app =
        Javalin.create(
            cfg -> {
              http.install(cfg, routes);
              webUi.install(cfg);
              cfg.jetty.host = config.bind();
              cfg.jetty.port = config.port();
              if (tls != null) {
                cfg.jetty.addConnector(
                    (server, httpConfig) ->
                        tls.connector(server, httpConfig, config.bind(), config.port()));
              } else {
                cfg.jetty.addConnector(
                    (server, httpConfig) -> {
                      org.eclipse.jetty.server.ServerConnector c =
                          new org.eclipse.jetty.server.ServerConnector(
                              server,
                              new org.eclipse.jetty.server.HttpConnectionFactory(httpConfig));
                      c.setHost(config.bind());
                      c.setPort(config.port());
                      c.setAcceptQueueSize(ACCEPT_QUEUE);
                      return c;
                    });
              }
              cfg.routes.get("/healthz", ctx -> ctx.json(Map.of("status", "alive")));
              cfg.routes.get(
                  "/readyz",
                  ctx -> {
                    store.ping();
                    ctx.json(Map.of("status", "ready"));
                  });
              cfg.routes.get(
                  "/metrics",
                  ctx ->
                      ctx.contentType("text/plain; version=0.0.4; charset=utf-8")
                          .result(meters.scrape()));
              cfg.routes.get(
                  "/openapi.json",
                  ctx -> {
                    if (openApi[0] == null) {
                      openApi[0] =
                          http.json()
                              .objectMapper()
                              .writerWithDefaultPrettyPrinter()
                              .writeValueAsString(
                                  OpenApiDocument.build(
                                      version(),
                                      config.publicUrl() == null
                                          ? null
                                          : config.publicUrl().toString(),
                                      routes));
                    }
                    ctx.contentType("application/json").result(openApi[0]);
                  });
            });
    try {
      app.start();
    } catch (RuntimeException e) {
      if (hasCause(e, BindException.class)) {
        throw portInUse();
      }
      throw e;
    }
    String host = config.bind();
    if (host.equals("0.0.0.0") || host.equals("::")) {
      host = "127.0.0.1";
    }
    try {
      if (InetAddress.getByName(host) instanceof Inet6Address) {
        host = "[" + host + "]";
      }
    } catch (IOException e) {
      // keep as given
    }
    url = (tls != null ? "https" : "http") + "://" + host + ":" + app.port();
  }

  private okhttp3.OkHttpClient trustHttp(EgressPolicy egress) {
    try {
      return OidcHttp.client(egress, config.trustCaFile());
    } catch (IllegalArgumentException e) {
      throw new StartupException(ServerConfig.TRUST_CA_FILE + ": " + e.getMessage());
    }
  }

  /** This replica's name for logs: the host (pod) name and the process id. */
  private static String replicaName() {
    String host = System.getenv("HOSTNAME");
    return (host == null || host.isBlank() ? "pid" : host) + "/" + ProcessHandle.current().pid();
  }

  /** Whether this replica runs the periodic work now (always true on the embedded store). */
  public boolean isLeader() {
    return leadership != null && leadership.isLeader();
  }

  private java.util.Optional<Principal> authenticate(String presented) {
    return store
        .transact(tx -> tx.tokens().authenticate(presented, clock.instant()))
        .map(t -> new Principal(t.name(), t.groups(), t.role()));
  }

  private static boolean hasCause(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }

  /** Stops serving, writes a last audit checkpoint, closes the store. Safe to call twice. */
  public synchronized void stop() {
    if (app != null) {
      try {
        app.stop();
      } catch (RuntimeException e) {
        log.warn("stopping the HTTP server: {}", e.getMessage());
      }
      app = null;
    }
    if (webUi != null) {
      webUi.close();
      webUi = null;
    }
    if (leases != null) {
      leases.close();
      leases = null;
    }
    if (issuerKeys != null) {
      issuerKeys.close();
      issuerKeys = null;
    }
    if (checkpoints != null) {
      checkpoints.close();
      checkpoints = null;
    }
    if (leadership != null) {
      leadership.close();
      leadership = null;
    }
    if (operations != null) {
      operations.close();
      operations = null;
    }
    if (prober != null) {
      prober.close();
      prober = null;
    }
    if (store != null) {
      store.close();
      store = null;
    }
  }

  @Override
  public void close() {
    stop();
  }

  public int port() {
    return app == null ? -1 : app.port();
  }

  /** The URL the server listens on, e.g. {@code http://127.0.0.1:8480}. */
  public String url() {
    return url;
  }

  /** The {@code /api/v1} route table (the source of {@code /openapi.json}). */
  public List<ApiRoute> apiRoutes() {
    return routes;
  }

  /** Every HTTP handler registered with Javalin, as {@code METHOD /path}. */
  public List<String> registeredHandlers() {
    if (app == null) {
      return List.of();
    }
    return app.unsafe.internalRouter.allHttpHandlers().stream()
        .map(p -> p.endpoint.method.name() + " " + p.endpoint.path)
        .toList();
  }

  /** The web UI's routes and the API routes each calls (for the authorization matrix). */
  public List<io.sightline.server.ui.WebUi.UiRoute> uiRoutes() {
    return webUi == null ? List.of() : webUi.pages();
  }

  /** The route table (the authorization matrix and tests read it). */
  public List<ApiRoute> routes() {
    return routes;
  }

  /** The open store (tests look at rows directly). */
  public Store store() {
    return store;
  }

  /** The agent service (tests shorten its claims). */
  public AgentService agents() {
    return agents;
  }

  /** The lease service (tests run its reaper on demand). */
  public LeaseService leases() {
    return leases;
  }

  /** The server as an OIDC issuer. */
  public OidcIssuer oidcIssuer() {
    return oidcIssuer;
  }

  /** The issuer's scheduled key rotation (tests run it on demand). */
  public IssuerKeyMaintenance issuerKeyMaintenance() {
    return issuerKeys;
  }

  public ServerConfig config() {
    return config;
  }
}
