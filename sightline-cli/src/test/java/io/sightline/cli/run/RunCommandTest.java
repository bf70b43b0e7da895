package io.sightline.cli.run;

import static org.assertj.core.api.Assertions.assertThat;

import io.sightline.cli.Main;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sightline run} in-process against a fake of the lease routes, with real child processes.
 */
class RunCommandTest {
  record Result(int exit, String out, String err) {}

  @TempDir Path tmp;
  FakeLeaseServer server;
  final Map<String, String> env = new HashMap<>();

  @BeforeEach
  void start() throws Exception {
    server = new FakeLeaseServer();
    env.put("PATH", System.getenv("PATH"));
    env.put("HOME", tmp.toString());
    env.put("SIGHTLINE_SERVER", server.url());
    env.put("SIGHTLINE_TOKEN", server.callerToken);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code =
        Main.run(
            args,
            env,
            new ByteArrayInputStream(new byte[0]),
            new PrintWriter(out, true),
            new PrintWriter(err, true));
    return new Result(code, out.toString(), err.toString());
  }

  static String[] sh(String script, String... runArgs) {
    List<String> a = new ArrayList<>(List.of("run", "--connection", "prod", "-n", "web"));
    a.addAll(List.of(runArgs));
    a.addAll(List.of("--", "sh", "-c", script));
    return a.toArray(new String[0]);
  }

  String onlyLeaseToken() {
    return server.tokensById.values().iterator().next();
  }

  @Test
  @DisplayName(
      "the command sees KUBECONFIG, its output never shows the token, the lease is revoked"
          + " with its handle and the files are gone")
  void happyPath() throws Exception {
    Path marker = tmp.resolve("kubeconfig-path");
    Result r =
        run(
            sh(
                "echo \"$KUBECONFIG\" > "
                    + marker
                    + "; cat \"$KUBECONFIG\"; echo; echo token=$(cat \"$(dirname \"$KUBECONFIG\")/token\");"
                    + " cat \"$(dirname \"$KUBECONFIG\")/token\" | base64 -w0 >&2"));
    String token = onlyLeaseToken();
    assertThat(r.exit()).isZero();
    assertThat(r.out()).contains("token=***").contains("tokenFile:").doesNotContain(token);
    assertThat(r.err())
        .contains("using Sightline API token from $SIGHTLINE_TOKEN")
        .contains("revoked lease lease-1")
        .doesNotContain(token)
        .doesNotContain(server.callerToken)
        .doesNotContain(FakeLeaseServer.handle("lease-1"));
    assertThat(r.err()).contains("***");
    FakeLeaseServer.Request create = server.requests.get(0);
    assertThat(create.idempotencyKey()).isNotBlank();
    assertThat(create.body().at("/target/connection").asText()).isEqualTo("prod");
    assertThat(create.body().at("/target/namespace").asText()).isEqualTo("web");
    assertThat(create.body().get("ttlSeconds").asLong()).isEqualTo(900);
    assertThat(create.body().at("/task/task").asText()).isEqualTo("sh");
    assertThat(server.revoked).containsKey("lease-1");
    assertThat(server.requests.get(server.requests.size() - 1).authorization())
        .isEqualTo("Bearer " + FakeLeaseServer.handle("lease-1"));
    Path kubeconfig = Path.of(Files.readString(marker).strip());
    assertThat(kubeconfig.getParent()).doesNotExist();
  }

  @Test
  @DisplayName("a failing command's exit code is run's, and its lease is still revoked")
  void failure() {
    Result r = run(sh("echo failing >&2; exit 3"));
    assertThat(r.exit()).isEqualTo(3);
    assertThat(r.err()).contains("failing").contains("revoked lease");
    assertThat(server.revoked).containsKey("lease-1");
  }

  @Test
  @DisplayName("a command killed by a signal exits 128+signal, and its lease is still revoked")
  void killedChild() throws Exception {
    Path marker = tmp.resolve("kubeconfig-path");
    Result r = run(sh("echo \"$KUBECONFIG\" > " + marker + "; kill -9 $$"));
    assertThat(r.exit()).isEqualTo(137);
    assertThat(server.revoked).containsKey("lease-1");
    assertThat(Path.of(Files.readString(marker).strip()).getParent()).doesNotExist();
  }

  @Test
  @DisplayName("--timeout stops the command and still revokes")
  void timeout() {
    long start = System.nanoTime();
    Result r = run(sh("sleep 30", "--timeout", "1s"));
    assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(10_000);
    assertThat(r.exit()).isEqualTo(143);
    assertThat(r.err()).contains("ran longer than --timeout");
    assertThat(server.revoked).containsKey("lease-1");
  }

  @Test
  @DisplayName("a command that cannot be started exits 127 and its lease is revoked")
  void notFound() {
    Result r = run("run", "--connection", "prod", "--", "/no/such/command-xyz");
    assertThat(r.exit()).isEqualTo(127);
    assertThat(r.err()).contains("cannot start /no/such/command-xyz");
    assertThat(server.revoked).containsKey("lease-1");
  }

  @Test
  @DisplayName("lease creation is retried after 5xx with the same Idempotency-Key")
  void retriesWithOneKey() {
    server.failCreates.set(2);
    Result r = run(sh("true"));
    assertThat(r.exit()).isZero();
    List<String> keys =
        server.requests.stream()
            .filter(q -> q.method().equals("POST") && q.path().equals("/api/v1/leases"))
            .map(FakeLeaseServer.Request::idempotencyKey)
            .toList();
    assertThat(keys).hasSize(3);
    assertThat(keys).containsOnly(keys.get(0));
  }

  @Test
  @DisplayName("a revocation failure is reported but does not change the exit code")
  void revocationFailure() {
    server.refuseRevoke = true;
    Result r = run(sh("exit 0"));
    assertThat(r.exit()).isZero();
    assertThat(r.err()).contains("could not revoke lease lease-1").contains("not today");
  }

  @Test
  @DisplayName("the lease is renewed before it expires and the token file is replaced")
  void renewal() throws Exception {
    server.expiresInMillis = 3000; // renew at 2/3: after about 2 s
    Path copy = tmp.resolve("token-after");
    Result r = run(sh("sleep 3; cp \"$(dirname \"$KUBECONFIG\")/token\" " + copy));
    assertThat(r.exit()).isZero();
    assertThat(r.err()).contains("renewed lease lease-1");
    assertThat(server.count("POST", "/renew")).isGreaterThanOrEqualTo(1);
    assertThat(
            server.requests.stream()
                .filter(q -> q.path().endsWith("/renew"))
                .findFirst()
                .get()
                .authorization())
        .isEqualTo("Bearer " + FakeLeaseServer.handle("lease-1"));
    String after = Files.readString(copy);
    assertThat(after).startsWith("renewed-");
    assertThat(server.issued).contains(after);
  }

  @Test
  @DisplayName("when renewal is refused for the maximum lifetime, run says so and keeps going")
  void maxLifetime() {
    server.expiresInMillis = 3000;
    server.maxLifetimeReached = true;
    Result r = run(sh("sleep 3; echo still here"));
    assertThat(r.exit()).isZero();
    assertThat(r.out()).contains("still here");
    assertThat(r.err()).contains("reached its maximum lifetime and cannot be renewed");
  }

  @Test
  @DisplayName("--export azure-pipelines gives only the command the endpoint variables")
  void exportAzurePipelines() {
    String id = "3f0c1c9e-1111-4222-8333-444455556666";
    // env, not sh: dash drops variables whose names are not identifiers (the id has dashes)
    Result r = run("run", "--connection", "prod", "--export", "azure-pipelines", "--", "env");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out())
        .contains("ENDPOINT_DATA_" + id + "_AUTHORIZATIONTYPE=ServiceAccount\n")
        .contains("ENDPOINT_DATA_" + id + "_NAMESPACE=web\n")
        .contains("ENDPOINT_AUTH_SCHEME_" + id + "=Token\n")
        .contains("ENDPOINT_URL_" + id + "=https://127.0.0.1:6443\n")
        .contains("ENDPOINT_AUTH_PARAMETER_" + id + "_APITOKEN=***\n")
        .contains("KUBECONFIG=");
    assertThat(r.err()).contains("NOT renewed");
    assertThat(env).doesNotContainKey("ENDPOINT_DATA_" + id + "_AUTHORIZATIONTYPE");
  }

  @Test
  @DisplayName(
      "--environment needs --resource and no connection options: a usage error (exit 2) otherwise")
  void environmentUsage() {
    Result alone = run("run", "--environment", "prod", "--", "true");
    assertThat(alone.exit()).isEqualTo(2);
    assertThat(alone.err()).contains("--environment and --resource go together");
    Result both =
        run("run", "--environment", "prod", "--resource", "web", "--connection", "c", "--", "true");
    assertThat(both.exit()).isEqualTo(2);
    assertThat(both.err()).contains("not both");
    assertThat(server.requests).isEmpty();
  }

  @Test
  @DisplayName("without any identity, run says where an identity can come from (exit 2)")
  void noIdentity() {
    env.remove("SIGHTLINE_TOKEN");
    Result r = run(sh("true"));
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("no pipeline identity found").contains("--id-token-file");
  }

  @Test
  @DisplayName("in GitHub Actions run presents the workflow's ID token (never printed) and says so")
  void gitHubIdentity() throws Exception {
    String jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOm9yZy9hcHAifQ.c2lnbmF0dXJl";
    com.sun.net.httpserver.HttpServer gh =
        com.sun.net.httpserver.HttpServer.create(
            new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
    List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    gh.createContext(
        "/token",
        ex -> {
          seen.add(
              ex.getRequestURI().getRawQuery()
                  + " "
                  + ex.getRequestHeaders().getFirst("Authorization"));
          byte[] b =
              ("{\"value\":\"" + jwt + "\"}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
          ex.sendResponseHeaders(200, b.length);
          ex.getResponseBody().write(b);
          ex.close();
        });
    gh.start();
    try {
      server.callerToken = jwt;
      env.remove("SIGHTLINE_TOKEN");
      env.put("GITHUB_ACTIONS", "true");
      env.put("GITHUB_REPOSITORY", "org/app");
      env.put("GITHUB_RUN_ID", "42");
      env.put("GITHUB_SHA", "abc123");
      env.put(
          "ACTIONS_ID_TOKEN_REQUEST_URL",
          "http://127.0.0.1:" + gh.getAddress().getPort() + "/token?api-version=2.0");
      env.put("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "request-token-1234");
      Result r = run(sh("echo \"$ACTIONS_ID_TOKEN_REQUEST_TOKEN\" >/dev/null; true"));
      assertThat(r.exit()).as(r.err()).isZero();
      assertThat(r.err())
          .contains("using GitHub Actions ID token (audience " + server.url() + ")")
          .doesNotContain(jwt);
      assertThat(seen)
          .containsExactly(
              "api-version=2.0&audience="
                  + java.net.URLEncoder.encode(
                      server.url(), java.nio.charset.StandardCharsets.UTF_8)
                  + " bearer request-token-1234");
      FakeLeaseServer.Request create = server.requests.get(0);
      assertThat(create.authorization()).isEqualTo("Bearer " + jwt);
      assertThat(create.body().at("/task/run").asText()).isEqualTo("42");
      assertThat(create.body().at("/task/commit").asText()).isEqualTo("abc123");
      assertThat(server.revoked).containsKey("lease-1");
    } finally {
      gh.stop(0);
    }
  }
}
