package io.sightline.cli.kubelogin;

import static io.sightline.cli.kubelogin.EntraCluster.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.sightline.testing.azure.AksCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real kubectl against an emulated Entra ID AKS cluster, with ARM's kubeconfig converted by {@code
 * sightline kubelogin convert-kubeconfig} and the built jar as the exec plugin, in every login
 * mode.
 */
class KubeloginIT {
  @TempDir static Path dir;
  static EntraCluster c;

  @BeforeAll
  static void start() throws Exception {
    c = new EntraCluster(dir);
  }

  @AfterAll
  static void stop() {
    c.close();
  }

  private static Path cache(String name) throws Exception {
    return Files.createDirectories(dir.resolve("cache-" + name));
  }

  private static void listsNamespaces(Path kubeconfig, Map<String, String> env) throws Exception {
    EntraCluster.Result r = c.kubectl(kubeconfig, env, "get", "namespaces", "-o", "name");
    assertThat(r.exit()).as("kubectl: %s", r.err()).isZero();
    assertThat(r.out()).contains("namespace/default").contains("namespace/kube-system");
  }

  private static void holdsNoSecret(Path kubeconfig) throws Exception {
    String text = Files.readString(kubeconfig);
    assertThat(text)
        .doesNotContain(SECRET)
        .doesNotContain(PASSWORD)
        .doesNotContain(PFX_PASSWORD)
        .doesNotContain("client-secret")
        .doesNotContain("--password");
  }

  @Test
  @DisplayName(
      "spn with a client secret from the environment: kubectl lists namespaces, the file holds no secret")
  void spnSecret() throws Exception {
    Path kc = c.converted("spn-secret", "spn");
    holdsNoSecret(kc);
    assertThat(Files.readString(kc))
        .contains("- kubelogin")
        .contains("- spn")
        .contains(c.sightline.toString());
    Map<String, String> env = c.env(cache("spn-secret"));
    env.put("AZURE_CLIENT_ID", SECRET_APP);
    env.put("AZURE_CLIENT_SECRET", SECRET);
    long before = c.azure.requestCount("client_credentials", SECRET_APP);
    listsNamespaces(kc, env);
    listsNamespaces(kc, env);
    assertThat(c.azure.requestCount("client_credentials", SECRET_APP) - before)
        .as("token fetches for two kubectl calls (the second is served from the cache)")
        .isEqualTo(1);
  }

  @Test
  @DisplayName("spn with a PEM certificate, and with a PFX and its password")
  void spnCertificates() throws Exception {
    Path pemKc = c.converted("spn-pem", "spn", "--client-certificate", c.pem.toString());
    Map<String, String> env = c.env(cache("spn-pem"));
    env.put("AAD_SERVICE_PRINCIPAL_CLIENT_ID", CERT_APP);
    listsNamespaces(pemKc, env);

    Path pfxKc = c.converted("spn-pfx", "spn", "--client-certificate", c.pfx.toString());
    holdsNoSecret(pfxKc);
    Map<String, String> pfxEnv = c.env(cache("spn-pfx"));
    pfxEnv.put("AZURE_CLIENT_ID", CERT_APP);
    pfxEnv.put("AZURE_CLIENT_CERTIFICATE_PASSWORD", PFX_PASSWORD);
    listsNamespaces(pfxKc, pfxEnv);
  }

  @Test
  @DisplayName("workloadidentity with a federated token file")
  void workloadIdentityFile() throws Exception {
    Path token = dir.resolve("wi-token");
    Files.writeString(token, c.assertion(WI_SUBJECT, 3600));
    Path kc = c.converted("wi", "workloadidentity");
    Map<String, String> env = c.env(cache("wi"));
    env.put("AZURE_CLIENT_ID", FED_APP);
    env.put("AZURE_TENANT_ID", TENANT);
    env.put("AZURE_FEDERATED_TOKEN_FILE", token.toString());
    listsNamespaces(kc, env);
  }

  @Test
  @DisplayName(
      "workloadidentity in GitHub Actions asks GitHub for a fresh ID token on every sign-in")
  void workloadIdentityGitHub() throws Exception {
    Path kc = c.converted("gh", "workloadidentity");
    Path cacheDir = cache("gh");
    Map<String, String> env = c.env(cacheDir);
    env.put("AZURE_CLIENT_ID", GH_APP);
    env.put("ACTIONS_ID_TOKEN_REQUEST_URL", c.githubUrl());
    env.put("ACTIONS_ID_TOKEN_REQUEST_TOKEN", c.githubRequestToken);
    int before = c.githubRequests.get();
    listsNamespaces(kc, env);
    assertThat(c.githubRequests.get() - before).isEqualTo(1);
    // the cached token is gone (e.g. it expired): the next sign-in presents a new GitHub token
    EntraCluster.Result rm = c.sightline(env, "kubelogin", "remove-tokens");
    assertThat(rm.err()).contains("removed 1 cached token");
    listsNamespaces(kc, env);
    assertThat(c.githubRequests.get() - before).isEqualTo(2);
  }

  @Test
  @DisplayName("msi through the App Service identity endpoint, not cached by default")
  void managedIdentity() throws Exception {
    Path kc = c.converted("msi", "msi");
    Path cacheDir = cache("msi");
    Map<String, String> env = c.env(cacheDir);
    env.putAll(c.azure.managedIdentityEnvironment());
    listsNamespaces(kc, env);
    Path tokens = cacheDir.resolve("sightline");
    if (Files.exists(tokens)) {
      try (Stream<Path> files = Files.list(tokens)) {
        assertThat(files.map(p -> p.getFileName().toString()).filter(f -> f.endsWith(".token")))
            .as("msi tokens are not cached")
            .isEmpty();
      }
    }
  }

  @Test
  @DisplayName("azurecli asks `az account get-access-token` for the server id, every time")
  void azureCli() throws Exception {
    Path kc = c.converted("azcli", "azurecli");
    Map<String, String> env = c.env(cache("azcli"));
    listsNamespaces(kc, env);
    listsNamespaces(kc, env);
    List<String> calls = Files.readAllLines(c.azArgs);
    assertThat(calls).hasSizeGreaterThanOrEqualTo(2);
    assertThat(calls.get(0))
        .startsWith("account get-access-token --resource " + AksCluster.AKS_SERVER_APP_ID);
  }

  @Test
  @DisplayName("azurepipelines exchanges the job's OIDC token for the service connection")
  void azurePipelines() throws Exception {
    Path kc = c.converted("pipelines", "azurepipelines");
    Map<String, String> env = c.env(cache("pipelines"));
    env.put("AZURESUBSCRIPTION_CLIENT_ID", PIPE_APP);
    env.put("AZURESUBSCRIPTION_TENANT_ID", TENANT);
    env.put("AZURESUBSCRIPTION_SERVICE_CONNECTION_ID", SERVICE_CONNECTION);
    env.put("SYSTEM_ACCESSTOKEN", c.azure.pipelinesSystemAccessToken());
    env.put("SYSTEM_OIDCREQUESTURI", c.azure.pipelinesOidcRequestUri());
    listsNamespaces(kc, env);
  }

  @Test
  @DisplayName(
      "ropc signs in once, then refreshes silently with the cached refresh token when the token expired")
  void ropcThenRefresh() throws Exception {
    Path kc = c.converted("ropc", "ropc");
    holdsNoSecret(kc);
    Path cacheDir = cache("ropc");
    Map<String, String> env = c.env(cacheDir);
    env.put("AAD_USER_PRINCIPAL_NAME", c.alice.upn());
    env.put("AAD_USER_PRINCIPAL_PASSWORD", PASSWORD);
    long passwords = c.azure.requestCount("password", AksCluster.AKS_CLIENT_APP_ID);
    long refreshes = c.azure.requestCount("refresh_token", AksCluster.AKS_CLIENT_APP_ID);
    listsNamespaces(kc, env);
    assertThat(c.azure.requestCount("password", AksCluster.AKS_CLIENT_APP_ID) - passwords)
        .isEqualTo(1);

    expireCachedEntry(cacheDir, kc, env);
    listsNamespaces(kc, env);
    assertThat(c.azure.requestCount("refresh_token", AksCluster.AKS_CLIENT_APP_ID) - refreshes)
        .as("the expired token was refreshed with the refresh token")
        .isEqualTo(1);
    assertThat(c.azure.requestCount("password", AksCluster.AKS_CLIENT_APP_ID) - passwords)
        .as("no second password sign-in")
        .isEqualTo(1);
  }

  @Test
  @DisplayName("an expired spn token in the cache is replaced by a fresh one")
  void expiredTokenIsRefreshed() throws Exception {
    Path kc = c.converted("spn-expired", "spn");
    Path cacheDir = cache("spn-expired");
    Map<String, String> env = c.env(cacheDir);
    env.put("AZURE_CLIENT_ID", SECRET_APP);
    env.put("AZURE_CLIENT_SECRET", SECRET);
    listsNamespaces(kc, env);
    long before = c.azure.requestCount("client_credentials", SECRET_APP);
    TokenCache.Entry expired = expireCachedEntry(cacheDir, kc, env);
    listsNamespaces(kc, env);
    assertThat(c.azure.requestCount("client_credentials", SECRET_APP) - before).isEqualTo(1);
    TokenCache.Entry now = new TokenCache(cacheDir.resolve("sightline")).read(key(kc, env));
    assertThat(now.expiresAt()).isAfter(Instant.now().plus(Duration.ofMinutes(30)));
    assertThat(now.token()).isNotEqualTo(expired.token());
  }

  /** Rewrites the kubeconfig's cache entry as expired a minute ago (refresh token kept). */
  private static TokenCache.Entry expireCachedEntry(Path cacheDir, Path kc, Map<String, String> env)
      throws Exception {
    TokenCache cache = new TokenCache(cacheDir.resolve("sightline"));
    String key = key(kc, env);
    TokenCache.Entry e = cache.read(key);
    assertThat(e).as("a cached entry for %s", kc).isNotNull();
    TokenCache.Entry expired =
        new TokenCache.Entry(e.token(), Instant.now().minusSeconds(60), e.refreshToken());
    cache.write(key, expired);
    return expired;
  }

  /** The cache key the plugin computes for the kubeconfig's exec arguments in {@code env}. */
  private static String key(Path kc, Map<String, String> env) throws Exception {
    List<String> args = new ArrayList<>();
    boolean in = false;
    for (String line : Files.readAllLines(kc)) {
      String t = line.trim();
      if (t.equals("args:")) {
        in = true;
        continue;
      }
      if (in && t.startsWith("- ")) {
        args.add(t.substring(2).replace("'", "").replace("\"", ""));
      } else if (in) {
        break;
      }
    }
    assertThat(args.subList(0, 2)).containsExactly("kubelogin", "get-token");
    return GetTokenOptions.parse(args.subList(2, args.size()).toArray(String[]::new), env)
        .cacheKey();
  }

  @Test
  @DisplayName("devicecode prints the sign-in message and finishes when the user approves")
  void deviceCode() throws Exception {
    Path kc = c.converted("devicecode", "devicecode");
    Map<String, String> env = c.env(cache("devicecode"));
    Process p =
        c.start(List.of("kubectl", "--kubeconfig", kc.toString(), "get", "ns", "-o", "name"), env);
    var out =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () -> EntraCluster.read(p.getInputStream()));
    var err =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () -> EntraCluster.read(p.getErrorStream()));
    String userCode = c.azure.awaitDeviceCode(Duration.ofSeconds(60));
    c.azure.approveDeviceCode(userCode, c.alice.upn());
    assertThat(p.waitFor(90, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("kubectl: %s", err.join()).isZero();
    assertThat(out.join()).contains("namespace/default");
    assertThat(err.join()).contains("enter the code " + userCode);
  }

  @Test
  @DisplayName(
      "interactive opens the browser, whose redirect reaches the plugin's loopback listener")
  void interactive() throws Exception {
    Path kc = c.converted("interactive", "interactive");
    Map<String, String> env = c.env(cache("interactive"));
    env.put("BROWSER", c.bin.resolve("browser").toString());
    long before = c.azure.requestCount("authorization_code", AksCluster.AKS_CLIENT_APP_ID);
    listsNamespaces(kc, env);
    assertThat(c.azure.requestCount("authorization_code", AksCluster.AKS_CLIENT_APP_ID) - before)
        .isEqualTo(1);
    assertThat(Files.readString(dir.resolve("browser.html"))).contains("Signed in");
  }

  @Test
  @DisplayName(
      "20 kubectl processes at once fetch one token and leave an intact 0600 cache in a 0700 directory")
  void parallelKubectlFetchOnce() throws Exception {
    Path kc = c.converted("parallel", "spn");
    Path cacheRoot = cache("parallel");
    Path cacheDir = cacheRoot.resolve("sightline"); // created by the plugin
    Map<String, String> env = c.env(cacheRoot);
    env.put("AZURE_CLIENT_ID", SECRET_APP);
    env.put("AZURE_CLIENT_SECRET", SECRET);
    env.put("AZURE_TENANT_ID", TENANT);
    long before = c.azure.requestCount("client_credentials", SECRET_APP);
    List<Process> ps = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      ps.add(
          c.start(
              List.of("kubectl", "--kubeconfig", kc.toString(), "get", "ns", "-o", "name"), env));
    }
    List<java.util.concurrent.CompletableFuture<String>> outs = new ArrayList<>();
    List<java.util.concurrent.CompletableFuture<String>> errs = new ArrayList<>();
    for (Process p : ps) {
      outs.add(
          java.util.concurrent.CompletableFuture.supplyAsync(
              () -> EntraCluster.read(p.getInputStream())));
      errs.add(
          java.util.concurrent.CompletableFuture.supplyAsync(
              () -> EntraCluster.read(p.getErrorStream())));
    }
    for (int i = 0; i < ps.size(); i++) {
      assertThat(ps.get(i).waitFor(240, TimeUnit.SECONDS)).isTrue();
      assertThat(ps.get(i).exitValue()).as("kubectl %d: %s", i, errs.get(i).join()).isZero();
      assertThat(outs.get(i).join()).contains("namespace/default");
    }
    assertThat(c.azure.requestCount("client_credentials", SECRET_APP) - before)
        .as("token fetches by 20 parallel kubectl processes")
        .isEqualTo(1);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(cacheDir)))
        .isEqualTo("rwx------");
    List<Path> files;
    try (Stream<Path> s = Files.list(cacheDir)) {
      files = s.toList();
    }
    assertThat(
            files.stream().map(p -> p.getFileName().toString()).filter(f -> f.endsWith(".token")))
        .hasSize(1);
    assertThat(files.stream().map(p -> p.getFileName().toString()).filter(f -> f.endsWith(".tmp")))
        .isEmpty();
    for (Path f : files) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f)))
          .as("%s", f.getFileName())
          .isEqualTo("rw-------");
      assertThat(Files.readString(f, java.nio.charset.StandardCharsets.ISO_8859_1))
          .as("%s holds no readable token", f.getFileName())
          .doesNotContain("eyJ");
    }
    assertThat(new TokenCache(cacheDir).read(key(kc, env)).expiresAt()).isAfter(Instant.now());
  }

  @Test
  @DisplayName(
      "a wrong client secret fails at once with one stderr line naming AADSTS7000215 and the fix")
  void wrongSecret() throws Exception {
    Map<String, String> env = c.env(cache("wrong"));
    env.put("AZURE_CLIENT_SECRET", "not-the-secret");
    EntraCluster.Result r =
        c.sightline(
            env,
            "kubelogin",
            "get-token",
            "-l",
            "spn",
            "--server-id",
            AksCluster.AKS_SERVER_APP_ID,
            "--client-id",
            SECRET_APP,
            "--tenant-id",
            TENANT);
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(r.err().strip().lines()).hasSize(1);
    assertThat(r.err())
        .contains("AADSTS7000215")
        .contains("client secret is wrong")
        .doesNotContain("not-the-secret");
    assertThat(r.millis()).isLessThan(20_000);
  }

  @Test
  @DisplayName("an EC certificate key is refused with a message saying Entra needs RSA")
  void ecCertificateKeyIsExplained() throws Exception {
    java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("EC");
    g.initialize(256);
    Path ec = dir.resolve("ec.pem");
    Files.writeString(
        ec,
        io.sightline.testing.pki.TestCa.pem(g.generateKeyPair().getPrivate())
            + Files.readString(c.pem)
                .substring(Files.readString(c.pem).indexOf("-----BEGIN CERTIFICATE")));
    EntraCluster.Result r =
        c.sightline(
            c.env(cache("ec")),
            "kubelogin",
            "get-token",
            "-l",
            "spn",
            "--server-id",
            AksCluster.AKS_SERVER_APP_ID,
            "--client-id",
            CERT_APP,
            "--tenant-id",
            TENANT,
            "--client-certificate",
            ec.toString());
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err().strip().lines()).hasSize(1);
    assertThat(r.err()).contains("is not an RSA key");
  }

  @Test
  @DisplayName("a stalled Entra token endpoint fails after --timeout with one line, never hangs")
  void stalledEntraTimesOut() throws Exception {
    Map<String, String> env = c.env(cache("stalled"));
    env.put("AZURE_CLIENT_SECRET", SECRET);
    c.azure.stallTokenEndpoint(true);
    try {
      EntraCluster.Result r =
          c.sightline(
              env,
              "kubelogin",
              "get-token",
              "-l",
              "spn",
              "--server-id",
              AksCluster.AKS_SERVER_APP_ID,
              "--client-id",
              SECRET_APP,
              "--tenant-id",
              TENANT,
              "--timeout",
              "3s");
      assertThat(r.exit()).isEqualTo(1);
      assertThat(r.out()).isEmpty();
      assertThat(r.err().strip().lines()).hasSize(1);
      assertThat(r.err()).contains("did not answer within 3000 ms");
      assertThat(r.millis()).isLessThan(15_000);
    } finally {
      c.azure.stallTokenEndpoint(false);
    }
  }

  @Test
  @DisplayName("stdout is only the ExecCredential, in the apiVersion KUBERNETES_EXEC_INFO asks for")
  void execCredentialVersion() throws Exception {
    Map<String, String> env = c.env(cache("version"));
    env.put("AZURE_CLIENT_SECRET", SECRET);
    String[] args = {
      "kubelogin",
      "get-token",
      "-l",
      "spn",
      "--server-id",
      AksCluster.AKS_SERVER_APP_ID,
      "--client-id",
      SECRET_APP,
      "--tenant-id",
      TENANT
    };
    EntraCluster.Result beta = c.sightline(env, args);
    assertThat(beta.exit()).as(beta.err()).isZero();
    var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(beta.out());
    assertThat(json.path("apiVersion").asText()).isEqualTo(ExecCredential.V1BETA1);
    assertThat(json.path("kind").asText()).isEqualTo("ExecCredential");
    assertThat(json.at("/status/token").asText()).startsWith("eyJ");
    assertThat(Instant.parse(json.at("/status/expirationTimestamp").asText()))
        .isAfter(Instant.now());

    Map<String, String> v1 = new HashMap<>(env);
    v1.put(
        "KUBERNETES_EXEC_INFO",
        "{\"kind\":\"ExecCredential\",\"apiVersion\":\"client.authentication.k8s.io/v1\",\"spec\":{\"interactive\":false}}");
    EntraCluster.Result r = c.sightline(v1, args);
    assertThat(
            new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(r.out())
                .path("apiVersion")
                .asText())
        .isEqualTo(ExecCredential.V1);
  }

  @Test
  @DisplayName(
      "a warm-cache call loads no azure-identity, reactor, Jackson, picocli or logging classes")
  void warmPathStaysLight() throws Exception {
    Path cacheDir = cache("light");
    Map<String, String> env = c.env(cacheDir);
    env.put("AZURE_CLIENT_SECRET", SECRET);
    List<String> args =
        List.of(
            "kubelogin",
            "get-token",
            "-l",
            "spn",
            "--server-id",
            AksCluster.AKS_SERVER_APP_ID,
            "--client-id",
            SECRET_APP,
            "--tenant-id",
            TENANT);
    assertThat(c.sightline(env, args.toArray(String[]::new)).exit()).isZero(); // fills the cache
    Path log = dir.resolve("classes.log");
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "java",
                "-Xshare:auto",
                "-Xlog:class+load=info:file=" + log,
                "-jar",
                EntraCluster.JAR.toString()));
    cmd.addAll(args);
    EntraCluster.Result r = EntraCluster.run(cmd, env, 60);
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("ExecCredential");
    List<String> loaded = Files.readAllLines(log);
    assertThat(loaded).as("classes loaded").hasSizeGreaterThan(300);
    assertThat(loaded)
        .noneMatch(
            l ->
                l.contains(" com.azure.")
                    || l.contains(" reactor.")
                    || l.contains(" com.microsoft.aad."))
        .noneMatch(
            l ->
                l.contains(" com.fasterxml.")
                    || l.contains(" picocli.")
                    || l.contains(" org.slf4j.")
                    || l.contains(" ch.qos."));
    long own = loaded.stream().filter(l -> l.contains(" io.sightline.")).count();
    assertThat(own).as("Sightline classes on the warm path").isBetween(3L, 15L);
  }
}
