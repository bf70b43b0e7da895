package io.sightline.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sightline.cli.CliContext;
import io.sightline.cli.ClientOptions;
import io.sightline.cli.Json;
import io.sightline.cli.OutputOptions;
import io.sightline.cli.UsageException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code sightline connection permit}: which CI pipelines (OIDC ID tokens) may use a connection.
 */
@Command(
    name = "permit",
    description = {
      "Say which pipelines (by their CI's ID token) may take leases through a connection. New"
          + " connections admit none; API tokens with role user always may.",
      "  sightline connection permit prod --pipeline 'github:org/app@refs/heads/main'",
      "  sightline connection permit prod --pipeline 'github:org/*@refs/tags/v*'",
      "  sightline connection permit prod --all-pipelines",
      "Patterns: <trust name>:<identity>; * matches within a path segment (not / or @), **"
          + " matches anything. Without options: show the current permissions."
    })
public final class ConnectionPermitCommand implements Callable<Integer> {
  private final CliContext ctx;

  @Mixin ClientOptions client;
  @Mixin OutputOptions output;

  @Parameters(paramLabel = "NAME", description = "The connection.")
  String name;

  @Option(
      names = "--pipeline",
      paramLabel = "PATTERN",
      description = "Allow pipelines matching this identity pattern (repeatable).")
  List<String> add = new ArrayList<>();

  @Option(
      names = "--remove",
      paramLabel = "PATTERN",
      description = "Stop allowing this pattern (repeatable; exactly as listed).")
  List<String> remove = new ArrayList<>();

  @Option(
      names = "--all-pipelines",
      description = "Allow every pipeline identity from any trusted issuer.")
  boolean all;

  @Option(
      names = "--none",
      description = "Allow no pipeline (API tokens with role user still may lease).")
  boolean none;

  public ConnectionPermitCommand(CliContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public Integer call() {
    String path = "/api/v1/connections/" + TrustCommand.enc(name) + "/pipeline-permissions";
    int modes = (all ? 1 : 0) + (none ? 1 : 0) + (add.isEmpty() && remove.isEmpty() ? 0 : 1);
    if (modes > 1) {
      throw new UsageException(
          "give --pipeline/--remove, --all-pipelines or --none, one kind at a time");
    }
    JsonNode result;
    if (modes == 0) {
      result = ctx.client(client.server).get(path);
    } else if (none) {
      ObjectNode body = Json.MAPPER.createObjectNode().put("allPipelines", false);
      body.putArray("pipelines");
      result = ctx.client(client.server).send("PUT", path, body);
    } else {
      ObjectNode body = Json.MAPPER.createObjectNode();
      if (all) {
        body.put("allPipelines", true);
      } else {
        add.forEach(body.putArray("add")::add);
        remove.forEach(body.putArray("remove")::add);
      }
      result = ctx.client(client.server).send("PATCH", path, body);
    }
    if (output.json()) {
      Json.print(ctx.out(), result);
      return 0;
    }
    if (result.path("allPipelines").asBoolean()) {
      ctx.out().printf("%s: every pipeline from a trusted issuer%n", name);
    } else if (result.path("pipelines").isEmpty()) {
      ctx.out().printf("%s: no pipeline (API tokens only)%n", name);
    } else {
      ctx.out().printf("%s: pipelines matching%n", name);
      result.path("pipelines").forEach(p -> ctx.out().printf("  %s%n", p.asText()));
    }
    ctx.out().flush();
    return 0;
  }
}
