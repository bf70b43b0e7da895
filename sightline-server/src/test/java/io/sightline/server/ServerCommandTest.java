package io.sightline.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ServerCommandTest {
  @TempDir Path tmp;

  @Test
  void helpDescribesEveryOption() {
    StringWriter out = new StringWriter();
    CommandLine cmd = new CommandLine(new ServerCommand());
    cmd.setOut(new PrintWriter(out));
    assertThat(cmd.execute("--help")).isEqualTo(0);
    assertThat(out.toString())
        .contains("--port", "--bind", "--data-dir", "--db-url", "--db-user", "--db-password-file")
        .contains("--public-url", "--tls-cert", "--tls-key", "--allow-plaintext", "--log-format")
        .contains("--config", "--token-ttl", "--audit-checkpoint-file", "SIGHTLINE_DB_URL");
  }

  @Test
  void flagsBecomeDottedKeysAndBeatTheEnvironment() {
    ServerCommand command = new ServerCommand(Map.of("SIGHTLINE_PORT", "9000"), System.err);
    new CommandLine(command)
        .parseArgs(
            "--port", "9100", "--db-url", "jdbc:postgresql://127.0.0.1/x", "--allow-plaintext");
    ServerConfig c = command.config();
    assertThat(c.port()).isEqualTo(9100);
    assertThat(c.dbUrl()).isEqualTo("jdbc:postgresql://127.0.0.1/x");
    assertThat(c.allowPlaintext()).isTrue();
  }

  @Test
  void aStartupErrorIsOneLineOnStderrAndExitCode1() throws Exception {
    Path file = tmp.resolve("data");
    Files.writeString(file, "x");
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    ServerCommand command =
        new ServerCommand(Map.of(), new PrintStream(err, true, StandardCharsets.UTF_8));
    int code = new CommandLine(command).execute("--data-dir", file.toString(), "--port", "0");
    String text = err.toString(StandardCharsets.UTF_8);
    assertThat(code).isEqualTo(1);
    assertThat(text.strip().lines()).hasSize(1);
    assertThat(text).startsWith("sightline server: --data-dir " + file).doesNotContain("at io.");
  }

  @Test
  void aMissingConfigFileIsNamed() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    ServerCommand command =
        new ServerCommand(Map.of(), new PrintStream(err, true, StandardCharsets.UTF_8));
    int code = new CommandLine(command).execute("--config", tmp.resolve("nope.yaml").toString());
    assertThat(code).isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("--config").contains("nope.yaml");
  }
}
