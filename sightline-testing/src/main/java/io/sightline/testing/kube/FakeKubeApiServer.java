package io.sightline.testing.kube;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpsServer;
import io.sightline.testing.kube.internal.ApiHandler;
import io.sightline.testing.kube.internal.Cluster;
import io.sightline.testing.kube.internal.Json;
import io.sightline.testing.kube.internal.Listeners;
import io.sightline.testing.kube.internal.RequestLog;
import io.sightline.testing.kube.internal.ResourceType;
import io.sightline.testing.kube.internal.UserInfo;
import io.sightline.testing.pki.TestCa;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Predicate;
import javax.net.ssl.SSLContext;

/**
 * A Kubernetes API server emulator over HTTPS on 127.0.0.1, for tests: authentication (static
 * tokens, service-account JWTs, legacy token Secrets, client certificates, OIDC), RBAC from its own
 * store, TokenRequest with bound objects, the token controller, reviews, discovery for kubectl, and
 * fault listeners for probes. See {@code sightline-testing/README.md}.
 *
 * <pre>{@code
 * try (FakeKubeApiServer kube = FakeKubeApiServer.builder().version("1.30").start()) {
 *   String kubeconfig = kube.adminKubeconfig();
 *   ...
 * }
 * }</pre>
 */
public final class FakeKubeApiServer implements AutoCloseable {

  /** The user behind {@link #adminToken()}. */
  public static final String ADMIN_USER = "kubernetes-admin";

  private static final SecureRandom RANDOM = new SecureRandom();

  private final Cluster cluster;
  private final TestCa ca;
  private final TestCa.Issued serverCert;
  private final SSLContext serverSsl;
  private final ApiHandler handler;
  private final RequestLog requestLog = new RequestLog();
  private final ExecutorService pool;
  private final HttpsServer server;
  private final URI url;
  private final String adminToken;
  private final Duration faultDelay;
  private Faults faults;

  private FakeKubeApiServer(Builder b) {
    this.ca = TestCa.create("fake-kube-ca");
    this.serverCert = ca.issueServer(List.of("localhost", "kubernetes"), List.of("127.0.0.1"));
    this.serverSsl = ca.sslContext(serverCert);
    int minor = parseMinor(b.version);
    this.cluster =
        new Cluster(
            minor,
            b.gitVersion != null ? b.gitVersion : "v1." + minor + ".0",
            ca.certPem(),
            b.tokenController,
            b.tokenControllerDelay,
            b.oidc,
            b.authCacheTtl);
    this.adminToken = randomToken();
    cluster.authenticator.addStaticToken(
        adminToken,
        new UserInfo(
            ADMIN_USER, null, List.of(UserInfo.MASTERS, UserInfo.AUTHENTICATED), Map.of()));
    this.handler = new ApiHandler(cluster, requestLog);
    this.pool = Listeners.pool("fake-kube", b.threads);
    this.server = Listeners.https(serverSsl, b.port, handler, pool);
    int port = server.getAddress().getPort();
    handler.serverAddress("127.0.0.1:" + port);
    this.url = URI.create("https://127.0.0.1:" + port);
    this.faultDelay = b.faultDelay;
  }

  /** A builder with the defaults: version 1.30, token controller on after 100 ms, no auth cache. */
  public static Builder builder() {
    return new Builder();
  }

  private static int parseMinor(String version) {
    String v = version.startsWith("v") ? version.substring(1) : version;
    String[] parts = v.split("\\.");
    if (parts.length < 2 || !parts[0].equals("1")) {
      throw new IllegalArgumentException("version must look like 1.30, got " + version);
    }
    return Integer.parseInt(parts[1].replaceAll("[^0-9].*$", ""));
  }

  private static String randomToken() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  /** {@code https://127.0.0.1:PORT}. */
  public URI url() {
    return url;
  }

  /** The emulated minor version (30 for 1.30). */
  public int minorVersion() {
    return cluster.minor;
  }

  /** The cluster CA certificate (PEM) that signed the serving certificate. */
  public String caCertPem() {
    return ca.certPem();
  }

  /** The cluster CA, e.g. to issue more client certificates. */
  public TestCa ca() {
    return ca;
  }

  /** An SSL context that trusts this server (and presents no client certificate). */
  public SSLContext sslContext() {
    return ca.sslContext(null);
  }

  /** The bearer token of {@link #ADMIN_USER}, member of {@code system:masters}. */
  public String adminToken() {
    return adminToken;
  }

  /** A self-contained kubeconfig YAML for the admin (inline CA and token, no file paths). */
  public String adminKubeconfig() {
    return kubeconfigForToken(adminToken);
  }

  /** A self-contained kubeconfig YAML authenticating with {@code token}. */
  public String kubeconfigForToken(String token) {
    return kubeconfig(url, "    token: " + token + "\n");
  }

  /** A self-contained kubeconfig YAML authenticating with a client certificate. */
  public String kubeconfigForCertificate(TestCa.Issued cert) {
    Base64.Encoder b64 = Base64.getEncoder();
    return kubeconfig(
        url,
        "    client-certificate-data: "
            + b64.encodeToString(cert.certPem().getBytes(StandardCharsets.UTF_8))
            + "\n    client-key-data: "
            + b64.encodeToString(cert.keyPem().getBytes(StandardCharsets.UTF_8))
            + "\n");
  }

  private String kubeconfig(URI server, String userFields) {
    String caData =
        Base64.getEncoder().encodeToString(ca.certPem().getBytes(StandardCharsets.UTF_8));
    return "apiVersion: v1\n"
        + "kind: Config\n"
        + "clusters:\n"
        + "- name: fake-kube\n"
        + "  cluster:\n"
        + "    server: "
        + server
        + "\n"
        + "    certificate-authority-data: "
        + caData
        + "\n"
        + "users:\n"
        + "- name: user\n"
        + "  user:\n"
        + userFields
        + "contexts:\n"
        + "- name: fake-kube\n"
        + "  context:\n"
        + "    cluster: fake-kube\n"
        + "    user: user\n"
        + "    namespace: default\n"
        + "current-context: fake-kube\n";
  }

  /** A client certificate signed by the cluster CA: {@code CN=user}, one {@code O} per group. */
  public TestCa.Issued clientCertificate(String user, String... groups) {
    return ca.issueClient(user, groups);
  }

  /** Accepts {@code token} as a static bearer token of {@code user} in {@code groups}. */
  public void addStaticToken(String token, String user, String... groups) {
    List<String> g = new ArrayList<>(List.of(groups));
    g.add(UserInfo.AUTHENTICATED);
    cluster.authenticator.addStaticToken(token, new UserInfo(user, null, List.copyOf(g), Map.of()));
  }

  /**
   * A service-account token signed by this server without a TokenRequest: no bound object, any
   * lifetime (zero or negative gives an already expired token). The ServiceAccount must exist.
   */
  public String serviceAccountToken(String namespace, String name, Duration lifetime) {
    ObjectNode sa = getObject("v1", "ServiceAccount", namespace, name);
    if (sa == null) {
      throw new IllegalArgumentException("no ServiceAccount " + namespace + "/" + name);
    }
    return cluster
        .tokens
        .mintBound(
            namespace,
            name,
            sa.path("metadata").path("uid").asText(),
            cluster.tokens.apiAudiences(),
            lifetime.toSeconds(),
            null,
            null,
            null)
        .token();
  }

  /** The issuer ({@code iss}) of the service-account tokens this server mints. */
  public String serviceAccountIssuer() {
    return cluster.tokens.issuer();
  }

  /** Everything answered so far, oldest first (at most the last 100 000 requests). */
  public List<RequestLogEntry> requestLog() {
    return requestLog.snapshot();
  }

  /** Requests matching {@code filter}, oldest first. */
  public List<RequestLogEntry> requestLog(Predicate<RequestLogEntry> filter) {
    return requestLog.snapshot().stream().filter(filter).toList();
  }

  public void clearRequestLog() {
    requestLog.clear();
  }

  /**
   * Creates an object as the cluster would on a POST, bypassing authentication (for test setup).
   * The object's {@code apiVersion} and {@code kind} choose the resource. Answers the stored
   * object.
   */
  public ObjectNode createObject(ObjectNode object) {
    ResourceType t = typeOf(object.path("apiVersion").asText(), object.path("kind").asText());
    ObjectNode copy = object.deepCopy();
    cluster.prepare(t, copy, null);
    return cluster.store.create(t, copy).deepCopy();
  }

  /** Creates an object from JSON text; see {@link #createObject(ObjectNode)}. */
  public ObjectNode createObject(String json) {
    try {
      return createObject((ObjectNode) Json.MAPPER.readTree(json));
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("not a JSON object", e);
    }
  }

  /** A copy of a stored object, or null. {@code namespace} is ignored for cluster-scoped kinds. */
  public ObjectNode getObject(String apiVersion, String kind, String namespace, String name) {
    ObjectNode o = cluster.store.get(typeOf(apiVersion, kind), namespace, name);
    return o == null ? null : o.deepCopy();
  }

  /** Deletes a stored object as a DELETE would (controllers react); true if it existed. */
  public boolean deleteObject(String apiVersion, String kind, String namespace, String name) {
    return cluster.store.delete(typeOf(apiVersion, kind), namespace, name) != null;
  }

  private ResourceType typeOf(String apiVersion, String kind) {
    String group = apiVersion.contains("/") ? apiVersion.substring(0, apiVersion.indexOf('/')) : "";
    ResourceType t = cluster.registry.byKind(group, kind);
    if (t == null || !t.stored()) {
      throw new IllegalArgumentException("the emulator stores no " + apiVersion + " " + kind);
    }
    return t;
  }

  /** The fault listeners, started on first use. */
  public synchronized Faults faults() {
    if (faults == null) {
      faults = new Faults();
    }
    return faults;
  }

  /**
   * Loopback listeners that misbehave in the ways probes must diagnose. Each URL is {@code
   * https://127.0.0.1:PORT}.
   */
  public final class Faults implements AutoCloseable {
    private final int refusedPort = Listeners.refusingPort();
    private final Listeners.Stall silent = new Listeners.Stall(false);
    private final Listeners.Stall tlsStall = new Listeners.Stall(true);
    private final ExecutorService faultPool =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "fake-kube-fault");
              t.setDaemon(true);
              return t;
            });
    private volatile Duration slowDelay = faultDelay;
    private final HttpsServer slow;
    private final HttpsServer unknownCa;
    private final HttpsServer unauthorized;

    private Faults() {
      HttpHandler delayed =
          ex -> {
            try {
              Thread.sleep(slowDelay.toMillis());
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            handler.handle(ex);
          };
      slow = Listeners.https(serverSsl, 0, delayed, faultPool);
      TestCa other = TestCa.create("unknown-ca");
      unknownCa =
          Listeners.https(
              other.sslContext(other.issueServer(List.of("localhost"), List.of("127.0.0.1"))),
              0,
              handler,
              faultPool);
      unauthorized = Listeners.https(serverSsl, 0, ApiHandler.alwaysUnauthorized(), faultPool);
    }

    private URI at(int port) {
      return URI.create("https://127.0.0.1:" + port);
    }

    /** Nothing listens: connections are refused. */
    public URI refused() {
      return at(refusedPort);
    }

    /** TCP connections are accepted, then nothing is ever read or written. */
    public URI silent() {
      return at(silent.port());
    }

    /** The TLS handshake begins (part of a ServerHello is sent) and never completes. */
    public URI tlsStall() {
      return at(tlsStall.port());
    }

    /** The real API, but every answer comes after {@link #slowDelay(Duration)} (default 30 s). */
    public URI slow() {
      return at(slow.getAddress().getPort());
    }

    /** The real API behind a certificate from a CA nobody trusts. */
    public URI unknownCa() {
      return at(unknownCa.getAddress().getPort());
    }

    /** A server with the cluster's certificate that answers every request 401 Unauthorized. */
    public URI unauthorized() {
      return at(unauthorized.getAddress().getPort());
    }

    /** Changes the delay of {@link #slow()}. */
    public void slowDelay(Duration delay) {
      this.slowDelay = Objects.requireNonNull(delay);
    }

    @Override
    public void close() {
      silent.close();
      tlsStall.close();
      slow.stop(0);
      unknownCa.stop(0);
      unauthorized.stop(0);
      faultPool.shutdownNow();
    }
  }

  @Override
  public void close() {
    synchronized (this) {
      if (faults != null) {
        faults.close();
      }
    }
    server.stop(0);
    pool.shutdownNow();
    cluster.close();
  }

  /** Options of a new emulator. */
  public static final class Builder {
    private String version = "1.30";
    private String gitVersion;
    private int port;
    private int threads = 32;
    private boolean tokenController = true;
    private Duration tokenControllerDelay = Duration.ofMillis(100);
    private Duration authCacheTtl;
    private OidcConfig oidc;
    private Duration faultDelay = Duration.ofSeconds(30);

    private Builder() {}

    /**
     * The emulated Kubernetes version, {@code "1.23"} … {@code "1.33"}: decides which review APIs
     * exist and whether ServiceAccounts get token Secrets automatically (1.23 and older).
     */
    public Builder version(String version) {
      parseMinor(version);
      this.version = version;
      return this;
    }

    /** The {@code gitVersion} {@code /version} answers; default {@code v1.<minor>.0}. */
    public Builder gitVersion(String gitVersion) {
      this.gitVersion = gitVersion;
      return this;
    }

    /** The port on 127.0.0.1; default 0 (any free port). */
    public Builder port(int port) {
      this.port = port;
      return this;
    }

    /** Request threads kept alive; more are started on demand (watches hold one each). */
    public Builder threads(int threads) {
      this.threads = threads;
      return this;
    }

    /** Whether the token controller fills service-account token Secrets; default true. */
    public Builder tokenController(boolean on) {
      this.tokenController = on;
      return this;
    }

    /** How long the token controller waits before filling a token Secret; default 100 ms. */
    public Builder tokenControllerDelay(Duration delay) {
      this.tokenControllerDelay = Objects.requireNonNull(delay);
      return this;
    }

    /**
     * Whether successful token authentications are cached for 10 s as kube-apiserver does (a
     * revoked bound token then keeps working up to 10 s). Default off, so tests are exact.
     */
    public Builder authCache(boolean on) {
      this.authCacheTtl = on ? Duration.ofSeconds(10) : null;
      return this;
    }

    /** Like {@link #authCache(boolean)} with another lifetime; null turns the cache off. */
    public Builder authCacheTtl(Duration ttl) {
      this.authCacheTtl = ttl;
      return this;
    }

    /** Trusts tokens of an OIDC issuer (as {@code --oidc-issuer-url} and friends). */
    public Builder oidc(OidcConfig oidc) {
      this.oidc = oidc;
      return this;
    }

    /** The initial delay of the {@link Faults#slow()} listener; default 30 s. */
    public Builder faultDelay(Duration delay) {
      this.faultDelay = Objects.requireNonNull(delay);
      return this;
    }

    /** Starts the emulator. */
    public FakeKubeApiServer start() {
      return new FakeKubeApiServer(this);
    }
  }
}
