package io.sightline.cli.kubelogin;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.sightline.testing.azure.AksCluster;
import io.sightline.testing.azure.EntraApp;
import io.sightline.testing.azure.EntraUser;
import io.sightline.testing.azure.FakeAzure;
import io.sightline.testing.azure.FederatedCredential;
import io.sightline.testing.azure.ManagedIdentity;
import io.sightline.testing.azure.internal.Kubeconfigs;
import io.sightline.testing.kube.FakeKubeApiServer;
import io.sightline.testing.pki.TestCa;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An Entra ID AKS cluster on loopback for exec-plugin tests: the emulated Entra (every identity the
 * login modes use), an AKS cluster whose API server trusts it, the kubeconfig ARM hands out, the
 * built jar behind a {@code sightline} script, a fake {@code az}, and a fake GitHub Actions OIDC
 * token endpoint.
 */
final class EntraCluster implements AutoCloseable {
  static final Path JAR =
      Path.of(System.getProperty("sightline.jar", "target/sightline.jar")).toAbsolutePath();
  static final String TENANT = "8f3c2a10-5d1e-4b7a-9c2e-1f0a6b7c8d90";
  static final String SUB = "11111111-2222-4333-8444-555555555555";
  static final String SECRET_APP = "0a1b2c3d-1111-4111-8111-000000000001";
  static final String CERT_APP = "0a1b2c3d-2222-4222-8222-000000000002";
  static final String FED_APP = "0a1b2c3d-3333-4333-8333-000000000003";
  static final String PIPE_APP = "0a1b2c3d-7777-4777-8777-000000000007";
  static final String GH_APP = "0a1b2c3d-8888-4888-8888-000000000008";
  static final String MI_CLIENT = "0a1b2c3d-5555-4555-8555-000000000005";
  static final String GROUP = "9e9e9e9e-0000-4000-8000-000000000009";
  static final String SECRET = "s3cret-value~for.kubelogin";
  static final String PASSWORD = "correct horse battery staple";
  static final String PFX_PASSWORD = "pfx-password";
  static final String SERVICE_CONNECTION = "5c1f0d55-aaaa-4000-8000-00000000c0de";
  static final String WI_SUBJECT = "system:serviceaccount:apps:deployer";
  static final String GH_SUBJECT = "repo:contoso/web:ref:refs/heads/main";
  static final String PIPE_SUBJECT = "sc://contoso/web/aks-prod";

  final Path dir;
  final FakeAzure azure;
  final FakeKubeApiServer kube;
  final EntraUser alice;
  final ManagedIdentity mi;
  final Path caBundle;
  final Path bin;
  final Path sightline;
  final Path pem;
  final Path pfx;
  final Path azArgs;
  final HttpServer github;
  final AtomicInteger githubRequests = new AtomicInteger();
  final String githubRequestToken = "gh-request-token-" + System.nanoTime();
  final String armKubeconfig;

  EntraCluster(Path dir) throws Exception {
    this.dir = dir;
    // RSA: MSAL signs client assertions with RS256 only
    java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    java.security.KeyPair kp = g.generateKeyPair();
    org.bouncycastle.asn1.x500.X500Name subject =
        new org.bouncycastle.asn1.x500.X500Name("CN=kubelogin-cert-app");
    java.security.cert.X509Certificate certificate =
        new org.bouncycastle.cert.jcajce.JcaX509CertificateConverter()
            .getCertificate(
                new org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder(
                        subject,
                        java.math.BigInteger.valueOf(System.nanoTime()),
                        java.util.Date.from(Instant.now().minusSeconds(300)),
                        java.util.Date.from(Instant.now().plusSeconds(86400)),
                        subject,
                        kp.getPublic())
                    .build(
                        new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder(
                                "SHA256withRSA")
                            .build(kp.getPrivate())));
    alice = EntraUser.of(TENANT, "alice@contoso.example", PASSWORD, GROUP);
    mi = new ManagedIdentity(TENANT, MI_CLIENT, null, null);
    azure =
        FakeAzure.builder()
            .tenant(TENANT)
            .application(EntraApp.builder(TENANT, SECRET_APP).secret(SECRET).groups(GROUP).build())
            .application(
                EntraApp.builder(TENANT, CERT_APP).certificate(certificate).groups(GROUP).build())
            .user(alice)
            .managedIdentity(mi)
            .interactiveUser(alice.upn())
            .start();
    String issuer = azure.issuerV2(TENANT);
    azure.addApplication(
        EntraApp.builder(TENANT, FED_APP)
            .federatedCredential(FederatedCredential.of(issuer, WI_SUBJECT))
            .groups(GROUP)
            .build());
    azure.addApplication(
        EntraApp.builder(TENANT, GH_APP)
            .federatedCredential(FederatedCredential.of(issuer, GH_SUBJECT))
            .groups(GROUP)
            .build());
    azure.addApplication(
        EntraApp.builder(TENANT, PIPE_APP)
            .federatedCredential(FederatedCredential.of(issuer, PIPE_SUBJECT))
            .groups(GROUP)
            .build());
    azure.addPipelinesServiceConnection(TENANT, SERVICE_CONNECTION, PIPE_SUBJECT);
    kube = FakeKubeApiServer.builder().oidc(azure.aksOidc(TENANT)).start();
    AksCluster aks =
        AksCluster.builder(SUB, "rg-aks", "aks1").backedBy(kube).localAccountsDisabled().build();
    azure.addCluster(aks);
    kube.createObject(
        "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"ClusterRoleBinding\","
            + "\"metadata\":{\"name\":\"aad-viewers\"},"
            + "\"roleRef\":{\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"ClusterRole\","
            + "\"name\":\"view\"},"
            + "\"subjects\":[{\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"Group\",\"name\":\""
            + GROUP
            + "\"},{\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"User\",\"name\":\""
            + mi.objectId()
            + "\"}]}");
    armKubeconfig = Kubeconfigs.user(aks, TENANT, Kubeconfigs.UserFormat.EXEC);

    caBundle = azure.writeCaBundle(dir.resolve("azure-ca.pem"));
    pem = dir.resolve("client.pem");
    Files.writeString(
        pem, TestCa.pem(kp.getPrivate()) + TestCa.pem(certificate), StandardCharsets.US_ASCII);
    pfx = dir.resolve("client.pfx");
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry(
        "key", kp.getPrivate(), PFX_PASSWORD.toCharArray(), new Certificate[] {certificate});
    try (OutputStream out = Files.newOutputStream(pfx)) {
      ks.store(out, PFX_PASSWORD.toCharArray());
    }

    bin = Files.createDirectories(dir.resolve("bin"));
    sightline = bin.resolve("sightline");
    script(
        sightline,
        "#!/bin/sh\nexec java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto -jar '"
            + JAR
            + "' \"$@\"\n");
    azArgs = dir.resolve("az-args.txt");
    String cliToken =
        azure.userToken(
            TENANT, AksCluster.AZURE_CLI_CLIENT_ID, alice.upn(), AksCluster.AKS_SERVER_APP_ID);
    script(
        bin.resolve("az"),
        "#!/bin/sh\necho \"$@\" >> '"
            + azArgs
            + "'\nprintf '{\"accessToken\":\"%s\",\"expires_on\":%s,\"tokenType\":\"Bearer\"}\\n' '"
            + cliToken
            + "' "
            + (Instant.now().getEpochSecond() + 3600)
            + "\n");
    script(
        bin.resolve("browser"),
        "#!/bin/sh\ncurl -s -L --cacert '"
            + caBundle
            + "' \"$1\" > '"
            + dir.resolve("browser.html")
            + "'\n");

    github = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    github.createContext(
        "/token",
        ex -> {
          ex.getRequestBody().readAllBytes();
          String auth = ex.getRequestHeaders().getFirst("Authorization");
          String query = ex.getRequestURI().getRawQuery();
          byte[] body;
          int status;
          if (("bearer " + githubRequestToken).equalsIgnoreCase(auth)
              && query != null
              && query.contains("audience=api%3A%2F%2FAzureADTokenExchange")) {
            githubRequests.incrementAndGet();
            body =
                ("{\"count\":1,\"value\":\"" + assertion(GH_SUBJECT, 300) + "\"}")
                    .getBytes(StandardCharsets.UTF_8);
            status = 200;
          } else {
            body = "{\"message\":\"Bad credentials\"}".getBytes(StandardCharsets.UTF_8);
            status = 401;
          }
          ex.getResponseHeaders().set("Content-Type", "application/json");
          ex.sendResponseHeaders(status, body.length);
          try (OutputStream o = ex.getResponseBody()) {
            o.write(body);
          }
        });
    github.start();
  }

  /** A federated assertion signed by the emulated Entra's own issuer (as AKS or a CI would). */
  String assertion(String subject, long lifetimeSeconds) {
    Instant now = Instant.now();
    Map<String, Object> claims = new LinkedHashMap<>();
    claims.put("iss", azure.issuerV2(TENANT));
    claims.put("sub", subject);
    claims.put("aud", FederatedCredential.TOKEN_EXCHANGE_AUDIENCE);
    claims.put("iat", now.getEpochSecond());
    claims.put("nbf", now.getEpochSecond());
    claims.put("exp", now.getEpochSecond() + lifetimeSeconds);
    claims.put("jti", java.util.UUID.randomUUID().toString());
    return azure.sign(claims);
  }

  String githubUrl() {
    return "http://127.0.0.1:" + github.getAddress().getPort() + "/token?api-version=2.0";
  }

  /** The environment every exec-plugin call gets: the emulator as authority, its CA, a cache. */
  Map<String, String> env(Path cacheDir) {
    Map<String, String> env = new HashMap<>();
    env.put("PATH", bin + ":" + System.getenv("PATH"));
    env.put("HOME", dir.toString());
    env.put("SSL_CERT_FILE", caBundle.toString());
    env.put("AZURE_AUTHORITY_HOST", azure.authorityHost());
    env.put("KUBECACHEDIR", cacheDir.toString());
    return env;
  }

  /** A copy of ARM's kubeconfig converted to {@code mode} by the jar. */
  Path converted(String name, String mode, String... extra) throws Exception {
    Path file = dir.resolve(name + ".yaml");
    Files.writeString(file, armKubeconfig);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "kubelogin",
                "convert-kubeconfig",
                "--kubeconfig",
                file.toString(),
                "-l",
                mode,
                "--command",
                sightline.toString()));
    cmd.addAll(List.of(extra));
    Result r = sightline(Map.of("HOME", dir.toString()), cmd.toArray(String[]::new));
    assertThat(r.exit()).as("convert-kubeconfig: %s", r.err()).isZero();
    return file;
  }

  record Result(int exit, String out, String err, long millis) {}

  Result sightline(Map<String, String> env, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(sightline.toString()));
    cmd.addAll(List.of(args));
    return run(cmd, env, 120);
  }

  Result kubectl(Path kubeconfig, Map<String, String> env, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("kubectl", "--kubeconfig", kubeconfig.toString()));
    cmd.addAll(List.of(args));
    return run(cmd, env, 180);
  }

  static Result run(List<String> cmd, Map<String, String> env, int timeoutSeconds)
      throws Exception {
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().clear();
    pb.environment().putAll(env);
    if (!env.containsKey("PATH")) {
      pb.environment().put("PATH", System.getenv("PATH"));
    }
    long start = System.nanoTime();
    Process p =
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
    var out = java.util.concurrent.CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
    var err = java.util.concurrent.CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(cmd + " did not finish within " + timeoutSeconds + " s");
    }
    return new Result(
        p.exitValue(), out.join(), err.join(), (System.nanoTime() - start) / 1_000_000);
  }

  Process start(List<String> cmd, Map<String, String> env) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().clear();
    pb.environment().putAll(env);
    return pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
  }

  static String read(java.io.InputStream in) {
    try (in) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (java.io.IOException e) {
      return "";
    }
  }

  private static void script(Path file, String text) throws Exception {
    Files.writeString(file, text);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwx------"));
  }

  @Override
  public void close() {
    github.stop(0);
    kube.close();
    azure.close();
  }
}
