package io.sightline.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.sightline.api.probe.DiagnosisCode;
import io.sightline.api.probe.ProbeResult;
import io.sightline.core.SightlineException;
import io.sightline.testing.kube.FakeKubeApiServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The egress suite: a probe pointed at the addresses Sightline must never connect to — as IP
 * literals, as names that resolve to them (the test hosts file), through a redirect and through a
 * kubeconfig {@code proxy-url} — answers {@code EGRESS_DENIED}, and the socket factory shows that
 * no connection to them was even attempted. A loopback address on a test deny list shows the same
 * check firing before connect where a listener can prove nothing arrived.
 */
class EgressSuiteTest {
  static FakeKubeApiServer kube;
  static ClusterProber prober;
  final List<InetSocketAddress> connects = new CopyOnWriteArrayList<>();
  AutoCloseable observing;

  @BeforeAll
  static void start() {
    kube = FakeKubeApiServer.builder().version("1.30").start();
    prober = new ClusterProber(EgressPolicy.defaults());
  }

  @AfterAll
  static void stop() {
    prober.close();
    kube.close();
  }

  @BeforeEach
  void observe() {
    observing = EgressSocketFactory.observeConnects(connects::add);
  }

  @AfterEach
  void stopObserving() throws Exception {
    observing.close();
  }

  static ProbeOptions options() {
    return ProbeOptions.defaults().withDeadline(Duration.ofSeconds(5));
  }

  static ClusterAccess at(String url) {
    ClusterAccess a = KubeconfigParser.parse(kube.adminKubeconfig(), null);
    return new ClusterAccess(
        url,
        a.caPem(),
        a.insecureSkipTlsVerify(),
        a.tlsServerName(),
        a.bearerToken(),
        a.clientCertificatePem(),
        a.clientKeyPem(),
        a.username(),
        a.password(),
        a.namespace());
  }

  void assertNoConnectLeftLoopback() {
    assertThat(connects)
        .as("addresses the socket factory let a socket connect to")
        .allSatisfy(a -> assertThat(a.getAddress().isLoopbackAddress()).as("%s", a).isTrue());
  }

  @ParameterizedTest(name = "a probe of https://{0} is EGRESS_DENIED before any connect")
  @ValueSource(
      strings = {
        "169.254.169.254",
        "0.0.0.0",
        "[fe80::1]",
        "[64:ff9b::a9fe:a9fe]",
        "[::ffff:169.254.169.254]",
        "[::ffff:a9fe:a9fe]",
        "168.63.129.16",
        "[::ffff:168.63.129.16]",
        "[fd00:ec2::254]",
        "100.100.100.200",
        "[::ffff:100.100.100.200]"
      })
  void ipLiterals(String host) {
    ProbeResult r = prober.probe(at("https://" + host + ":443"), options());
    assertThat(r.diagnosis().code()).as("%s", r).isEqualTo(DiagnosisCode.EGRESS_DENIED);
    assertThat(connects).isEmpty();
  }

  @ParameterizedTest(name = "a probe of {0}, which resolves to a denied address, is EGRESS_DENIED")
  @ValueSource(
      strings = {
        "metadata.sightline.test",
        "zero.sightline.test",
        "linklocal.sightline.test",
        "nat64.sightline.test",
        "mapped.sightline.test",
        "wireserver.sightline.test",
        "ec2v6.sightline.test",
        "alibaba.sightline.test"
      })
  void namesResolvingToDeniedAddresses(String name) {
    ProbeResult r = prober.probe(at("https://" + name + ":443"), options());
    assertThat(r.diagnosis().code()).as("%s", r).isEqualTo(DiagnosisCode.EGRESS_DENIED);
    assertThat(connects).isEmpty();
  }

  @Test
  @DisplayName(
      "a loopback API server that redirects to the metadata address: the redirect is never"
          + " followed to it")
  void redirectToMetadata() throws Exception {
    HttpServer redirector = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    redirector.createContext(
        "/",
        ex -> {
          ex.getRequestBody().readAllBytes();
          ex.getResponseHeaders()
              .add("Location", "http://169.254.169.254" + ex.getRequestURI().getPath());
          ex.sendResponseHeaders(302, -1);
          ex.close();
        });
    redirector.start();
    try {
      ProbeResult r =
          prober.probe(at("http://127.0.0.1:" + redirector.getAddress().getPort()), options());
      // The prober does not follow redirects at all: the 302 is the answer.
      assertThat(r.diagnosis().code()).as("%s", r).isEqualTo(DiagnosisCode.UNEXPECTED_RESPONSE);
      assertThat(connects).as("the probe did reach the loopback server").isNotEmpty();
      assertNoConnectLeftLoopback();
    } finally {
      redirector.stop(0);
    }
  }

  @Test
  @DisplayName("a kubeconfig proxy-url (even to the metadata address) is refused when parsed")
  void proxyUrl() {
    String kc =
        kube.adminKubeconfig()
            .replaceFirst(
                "(?m)^(\\s+)server: (.*)$", "$1server: $2\n$1proxy-url: http://169.254.169.254:80");
    assertThat(kc).contains("proxy-url");
    assertThatThrownBy(() -> KubeconfigParser.parse(kc, null))
        .isInstanceOfSatisfying(
            SightlineException.class, e -> assertThat(e.code()).isEqualTo("PROXY_NOT_ALLOWED"));
    assertThat(connects).isEmpty();
  }

  @Test
  @DisplayName(
      "a loopback address on a test deny list, by name: EGRESS_DENIED, and its listener never"
          + " sees a connection (the check fires before connect)")
  void deniedLoopbackByName() throws Exception {
    try (ServerSocket listener = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.3"));
        ClusterProber strict =
            new ClusterProber(EgressPolicy.builder().deny("127.0.0.3/32").build())) {
      listener.setSoTimeout(300);
      ProbeResult r =
          strict.probe(
              at("https://denied-kube.sightline.test:" + listener.getLocalPort()), options());
      assertThat(r.diagnosis().code()).as("%s", r).isEqualTo(DiagnosisCode.EGRESS_DENIED);
      assertThat(r.diagnosis().message()).contains("127.0.0.3");
      assertThat(connects).isEmpty();
      assertThatThrownBy(listener::accept).isInstanceOf(SocketTimeoutException.class);
    }
  }

  @Test
  @DisplayName("the observer does see an allowed connect (so an empty list above means something)")
  void observerSeesAllowedConnects() {
    ProbeResult r = prober.probe(at(kube.url().toString()), options());
    assertThat(r.ok()).as("%s", r).isTrue();
    assertThat(connects)
        .extracting(a -> a.getPort())
        .contains(URI.create(kube.url().toString()).getPort());
  }
}
