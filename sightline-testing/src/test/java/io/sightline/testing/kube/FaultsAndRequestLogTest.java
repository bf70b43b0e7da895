package io.sightline.testing.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class FaultsAndRequestLogTest {

  static FakeKubeApiServer kube;

  @BeforeAll
  static void start() {
    kube = FakeKubeApiServer.builder().faultDelay(Duration.ofMillis(700)).start();
  }

  @AfterAll
  static void stop() {
    kube.close();
  }

  @Test
  void theRefusedListenerRefusesConnections() {
    URI u = kube.faults().refused();
    assertThatThrownBy(
            () -> {
              try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", u.getPort()), 2000);
              }
            })
        .isInstanceOf(ConnectException.class);
  }

  @Test
  void theSilentListenerAcceptsTcpButNeverAnswers() throws IOException {
    URI u = kube.faults().silent();
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", u.getPort()), 2000);
      s.setSoTimeout(500);
      s.getOutputStream().write("GET /version HTTP/1.1\r\nHost: x\r\n\r\n".getBytes());
      assertThatThrownBy(() -> s.getInputStream().read())
          .isInstanceOf(SocketTimeoutException.class);
    }
  }

  @Test
  void theTlsStallListenerStartsButNeverCompletesTheHandshake() throws IOException {
    URI u = kube.faults().tlsStall();
    try (SSLSocket s =
        (SSLSocket) kube.sslContext().getSocketFactory().createSocket("127.0.0.1", u.getPort())) {
      s.setSoTimeout(700);
      assertThatThrownBy(s::startHandshake).isInstanceOf(SocketTimeoutException.class);
    }
  }

  @Test
  void theSlowListenerAnswersTheRealApiAfterTheDelay() throws Exception {
    HttpClient http = HttpClient.newBuilder().sslContext(kube.sslContext()).build();
    long start = System.nanoTime();
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(kube.faults().slow().resolve("/version")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(Duration.ofNanos(System.nanoTime() - start))
        .isGreaterThanOrEqualTo(Duration.ofMillis(700));
  }

  @Test
  void theUnknownCaListenerFailsVerificationAgainstTheClusterCa() {
    HttpClient http = HttpClient.newBuilder().sslContext(kube.sslContext()).build();
    assertThatThrownBy(
            () ->
                http.send(
                    HttpRequest.newBuilder(kube.faults().unknownCa().resolve("/version")).build(),
                    HttpResponse.BodyHandlers.ofString()))
        .isInstanceOf(SSLHandshakeException.class);
  }

  @Test
  void theUnauthorizedListenerAnswers401EvenToTheAdmin() throws Exception {
    HttpClient http = HttpClient.newBuilder().sslContext(kube.sslContext()).build();
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(kube.faults().unauthorized().resolve("/api/v1/namespaces"))
                .header("Authorization", "Bearer " + kube.adminToken())
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.body()).isEqualTo(AuthenticationTest.UNAUTHORIZED_BODY);
  }

  @Test
  void theRequestLogRecordsIdentityVerbPathAndStatus() {
    kube.addStaticToken("dora-token", "dora");
    KubeHttp.withToken(kube, "dora-token").get("/api/v1/namespaces/default/secrets/x");
    KubeHttp.withToken(kube, "wrong").get("/api/v1/namespaces");
    KubeHttp.admin(kube)
        .post("/api/v1/namespaces/default/configmaps", "{\"metadata\":{\"name\":\"logged\"}}");
    List<RequestLogEntry> dora = kube.requestLog(e -> "dora".equals(e.user()));
    assertThat(dora).hasSize(1);
    assertThat(dora.get(0).verb()).isEqualTo("get");
    assertThat(dora.get(0).path()).isEqualTo("/api/v1/namespaces/default/secrets/x");
    assertThat(dora.get(0).status()).isEqualTo(403);
    assertThat(kube.requestLog(e -> e.status() == 401 && e.user() == null)).isNotEmpty();
    assertThat(
            kube.requestLog(
                e ->
                    FakeKubeApiServer.ADMIN_USER.equals(e.user())
                        && e.verb().equals("create")
                        && e.status() == 201))
        .isNotEmpty();
  }
}
