package io.sightline.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 2's "done when", end to end through the built jar: first start prints the admin token once;
 * the CLI logs in and works; a changed audit row and a cut-off tail are named by {@code sightline
 * audit verify}; a wrong master key stops startup and changes nothing.
 */
class FoundationIT {
  private static final Pattern TOKEN = Pattern.compile("slt_[A-Za-z0-9_-]{40,}");

  @TempDir Path tmp;

  @Test
  @DisplayName(
      "first start prints the admin token once; the CLI logs in, creates tokens, reads audit")
  void firstStartAndCli() throws Exception {
    Path data = tmp.resolve("data");
    Path home = tmp.resolve("home");
    Map<String, String> env = Sightline.env("HOME", home.toString());
    String token;
    try (Sightline.Server server = Sightline.startServer(data, env)) {
      String err = server.stderrText();
      Matcher m = TOKEN.matcher(err);
      assertThat(m.find()).as("admin token printed on stderr").isTrue();
      token = m.group();
      assertThat(m.find()).as("printed only once").isFalse();
      assertThat(Files.readString(data.resolve("admin.token")).strip()).isEqualTo(token);
      assertThat(Files.getPosixFilePermissions(data.resolve("admin.token")))
          .isEqualTo(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE));
      assertThat(Files.getPosixFilePermissions(data.resolve("master.key")))
          .isEqualTo(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE));
      assertThat(err).contains("embedded H2").contains("single node");

      var login = Sightline.cli(env, token + "\n", "login", "--server", server.url());
      assertThat(login.exit()).as(login.err()).isZero();
      assertThat(login.err()).contains("as admin");
      assertThat(login.out() + login.err()).doesNotContain(token);

      var created =
          Sightline.cli(
              env, "", "token", "create", "--name", "ci-bot", "--role", "user", "--ttl", "30d");
      assertThat(created.exit()).as(created.err()).isZero();
      String ciToken = created.out().strip();
      assertThat(ciToken).matches(TOKEN.pattern());

      // The new token works for what a user may do, and not for what only admins may.
      Map<String, String> asBot =
          Sightline.env(
              "HOME",
              home.toString(),
              "SIGHTLINE_TOKEN",
              ciToken,
              "SIGHTLINE_SERVER",
              server.url());
      assertThat(Sightline.cli(asBot, "", "audit", "verify").exit()).isZero();
      var denied = Sightline.cli(asBot, "", "token", "list");
      assertThat(denied.exit()).isEqualTo(1);
      assertThat(denied.err()).contains("admin");

      var list = Sightline.cli(env, "", "token", "list", "--output", "json");
      assertThat(list.exit()).isZero();
      assertThat(list.out()).contains("ci-bot").doesNotContain(ciToken).doesNotContain(token);

      var audit = Sightline.cli(env, "", "audit", "list");
      assertThat(audit.out()).contains("token.create").doesNotContain(ciToken);
    }

    // A restart does not print a token again, and the store takes writes after it.
    try (Sightline.Server server = Sightline.startServer(data, env)) {
      assertThat(TOKEN.matcher(server.stderrText()).find()).isFalse();
      var again =
          Sightline.cli(
              withToken(env, token, server.url()),
              "",
              "token",
              "create",
              "--name",
              "after-restart",
              "--role",
              "reader");
      assertThat(again.exit()).as(again.err()).isZero();
    }
  }

  @Test
  @DisplayName("a changed audit row is named by audit verify; a cut-off tail is reported too")
  void auditTamperingIsDetected() throws Exception {
    Path data = tmp.resolve("data");
    Path checkpoints = tmp.resolve("checkpoints.log");
    Map<String, String> env = Sightline.env("HOME", tmp.resolve("home").toString());
    String[] extra = {"--audit-checkpoint-file", checkpoints.toString()};
    String admin;
    try (Sightline.Server server = Sightline.startServer(data, env, extra)) {
      admin = Files.readString(data.resolve("admin.token")).strip();
      Map<String, String> asAdmin = withToken(env, admin, server.url());
      for (int i = 0; i < 5; i++) {
        assertThat(
                Sightline.cli(asAdmin, "", "token", "create", "--name", "t" + i, "--role", "reader")
                    .exit())
            .isZero();
      }
      assertThat(Sightline.cli(asAdmin, "", "audit", "verify").exit()).isZero();
    }

    // Change one row behind the server's back.
    sql(data, "UPDATE audit_log SET actor = 'mallory' WHERE seq = 3");
    try (Sightline.Server server = Sightline.startServer(data, env, extra)) {
      var verify = Sightline.cli(withToken(env, admin, server.url()), "", "audit", "verify");
      assertThat(verify.exit()).isEqualTo(1);
      assertThat(verify.out()).contains("BROKEN").contains("3");
    }

    // Put it back, then cut off the newest records together with the stored checkpoints and
    // the chain head: only the checkpoint kept outside the database can tell.
    sql(data, "UPDATE audit_log SET actor = 'admin' WHERE seq = 3");
    try (Sightline.Server server = Sightline.startServer(data, env, extra)) {
      assertThat(Sightline.cli(withToken(env, admin, server.url()), "", "audit", "verify").exit())
          .isZero();
    }
    assertThat(checkpoints).exists();
    sql(
        data,
        "DELETE FROM audit_log WHERE seq > 3",
        "DELETE FROM audit_checkpoints",
        "UPDATE audit_head SET seq = 3, link = (SELECT link FROM audit_log WHERE seq = 3)");
    try (Sightline.Server server = Sightline.startServer(data, env, extra)) {
      var verify = Sightline.cli(withToken(env, admin, server.url()), "", "audit", "verify");
      assertThat(verify.exit()).as(verify.out()).isEqualTo(1);
      assertThat(verify.out()).contains("BROKEN");
      var json =
          Sightline.cli(withToken(env, admin, server.url()), "", "audit", "verify", "-o", "json");
      assertThat(json.out()).contains("\"missingTail\" : true");
    }
  }

  @Test
  @DisplayName(
      "a wrong master key stops startup with a message naming its source, and changes nothing")
  void wrongMasterKey() throws Exception {
    Path data = tmp.resolve("data");
    Map<String, String> env = Sightline.env("HOME", tmp.resolve("home").toString());
    try (Sightline.Server server = Sightline.startServer(data, env)) {
      assertThat(server.process.isAlive()).isTrue();
    }
    String before = digest(data);
    Map<String, String> wrong =
        Sightline.env(
            "HOME",
            tmp.resolve("home").toString(),
            "SIGHTLINE_MASTER_KEY",
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
    var run = Sightline.startServerExpectingFailure(data, wrong);
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err()).contains("SIGHTLINE_MASTER_KEY");
    assertThat(run.err()).doesNotContain("\tat "); // one message, no stack trace
    assertThat(digest(data)).as("data directory unchanged").isEqualTo(before);
  }

  @Test
  @DisplayName(
      "a data directory that is a regular file, and a port in use, fail with clear messages")
  void startupErrors() throws Exception {
    Path file = Files.writeString(tmp.resolve("not-a-dir"), "x");
    var run = Sightline.startServerExpectingFailure(file, Sightline.env());
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err()).contains(file.toString()).containsIgnoringCase("not a directory");

    try (var busy = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      var r =
          Sightline.cli(
              Sightline.env(),
              "",
              "server",
              "--port",
              "" + busy.getLocalPort(),
              "--data-dir",
              tmp.resolve("d2").toString());
      assertThat(r.exit()).isEqualTo(1);
      assertThat(r.err()).contains("in use").contains("--port");
    }
  }

  private static Map<String, String> withToken(Map<String, String> env, String token, String url) {
    Map<String, String> m = new java.util.HashMap<>(env);
    m.put("SIGHTLINE_TOKEN", token);
    m.put("SIGHTLINE_SERVER", url);
    return m;
  }

  private static void sql(Path data, String... statements) throws Exception {
    String url = "jdbc:h2:file:" + data.resolve("db/sightline").toAbsolutePath();
    try (Connection c = DriverManager.getConnection(url, "sightline", "");
        Statement s = c.createStatement()) {
      for (String st : statements) {
        s.execute(st);
      }
      // Close the database in this JVM now, releasing its file lock before the server starts.
      s.execute("SHUTDOWN");
    }
  }

  private static String digest(Path dir) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.filter(Files::isRegularFile).sorted().toList()) {
        md.update(p.toString().getBytes(StandardCharsets.UTF_8));
        md.update(Files.readAllBytes(p));
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }
}
