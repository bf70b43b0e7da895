package io.sightline.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.sightline.api.probe.DiagnosisCode;
import io.sightline.api.probe.ProbeResult;
import io.sightline.api.probe.ProbeStep;
import io.sightline.api.probe.ProbeStep.Name;
import io.sightline.api.probe.ProbeStep.Status;
import io.sightline.core.SecretValue;
import io.sightline.testing.kube.FakeKubeApiServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Probes against the Kubernetes API emulator and its fault listeners, all on 127.0.0.0/8. */
class ClusterProberTest {
  /** For the stalls, which take the whole deadline: short, to keep the tests fast. */
  private static final Duration DEADLINE = Duration.ofSeconds(2);

  /**
   * For probes that answer before the deadline (success, refusals, 401...): generous, because this
   * machine is shared and heavily loaded, and a long deadline costs these tests nothing.
   */
  private static final Duration ANSWER_DEADLINE = Duration.ofSeconds(10);

  private static final Duration SLACK = Duration.ofMillis(500);

  private static FakeKubeApiServer kube;
  private static ClusterProber prober;

  @BeforeAll
  static void start() {
    kube = FakeKubeApiServer.builder().version("1.30").start();
    kube.createObject(
        "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"web\"}}");
    kube.createObject(
        "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"secure\","
            + "\"labels\":{\"pod-security.kubernetes.io/enforce\":\"restricted\"}}}");
    kube.addStaticToken("nobody-token", "nobody");
    prober = new ClusterProber(EgressPolicy.defaults());
    prober.warmUp(); // a cold JVM loads fabric8 and OkHttp classes on the first probe
  }

  @AfterAll
  static void stop() {
    prober.close();
    kube.close();
  }

  private static ProbeOptions options() {
    return ProbeOptions.defaults().withDeadline(ANSWER_DEADLINE);
  }

  private static ProbeOptions stallOptions() {
    return ProbeOptions.defaults().withDeadline(DEADLINE);
  }

  private static ClusterAccess admin() {
    return KubeconfigParser.parse(kube.adminKubeconfig(), null);
  }

  private static ClusterAccess at(URI url, ClusterAccess access) {
    return new ClusterAccess(
        url.toString(),
        access.caPem(),
        access.insecureSkipTlsVerify(),
        access.tlsServerName(),
        access.bearerToken(),
        access.clientCertificatePem(),
        access.clientKeyPem(),
        access.username(),
        access.password(),
        access.namespace());
  }

  /** Probes and checks the answer came within the deadline plus 0.5 s. */
  private static ProbeResult timedProbe(ClusterProber p, ClusterAccess access, ProbeOptions o) {
    long start = System.nanoTime();
    ProbeResult result = p.probe(access, o);
    Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
    assertThat(elapsed).as("answered within deadline + 0.5 s").isLessThan(o.deadline().plus(SLACK));
    assertThat(result.durationMillis()).isLessThan(o.deadline().plus(SLACK).toMillis());
    return result;
  }

  private static ProbeStep step(ProbeResult r, Name name) {
    return r.steps().stream().filter(s -> s.name() == name).findFirst().orElseThrow();
  }

  @Test
  void aWorkingClusterAnswersVersionIdentityAndNamespacesWithTimedSteps() {
    ProbeResult r =
        timedProbe(prober, admin(), options().withTargetNamespaces(List.of("web", "secure")));
    assertThat(r.ok()).as("%s", r).isTrue();
    assertThat(r.diagnosis()).isNull();
    assertThat(r.serverVersion()).isEqualTo("v1.30.0");
    assertThat(r.identity().username()).isEqualTo(FakeKubeApiServer.ADMIN_USER);
    assertThat(r.identity().groups()).contains("system:masters");
    assertThat(r.identity().method()).isEqualTo("SelfSubjectReview");
    assertThat(r.namespaces()).contains("default", "kube-system", "web", "secure");
    assertThat(r.namespacesForbidden()).isFalse();
    assertThat(r.steps())
        .extracting(ProbeStep::name)
        .containsExactly(
            Name.RESOLVE, Name.CONNECT, Name.TLS, Name.VERSION, Name.AUTHENTICATE, Name.NAMESPACES);
    assertThat(step(r, Name.RESOLVE).status()).isEqualTo(Status.SKIPPED);
    assertThat(r.steps().subList(1, 6)).allMatch(s -> s.status() == Status.OK);
    assertThat(r.warnings())
        .singleElement()
        .asString()
        .contains("Namespace web enforces no Pod Security level");
  }

  @Test
  void aHostNameIsResolvedAndTimedAndTlsServerNameIsHonoured() {
    ClusterAccess named =
        at(URI.create("https://kube.sightline.test:" + kube.url().getPort()), admin());
    ProbeResult untrusted = timedProbe(prober, named, options());
    assertThat(untrusted.diagnosis().code())
        .as("the serving certificate does not name kube.sightline.test")
        .isEqualTo(DiagnosisCode.TLS_UNTRUSTED);

    ClusterAccess withServerName =
        new ClusterAccess(
            named.server(),
            named.caPem(),
            false,
            "kubernetes",
            named.bearerToken(),
            null,
            null,
            null,
            null,
            null);
    ProbeResult r = timedProbe(prober, withServerName, options());
    assertThat(r.ok()).as("%s", r).isTrue();
    assertThat(step(r, Name.RESOLVE).status()).isEqualTo(Status.OK);
    assertThat(step(r, Name.RESOLVE).detail())
        .contains("kube.sightline.test resolved to 127.0.0.1");
  }

  @Test
  void aForbiddenNamespaceListIsNotAFailure() {
    ClusterAccess nobody =
        ClusterAccess.ofToken(
            kube.url().toString(), kube.caCertPem(), SecretValue.of("nobody-token"));
    ProbeResult r = timedProbe(prober, nobody, options().withTargetNamespaces(List.of("web")));
    assertThat(r.ok()).as("%s", r).isTrue();
    assertThat(r.namespacesForbidden()).isTrue();
    assertThat(r.namespaces()).isNull();
    assertThat(r.identity().username()).isEqualTo("nobody");
    assertThat(r.warnings())
        .anyMatch(w -> w.startsWith("FORBIDDEN_NAMESPACES") && w.contains("type the namespace"));
    assertThat(r.warnings()).anyMatch(w -> w.contains("Could not read namespace web"));
  }

  @Test
  void aWrongTokenIsUnauthorizedAndNamesTheTokenField() {
    ClusterAccess wrong =
        ClusterAccess.ofToken(
            kube.url().toString(), kube.caCertPem(), SecretValue.of("wrong-token"));
    ProbeResult r = timedProbe(prober, wrong, options());
    assertThat(r.ok()).isFalse();
    assertThat(r.diagnosis().code()).isEqualTo(DiagnosisCode.UNAUTHORIZED);
    assertThat(r.diagnosis().hint()).contains("apiToken");
    assertThat(r.toString()).doesNotContain("wrong-token");
  }

  @Test
  void theAlways401ListenerIsUnauthorized() {
    ProbeResult r = timedProbe(prober, at(kube.faults().unauthorized(), admin()), options());
    assertThat(r.diagnosis().code()).isEqualTo(DiagnosisCode.UNAUTHORIZED);
  }

  @Test
  void aRefusedPortIsConnectionRefused() {
    ProbeResult r = timedProbe(prober, at(kube.faults().refused(), admin()), options());
    assertThat(r.diagnosis().code()).isEqualTo(DiagnosisCode.CONNECTION_REFUSED);
    assertThat(step(r, Name.CONNECT).status()).isEqualTo(Status.FAILED);
    assertThat(r.diagnosis().hint()).contains("port");
  }

  @Test
  void aListenerThatNeverSpeaksIsATlsHandshakeTimeoutWithinTheDeadline() {
    ProbeResult r = timedProbe(prober, at(kube.faults().silent(), admin()), stallOptions());
    assertThat(r.diagnosis().code()).as("%s", r).isEqualTo(DiagnosisCode.TLS_HANDSHAKE_TIMEOUT);
    assertThat(step(r, Name.CONNECT).status()).isEqualTo(Status.OK);
    assertThat(step(r, Name.TLS).status()).isEqualTo(Status.FAILED);
    assertThat(r.diagnosis().hint()).contains("agent pool", "without verification");
  }

  @Test
  void aStalledTlsHandshakeIsATlsHandshakeTimeoutWithinTheDeadline() {
    ProbeResult r = timedProbe(prober, at(kube.faults().tlsStall(), admin()), stallOptions());
    assertThat(r.diagnosis().code()).as("%s", r).isEqualTo(DiagnosisCode.TLS_HANDSHAKE_TIMEOUT);
  }

  @Test
  void aSlowServerExceedsTheDeadlineAndSaysSo() {
    ProbeResult r =
        timedProbe(
            prober,
            at(kube.faults().slow(), admin()),
            stallOptions().withDeadline(Duration.ofSeconds(3)));
    assertThat(r.diagnosis().code()).as("%s", r).isEqualTo(DiagnosisCode.PROBE_DEADLINE_EXCEEDED);
    assertThat(step(r, Name.TLS).status()).isEqualTo(Status.OK);
    assertThat(step(r, Name.VERSION).status()).isEqualTo(Status.FAILED);
    assertThat(r.diagnosis().hint()).contains("--timeout");
  }

  @Test
  void anUnknownCaIsTlsUntrustedUnlessUntrustedCertsAreAccepted() {
    ClusterAccess access = at(kube.faults().unknownCa(), admin());
    ProbeResult r = timedProbe(prober, access, options());
    assertThat(r.diagnosis().code()).as("%s", r).isEqualTo(DiagnosisCode.TLS_UNTRUSTED);
    assertThat(r.diagnosis().hint()).contains("acceptUntrustedCerts");
    ProbeResult accepted = timedProbe(prober, access.withAcceptUntrustedCerts(true), options());
    assertThat(accepted.ok()).as("%s", accepted).isTrue();
  }

  @Test
  void anUnresolvableNameIsDnsUnresolvable() {
    ClusterAccess access = at(URI.create("https://nowhere.sightline.test:6443"), admin());
    ProbeResult r = timedProbe(prober, access, options());
    assertThat(r.diagnosis().code()).isEqualTo(DiagnosisCode.DNS_UNRESOLVABLE);
    assertThat(step(r, Name.RESOLVE).status()).isEqualTo(Status.FAILED);
    assertThat(r.diagnosis().hint()).contains("nowhere.sightline.test");
  }

  @Test
  void anEgressDeniedAddressIsRefusedBeforeAnyRequestReachesTheCluster() {
    kube.clearRequestLog();
    try (ClusterProber strict =
        new ClusterProber(EgressPolicy.builder().deny("127.0.0.1/32").build())) {
      ProbeResult r = timedProbe(strict, admin(), options());
      assertThat(r.diagnosis().code()).isEqualTo(DiagnosisCode.EGRESS_DENIED);
      assertThat(r.diagnosis().message()).contains("127.0.0.1:" + kube.url().getPort());
    }
    assertThat(kube.requestLog()).isEmpty();
  }

  @Test
  void anIpv4MappedIpv6LiteralOfADeniedAddressIsEgressDenied() {
    kube.clearRequestLog();
    try (ClusterProber strict =
        new ClusterProber(EgressPolicy.builder().deny("127.0.0.1/32").build())) {
      URI mapped = URI.create("https://[::ffff:127.0.0.1]:" + kube.url().getPort());
      ProbeResult r = timedProbe(strict, at(mapped, admin()), options());
      assertThat(r.diagnosis().code()).as("%s", r).isEqualTo(DiagnosisCode.EGRESS_DENIED);
      assertThat(step(r, Name.RESOLVE).status()).isEqualTo(Status.SKIPPED);
    }
    assertThat(kube.requestLog()).isEmpty();
  }

  @Test
  void aNameResolvingToAPrivateAddressThatRefusesIsPrivateEndpointUnreachable() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.2"))) {
      port = s.getLocalPort(); // closed again: nothing listens there now
    }
    try (ClusterProber p =
        new ClusterProber(EgressPolicy.builder().privateRanges(List.of("127.0.0.2/32")).build())) {
      ClusterAccess access = at(URI.create("https://private-kube.sightline.test:" + port), admin());
      ProbeResult r = timedProbe(p, access, options());
      assertThat(r.diagnosis().code())
          .as("%s", r)
          .isEqualTo(DiagnosisCode.PRIVATE_ENDPOINT_UNREACHABLE);
      assertThat(r.diagnosis().message())
          .contains("private-kube.sightline.test resolves to the private address 127.0.0.2");
      assertThat(r.diagnosis().hint()).contains("agent pool");
    }
  }

  @Test
  void aBlackholedAddressIsAConnectTimeoutOrPrivateEndpointUnreachable() throws IOException {
    try (Blackhole hole = new Blackhole("127.0.0.2")) {
      ProbeResult r = timedProbe(prober, at(hole.url(), admin()), stallOptions());
      assertThat(r.diagnosis().code()).as("%s", r).isEqualTo(DiagnosisCode.CONNECT_TIMEOUT);
      try (ClusterProber p =
          new ClusterProber(
              EgressPolicy.builder().privateRanges(List.of("127.0.0.2/32")).build())) {
        ProbeResult priv = timedProbe(p, at(hole.url(), admin()), stallOptions());
        assertThat(priv.diagnosis().code()).isEqualTo(DiagnosisCode.PRIVATE_ENDPOINT_UNREACHABLE);
      }
    }
  }

  @Test
  void aServiceAccountTokenSecretFromTheClusterProbesAsThatServiceAccount() throws Exception {
    kube.createObject(
        "{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\",\"metadata\":{\"name\":\"deployer\",\"namespace\":\"web\"}}");
    kube.createObject(
        "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"type\":\"kubernetes.io/service-account-token\","
            + "\"metadata\":{\"name\":\"deployer-token\",\"namespace\":\"web\","
            + "\"annotations\":{\"kubernetes.io/service-account.name\":\"deployer\"}}}");
    String secretJson = null;
    for (int i = 0; i < 100 && secretJson == null; i++) {
      var secret = kube.getObject("v1", "Secret", "web", "deployer-token");
      if (secret != null && secret.path("data").hasNonNull("token")) {
        secretJson = secret.toString();
      } else {
        Thread.sleep(50);
      }
    }
    assertThat(secretJson).as("the token controller filled the Secret").isNotNull();
    ServiceAccountCredential credential = ServiceAccountSecretParser.parse(secretJson);
    ClusterAccess access =
        ServiceAccountSecretParser.access(kube.url().toString(), credential, false);
    ProbeResult r = timedProbe(prober, access, options());
    assertThat(r.ok()).as("%s", r).isTrue();
    assertThat(r.identity().username()).isEqualTo("system:serviceaccount:web:deployer");
    assertThat(r.namespacesForbidden()).isTrue();
  }

  @Test
  void aClientCertificateKubeconfigProbesAsItsSubject() {
    String kubeconfig = kube.kubeconfigForCertificate(kube.clientCertificate("dave", "devs"));
    ProbeResult r = timedProbe(prober, KubeconfigParser.parse(kubeconfig, null), options());
    assertThat(r.ok()).as("%s", r).isTrue();
    assertThat(r.identity().username()).isEqualTo("dave");
    assertThat(r.identity().groups()).contains("devs");
  }

  @Test
  void olderClustersAreAuthenticatedThroughTheReviewsTheyServe() {
    try (FakeKubeApiServer v127 = FakeKubeApiServer.builder().version("1.27").start();
        FakeKubeApiServer v123 = FakeKubeApiServer.builder().version("1.23").start()) {
      ProbeResult beta =
          timedProbe(prober, KubeconfigParser.parse(v127.adminKubeconfig(), null), options());
      assertThat(beta.ok()).as("%s", beta).isTrue();
      assertThat(beta.identity().method()).isEqualTo("SelfSubjectReview");
      assertThat(step(beta, Name.AUTHENTICATE).detail()).contains("v1beta1");

      ProbeResult admin =
          timedProbe(prober, KubeconfigParser.parse(v123.adminKubeconfig(), null), options());
      assertThat(admin.ok()).as("%s", admin).isTrue();
      assertThat(admin.serverVersion()).isEqualTo("v1.23.0");
      assertThat(admin.identity().method()).isEqualTo("TokenReview");
      assertThat(admin.identity().username()).isEqualTo(FakeKubeApiServer.ADMIN_USER);

      v123.addStaticToken("limited-token", "limited");
      ClusterAccess limited =
          ClusterAccess.ofToken(
              v123.url().toString(), v123.caCertPem(), SecretValue.of("limited-token"));
      ProbeResult ssar = timedProbe(prober, limited, options());
      assertThat(ssar.ok()).as("%s", ssar).isTrue();
      assertThat(ssar.identity().method()).isEqualTo("SelfSubjectAccessReview");
      assertThat(ssar.identity().username()).isNull();
    }
  }

  @Test
  void aServerThatIsNotKubernetesOrAnswersTooMuchIsAnUnexpectedResponse() throws IOException {
    HttpServer web =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
    byte[] huge = new byte[17 * 1024 * 1024];
    java.util.Arrays.fill(huge, (byte) ' ');
    web.createContext(
        "/version",
        ex -> {
          byte[] page =
              "<html>Welcome to nginx</html>".getBytes(java.nio.charset.StandardCharsets.UTF_8);
          ex.sendResponseHeaders(200, page.length);
          ex.getResponseBody().write(page);
          ex.close();
        });
    web.createContext(
        "/huge/version",
        ex -> {
          ex.sendResponseHeaders(200, huge.length);
          ex.getResponseBody().write(huge);
          ex.close();
        });
    web.start();
    try {
      String base = "http://127.0.0.1:" + web.getAddress().getPort();
      ClusterAccess nginx = ClusterAccess.ofToken(base, null, SecretValue.of("t"));
      ProbeResult r = timedProbe(prober, nginx, options());
      assertThat(r.diagnosis().code()).as("%s", r).isEqualTo(DiagnosisCode.UNEXPECTED_RESPONSE);
      assertThat(r.diagnosis().message()).contains("GET /version answered HTTP 200");
      assertThat(step(r, Name.TLS).detail()).isEqualTo("plain http");

      ProbeResult big =
          timedProbe(
              prober, ClusterAccess.ofToken(base + "/huge", null, SecretValue.of("t")), options());
      assertThat(big.diagnosis().code()).as("%s", big).isEqualTo(DiagnosisCode.UNEXPECTED_RESPONSE);
      assertThat(big.diagnosis().message()).contains("larger than 16 MiB");
    } finally {
      web.stop(0);
    }
  }

  @Test
  void parallelProbesOfAStalledServerAllAnswerWithinTheDeadline() throws Exception {
    var pool = java.util.concurrent.Executors.newFixedThreadPool(4);
    try {
      List<java.util.concurrent.Future<ProbeResult>> results = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        results.add(
            pool.submit(
                () -> timedProbe(prober, at(kube.faults().tlsStall(), admin()), stallOptions())));
      }
      for (var f : results) {
        assertThat(f.get().diagnosis().code()).isEqualTo(DiagnosisCode.TLS_HANDSHAKE_TIMEOUT);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aTargetNamespaceThatIsNotAValidNameIsA400() {
    io.sightline.core.SightlineException e =
        org.assertj.core.api.Assertions.catchThrowableOfType(
            io.sightline.core.SightlineException.class,
            () -> options().withTargetNamespaces(List.of("web", "../../apis/x?y")));
    assertThat(e.status()).isEqualTo(400);
    assertThat(e.field()).isEqualTo("namespace");
  }

  @Test
  void aRefusedKubeconfigBecomesAFailedProbeWithItsDiagnosis() {
    String kubeconfig =
        kube.adminKubeconfig()
            .replaceFirst("token: .*", "exec: {command: kubelogin, args: [get-token]}");
    io.sightline.core.SightlineException refusal =
        org.assertj.core.api.Assertions.catchThrowableOfType(
            io.sightline.core.SightlineException.class,
            () -> KubeconfigParser.parse(kubeconfig, null));
    ProbeResult r = ClusterProber.refused(refusal).orElseThrow();
    assertThat(r.ok()).isFalse();
    assertThat(r.diagnosis().code()).isEqualTo(DiagnosisCode.INTERACTIVE_LOGIN_REQUIRED);
    assertThat(r.diagnosis().hint()).contains(".exec");
    assertThat(
            ClusterProber.refused(
                io.sightline.core.SightlineException.badRequest(
                    "INVALID_YAML", "kubeconfig", "bad")))
        .isEmpty();
  }

  /**
   * A loopback listener whose accept queue is full: the kernel drops further SYNs, so a connect
   * hangs as it would towards a blackholed address.
   */
  private static final class Blackhole implements AutoCloseable {
    private final ServerSocket server;
    private final List<Socket> fillers = new ArrayList<>();

    Blackhole(String address) throws IOException {
      server = new ServerSocket(0, 1, InetAddress.getByName(address));
      for (int i = 0; i < 16; i++) {
        Socket s = new Socket();
        try {
          s.connect(new InetSocketAddress(server.getInetAddress(), server.getLocalPort()), 300);
          fillers.add(s);
        } catch (SocketTimeoutException full) {
          s.close();
          return;
        }
      }
      throw new IllegalStateException("the accept queue never filled up");
    }

    URI url() {
      return URI.create(
          "https://" + server.getInetAddress().getHostAddress() + ":" + server.getLocalPort());
    }

    @Override
    public void close() throws IOException {
      for (Socket s : fillers) {
        s.close();
      }
      server.close();
    }
  }
}
