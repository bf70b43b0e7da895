package io.sightline.it.run;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sightline.it.ServerFixture;
import io.sightline.testing.kube.FakeKubeApiServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sightline run} from the built jar against a real server process and the Kubernetes
 * emulator, with the real {@code kubectl} inside.
 */
class RunIT {
  static final Path JAR =
      Path.of(System.getProperty("sightline.jar", "../sightline-cli/target/sightline.jar"))
          .toAbsolutePath()
          .normalize();
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path tmp;
  static FakeKubeApiServer kube;
  static Process server;
  static String serverUrl;
  static String adminToken;
  static String deployer;
  static HttpClient http = HttpClient.newHttpClient();
  static HttpClient kubeHttp;

  record Result(int exit, String out, String err) {}

  static int freePort() throws IOException {
    return ServerFixture.freePort();
  }

  static ProcessBuilder sightline(List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-XX:+UseSerialGC");
    cmd.add("-XX:TieredStopAtLevel=1");
    cmd.add("-jar");
    cmd.add(JAR.toString());
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().keySet().removeIf(k -> k.startsWith("SIGHTLINE_") || k.equals("KUBECONFIG"));
    pb.environment().put("HOME", tmp.resolve("home").toString());
    return pb;
  }

  @BeforeAll
  static void start() throws Exception {
    kube = FakeKubeApiServer.builder().version("1.30").start();
    kubeHttp = HttpClient.newBuilder().sslContext(kube.sslContext()).build();
    int port = freePort();
    ServerFixture.Started s =
        ServerFixture.start(
            sightline(
                List.of(
                    "server", "--port", "" + port, "--data-dir", tmp.resolve("data").toString())),
            port,
            tmp.resolve("server.err"),
            http);
    server = s.process();
    serverUrl = s.url();
    adminToken = s.adminToken();
    deployer = ServerFixture.createProd(http, s, kube);
  }

  @AfterAll
  static void stop() throws Exception {
    ServerFixture.stop(server, kube);
  }

  static String read(Path p) throws IOException {
    return ServerFixture.read(p);
  }

  ProcessBuilder run(String... args) {
    List<String> a = new ArrayList<>(List.of("run", "--connection", "prod", "-n", "web"));
    a.addAll(List.of(args));
    ProcessBuilder pb = sightline(a);
    pb.environment().put("SIGHTLINE_SERVER", serverUrl);
    pb.environment().put("SIGHTLINE_TOKEN", adminToken);
    return pb;
  }

  static Result finish(ProcessBuilder pb, Path dir) throws Exception {
    Files.createDirectories(dir);
    Process p =
        pb.redirectOutput(dir.resolve("out").toFile())
            .redirectError(dir.resolve("err").toFile())
            .start();
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("run finished").isTrue();
    return new Result(p.exitValue(), read(dir.resolve("out")), read(dir.resolve("err")));
  }

  /** [status, username] the emulator answers for a token. */
  static Object[] whoami(String token) throws Exception {
    HttpResponse<String> r =
        kubeHttp.send(
            HttpRequest.newBuilder(
                    URI.create(kube.url() + "/apis/authentication.k8s.io/v1/selfsubjectreviews"))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"SelfSubjectReview\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    return new Object[] {
      r.statusCode(),
      r.statusCode() < 300 ? JSON.readTree(r.body()).at("/status/userInfo/username").asText() : null
    };
  }

  static void awaitUnauthorized(String token) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    Object[] who = whoami(token);
    while ((int) who[0] != 401 && System.nanoTime() < deadline) {
      Thread.sleep(250);
      who = whoami(token);
    }
    assertThat(who[0]).as("the revoked token is refused").isEqualTo(401);
  }

  JsonNode lease(String id) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create(serverUrl + "/api/v1/leases/" + id))
                .header("Authorization", "Bearer " + adminToken)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return JSON.readTree(r.body());
  }

  static String leaseId(String err) {
    Matcher m = Pattern.compile("lease (\\S+) \\(token-request").matcher(err);
    assertThat(m.find()).as("run names its lease: %s", err).isTrue();
    return m.group(1);
  }

  @Test
  @DisplayName(
      "kubectl auth whoami inside sightline run reports the deployer; the token never shows and"
          + " gets 401 after the run")
  void kubectlWhoami() throws Exception {
    Path dir = tmp.resolve("whoami");
    Path tokenCopy = dir.resolve("token-copy");
    Files.createDirectories(dir);
    Result r =
        finish(
            run(
                "--",
                "sh",
                "-c",
                "kubectl auth whoami -o jsonpath='{.status.userInfo.username}'; echo;"
                    + " cat \"$(dirname \"$KUBECONFIG\")/token\"; echo;"
                    + " cp \"$(dirname \"$KUBECONFIG\")/token\" "
                    + tokenCopy),
            dir);
    assertThat(r.exit()).as(r.err()).isZero();
    String token = Files.readString(tokenCopy).strip();
    assertThat(r.out())
        .matches("(?s)system:serviceaccount:[a-z0-9-]+:" + deployer + "\n\\*\\*\\*\n");
    assertThat(r.out() + r.err()).doesNotContain(token).doesNotContain(adminToken);
    assertThat(r.err()).contains("using Sightline API token").contains("revoked lease");
    awaitUnauthorized(token);
    assertThat(lease(leaseId(r.err())).toString()).contains("revoked");
  }

  @Test
  @DisplayName("SIGTERM to sightline run stops the command and still revokes the lease")
  void sigterm() throws Exception {
    Path dir = tmp.resolve("sigterm");
    Files.createDirectories(dir);
    Path tokenCopy = dir.resolve("token-copy");
    Process p =
        run(
                "--",
                "sh",
                "-c",
                "cp \"$(dirname \"$KUBECONFIG\")/token\" "
                    + tokenCopy
                    + ".tmp; mv "
                    + tokenCopy
                    + ".tmp "
                    + tokenCopy
                    + "; sleep 120")
            .redirectOutput(dir.resolve("out").toFile())
            .redirectError(dir.resolve("err").toFile())
            .start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!Files.exists(tokenCopy) && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertThat(tokenCopy).as("the command started: %s", read(dir.resolve("err"))).exists();
    String token = Files.readString(tokenCopy).strip();
    assertThat((String) whoami(token)[1]).endsWith(":" + deployer);

    p.destroy(); // SIGTERM
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("run ends after SIGTERM").isTrue();
    String err = read(dir.resolve("err"));
    assertThat(err).contains("revoked lease").doesNotContain(token);
    awaitUnauthorized(token);
    assertThat(lease(leaseId(err)).toString()).contains("revoked");
  }

  @Test
  @DisplayName(
      "lease create writes a 0600 kubeconfig kubectl can use; list, show; revoke by handle file")
  void leaseCommands() throws Exception {
    Path dir = tmp.resolve("lease");
    Files.createDirectories(dir);
    Path kubeconfig = dir.resolve("kubeconfig");
    ProcessBuilder create =
        sightline(
            List.of(
                "lease",
                "create",
                "--connection",
                "prod",
                "-n",
                "web",
                "--kubeconfig-out",
                kubeconfig.toString()));
    create.environment().put("SIGHTLINE_SERVER", serverUrl);
    create.environment().put("SIGHTLINE_TOKEN", adminToken);
    Result r = finish(create, dir.resolve("create"));
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).isEmpty();
    Path handle = dir.resolve("kubeconfig.handle");
    assertThat(r.err())
        .contains("revoke it with: sightline lease revoke")
        .contains(handle.toString());
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(kubeconfig)))
        .isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(handle)))
        .isEqualTo("rw-------");
    Matcher t = Pattern.compile("token: \"([^\"]+)\"").matcher(Files.readString(kubeconfig));
    assertThat(t.find()).isTrue();
    String token = t.group(1);
    assertThat(r.err()).doesNotContain(token).doesNotContain(Files.readString(handle).strip());
    String id =
        Pattern.compile("lease (\\S+) ").matcher(r.err()).results().findFirst().get().group(1);

    ProcessBuilder kubectl =
        new ProcessBuilder(
            "kubectl",
            "--kubeconfig",
            kubeconfig.toString(),
            "auth",
            "whoami",
            "-o",
            "jsonpath={.status.userInfo.username}");
    Result who = finish(kubectl, dir.resolve("kubectl"));
    assertThat(who.exit()).as(who.err()).isZero();
    assertThat(who.out()).endsWith(":" + deployer);

    ProcessBuilder list = sightline(List.of("lease", "list", "--active", "-o", "json"));
    list.environment().put("SIGHTLINE_SERVER", serverUrl);
    list.environment().put("SIGHTLINE_TOKEN", adminToken);
    Result listed = finish(list, dir.resolve("list"));
    assertThat(listed.exit()).as(listed.err()).isZero();
    assertThat(listed.out()).contains(id).doesNotContain(token);

    ProcessBuilder show = sightline(List.of("lease", "show", id));
    show.environment().put("SIGHTLINE_SERVER", serverUrl);
    show.environment().put("SIGHTLINE_TOKEN", adminToken);
    Result shown = finish(show, dir.resolve("show"));
    assertThat(shown.exit()).as(shown.err()).isZero();
    assertThat(shown.out()).contains(id).doesNotContain(token);

    // no API token: the handle alone revokes
    ProcessBuilder revoke =
        sightline(List.of("lease", "revoke", id, "--handle-file", handle.toString()));
    revoke.environment().put("SIGHTLINE_SERVER", serverUrl);
    Result revoked = finish(revoke, dir.resolve("revoke"));
    assertThat(revoked.exit()).as(revoked.err()).isZero();
    assertThat(revoked.err()).contains("revoked lease " + id);
    awaitUnauthorized(token);
  }

  @Test
  @DisplayName(
      "with --export azure-pipelines, the kubeconfig the npm package"
          + " azure-pipelines-tasks-kubernetes-common builds from the endpoint variables works"
          + " with kubectl as the deployer; its token never shows and gets 401 after the run")
  void azurePipelinesTaskKubeconfig() throws Exception {
    Path project = AzurePipelinesTaskProject.install();
    Path dir = tmp.resolve("azure-pipelines");
    Path agentTemp = dir.resolve("agent-temp");
    Files.createDirectories(agentTemp);

    // the endpoint id a pipeline names is the connection's id, as connection show prints it
    ProcessBuilder show = sightline(List.of("connection", "show", "prod", "-o", "json"));
    show.environment().put("SIGHTLINE_SERVER", serverUrl);
    show.environment().put("SIGHTLINE_TOKEN", adminToken);
    Result shown = finish(show, dir.resolve("show"));
    assertThat(shown.exit()).as(shown.err()).isZero();
    String endpoint = JSON.readTree(shown.out()).path("id").asText();
    assertThat(endpoint).isNotBlank();

    // node directly, as the agent starts a task (sh, i.e. dash, would drop the variables: their
    // names contain the id's dashes); the script runs kubectl with the kubeconfig it wrote
    Path config = agentTemp.resolve("config");
    ProcessBuilder pb =
        run(
            "--export",
            "azure-pipelines",
            "--",
            AzurePipelinesTaskProject.onPath("node"),
            project.resolve("write-kubeconfig.js").toString(),
            endpoint,
            agentTemp.toString(),
            "--",
            "kubectl",
            "--kubeconfig",
            config.toString(),
            "auth",
            "whoami",
            "-o",
            "jsonpath={.status.userInfo.username}");
    pb.environment().put("AGENT_TEMPDIRECTORY", agentTemp.toString());
    Result r = finish(pb, dir);
    assertThat(r.exit()).as("out: %s%nerr: %s", r.out(), r.err()).isZero();
    assertThat(r.err())
        .contains("exported Azure Pipelines endpoint " + endpoint)
        .doesNotContain("no CA certificate");
    // kubectl's answer is the last line (task-lib's ##vso[...] lines come before it)
    List<String> lines = r.out().lines().toList();
    assertThat(lines).isNotEmpty();
    assertThat(lines.get(lines.size() - 1)).matches("system:serviceaccount:[a-z0-9-]+:" + deployer);

    // what the package wrote: the lease's token inline, the cluster's CA, no TLS shortcut
    JsonNode kubeconfig = JSON.readTree(Files.readString(config));
    assertThat(kubeconfig.at("/clusters/0/cluster/server").asText())
        .isEqualTo(String.valueOf(kube.url()));
    assertThat(kubeconfig.at("/clusters/0/cluster/insecure-skip-tls-verify").isMissingNode())
        .isTrue();
    String token = kubeconfig.at("/users/0/user/token").asText();
    assertThat(token).isNotBlank();
    String base64 = Base64.getEncoder().encodeToString(token.getBytes(StandardCharsets.UTF_8));
    // task-lib debug-logs the apiToken parameter (base64): run masks both forms
    assertThat(r.out()).contains("auth param apiToken = ***");
    assertThat(r.out() + r.err())
        .doesNotContain(token)
        .doesNotContain(base64)
        .doesNotContain(adminToken);
    assertThat(r.err()).contains("revoked lease");
    awaitUnauthorized(token);
    assertThat(lease(leaseId(r.err())).toString()).contains("revoked");
  }
}
