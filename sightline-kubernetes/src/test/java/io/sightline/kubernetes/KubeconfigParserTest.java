package io.sightline.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.sightline.core.SightlineException;
import io.sightline.testing.pki.TestCa;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class KubeconfigParserTest {
  private static final TestCa PKI = TestCa.create("kubeconfig-test-ca");
  private static final TestCa.Issued CLIENT = PKI.issueClient("alice");

  private static String kubeconfig(String clusterExtra, String user) {
    return """
        apiVersion: v1
        kind: Config
        current-context: prod
        clusters:
        - name: prod-cluster
          cluster:
            server: https://prod.example:6443
        %s
        - name: other-cluster
          cluster:
            server: https://other.example:6443
            insecure-skip-tls-verify: true
        contexts:
        - name: prod
          context:
            cluster: prod-cluster
            user: prod-user
            namespace: web
        - name: other
          context:
            cluster: other-cluster
            user: other-user
        users:
        - name: prod-user
          user:
        %s
        - name: other-user
          user:
            username: bob
            password: hunter2-password
        """
        .formatted(clusterExtra.indent(4).stripTrailing(), user.indent(4).stripTrailing());
  }

  private static String withToken() {
    return kubeconfig(
        "certificate-authority-data: " + Base64Text.b64(PKI.certPem()), "token: abc.def-token");
  }

  @Test
  void aTokenKubeconfigYieldsItsServerCaTokenAndNamespace() {
    ClusterAccess access = KubeconfigParser.parse(withToken(), null);
    assertThat(access.server()).isEqualTo("https://prod.example:6443");
    assertThat(access.caPem()).contains("-----BEGIN CERTIFICATE-----");
    assertThat(access.bearerToken().reveal()).isEqualTo("abc.def-token");
    assertThat(access.namespace()).isEqualTo("web");
    assertThat(access.insecureSkipTlsVerify()).isFalse();
    assertThat(access.authMethod()).isEqualTo("token");
    assertThat(access.toString()).doesNotContain("abc.def-token");
  }

  @Test
  void theClusterContextFieldSelectsAnotherContext() {
    ClusterAccess access = KubeconfigParser.parse(withToken(), "other");
    assertThat(access.server()).isEqualTo("https://other.example:6443");
    assertThat(access.insecureSkipTlsVerify()).isTrue();
    assertThat(access.username()).isEqualTo("bob");
    assertThat(access.password().reveal()).isEqualTo("hunter2-password");
    assertThat(KubeconfigParser.contexts(withToken())).containsExactly("prod", "other");
  }

  @Test
  void anUnknownContextIsA400ListingTheAvailableOnes() {
    SightlineException e =
        catchThrowableOfType(
            SightlineException.class, () -> KubeconfigParser.parse(withToken(), "staging"));
    assertThat(e.status()).isEqualTo(400);
    assertThat(e.code()).isEqualTo("UNKNOWN_CONTEXT");
    assertThat(e.field()).isEqualTo("clusterContext");
    assertThat(e.getMessage()).contains("'staging'", "prod, other");
  }

  @Test
  void aClientCertificateKubeconfigKeepsTheKeySecret() {
    String cfg =
        kubeconfig(
            "insecure-skip-tls-verify: true\ntls-server-name: kubernetes",
            "client-certificate-data: "
                + Base64Text.b64(CLIENT.certPem())
                + "\nclient-key-data: "
                + Base64Text.b64(CLIENT.keyPem()));
    ClusterAccess access = KubeconfigParser.parse(cfg, "prod");
    assertThat(access.authMethod()).isEqualTo("client-certificate");
    assertThat(access.clientCertificatePem()).startsWith("-----BEGIN CERTIFICATE-----");
    assertThat(access.clientKeyPem().reveal()).contains("PRIVATE KEY-----");
    assertThat(access.tlsServerName()).isEqualTo("kubernetes");
    assertThat(access.toString()).doesNotContain("PRIVATE KEY");
  }

  @Test
  void aJsonKubeconfigIsAcceptedToo() {
    String json =
        """
        {"apiVersion":"v1","kind":"Config","current-context":"c",
         "clusters":[{"name":"k","cluster":{"server":"https://127.0.0.1:6443/"}}],
         "contexts":[{"name":"c","context":{"cluster":"k","user":"u"}}],
         "users":[{"name":"u","user":{"token":"t0ken"}}]}
        """;
    ClusterAccess access = KubeconfigParser.parse(json, null);
    assertThat(access.server()).isEqualTo("https://127.0.0.1:6443");
    assertThat(access.bearerToken().reveal()).isEqualTo("t0ken");
  }

  @ParameterizedTest(name = "{0} is refused as {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "'exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: aws, args: [eks, get-token]}'|EXEC_PLUGIN_NOT_ALLOWED|.exec",
        "'exec: {command: kubelogin, args: [get-token, --login, devicecode, --server-id, x]}'|INTERACTIVE_LOGIN_REQUIRED|.exec",
        "'exec: {command: /usr/local/bin/kubelogin, args: [get-token, --server-id, x]}'|INTERACTIVE_LOGIN_REQUIRED|.exec",
        "'exec: {command: kubelogin, args: [get-token, --login=interactive]}'|INTERACTIVE_LOGIN_REQUIRED|.exec",
        "'exec: {command: kubelogin, args: [get-token, -l, spn]}'|EXEC_PLUGIN_NOT_ALLOWED|.exec",
        "'exec: {command: kubectl, args: [oidc-login, get-token]}'|INTERACTIVE_LOGIN_REQUIRED|.exec",
        "'exec: {command: gke-gcloud-auth-plugin, interactiveMode: Always}'|INTERACTIVE_LOGIN_REQUIRED|.exec",
        "'auth-provider: {name: azure, config: {tenant-id: t}}'|INTERACTIVE_LOGIN_REQUIRED|.auth-provider",
        "'auth-provider: {name: oidc, config: {id-token: x}}'|EXEC_PLUGIN_NOT_ALLOWED|.auth-provider",
        "'tokenFile: /var/lib/sightline/master.key'|FILE_REFERENCE_NOT_ALLOWED|.tokenFile",
        "'client-certificate: /etc/ssl/c.pem'|FILE_REFERENCE_NOT_ALLOWED|.client-certificate",
        "'client-key: /etc/ssl/k.pem'|FILE_REFERENCE_NOT_ALLOWED|.client-key",
      })
  void aUserThatRunsACommandOrReadsAFileIsRefused(String user, String code, String fieldSuffix) {
    SightlineException e =
        catchThrowableOfType(
            SightlineException.class,
            () -> KubeconfigParser.parse(kubeconfig("insecure-skip-tls-verify: true", user), null));
    assertThat(e.status()).isEqualTo(400);
    assertThat(e.code()).isEqualTo(code);
    assertThat(e.field()).isEqualTo("kubeconfig.users[prod-user].user" + fieldSuffix);
    assertThat(e.getMessage()).doesNotContain("/var/lib", "/etc/ssl");
  }

  @Test
  void theHintsNameTheWayOut() {
    SightlineException e =
        catchThrowableOfType(
            SightlineException.class,
            () ->
                KubeconfigParser.parse(
                    kubeconfig("server2: x", "exec: {command: kubelogin}"), null));
    assertThat(e.getMessage()).contains("azurerm connection", "deferred to run time");
    SightlineException f =
        catchThrowableOfType(
            SightlineException.class,
            () -> KubeconfigParser.parse(kubeconfig("x: y", "tokenFile: /tmp/t"), null));
    assertThat(f.getMessage()).contains("inline as token");
  }

  @ParameterizedTest(name = "cluster {0} is refused as {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "'certificate-authority: /etc/kubernetes/pki/ca.crt'|FILE_REFERENCE_NOT_ALLOWED|.certificate-authority",
        "'proxy-url: http://127.0.0.1:3128'|PROXY_NOT_ALLOWED|.proxy-url",
      })
  void aClusterThatReadsAFileOrUsesAProxyIsRefused(String extra, String code, String suffix) {
    SightlineException e =
        catchThrowableOfType(
            SightlineException.class,
            () -> KubeconfigParser.parse(kubeconfig(extra, "token: t"), null));
    assertThat(e.status()).isEqualTo(400);
    assertThat(e.code()).isEqualTo(code);
    assertThat(e.field()).isEqualTo("kubeconfig.clusters[prod-cluster].cluster" + suffix);
  }

  @Test
  void aTokenFileNamingTheMasterKeyIsRefusedWithoutTheFileBeingOpened(@TempDir Path dataDir)
      throws Exception {
    // The "master key" is a FIFO with no writer: any attempt to open it for reading blocks
    // forever, so a parser that so much as opened it would hit the preemptive timeout below.
    Path masterKey = dataDir.resolve("master.key");
    Process mkfifo = new ProcessBuilder("mkfifo", masterKey.toString()).start();
    assertThat(mkfifo.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(mkfifo.exitValue()).isZero();
    assertThat(Files.exists(masterKey)).isTrue();
    assertThat(Files.isRegularFile(masterKey)).isFalse();

    String cfg = kubeconfig("insecure-skip-tls-verify: true", "tokenFile: " + masterKey);
    SightlineException e =
        assertTimeoutPreemptively(
            Duration.ofSeconds(5),
            () ->
                catchThrowableOfType(
                    SightlineException.class, () -> KubeconfigParser.parse(cfg, null)));
    assertThat(e.code()).isEqualTo("FILE_REFERENCE_NOT_ALLOWED");
    assertThat(e.field()).endsWith(".tokenFile");
  }

  @Test
  void aYamlAliasBombIsRefusedFast() {
    StringBuilder bomb =
        new StringBuilder(
            "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    char prev = 'a';
    for (char c = 'b'; c <= 'j'; c++) {
      bomb.append(c).append(": &").append(c).append(" [");
      for (int i = 0; i < 9; i++) {
        bomb.append(i == 0 ? "" : ",").append('*').append(prev);
      }
      bomb.append("]\n");
      prev = c;
    }
    long start = System.nanoTime();
    SightlineException e =
        catchThrowableOfType(
            SightlineException.class, () -> KubeconfigParser.parse(bomb.toString(), null));
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
    assertThat(e.status()).isEqualTo(400);
    assertThat(e.code()).isEqualTo("YAML_ALIAS_LIMIT");
    assertThat(e.field()).isEqualTo("kubeconfig");
  }

  @Test
  void aTenMegabyteKubeconfigIsRefusedFastWithA413() {
    String huge = "# " + "x".repeat(10 * 1024 * 1024) + "\n" + withToken();
    long start = System.nanoTime();
    SightlineException e =
        catchThrowableOfType(SightlineException.class, () -> KubeconfigParser.parse(huge, null));
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
    assertThat(e.status()).isEqualTo(413);
    assertThat(e.getMessage()).contains("at most 1048576");
  }

  @Test
  void invalidBase64IsNamedByField() {
    SightlineException e =
        catchThrowableOfType(
            SightlineException.class,
            () ->
                KubeconfigParser.parse(
                    kubeconfig("certificate-authority-data: 'not*base64!'", "token: t"), null));
    assertThat(e.status()).isEqualTo(400);
    assertThat(e.code()).isEqualTo("INVALID_BASE64");
    assertThat(e.field())
        .isEqualTo("kubeconfig.clusters[prod-cluster].cluster.certificate-authority-data");
  }

  @Test
  void pemGarbageIsNamedByField() {
    String garbage =
        "-----BEGIN CERTIFICATE-----\nTUlJQmdhcmJhZ2VnYXJiYWdl\n-----END CERTIFICATE-----\n";
    SightlineException e =
        catchThrowableOfType(
            SightlineException.class,
            () ->
                KubeconfigParser.parse(
                    kubeconfig(
                        "certificate-authority-data: " + Base64Text.b64(garbage), "token: t"),
                    null));
    assertThat(e.code()).isEqualTo("INVALID_PEM");
    assertThat(e.field()).endsWith("certificate-authority-data");
    assertThat(e.getMessage()).contains("not a valid X.509 certificate");

    SightlineException notPem =
        catchThrowableOfType(
            SightlineException.class,
            () ->
                KubeconfigParser.parse(
                    kubeconfig(
                        "x: y",
                        "client-certificate-data: "
                            + Base64Text.b64(CLIENT.certPem())
                            + "\nclient-key-data: "
                            + Base64Text.b64("just some text")),
                    null));
    assertThat(notPem.code()).isEqualTo("INVALID_PEM");
    assertThat(notPem.field()).endsWith("client-key-data");
  }

  @Test
  void malformedYamlAndUnknownTagsAreA400() {
    assertThatThrownBy(() -> KubeconfigParser.parse("clusters: [\n  - {", null))
        .isInstanceOfSatisfying(
            SightlineException.class, e -> assertThat(e.code()).isEqualTo("INVALID_YAML"));
    assertThatThrownBy(
            () -> KubeconfigParser.parse("!!java/object:java.io.File {path: /etc/passwd}\n", null))
        .isInstanceOfSatisfying(
            SightlineException.class, e -> assertThat(e.status()).isEqualTo(400));
    assertThatThrownBy(() -> KubeconfigParser.parse("- just\n- a list\n", null))
        .isInstanceOfSatisfying(
            SightlineException.class, e -> assertThat(e.code()).isEqualTo("INVALID_INPUT"));
  }

  @Test
  void aServerUrlWithoutHttpsOrWithCredentialsIsRefused() {
    String cfg = withToken().replace("https://prod.example:6443", "ftp://prod.example");
    assertThatThrownBy(() -> KubeconfigParser.parse(cfg, null))
        .isInstanceOfSatisfying(
            SightlineException.class,
            e -> {
              assertThat(e.code()).isEqualTo("INVALID_SERVER_URL");
              assertThat(e.field()).isEqualTo("kubeconfig.clusters[prod-cluster].cluster.server");
            });
    String creds = withToken().replace("https://prod.example", "https://u:p@prod.example");
    assertThatThrownBy(() -> KubeconfigParser.parse(creds, null))
        .hasMessageContaining("must not carry credentials");
  }

  @Test
  void aCaTogetherWithInsecureSkipIsRefusedAsKubectlDoes() {
    String cfg =
        kubeconfig(
            "certificate-authority-data: "
                + Base64Text.b64(PKI.certPem())
                + "\ninsecure-skip-tls-verify: true",
            "token: t");
    assertThatThrownBy(() -> KubeconfigParser.parse(cfg, null))
        .isInstanceOfSatisfying(
            SightlineException.class,
            e -> assertThat(e.field()).endsWith(".insecure-skip-tls-verify"));
  }
}
