package io.sightline.it.run;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sightline.it.ServerFixture;
import io.sightline.testing.azure.FakeAzure;
import io.sightline.testing.kube.FakeKubeApiServer;
import io.sightline.testing.oidc.FakeOidcIssuer;
import java.io.ByteArrayInputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A GitHub Actions job's own identity, end to end with the built jar: the server trusts a CI issuer
 * (a real OIDC issuer over loopback HTTPS), {@code sightline run} gets the job's ID token from a
 * fake of GitHub's token-request endpoint ({@code ACTIONS_ID_TOKEN_REQUEST_URL}/{@code _TOKEN}),
 * takes a lease with it, and real {@code kubectl auth whoami} runs as the deployer — once the
 * connection permits that pipeline.
 */
class PipelineIdentityIT {
  static final Path JAR = RunIT.JAR;
  static final ObjectMapper JSON = new ObjectMapper();
  static final String AUDIENCE = "https://sightline.example.com";

  @TempDir static Path tmp;
  static FakeKubeApiServer kube;
  static FakeOidcIssuer github;
  static FakeAzure azure;
  static FakeOidcIssuer gitlab;
  static final String TENANT = "72f988bf-0000-4000-8000-000000000001";
  static final String ADO_PREFIX = "/eid1/c/pub/t/v4j5cvGGr0GRqy180BHbRw/a/AAAA/sc/org-1/";
  static final String ADO_CONNECTION = "5b3c6ad4-0000-4000-8000-00000000000a";
  static Process server;
  static String serverUrl;
  static String adminToken;
  static String deployer;
  static Path trustStore;
  static HttpClient http = HttpClient.newHttpClient();

  record Result(int exit, String out, String err) {}

  static ProcessBuilder sightline(List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-XX:+UseSerialGC");
    cmd.add("-XX:TieredStopAtLevel=1");
    // the CLI fetches the job's ID token over HTTPS from the fake GitHub endpoint
    cmd.add("-Djavax.net.ssl.trustStore=" + trustStore);
    cmd.add("-Djavax.net.ssl.trustStorePassword=changeit");
    cmd.add("-jar");
    cmd.add(JAR.toString());
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment()
        .keySet()
        .removeIf(
            k -> k.startsWith("SIGHTLINE_") || k.equals("KUBECONFIG") || k.startsWith("ACTIONS_"));
    pb.environment().put("HOME", tmp.resolve("home").toString());
    return pb;
  }

  @BeforeAll
  static void start() throws Exception {
    kube = FakeKubeApiServer.builder().version("1.30").start();
    github =
        FakeOidcIssuer.start()
            .gitHubClaims(
                Map.of(
                    "sub", "repo:org/app:ref:refs/heads/main",
                    "repository", "org/app",
                    "ref", "refs/heads/main",
                    "run_id", "987654",
                    "job_workflow_ref", "org/app/.github/workflows/deploy.yml@refs/heads/main"));
    gitlab = FakeOidcIssuer.start();
    azure = FakeAzure.builder().tenant(TENANT).start();
    azure.addPipelinesServiceConnection(TENANT, ADO_CONNECTION, ADO_PREFIX + ADO_CONNECTION);
    Path caFile = tmp.resolve("ci-cas.pem");
    Files.writeString(
        caFile, github.caPem() + azure.caPem() + gitlab.caPem(), StandardCharsets.US_ASCII);
    trustStore = tmp.resolve("truststore.p12");
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setCertificateEntry(
        "fake-github",
        CertificateFactory.getInstance("X.509")
            .generateCertificate(
                new ByteArrayInputStream(github.caPem().getBytes(StandardCharsets.US_ASCII))));
    ks.setCertificateEntry("fake-azure", azure.caCertificate());
    try (OutputStream out = Files.newOutputStream(trustStore)) {
      ks.store(out, "changeit".toCharArray());
    }

    int port = ServerFixture.freePort();
    ProcessBuilder pb =
        sightline(
            List.of("server", "--port", "" + port, "--data-dir", tmp.resolve("data").toString()));
    pb.environment().put("SIGHTLINE_TRUST_CA_FILE", caFile.toString());
    ServerFixture.Started s = ServerFixture.start(pb, port, tmp.resolve("server.err"), http);
    server = s.process();
    serverUrl = s.url();
    adminToken = s.adminToken();
    deployer = ServerFixture.createProd(http, s, kube);
  }

  @AfterAll
  static void stop() throws Exception {
    ServerFixture.stop(server, kube, github, azure, gitlab);
  }

  static Result finish(ProcessBuilder pb, Path dir) throws Exception {
    Files.createDirectories(dir);
    Process p =
        pb.redirectOutput(dir.resolve("out").toFile())
            .redirectError(dir.resolve("err").toFile())
            .start();
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("sightline finished").isTrue();
    return new Result(
        p.exitValue(), RunIT.read(dir.resolve("out")), RunIT.read(dir.resolve("err")));
  }

  /** A CLI command as the admin. */
  static Result admin(Path dir, String... args) throws Exception {
    ProcessBuilder pb = sightline(List.of(args));
    pb.environment().put("SIGHTLINE_SERVER", serverUrl);
    pb.environment().put("SIGHTLINE_TOKEN", adminToken);
    return finish(pb, dir);
  }

  /** {@code sightline run} as a GitHub Actions job: no Sightline token, only the job's identity. */
  static ProcessBuilder gitHubJob(String... command) {
    List<String> a =
        new ArrayList<>(
            List.of("run", "--connection", "prod", "-n", "web", "--audience", AUDIENCE, "--"));
    a.addAll(List.of(command));
    ProcessBuilder pb = sightline(a);
    pb.environment().put("SIGHTLINE_SERVER", serverUrl);
    pb.environment().put("ACTIONS_ID_TOKEN_REQUEST_URL", github.gitHubRequestUrl());
    pb.environment().put("ACTIONS_ID_TOKEN_REQUEST_TOKEN", github.gitHubRequestToken());
    pb.environment().put("GITHUB_RUN_ID", "987654");
    return pb;
  }

  @Test
  @DisplayName(
      "a GitHub Actions job runs kubectl auth whoami as the deployer with its own ID token, once"
          + " the connection permits its pipeline; the audit names the pipeline")
  void gitHubJobTakesALeaseWithItsIdToken() throws Exception {
    Result trust =
        admin(
            tmp.resolve("trust-add"),
            "trust",
            "add",
            "--preset",
            "github",
            "--issuer",
            github.issuer(),
            "--audience",
            AUDIENCE);
    assertThat(trust.exit()).as(trust.err()).isZero();
    assertThat(trust.err()).contains("github:<repository>@<ref>");
    Result list = admin(tmp.resolve("trust-list"), "trust", "list");
    assertThat(list.out()).contains("github").contains(github.issuer()).contains(AUDIENCE);

    Result denied = finish(gitHubJob("kubectl", "auth", "whoami"), tmp.resolve("run-denied"));
    assertThat(denied.exit()).as(denied.err()).isEqualTo(1);
    assertThat(denied.err())
        .contains("using GitHub Actions ID token")
        .contains("pipeline github:org/app@refs/heads/main may not use connection prod");

    Result permit =
        admin(
            tmp.resolve("permit"),
            "connection",
            "permit",
            "prod",
            "--pipeline",
            "github:org/app@refs/heads/main");
    assertThat(permit.exit()).as(permit.err()).isZero();
    assertThat(permit.out()).contains("github:org/app@refs/heads/main");

    Result r =
        finish(
            gitHubJob("kubectl", "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"),
            tmp.resolve("run"));
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out().strip()).matches("system:serviceaccount:[a-z0-9-]+:" + deployer);
    assertThat(r.err()).contains("using GitHub Actions ID token").contains("revoked lease");
    String leaseId = RunIT.leaseId(r.err());

    HttpResponse<String> lease =
        http.send(
            HttpRequest.newBuilder(URI.create(serverUrl + "/api/v1/leases/" + leaseId))
                .header("Authorization", "Bearer " + adminToken)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    JsonNode view = JSON.readTree(lease.body());
    assertThat(view.get("state").asText()).isEqualTo("revoked");
    assertThat(view.at("/pipelineIdentity/identity").asText())
        .isEqualTo("github:org/app@refs/heads/main");
    assertThat(view.at("/pipelineIdentity/claims/run_id").asText()).isEqualTo("987654");

    HttpResponse<String> audit =
        http.send(
            HttpRequest.newBuilder(
                    URI.create(serverUrl + "/api/v1/audit?action=lease.issue&limit=100"))
                .header("Authorization", "Bearer " + adminToken)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(audit.body())
        .contains(leaseId)
        .contains("repo:org/app:ref:refs/heads/main")
        .contains("org/app/.github/workflows/deploy.yml@refs/heads/main");
    String serverLog = RunIT.read(tmp.resolve("server.err"));
    assertThat(serverLog + r.out() + r.err() + denied.err())
        .doesNotContainPattern("eyJ[A-Za-z0-9_-]{10,}\\.eyJ");
  }

  @Test
  @DisplayName(
      "an Azure Pipelines job with an Entra-issued service connection token takes a lease once the"
          + " trust pins its organization's subject prefix")
  void azurePipelinesJobTakesALeaseWithItsIdToken() throws Exception {
    Result unpinned =
        admin(
            tmp.resolve("ado-unpinned"),
            "trust",
            "add",
            "--preset",
            "azure-devops",
            "--name",
            "ado",
            "--issuer",
            azure.issuerV2(TENANT));
    assertThat(unpinned.exit()).isEqualTo(1);
    assertThat(unpinned.err()).contains("must pin the subject").contains("subjectPrefix");
    Result trust =
        admin(
            tmp.resolve("ado-trust"),
            "trust",
            "add",
            "--preset",
            "azure-devops",
            "--name",
            "ado",
            "--issuer",
            azure.issuerV2(TENANT),
            "--subject-prefix",
            ADO_PREFIX);
    assertThat(trust.exit()).as(trust.err()).isZero();
    Result permit =
        admin(
            tmp.resolve("ado-permit"), "connection", "permit", "prod", "--pipeline", "ado:org-1/*");
    assertThat(permit.exit()).as(permit.err()).isZero();

    ProcessBuilder pb =
        sightline(
            List.of(
                "run",
                "--connection",
                "prod",
                "-n",
                "web",
                "--azure-devops-service-connection",
                ADO_CONNECTION,
                "--",
                "kubectl",
                "auth",
                "whoami",
                "-o",
                "jsonpath={.status.userInfo.username}"));
    pb.environment().put("SIGHTLINE_SERVER", serverUrl);
    pb.environment().put("SYSTEM_OIDCREQUESTURI", azure.pipelinesOidcRequestUri());
    pb.environment().put("SYSTEM_ACCESSTOKEN", azure.pipelinesSystemAccessToken());
    Result r = finish(pb, tmp.resolve("ado-run"));
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out().strip()).matches("system:serviceaccount:[a-z0-9-]+:" + deployer);
    assertThat(r.err()).contains("using Azure Pipelines ID token for service connection");
    HttpResponse<String> lease =
        http.send(
            HttpRequest.newBuilder(
                    URI.create(serverUrl + "/api/v1/leases/" + RunIT.leaseId(r.err())))
                .header("Authorization", "Bearer " + adminToken)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(JSON.readTree(lease.body()).at("/pipelineIdentity/identity").asText())
        .isEqualTo("ado:org-1/" + ADO_CONNECTION);
  }

  @Test
  @DisplayName(
      "a GitLab job's ID token from id_tokens (SIGHTLINE_ID_TOKEN) or from --id-token-file takes a"
          + " lease as project_path@refs/heads/<ref>")
  void gitLabJobTakesALeaseWithItsIdToken() throws Exception {
    Result trust =
        admin(
            tmp.resolve("gl-trust"),
            "trust",
            "add",
            "--preset",
            "gitlab",
            "--issuer",
            gitlab.issuer(),
            "--audience",
            AUDIENCE);
    assertThat(trust.exit()).as(trust.err()).isZero();
    Result permit =
        admin(
            tmp.resolve("gl-permit"),
            "connection",
            "permit",
            "prod",
            "--pipeline",
            "gitlab:group/**@refs/heads/main");
    assertThat(permit.exit()).as(permit.err()).isZero();
    Map<String, Object> claims =
        Map.of(
            "project_path", "group/sub/app",
            "ref", "main",
            "ref_type", "branch",
            "pipeline_id", "555",
            "pipeline_source", "push");
    String sub = "project_path:group/sub/app:ref_type:branch:ref:main";

    List<String> run =
        List.of(
            "run",
            "--connection",
            "prod",
            "-n",
            "web",
            "--",
            "kubectl",
            "auth",
            "whoami",
            "-o",
            "jsonpath={.status.userInfo.username}");
    ProcessBuilder fromEnv = sightline(run);
    fromEnv.environment().put("SIGHTLINE_SERVER", serverUrl);
    fromEnv.environment().put("SIGHTLINE_ID_TOKEN", gitlab.token(sub, AUDIENCE, claims));
    Result r = finish(fromEnv, tmp.resolve("gl-env"));
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out().strip()).matches("system:serviceaccount:[a-z0-9-]+:" + deployer);
    assertThat(r.err()).contains("GitLab ID token from $SIGHTLINE_ID_TOKEN");

    Path file = tmp.resolve("gl-id-token");
    Files.writeString(file, gitlab.token(sub, AUDIENCE, claims));
    List<String> withFile = new ArrayList<>(run);
    withFile.addAll(1, List.of("--id-token-file", file.toString()));
    ProcessBuilder fromFile = sightline(withFile);
    fromFile.environment().put("SIGHTLINE_SERVER", serverUrl);
    Result f = finish(fromFile, tmp.resolve("gl-file"));
    assertThat(f.exit()).as(f.err()).isZero();
    assertThat(f.err()).contains("ID token from " + file);
    HttpResponse<String> lease =
        http.send(
            HttpRequest.newBuilder(
                    URI.create(serverUrl + "/api/v1/leases/" + RunIT.leaseId(f.err())))
                .header("Authorization", "Bearer " + adminToken)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    JsonNode view = JSON.readTree(lease.body());
    assertThat(view.at("/pipelineIdentity/identity").asText())
        .isEqualTo("gitlab:group/sub/app@refs/heads/main");
    assertThat(view.at("/pipelineIdentity/claims/pipeline_id").asText()).isEqualTo("555");
  }
}
