package io.sightline.cli.run;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sightline.core.SecretValue;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class TaskKubeconfigTest {
  static Lease lease(String token) {
    ObjectNode n = FakeLeaseServer.JSON.createObjectNode();
    n.put("id", "l1");
    n.put("credential", "token-request");
    n.put("token", token);
    n.put("server", "https://127.0.0.1:6443");
    n.put("certificateAuthorityData", FakeLeaseServer.CA_PEM_B64);
    n.put("namespace", "web");
    n.put("expiresAt", Instant.now().plusSeconds(900).toString());
    n.put("handle", "slh_secret_handle_1234");
    n.put("connectionId", "c0ffee00-0000-4000-8000-000000000001");
    return Lease.of(n, null);
  }

  private static String mode(Path p) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  @Test
  @DisplayName(
      "the kubeconfig and token file are 0600 in a 0700 directory, and the kubeconfig"
          + " names the token only through tokenFile")
  void modesAndContent() throws Exception {
    Path dir;
    try (TaskKubeconfig k = TaskKubeconfig.write(lease("the-token-abcdef"))) {
      dir = k.dir();
      assertThat(mode(k.dir())).isEqualTo("rwx------");
      assertThat(mode(k.kubeconfig())).isEqualTo("rw-------");
      assertThat(mode(k.tokenFile())).isEqualTo("rw-------");
      String yaml = Files.readString(k.kubeconfig());
      assertThat(yaml)
          .contains("tokenFile: \"" + k.tokenFile() + "\"")
          .contains("server: \"https://127.0.0.1:6443\"")
          .contains("certificate-authority-data: \"" + FakeLeaseServer.CA_PEM_B64 + "\"")
          .contains("namespace: \"web\"")
          .contains("current-context: sightline")
          .doesNotContain("the-token-abcdef");
      assertThat(Files.readString(k.tokenFile())).isEqualTo("the-token-abcdef");
    }
    assertThat(dir).doesNotExist();
  }

  @Test
  @DisplayName("renewal replaces the token file by rename: a new file, still 0600, no temp left")
  void atomicRewrite() throws Exception {
    try (TaskKubeconfig k = TaskKubeconfig.write(lease("first-token-abcdef"))) {
      Object before = Files.readAttributes(k.tokenFile(), "unix:ino").get("ino");
      k.rewriteToken(SecretValue.of("second-token-abcdef"));
      Object after = Files.readAttributes(k.tokenFile(), "unix:ino").get("ino");
      assertThat(after).as("a rename installs a new inode").isNotEqualTo(before);
      assertThat(Files.readString(k.tokenFile())).isEqualTo("second-token-abcdef");
      assertThat(mode(k.tokenFile())).isEqualTo("rw-------");
      try (var files = Files.list(k.dir())) {
        assertThat(files.map(p -> p.getFileName().toString()))
            .containsExactlyInAnyOrder("kubeconfig", "token");
      }
    }
  }

  @Test
  @DisplayName("an inline kubeconfig (lease create --kubeconfig-out) carries the token")
  void inline() {
    assertThat(TaskKubeconfig.renderInline(lease("inline-token-abcdef")))
        .contains("token: \"inline-token-abcdef\"")
        .doesNotContain("tokenFile");
  }

  @Test
  @DisplayName("a lease prints without its token or handle")
  void leaseToStringHidesSecrets() {
    assertThat(lease("hidden-token-abcdef").toString())
        .contains("l1")
        .doesNotContain("hidden-token-abcdef")
        .doesNotContain("slh_secret_handle_1234");
  }
}
