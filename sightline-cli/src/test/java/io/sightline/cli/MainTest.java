package io.sightline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainTest {
  @TempDir Path home;

  private CliHarness cli() {
    return new CliHarness().env("HOME", home.toString());
  }

  @Test
  @DisplayName("--version prints the build version on stdout and exits 0")
  void version() {
    var r = cli().run("--version");
    assertThat(r.exit()).isZero();
    assertThat(r.out()).startsWith("sightline ").doesNotContain("${project.version}");
  }

  @Test
  @DisplayName(
      "every command and command group answers --help with its usage on stdout and exit 0, even"
          + " when it has required options")
  void everyCommandHasHelp() {
    java.util.List<String[]> commands = new java.util.ArrayList<>();
    var sink = new java.io.PrintWriter(java.io.Writer.nullWriter());
    var ctx =
        new CliContext(
            java.util.Map.of(),
            java.io.InputStream.nullInputStream(),
            sink,
            sink,
            new io.sightline.cli.client.CliConfig(home.resolve("config.json")));
    collect(Main.commandLine(ctx), new java.util.ArrayList<>(), commands);
    assertThat(commands).hasSizeGreaterThan(30);
    for (String[] path : commands) {
      String[] args = java.util.Arrays.copyOf(path, path.length + 1);
      args[path.length] = "--help";
      var r = cli().run(args);
      assertThat(r.exit()).as("sightline %s --help: %s", String.join(" ", path), r.err()).isZero();
      assertThat(r.out()).as(String.join(" ", path)).contains("Usage:");
    }
  }

  private static void collect(
      picocli.CommandLine cl, java.util.List<String> path, java.util.List<String[]> out) {
    out.add(path.toArray(String[]::new));
    for (var e : cl.getSubcommands().entrySet()) {
      if (!e.getKey().equals(e.getValue().getCommandName())) {
        continue; // an alias of a command listed under its own name
      }
      java.util.List<String> sub = new java.util.ArrayList<>(path);
      sub.add(e.getKey());
      collect(e.getValue(), sub, out);
    }
  }

  @Test
  @DisplayName("an unknown command or option is a usage error: exit 2 with the reason on stderr")
  void usageErrorsExit2() {
    var r = cli().run("frobnicate");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("frobnicate");
    var r2 = cli().run("token", "create", "--name", "x");
    assertThat(r2.exit()).isEqualTo(2);
    assertThat(r2.err()).contains("--role");
  }

  @Test
  @DisplayName("a bad --ttl is a usage error naming the option and the accepted forms")
  void badTtl() {
    var r = cli().run("token", "create", "--name", "ci", "--role", "user", "--ttl", "forever");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("--ttl").contains("15m");
  }

  @Test
  @DisplayName("an unreachable server is a failure (exit 1) with one line saying what to do")
  void unreachableServer() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    var r =
        cli()
            .env("SIGHTLINE_TOKEN", "slt_notarealtokenvalue000")
            .run("token", "list", "--server", "http://127.0.0.1:" + port);
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err())
        .startsWith("error: cannot reach the Sightline server at http://127.0.0.1:" + port)
        .contains("./sightline server")
        .doesNotContain("slt_notarealtokenvalue000");
    assertThat(r.err().lines().count()).isEqualTo(1);
  }

  @Test
  @DisplayName("--server must be an http(s) URL")
  void badServerUrl() {
    var r = cli().run("token", "list", "--server", "ftp://example");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("--server must be an http:// or https:// URL");
  }

  @Test
  @DisplayName("login without a token says how to give one, and writes no config")
  void loginWithoutToken() {
    var r = cli().run("login", "--server", "http://127.0.0.1:1");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("SIGHTLINE_TOKEN");
    assertThat(home.resolve(".config/sightline/config.json")).doesNotExist();
  }

  @Test
  @DisplayName("completion bash prints a script that completes the subcommands")
  void completionBash() {
    var r = cli().run("completion", "bash");
    assertThat(r.exit()).isZero();
    assertThat(r.out()).contains("complete -F").contains("token").contains("audit");
    assertThat(cli().run("completion", "fish").exit()).isEqualTo(2);
  }

  @Test
  @DisplayName("the login config is written with mode 0600 in a 0700 directory")
  void configFileMode() throws Exception {
    var config =
        io.sightline.cli.client.CliConfig.forEnvironment(java.util.Map.of("HOME", home.toString()));
    config.write(new io.sightline.cli.client.CliConfig.Login("http://127.0.0.1:8480", "slt_x"));
    assertThat(Files.getPosixFilePermissions(config.file()))
        .isEqualTo(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE));
    assertThat(Files.getPosixFilePermissions(config.file().getParent()))
        .containsExactlyInAnyOrder(
            PosixFilePermission.OWNER_READ,
            PosixFilePermission.OWNER_WRITE,
            PosixFilePermission.OWNER_EXECUTE);
    assertThat(config.read()).hasValueSatisfying(l -> assertThat(l.server()).endsWith(":8480"));
  }
}
