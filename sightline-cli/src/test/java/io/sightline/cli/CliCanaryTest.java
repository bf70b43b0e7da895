package io.sightline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sightline.server.ServerConfig;
import io.sightline.server.SightlineServer;
import io.sightline.store.Stores;
import io.sightline.testing.kube.FakeKubeApiServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Canaries through the CLI: secrets handed to {@code sightline connection create} in files, API
 * tokens and lease tokens and handles never come back on stdout or stderr of any command — the
 * listings, shows, verifies, audit, {@code lease show}, every command run bare (usage errors), and
 * {@code sightline run} whose task prints its own kubeconfig.
 */
class CliCanaryTest {
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path tmp;
  static FakeKubeApiServer kube;
  static SightlineServer server;
  static String admin;
  static final Map<String, String> canaries = new LinkedHashMap<>();
  static final List<String> outputs = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    kube = FakeKubeApiServer.builder().version("1.30").start();
    Path data = tmp.resolve("data");
    server =
        new SightlineServer(
                ServerConfig.load(
                    Map.of(
                        ServerConfig.PORT,
                        "0",
                        ServerConfig.DATA_DIR,
                        data.toString(),
                        ServerConfig.PROBE_RATE,
                        "100000"),
                    Map.of(),
                    null),
                Stores::open,
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                Clock.systemUTC())
            .start();
    admin = Files.readString(data.resolve("admin.token")).strip();
    canaries.put("admin token", admin);
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.stop();
    }
    if (kube != null) {
      kube.close();
    }
  }

  static CliHarness cli(String token) {
    return new CliHarness()
        .env("HOME", tmp.toString())
        .env("SIGHTLINE_SERVER", server.url())
        .env("SIGHTLINE_TOKEN", token);
  }

  static String fresh(String label) {
    byte[] b = new byte[12];
    new SecureRandom().nextBytes(b);
    return "cnry" + label + HexFormat.of().formatHex(b);
  }

  static Path file(String name, String content) throws Exception {
    Path f = tmp.resolve(name);
    Files.writeString(f, content, StandardCharsets.UTF_8);
    return f;
  }

  /** Runs the CLI and keeps its output for the scan; returns the result. */
  static CliHarness.Result run(String token, String... args) {
    CliHarness.Result r = cli(token).run(args);
    outputs.add("sightline " + String.join(" ", args) + "\n" + r.out() + "\n" + r.err());
    return r;
  }

  @Test
  @DisplayName(
      "no secret handed to the CLI, nor any token or handle it was given, is ever printed again"
          + " by any command")
  void noCanaryInAnyCliOutput() throws Exception {
    // Connections whose secrets are canaries, created from files as a user would.
    String kubeconfigToken = fresh("kubeconfig");
    kube.addStaticToken(kubeconfigToken, "canary-kc", "system:masters");
    canaries.put("kubeconfig token", kubeconfigToken);
    Path kc = file("kc.yaml", kube.kubeconfigForToken(kubeconfigToken));
    CliHarness.Result kcr =
        run(
            admin,
            "connection",
            "create",
            "kubernetes",
            "--name",
            "kc",
            "--auth",
            "kubeconfig",
            "--kubeconfig",
            kc.toString());
    assertThat(kcr.exit()).as(kcr.err()).isZero();

    String saToken = fresh("satoken");
    kube.addStaticToken(saToken, "canary-sa", "system:masters");
    canaries.put("service-account token", saToken);
    CliHarness.Result sa =
        run(
            admin,
            "connection",
            "create",
            "kubernetes",
            "--name",
            "sa",
            "--auth",
            "service-account",
            "--server-url",
            kube.url().toString(),
            "--token-file",
            file("sa.token", saToken).toString(),
            "--ca-file",
            file("ca.pem", kube.caCertPem()).toString());
    assertThat(sa.exit()).as(sa.err()).isZero();

    String adminToken = fresh("admin");
    kube.addStaticToken(adminToken, "canary-admin", "system:masters");
    canaries.put("cluster-admin token", adminToken);
    CliHarness.Result prod =
        run(
            admin,
            "connection",
            "create",
            "kubernetes",
            "--name",
            "prod",
            "--auth",
            "azure-subscription",
            "--admin-kubeconfig",
            file("admin.yaml", kube.kubeconfigForToken(adminToken)).toString(),
            "-n",
            "web",
            "--create-namespace");
    assertThat(prod.exit()).as(prod.err()).isZero();

    // API tokens: their values are shown once, by `token create`, and never again.
    for (String role : List.of("user", "reader")) {
      CliHarness.Result t =
          cli(admin).run("token", "create", "--name", "cli-" + role, "--role", role, "-o", "json");
      assertThat(t.exit()).as(t.err()).isZero();
      canaries.put(role + " token", JSON.readTree(t.out()).get("token").asText());
    }
    String user = canaries.get("user token");

    // A lease: its token and handle are shown once, by `lease create`.
    Path handleFile = tmp.resolve("handle");
    CliHarness.Result lease =
        cli(user).run("lease", "create", "--connection", "prod", "-n", "web", "-o", "json");
    assertThat(lease.exit()).as(lease.err()).isZero();
    JsonNode issued = JSON.readTree(lease.out());
    String leaseId = issued.get("id").asText();
    canaries.put("lease token", issued.get("token").asText());
    canaries.put("lease handle", issued.get("handle").asText());
    Files.writeString(handleFile, issued.get("handle").asText());

    // `run`: the task prints its own kubeconfig; the token in it is masked.
    CliHarness.Result task =
        run(
            user,
            "run",
            "--connection",
            "prod",
            "-n",
            "web",
            "--",
            "sh",
            "-c",
            "cat \"$KUBECONFIG\"; cat \"$(dirname \"$KUBECONFIG\")\"/* 2>/dev/null; env");
    assertThat(task.exit()).as(task.err()).isZero();
    assertThat(task.out()).contains("current-context");

    for (String[] args :
        List.of(
            new String[] {"connection", "list", "-o", "json"},
            new String[] {"connection", "list"},
            new String[] {"connection", "show", "kc", "-o", "json"},
            new String[] {"connection", "show", "sa"},
            new String[] {"connection", "show", "prod", "-o", "json"},
            new String[] {"connection", "verify", "kc"},
            new String[] {"connection", "verify", "sa", "-o", "json"},
            new String[] {"connection", "namespaces", "kc"},
            new String[] {"token", "list", "-o", "json"},
            new String[] {"lease", "list", "-o", "json"},
            new String[] {"lease", "show", leaseId},
            new String[] {"audit", "list", "--limit", "500", "-o", "json"},
            new String[] {"audit", "verify"},
            new String[] {"issuer", "show"})) {
      CliHarness.Result r = run(admin, args);
      assertThat(r.exit()).as("sightline %s: %s", String.join(" ", args), r.err()).isZero();
    }
    CliHarness.Result revoke =
        run(null, "lease", "revoke", leaseId, "--handle-file", handleFile.toString());
    assertThat(revoke.exit()).as(revoke.err()).isZero();
    // Bad credentials and bad inputs carrying secrets: the errors must not echo them.
    String bad = fresh("bad");
    canaries.put("secret in bad input", bad);
    run("slt_" + bad, "connection", "list");
    run(
        admin,
        "connection",
        "create",
        "kubernetes",
        "--name",
        "bad",
        "--auth",
        "kubeconfig",
        "--kubeconfig",
        file("bad.yaml", "[" + bad).toString());
    run(
        admin,
        "connection",
        "create",
        "kubernetes",
        "--name",
        "bad2",
        "--auth",
        "service-account",
        "--server-url",
        "https://127.0.0.1:1",
        "--token-file",
        file("bad.token", bad).toString());
    for (String[] path : commandTree()) {
      run(admin, path); // bare: a usage error or a call with defaults
    }
    assertThat(outputs).hasSizeGreaterThan(40);

    List<String> found = new ArrayList<>();
    for (String out : outputs) {
      for (var e : canaries.entrySet()) {
        for (String form : forms(e.getValue())) {
          if (out.substring(out.indexOf('\n')).contains(form)) {
            found.add(
                "the "
                    + e.getKey()
                    + " is in the output of "
                    + out.substring(0, out.indexOf('\n')));
            break;
          }
        }
      }
    }
    assertThat(found).as(String.join("\n", found)).isEmpty();
  }

  /** Every command path below the top (without {@code run}, {@code login}, {@code kubelogin}). */
  static List<String[]> commandTree() {
    var sink = new java.io.PrintWriter(java.io.Writer.nullWriter());
    var ctx =
        new CliContext(
            Map.of(),
            java.io.InputStream.nullInputStream(),
            sink,
            sink,
            new io.sightline.cli.client.CliConfig(tmp.resolve("config.json")));
    List<String[]> out = new ArrayList<>();
    collect(Main.commandLine(ctx), new ArrayList<>(), out);
    out.removeIf(
        p ->
            p.length == 0
                || List.of(
                        "run", "login", "kubelogin", "server", "agent", "get-token", "completion")
                    .contains(p[0])
                || String.join(" ", p).equals("issuer export"));
    return out;
  }

  private static void collect(picocli.CommandLine cl, List<String> path, List<String[]> out) {
    out.add(path.toArray(String[]::new));
    for (var e : cl.getSubcommands().entrySet()) {
      if (!e.getKey().equals(e.getValue().getCommandName())) {
        continue;
      }
      List<String> sub = new ArrayList<>(path);
      sub.add(e.getKey());
      collect(e.getValue(), sub, out);
    }
  }

  /** The value, and the part of its base64 (standard and URL-safe) fixed at each alignment. */
  static List<String> forms(String value) {
    List<String> out = new ArrayList<>(List.of(value));
    byte[] v = value.getBytes(StandardCharsets.UTF_8);
    for (Base64.Encoder enc : List.of(Base64.getEncoder(), Base64.getUrlEncoder())) {
      for (int shift = 0; shift < 3; shift++) {
        byte[] padded = new byte[shift + v.length];
        System.arraycopy(v, 0, padded, shift, v.length);
        String s = enc.encodeToString(padded);
        int start = shift == 0 ? 0 : 4;
        int end = s.length() - 4;
        if (end - start >= 12) {
          out.add(s.substring(start, end));
        }
      }
    }
    return out;
  }
}
