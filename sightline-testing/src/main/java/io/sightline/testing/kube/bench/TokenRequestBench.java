package io.sightline.testing.kube.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sightline.testing.kube.FakeKubeApiServer;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Measures TokenRequests per second against an in-process emulator: {@code threads} clients
 * (default 16), each a minter ServiceAccount calling with its own (JWT) token and asking for a
 * 10-minute token of a deployer bound to a Secret, as Sightline does per lease. Client and server
 * share the machine, so the figure is a lower bound for the server alone.
 *
 * <p>{@code java -cp sightline-testing/target/fake-kube.jar
 * io.sightline.testing.kube.bench.TokenRequestBench [threads=16] [seconds=10] [raw|jdk]}: {@code
 * raw} (default) drives each client over one keep-alive TLS socket so the client costs little;
 * {@code jdk} uses {@link HttpClient}, which on this machine costs more CPU per request than the
 * emulator itself.
 */
public final class TokenRequestBench {

  private static final ObjectMapper MAPPER = new ObjectMapper();

  private static boolean useRaw = true;

  private TokenRequestBench() {}

  /** A minimal HTTP/1.1 keep-alive client over one TLS socket, so the client costs little. */
  private static final class RawClient {
    private final javax.net.ssl.SSLSocket socket;
    private final java.io.OutputStream out;
    private final java.io.InputStream in;

    RawClient(FakeKubeApiServer kube) throws java.io.IOException {
      socket =
          (javax.net.ssl.SSLSocket)
              kube.sslContext()
                  .getSocketFactory()
                  .createSocket(kube.url().getHost(), kube.url().getPort());
      socket.setTcpNoDelay(true);
      socket.startHandshake();
      out = new java.io.BufferedOutputStream(socket.getOutputStream());
      in = new java.io.BufferedInputStream(socket.getInputStream());
    }

    int post(String path, String token, String body) throws java.io.IOException {
      byte[] b = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
      String head =
          "POST "
              + path
              + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
              + token
              + "\r\nContent-Type: application/json\r\nContent-Length: "
              + b.length
              + "\r\n\r\n";
      out.write(head.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      out.write(b);
      out.flush();
      String status = line();
      int length = 0;
      for (String h = line(); !h.isEmpty(); h = line()) {
        if (h.regionMatches(true, 0, "content-length:", 0, 15)) {
          length = Integer.parseInt(h.substring(15).trim());
        }
      }
      in.readNBytes(length);
      return Integer.parseInt(status.split(" ")[1]);
    }

    private String line() throws java.io.IOException {
      StringBuilder sb = new StringBuilder();
      for (int c = in.read(); c != '\n'; c = in.read()) {
        if (c < 0) {
          throw new java.io.EOFException();
        }
        if (c != '\r') {
          sb.append((char) c);
        }
      }
      return sb.toString();
    }
  }

  public static void main(String[] args) throws Exception {
    int threads = args.length > 0 ? Integer.parseInt(args[0]) : 16;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    useRaw = args.length <= 2 || !args[2].equals("jdk");
    try (FakeKubeApiServer kube = FakeKubeApiServer.builder().start()) {
      HttpClient http =
          HttpClient.newBuilder()
              .version(HttpClient.Version.HTTP_1_1)
              .sslContext(kube.sslContext())
              .connectTimeout(Duration.ofSeconds(5))
              .build();
      String ns = "bench";
      post(
          http,
          kube,
          kube.adminToken(),
          "/api/v1/namespaces",
          "{\"metadata\":{\"name\":\"bench\"}}");
      for (String sa : List.of("minter", "deployer")) {
        post(
            http,
            kube,
            kube.adminToken(),
            "/api/v1/namespaces/bench/serviceaccounts",
            "{\"metadata\":{\"name\":\"" + sa + "\"}}");
      }
      post(
          http,
          kube,
          kube.adminToken(),
          "/apis/rbac.authorization.k8s.io/v1/namespaces/bench/roles",
          "{\"metadata\":{\"name\":\"minter\"},\"rules\":[{\"apiGroups\":[\"\"],"
              + "\"resources\":[\"serviceaccounts/token\"],\"resourceNames\":[\"deployer\"],"
              + "\"verbs\":[\"create\"]}]}");
      post(
          http,
          kube,
          kube.adminToken(),
          "/apis/rbac.authorization.k8s.io/v1/namespaces/bench/rolebindings",
          "{\"metadata\":{\"name\":\"minter\"},\"roleRef\":{\"apiGroup\":"
              + "\"rbac.authorization.k8s.io\",\"kind\":\"Role\",\"name\":\"minter\"},"
              + "\"subjects\":[{\"kind\":\"ServiceAccount\",\"name\":\"minter\"}]}");
      post(
          http,
          kube,
          kube.adminToken(),
          "/api/v1/namespaces/bench/secrets",
          "{\"metadata\":{\"name\":\"lease\"}}");
      String body =
          "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"TokenRequest\",\"spec\":{"
              + "\"expirationSeconds\":600,\"boundObjectRef\":{\"kind\":\"Secret\","
              + "\"apiVersion\":\"v1\",\"name\":\"lease\"}}}";
      String path = "/api/v1/namespaces/" + ns + "/serviceaccounts/deployer/token";
      List<String> callerTokens = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        JsonNode r =
            post(
                http,
                kube,
                kube.adminToken(),
                "/api/v1/namespaces/bench/serviceaccounts/minter/token",
                "{\"spec\":{\"expirationSeconds\":3600}}");
        callerTokens.add(r.path("status").path("token").asText());
      }

      run(http, kube, callerTokens, path, body, 3, null);
      List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
      com.sun.management.OperatingSystemMXBean os =
          (com.sun.management.OperatingSystemMXBean)
              java.lang.management.ManagementFactory.getOperatingSystemMXBean();
      long cpuBefore = os.getProcessCpuTime();
      long serverBefore = serverCpu();
      long ok = run(http, kube, callerTokens, path, body, seconds, latencies);
      double cpuMsPerRequest = (os.getProcessCpuTime() - cpuBefore) / 1e6 / ok;
      double serverMsPerRequest = (serverCpu() - serverBefore) / 1e6 / ok;
      List<Long> sorted = new ArrayList<>(latencies);
      Collections.sort(sorted);
      System.out.printf(
          "TokenRequest: %d threads, %d s: %.0f req/s, median %.2f ms, p99 %.2f ms (%d requests,"
              + " %d cores, %s client; CPU per request: %.2f ms in the server threads, %.2f ms in"
              + " the process)%n",
          threads,
          seconds,
          ok / (double) seconds,
          sorted.get(sorted.size() / 2) / 1e6,
          sorted.get((int) (sorted.size() * 0.99)) / 1e6,
          ok,
          Runtime.getRuntime().availableProcessors(),
          useRaw ? "raw-socket" : "JDK HttpClient",
          serverMsPerRequest,
          cpuMsPerRequest);
    }
  }

  /** CPU time of the emulator's request threads and the JDK server's dispatcher. */
  private static long serverCpu() {
    java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
    long total = 0;
    for (java.lang.management.ThreadInfo info : mx.getThreadInfo(mx.getAllThreadIds())) {
      if (info != null
          && (info.getThreadName().startsWith("fake-kube")
              || info.getThreadName().startsWith("HTTP-Dispatcher"))) {
        total += Math.max(0, mx.getThreadCpuTime(info.getThreadId()));
      }
    }
    return total;
  }

  private static long run(
      HttpClient http,
      FakeKubeApiServer kube,
      List<String> tokens,
      String path,
      String body,
      int seconds,
      List<Long> latencies)
      throws InterruptedException {
    AtomicLong ok = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
    CountDownLatch done = new CountDownLatch(tokens.size());
    for (String token : tokens) {
      Thread t =
          new Thread(
              () -> {
                HttpRequest req =
                    HttpRequest.newBuilder(kube.url().resolve(path))
                        .header("Authorization", "Bearer " + token)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build();
                List<Long> mine = new ArrayList<>();
                RawClient raw = null;
                while (System.nanoTime() < end) {
                  long start = System.nanoTime();
                  try {
                    int status;
                    if (useRaw) {
                      if (raw == null) {
                        raw = new RawClient(kube);
                      }
                      status = raw.post(path, token, body);
                    } else {
                      status = http.send(req, HttpResponse.BodyHandlers.ofString()).statusCode();
                    }
                    if (status / 100 == 2) {
                      ok.incrementAndGet();
                      mine.add(System.nanoTime() - start);
                    } else {
                      failed.incrementAndGet();
                    }
                  } catch (Exception e) {
                    failed.incrementAndGet();
                    raw = null;
                  }
                }
                if (latencies != null) {
                  latencies.addAll(mine);
                }
                done.countDown();
              });
      t.start();
    }
    done.await();
    if (failed.get() > 0) {
      System.out.println("failed requests: " + failed.get());
    }
    return ok.get();
  }

  private static JsonNode post(
      HttpClient http, FakeKubeApiServer kube, String token, String path, String json)
      throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(kube.url().resolve(path))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 201) {
      throw new IllegalStateException("setup POST " + path + " answered " + r.statusCode());
    }
    return MAPPER.readTree(r.body());
  }
}
