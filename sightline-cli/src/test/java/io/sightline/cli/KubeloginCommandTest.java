package io.sightline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The kubelogin and get-token commands through the command tree, in-process. */
class KubeloginCommandTest {
  @TempDir Path dir;

  static final String ARM =
      String.join(
          "\n",
          "apiVersion: v1",
          "clusters:",
          "- cluster:",
          "    certificate-authority-data: Q0E=",
          "    server: https://aks1.example:443",
          "  name: aks1",
          "contexts:",
          "- context:",
          "    cluster: aks1",
          "    user: clusterUser_rg_aks1",
          "  name: aks1",
          "current-context: aks1",
          "kind: Config",
          "users:",
          "- name: clusterUser_rg_aks1",
          "  user:",
          "    exec:",
          "      apiVersion: client.authentication.k8s.io/v1beta1",
          "      args:",
          "      - get-token",
          "      - --login",
          "      - devicecode",
          "      - --server-id",
          "      - 6dae42f8-4368-4678-94ff-3960e28e3630",
          "      - --client-id",
          "      - 80faf920-1908-4b52-b5ef-a8e7bedfc67a",
          "      - --tenant-id",
          "      - 8f3c2a10-5d1e-4b7a-9c2e-1f0a6b7c8d90",
          "      - --environment",
          "      - AzurePublicCloud",
          "      command: kubelogin",
          "      env: null",
          "      installHint: |2",
          "",
          "        kubelogin is not installed which is required to connect to AAD enabled cluster.",
          "      interactiveMode: IfAvailable",
          "      provideClusterInfo: false",
          "");

  @Test
  @DisplayName(
      "convert-kubeconfig rewrites the KUBECONFIG file in place, keeps its mode and says what it did")
  void convertsKubeconfigFromTheEnvironment() throws Exception {
    Path kc = dir.resolve("config");
    Files.writeString(kc, ARM);
    Files.setPosixFilePermissions(kc, PosixFilePermissions.fromString("rw-------"));
    CliHarness.Result r =
        new CliHarness()
            .env("KUBECONFIG", kc + ":" + dir.resolve("other"))
            .env("AZURE_CLIENT_SECRET", "must-not-appear")
            .run("kubelogin", "convert-kubeconfig", "-l", "spn");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.err()).contains("converted clusterUser_rg_aks1").contains("--login spn");
    String text = Files.readString(kc);
    assertThat(text)
        .contains("command: sightline")
        .contains("- spn")
        .contains("server: https://aks1.example:443")
        .doesNotContain("80faf920-1908-4b52-b5ef-a8e7bedfc67a")
        .doesNotContain("must-not-appear");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(kc)))
        .isEqualTo("rw-------");
    try (var s = Files.list(dir)) {
      assertThat(s.map(p -> p.getFileName().toString())).containsExactly("config");
    }
  }

  @Test
  @DisplayName(
      "convert-kubeconfig with a bad mode or a missing file is a usage error naming the fix")
  void convertBadInput() {
    CliHarness.Result bad =
        new CliHarness()
            .run(
                "kubelogin",
                "convert-kubeconfig",
                "-l",
                "magic",
                "--kubeconfig",
                dir.resolve("x").toString());
    assertThat(bad.exit()).isEqualTo(2);
    assertThat(bad.err()).contains("'magic' is not a supported login method");
    CliHarness.Result missing =
        new CliHarness()
            .run("kubelogin", "convert-kubeconfig", "--kubeconfig", dir.resolve("x").toString());
    assertThat(missing.exit()).isEqualTo(2);
    assertThat(missing.err()).contains("no kubeconfig at").contains("--kubeconfig");
  }

  @Test
  @DisplayName("get-token in-process: a usage error is one line on stderr, nothing on stdout")
  void getTokenUsage() {
    CliHarness.Result r =
        new CliHarness().run("kubelogin", "get-token", "-l", "spn", "--server-id", "s");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.out()).isEmpty();
    assertThat(r.err().strip().lines()).hasSize(1);
    assertThat(r.err()).startsWith("sightline kubelogin: spn login needs --tenant-id");
    CliHarness.Result lease = new CliHarness().run("get-token", "-n", "web");
    assertThat(lease.exit()).isEqualTo(2);
    assertThat(lease.err()).contains("--connection is required");
  }

  @Test
  @DisplayName("remove-tokens reports how many cached tokens it removed")
  void removeTokens() throws Exception {
    CliHarness.Result r =
        new CliHarness().env("KUBECACHEDIR", dir.toString()).run("kubelogin", "remove-tokens");
    assertThat(r.exit()).isZero();
    assertThat(r.err()).contains("removed 0 cached tokens from " + dir.resolve("sightline"));
  }
}
