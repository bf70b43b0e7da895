package io.sightline.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import io.sightline.cli.CliContext;
import io.sightline.cli.Json;
import io.sightline.cli.client.ApiClient;
import io.sightline.cli.client.CliConfig;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

@Command(
    name = "login",
    description = {
      "Store a server URL and API token for later commands.",
      "The token is read from $SIGHTLINE_TOKEN or, if unset, from the first line of standard"
          + " input (e.g. `sightline login --server URL < sightline-data/admin.token`). It is checked"
          + " against the server, then saved in ~/.config/sightline/config.json (mode 0600)."
    })
public final class LoginCommand implements Callable<Integer> {
  private final CliContext ctx;

  @Spec CommandSpec spec;

  @Option(
      names = "--server",
      required = true,
      paramLabel = "URL",
      description = "Server URL, e.g. " + CliContext.DEFAULT_SERVER)
  String server;

  public LoginCommand(CliContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public Integer call() throws Exception {
    CliContext.parseServer(server);
    String token = ctx.env().get("SIGHTLINE_TOKEN");
    String from = "$SIGHTLINE_TOKEN";
    if (token == null || token.isBlank()) {
      from = "standard input";
      BufferedReader reader =
          new BufferedReader(new InputStreamReader(ctx.in(), StandardCharsets.UTF_8));
      token = reader.readLine();
    }
    if (token == null || token.isBlank()) {
      throw new ParameterException(
          spec.commandLine(),
          "no token: set SIGHTLINE_TOKEN or pipe the token on standard input"
              + " (e.g. `sightline login --server URL < sightline-data/admin.token`)");
    }
    token = token.strip();
    ApiClient client = new ApiClient(CliContext.parseServer(server), token, Duration.ofSeconds(30));
    JsonNode me = client.get("/api/v1/me");
    ctx.config().write(new CliConfig.Login(server.strip(), token));
    ctx.err()
        .printf(
            "Logged in to %s as %s (role %s), token from %s; saved in %s%n",
            server.strip(),
            Json.text(me, "name"),
            Json.text(me, "role"),
            from,
            ctx.config().file());
    ctx.err().flush();
    return 0;
  }
}
