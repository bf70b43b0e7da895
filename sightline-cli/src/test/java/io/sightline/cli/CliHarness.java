package io.sightline.cli;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/** Runs the CLI in-process with its own environment and captured streams. */
final class CliHarness {
  record Result(int exit, String out, String err) {}

  private final Map<String, String> env = new HashMap<>();
  private String stdin = "";

  CliHarness env(String k, String v) {
    env.put(k, v);
    return this;
  }

  CliHarness stdin(String s) {
    stdin = s;
    return this;
  }

  Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code =
        Main.run(
            args,
            env,
            new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
            new PrintWriter(out, true),
            new PrintWriter(err, true));
    return new Result(code, out.toString(), err.toString());
  }
}
