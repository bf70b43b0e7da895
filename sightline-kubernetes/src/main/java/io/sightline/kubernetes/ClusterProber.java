package io.sightline.kubernetes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.sightline.api.probe.Diagnosis;
import io.sightline.api.probe.DiagnosisCode;
import io.sightline.api.probe.ProbeIdentity;
import io.sightline.api.probe.ProbeResult;
import io.sightline.api.probe.ProbeStep;
import io.sightline.api.probe.ProbeStep.Name;
import io.sightline.core.SightlineException;
import io.sightline.kubernetes.internal.Hints;
import io.sightline.kubernetes.internal.ProbeClock;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLPeerUnverifiedException;
import okhttp3.Dns;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Probes a cluster within a hard deadline: resolve, connect, TLS, {@code GET /version},
 * authenticate (SelfSubjectReview v1 or v1beta1, else TokenReview, else SelfSubjectAccessReview),
 * list namespaces. Answers with timed steps, the identity, the server version, the namespaces and,
 * on failure, one {@link Diagnosis} whose hint names the way out. Never throws for a cluster's
 * behaviour and never takes longer than the deadline plus a small margin: the probe runs on its own
 * thread, each request gets only the time left, and at the deadline every socket of the probe is
 * closed.
 */
public final class ClusterProber implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ClusterProber.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** How long after the deadline the outer guard gives the inner timeouts to report precisely. */
  private static final long GUARD_GRACE_MILLIS = 150;

  public static final String POD_SECURITY_ENFORCE = "pod-security.kubernetes.io/enforce";

  private final EgressPolicy policy;
  private final Dns dns;
  private final ExecutorService executor;

  public ClusterProber(EgressPolicy policy) {
    this(policy, Dns.SYSTEM);
  }

  /** With a given resolver (the system resolver honours {@code -Djdk.net.hosts.file}). */
  public ClusterProber(EgressPolicy policy, Dns dns) {
    this.policy = policy;
    this.dns = dns;
    AtomicInteger n = new AtomicInteger();
    ThreadFactory threads =
        r -> {
          Thread t = new Thread(r, "sightline-probe-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        };
    this.executor = Executors.newCachedThreadPool(threads);
    executor.submit(this::warmUp);
  }

  /**
   * Loads the HTTP client's classes (fabric8, OkHttp, Jackson) without any network traffic, so the
   * first probe of a fresh JVM does not spend its deadline on class loading. Runs in the background
   * on construction; call it to wait for it.
   */
  public void warmUp() {
    long start = System.nanoTime();
    ClusterAccess nowhere =
        new ClusterAccess(
            "https://127.0.0.1:9", null, false, null, null, null, null, null, null, null);
    ProbeClock clock = new ProbeClock(dns);
    try (KubernetesClient client =
        KubernetesClients.create(
            nowhere,
            EgressSocketFactory.tracking(policy),
            KubernetesClients.Settings.probe(Duration.ofSeconds(1), clock, clock))) {
      client.getHttpClient().newHttpRequestBuilder().uri(nowhere.server() + "/version").build();
      JSON.readTree("{\"gitVersion\":\"v0\"}");
    } catch (Exception e) {
      log.debug("probe warm-up failed", e);
    }
    log.debug("probe warm-up took {} ms", (System.nanoTime() - start) / 1_000_000);
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }

  /**
   * The answer for a connection that was refused before any probe ran (a kubeconfig with {@code
   * exec}, a file reference, a proxy...): when {@code refusal}'s code is a {@link DiagnosisCode}, a
   * failed result carrying that diagnosis; otherwise empty (the caller answers with the 4xx).
   */
  public static Optional<ProbeResult> refused(SightlineException refusal) {
    DiagnosisCode code;
    try {
      code = DiagnosisCode.valueOf(refusal.code());
    } catch (IllegalArgumentException notADiagnosis) {
      return Optional.empty();
    }
    String hint =
        refusal.field() == null
            ? "Fix the connection as described."
            : "Fix " + refusal.field() + " as described.";
    List<ProbeStep> steps = new ArrayList<>();
    for (Name n : Name.values()) {
      steps.add(ProbeStep.skipped(n, "not run: the connection was refused"));
    }
    return Optional.of(
        new ProbeResult(
            false,
            steps,
            null,
            null,
            null,
            false,
            new Diagnosis(code, refusal.getMessage(), hint),
            List.of(),
            0));
  }

  /** Probes {@code access}; always answers within {@code options.deadline()} plus about 0.2 s. */
  public ProbeResult probe(ClusterAccess access, ProbeOptions options) {
    long deadlineNanos = System.nanoTime() + options.deadline().toNanos();
    Run run = new Run(access, options, deadlineNanos, ProbeProgress.current());
    Future<ProbeResult> future = executor.submit(run::execute);
    try {
      long wait =
          deadlineNanos - System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(GUARD_GRACE_MILLIS);
      return future.get(Math.max(0, wait), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      return run.abortAtDeadline();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      run.abortAtDeadline();
      throw new CancellationException("probe interrupted");
    } catch (ExecutionException e) {
      log.warn("probe of {} failed unexpectedly", access.server(), e.getCause());
      return run.fail(
          DiagnosisCode.UNEXPECTED_RESPONSE,
          "The probe failed unexpectedly (" + e.getCause().getClass().getSimpleName() + ").",
          Hints.unexpected(),
          "internal error");
    } finally {
      future.cancel(true);
      run.sockets.closeAll();
    }
  }

  /** Largest answer body a probe reads (a namespace list of a big cluster is a few MiB). */
  private static final int MAX_BODY_BYTES = 16 * 1024 * 1024;

  /** An HTTP answer: its status and its body as JSON (null when empty or not JSON). */
  private record Answer(int code, JsonNode json) {}

  private static final class ResponseTooLargeException extends IOException {
    private static final long serialVersionUID = 1L;

    ResponseTooLargeException() {
      super("the answer is larger than " + (MAX_BODY_BYTES >> 20) + " MiB");
    }
  }

  /** One probe's state, shared by its worker thread and the caller waiting on the deadline. */
  private final class Run {
    final ClusterAccess access;
    final ProbeOptions options;
    final long deadlineNanos;
    final ProbeClock clock;
    final EgressSocketFactory sockets = EgressSocketFactory.tracking(policy);
    final URI uri;
    final boolean https;
    final boolean ipLiteral;
    final AtomicReference<ProbeResult> answer = new AtomicReference<>();
    ProbeIdentity identity;
    String serverVersion;
    List<String> namespaces;
    boolean namespacesForbidden;
    final List<String> warnings = new ArrayList<>();
    HttpClient http;
    Map<String, JsonNode> namespaceLabels;

    Run(ClusterAccess access, ProbeOptions options, long deadlineNanos, ProbeProgress progress) {
      this.access = access;
      this.options = options;
      this.deadlineNanos = deadlineNanos;
      this.clock = new ProbeClock(dns, progress);
      this.uri = URI.create(access.server());
      this.https = "https".equalsIgnoreCase(uri.getScheme());
      String host = uri.getHost();
      this.ipLiteral = host.matches("[0-9.]+") || host.startsWith("[") || host.contains(":");
    }

    Duration remaining() {
      return Duration.ofNanos(Math.max(1_000_000, deadlineNanos - System.nanoTime()));
    }

    ProbeResult execute() {
      KubernetesClient client = null;
      try {
        client =
            KubernetesClients.create(
                access, sockets, KubernetesClients.Settings.probe(remaining(), clock, clock));
        http = client.getHttpClient();
        ProbeResult failed = version();
        if (failed == null) {
          failed = authenticate();
        }
        if (failed == null) {
          listNamespaces();
          podSecurityWarnings();
        }
        return failed != null ? failed : succeed();
      } catch (Exception e) {
        return classify(e);
      } finally {
        if (client != null) {
          client.close();
        }
      }
    }

    // ---- the HTTP steps ----

    ProbeResult version() throws Exception {
      clock.beginHttp(Name.VERSION);
      Answer r = send(get("/version"));
      if (r.code() == 401) {
        clock.end(Name.VERSION, false, "HTTP 401");
        return unauthorized();
      }
      if (r.code() == 403) {
        clock.end(Name.VERSION, true, "HTTP 403 (anonymous access to /version is off)");
        return null;
      }
      JsonNode body = r.json();
      if (r.code() != 200 || body == null || !body.hasNonNull("gitVersion")) {
        clock.end(Name.VERSION, false, "HTTP " + r.code() + " without a Kubernetes version");
        return fail(
            DiagnosisCode.UNEXPECTED_RESPONSE,
            "GET /version answered HTTP " + r.code() + ", not a Kubernetes version.",
            Hints.unexpected(),
            null);
      }
      serverVersion = body.get("gitVersion").asText();
      clock.end(Name.VERSION, true, serverVersion);
      return null;
    }

    ProbeResult authenticate() throws Exception {
      clock.beginHttp(Name.AUTHENTICATE);
      for (String version : List.of("v1", "v1beta1")) {
        String body =
            "{\"apiVersion\":\"authentication.k8s.io/"
                + version
                + "\",\"kind\":\"SelfSubjectReview\",\"metadata\":{}}";
        Answer r =
            send(post("/apis/authentication.k8s.io/" + version + "/selfsubjectreviews", body));
        if (r.code() == 401) {
          clock.end(Name.AUTHENTICATE, false, "HTTP 401");
          return unauthorized();
        }
        if (r.code() == 200 || r.code() == 201) {
          JsonNode user = at(r.json(), "status", "userInfo");
          identity = identity(user, "SelfSubjectReview");
          clock.end(Name.AUTHENTICATE, true, "SelfSubjectReview authentication.k8s.io/" + version);
          return null;
        }
        if (r.code() != 404) {
          break; // served but refused (e.g. 403): try the other reviews
        }
      }
      if (access.bearerToken() != null) {
        String body =
            JSON.writeValueAsString(
                Map.of(
                    "apiVersion", "authentication.k8s.io/v1",
                    "kind", "TokenReview",
                    "spec", Map.of("token", access.bearerToken().reveal())));
        Answer r = send(post("/apis/authentication.k8s.io/v1/tokenreviews", body));
        if (r.code() == 401) {
          clock.end(Name.AUTHENTICATE, false, "HTTP 401");
          return unauthorized();
        }
        JsonNode status = at(r.json(), "status");
        if ((r.code() == 200 || r.code() == 201)
            && status != null
            && status.path("authenticated").asBoolean()) {
          identity = identity(status.get("user"), "TokenReview");
          clock.end(Name.AUTHENTICATE, true, "TokenReview authentication.k8s.io/v1");
          return null;
        }
      }
      String ssar =
          "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SelfSubjectAccessReview\","
              + "\"spec\":{\"resourceAttributes\":{\"verb\":\"list\",\"resource\":\"namespaces\"}}}";
      Answer r = send(post("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", ssar));
      if (r.code() == 401) {
        clock.end(Name.AUTHENTICATE, false, "HTTP 401");
        return unauthorized();
      }
      if (r.code() == 200 || r.code() == 201) {
        identity = new ProbeIdentity(null, List.of(), "SelfSubjectAccessReview");
        clock.end(
            Name.AUTHENTICATE,
            true,
            "SelfSubjectAccessReview (the cluster does not name the identity)");
        return null;
      }
      clock.end(Name.AUTHENTICATE, false, "HTTP " + r.code());
      return fail(
          DiagnosisCode.UNEXPECTED_RESPONSE,
          "The cluster answered HTTP " + r.code() + " to every identity review.",
          Hints.unexpected(),
          null);
    }

    void listNamespaces() throws Exception {
      clock.beginHttp(Name.NAMESPACES);
      Answer r = send(get("/api/v1/namespaces"));
      if (r.code() == 403) {
        namespacesForbidden = true;
        clock.end(Name.NAMESPACES, true, "HTTP 403: listing namespaces is forbidden");
        warnings.add(
            "FORBIDDEN_NAMESPACES: "
                + (identity != null && identity.username() != null
                    ? identity.username()
                    : "this credential")
                + " may not list namespaces (HTTP 403). The connection can still be saved: type the"
                + " namespace instead of picking it.");
        return;
      }
      JsonNode body = r.json();
      if (r.code() != 200 || body == null || !body.has("items")) {
        clock.end(Name.NAMESPACES, false, "HTTP " + r.code());
        warnings.add(
            "Listing namespaces answered HTTP " + r.code() + "; type the namespace instead.");
        return;
      }
      List<String> names = new ArrayList<>();
      Map<String, JsonNode> labels = new HashMap<>();
      for (JsonNode item : body.get("items")) {
        String name = item.path("metadata").path("name").asText(null);
        if (name != null) {
          names.add(name);
          labels.put(name, item.path("metadata").path("labels"));
        }
      }
      namespaces = names;
      namespaceLabels = labels;
      clock.end(Name.NAMESPACES, true, names.size() + " namespaces");
    }

    void podSecurityWarnings() throws Exception {
      for (String ns : options.targetNamespaces()) {
        JsonNode labels;
        if (namespaceLabels != null) {
          if (!namespaceLabels.containsKey(ns)) {
            warnings.add(
                "Target namespace " + ns + " does not exist yet (createNamespace creates it).");
            continue;
          }
          labels = namespaceLabels.get(ns);
        } else {
          if (deadlineNanos - System.nanoTime() < TimeUnit.MILLISECONDS.toNanos(50)) {
            warnings.add(
                "No time was left to check the Pod Security level of namespace " + ns + ".");
            continue;
          }
          Answer r = send(get("/api/v1/namespaces/" + ns));
          if (r.code() == 404) {
            warnings.add(
                "Target namespace " + ns + " does not exist yet (createNamespace creates it).");
            continue;
          }
          if (r.code() != 200) {
            warnings.add(
                "Could not read namespace "
                    + ns
                    + " (HTTP "
                    + r.code()
                    + ") to check its Pod Security level.");
            continue;
          }
          labels = at(r.json(), "metadata", "labels");
        }
        if (labels == null || !labels.hasNonNull(POD_SECURITY_ENFORCE)) {
          warnings.add(
              "Namespace "
                  + ns
                  + " enforces no Pod Security level (label "
                  + POD_SECURITY_ENFORCE
                  + " is missing): tasks there could run privileged pods.");
        }
      }
    }

    // ---- HTTP plumbing ----

    HttpRequest get(String path) {
      return request(path).build();
    }

    HttpRequest post(String path, String json) {
      return request(path).post("application/json", json).build();
    }

    HttpRequest.Builder request(String path) {
      Duration left = remaining();
      return clientRequest(path).timeout(left.toMillis(), TimeUnit.MILLISECONDS);
    }

    HttpRequest.Builder clientRequest(String path) {
      return http.newHttpRequestBuilder()
          .uri(access.server() + path)
          .header("Accept", "application/json");
    }

    Answer send(HttpRequest request) throws Exception {
      Duration left = remaining();
      HttpResponse<InputStream> response;
      try {
        response =
            http.sendAsync(request, InputStream.class).get(left.toMillis(), TimeUnit.MILLISECONDS);
      } catch (ExecutionException e) {
        throw e.getCause() instanceof Exception ex ? ex : e;
      }
      try (InputStream in = response.body()) {
        byte[] bytes = in == null ? new byte[0] : in.readNBytes(MAX_BODY_BYTES + 1);
        if (bytes.length > MAX_BODY_BYTES) {
          throw new ResponseTooLargeException();
        }
        JsonNode json = null;
        if (bytes.length > 0) {
          try {
            json = JSON.readTree(bytes);
          } catch (IOException notJson) {
            json = null;
          }
        }
        return new Answer(response.code(), json);
      }
    }

    // ---- answers ----

    ProbeResult succeed() {
      ProbeResult result =
          new ProbeResult(
              true,
              clock.steps(null, ipLiteral, https),
              identity,
              serverVersion,
              namespaces,
              namespacesForbidden,
              null,
              warnings,
              clock.elapsedMillis());
      return answer.compareAndSet(null, result) ? result : answer.get();
    }

    ProbeResult unauthorized() {
      return fail(
          DiagnosisCode.UNAUTHORIZED,
          "The cluster rejected the credential (HTTP 401).",
          Hints.unauthorized(access.authMethod()),
          null);
    }

    ProbeResult fail(DiagnosisCode code, String message, String hint, String stepDetail) {
      clock.freeze();
      ProbeResult result =
          new ProbeResult(
              false,
              clock.steps(stepDetail == null ? message : stepDetail, ipLiteral, https),
              identity,
              serverVersion,
              namespaces,
              namespacesForbidden,
              new Diagnosis(code, message, hint),
              warnings,
              clock.elapsedMillis());
      return answer.compareAndSet(null, result) ? result : answer.get();
    }

    /** Called by the waiting thread when the worker has not answered by the deadline. */
    ProbeResult abortAtDeadline() {
      ProbeResult done = answer.get();
      if (done != null) {
        return done;
      }
      sockets.closeAll();
      return diagnoseStall(null);
    }

    /**
     * Maps the worker's failure, using where the probe was (the open step) to tell stalls apart.
     */
    ProbeResult classify(Exception e) {
      log.debug("probe of {} failed", access.server(), e);
      if (find(e, ResponseTooLargeException.class) != null) {
        return fail(
            DiagnosisCode.UNEXPECTED_RESPONSE,
            "The server's answer is larger than " + (MAX_BODY_BYTES >> 20) + " MiB.",
            Hints.unexpected(),
            "answer too large");
      }
      Throwable egress = find(e, EgressDeniedException.class);
      if (egress != null) {
        return fail(
            DiagnosisCode.EGRESS_DENIED,
            "Sightline refused to connect: " + egress.getMessage() + ".",
            Hints.egress(),
            "refused by egress rules");
      }
      if (find(e, UnknownHostException.class) != null) {
        return fail(
            DiagnosisCode.DNS_UNRESOLVABLE,
            "The host name " + uri.getHost() + " does not resolve from here.",
            Hints.dns(uri.getHost()),
            uri.getHost() + " does not resolve");
      }
      Name open = clock.open();
      if (open == Name.CONNECT) {
        if (find(e, ConnectException.class) != null && !isTimeout(e)) {
          return connectFailure(false, "connection refused");
        }
        if (find(e, NoRouteToHostException.class) != null) {
          return connectFailure(true, "no route to host");
        }
        return diagnoseStall(e);
      }
      if (open == Name.TLS) {
        if (isUntrusted(e)) {
          return fail(
              DiagnosisCode.TLS_UNTRUSTED,
              "The server's certificate is not trusted: "
                  + (find(e, SSLPeerUnverifiedException.class) != null
                      ? "it is not issued for " + uri.getHost()
                      : "it is not signed by the given CA")
                  + ".",
              Hints.tlsUntrusted(),
              "certificate not trusted");
        }
        if (isTimeout(e)) {
          return diagnoseStall(e);
        }
        return fail(
            DiagnosisCode.TLS_HANDSHAKE_FAILED,
            "The TLS handshake with " + hostPort() + " failed (" + safeMessage(e) + ").",
            Hints.tlsFailed(access.clientCertificatePem() != null),
            "handshake failed");
      }
      if (isUntrusted(e)) { // verified after the handshake (host name)
        return fail(
            DiagnosisCode.TLS_UNTRUSTED,
            "The server's certificate is not trusted for " + uri.getHost() + ".",
            Hints.tlsUntrusted(),
            "certificate not trusted");
      }
      if (isTimeout(e)) {
        return diagnoseStall(e);
      }
      return fail(
          DiagnosisCode.UNEXPECTED_RESPONSE,
          "The probe of " + hostPort() + " failed: " + safeMessage(e) + ".",
          Hints.unexpected(),
          null);
    }

    /** A timeout or the deadline: the open step says which. */
    ProbeResult diagnoseStall(Exception e) {
      Name open = clock.open();
      long budget = options.deadline().toMillis();
      if (open == Name.RESOLVE) {
        return fail(
            DiagnosisCode.DNS_UNRESOLVABLE,
            "Resolving " + uri.getHost() + " did not finish within " + Hints.seconds(budget) + ".",
            Hints.dns(uri.getHost()),
            "no answer from the resolver");
      }
      if (open == Name.CONNECT) {
        return connectFailure(true, "no answer within " + Hints.seconds(budget));
      }
      if (open == Name.TLS) {
        return fail(
            DiagnosisCode.TLS_HANDSHAKE_TIMEOUT,
            hostPort()
                + " accepted the connection but did not complete a TLS handshake within "
                + Hints.seconds(budget)
                + ".",
            Hints.tlsTimeout(),
            "no TLS handshake within the deadline");
      }
      if (open == null && e == null) {
        // Nothing reached the network: Sightline itself was too slow (e.g. an overloaded host).
        return fail(
            DiagnosisCode.PROBE_DEADLINE_EXCEEDED,
            "The probe could not start its requests within " + Hints.seconds(budget) + ".",
            "Probe again, or with a longer timeout (--timeout); "
                + Hints.SAVE_UNVERIFIED.substring(3)
                + ".",
            "not started within the deadline");
      }
      return fail(
          DiagnosisCode.PROBE_DEADLINE_EXCEEDED,
          hostPort()
              + " did not answer the Kubernetes API request within "
              + Hints.seconds(budget)
              + ".",
          Hints.deadline(budget),
          "no answer within the deadline");
    }

    ProbeResult connectFailure(boolean timeout, String what) {
      InetSocketAddress target = clock.connectingTo();
      InetAddress address = target == null ? null : target.getAddress();
      String shown = target == null ? hostPort() : hostPortOf(target);
      if (address != null && policy.isPrivate(address)) {
        String how =
            ipLiteral
                ? shown
                : uri.getHost() + " resolves to the private address " + shown + ", which";
        return fail(
            DiagnosisCode.PRIVATE_ENDPOINT_UNREACHABLE,
            (ipLiteral
                    ? "The private address " + shown + " does not answer from here ("
                    : how + " does not answer from here (")
                + what
                + ").",
            Hints.privateEndpoint(),
            what);
      }
      if (timeout) {
        return fail(
            DiagnosisCode.CONNECT_TIMEOUT,
            "No TCP connection to " + shown + " (" + what + ").",
            Hints.connectTimeout(),
            what);
      }
      return fail(
          DiagnosisCode.CONNECTION_REFUSED,
          shown + " refused the connection.",
          Hints.refused(),
          what);
    }

    String hostPort() {
      int port = uri.getPort() != -1 ? uri.getPort() : (https ? 443 : 80);
      return uri.getHost() + ":" + port;
    }
  }

  private static String hostPortOf(InetSocketAddress a) {
    String h = a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
    return (h.contains(":") ? "[" + h + "]" : h) + ":" + a.getPort();
  }

  private static JsonNode at(JsonNode node, String... path) {
    JsonNode n = node;
    for (String p : path) {
      if (n == null) {
        return null;
      }
      n = n.get(p);
    }
    return n == null || n.isNull() || n.isMissingNode() ? null : n;
  }

  private static ProbeIdentity identity(JsonNode user, String method) {
    if (user == null) {
      return new ProbeIdentity(null, List.of(), method);
    }
    List<String> groups = new ArrayList<>();
    user.path("groups").forEach(g -> groups.add(g.asText()));
    return new ProbeIdentity(user.path("username").asText(null), groups, method);
  }

  private static <T extends Throwable> T find(Throwable t, Class<T> type) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (type.isInstance(c)) {
        return type.cast(c);
      }
      for (Throwable s : c.getSuppressed()) {
        if (type.isInstance(s)) {
          return type.cast(s);
        }
      }
    }
    return null;
  }

  private static boolean isTimeout(Throwable t) {
    if (find(t, SocketTimeoutException.class) != null || find(t, TimeoutException.class) != null) {
      return true;
    }
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      String m = c.getMessage();
      if (m != null && (m.contains("timeout") || m.contains("timed out") || m.equals("Canceled"))) {
        return true;
      }
    }
    return false;
  }

  private static boolean isUntrusted(Throwable t) {
    return find(t, CertPathValidatorException.class) != null
        || find(t, CertPathBuilderException.class) != null
        || find(t, SSLPeerUnverifiedException.class) != null
        || (find(t, SSLHandshakeException.class) != null
            && find(t, CertificateException.class) != null);
  }

  /** The innermost message, trimmed; exception messages here come from sockets, never secrets. */
  private static String safeMessage(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    String m = c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage();
    return m.length() > 160 ? m.substring(0, 160) : m;
  }
}
