package io.sightline.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sightline.cli.CliContext;
import io.sightline.cli.ClientOptions;
import io.sightline.cli.Json;
import io.sightline.cli.OutputOptions;
import io.sightline.cli.Table;
import io.sightline.core.Durations;
import io.sightline.core.SightlineException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "token",
    description = "Create, list and revoke API tokens (admins).",
    subcommands = {
      TokenCommand.Create.class,
      TokenCommand.ListTokens.class,
      TokenCommand.Revoke.class
    })
public final class TokenCommand {

  @Command(
      name = "create",
      description = {
        "Create an API token for a principal. The token is printed once on standard output;"
            + " the server keeps only its hash.",
      })
  public static final class Create implements Callable<Integer> {
    private final CliContext ctx;

    @Spec CommandSpec spec;
    @Mixin ClientOptions client;
    @Mixin OutputOptions output;

    @Option(
        names = "--name",
        required = true,
        description = "Principal name (who holds the token).")
    String name;

    @Option(
        names = "--role",
        required = true,
        description =
            "admin, creator, user or reader (they nest: admin ⊇ creator ⊇ user ⊇ reader).")
    String role;

    @Option(
        names = "--group",
        paramLabel = "GROUP",
        description = "A group the principal belongs to (repeatable).")
    List<String> groups = new ArrayList<>();

    @Option(
        names = "--ttl",
        paramLabel = "DURATION",
        description = "Lifetime, e.g. 30d, 12h (default: the server's, 90 days).")
    String ttl;

    public Create(CliContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      ObjectNode body = Json.MAPPER.createObjectNode();
      body.put("name", name);
      body.put("role", role);
      if (!groups.isEmpty()) {
        groups.forEach(body.putArray("groups")::add);
      }
      if (ttl != null) {
        try {
          body.put("ttlSeconds", Durations.parse(ttl, "--ttl").getSeconds());
        } catch (SightlineException e) {
          throw new ParameterException(spec.commandLine(), e.getMessage());
        }
      }
      JsonNode created = ctx.client(client.server).post("/api/v1/tokens", body);
      if (output.json()) {
        Json.print(ctx.out(), created);
      } else {
        ctx.out().println(Json.text(created, "token"));
        ctx.out().flush();
      }
      ctx.err()
          .printf(
              "Created token %s for %s (role %s), expires %s. It is shown only this once.%n",
              Json.text(created, "id"), name, role, Json.text(created, "expiresAt"));
      ctx.err().flush();
      return 0;
    }
  }

  @Command(name = "list", description = "List API tokens (never their values).")
  public static final class ListTokens implements Callable<Integer> {
    private final CliContext ctx;

    @Mixin ClientOptions client;
    @Mixin OutputOptions output;

    public ListTokens(CliContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      JsonNode tokens = ctx.client(client.server).get("/api/v1/tokens");
      if (output.json()) {
        Json.print(ctx.out(), tokens);
        return 0;
      }
      JsonNode items = tokens.has("items") ? tokens.get("items") : tokens;
      Table t = new Table("ID", "NAME", "ROLE", "GROUPS", "EXPIRES", "STATUS");
      for (JsonNode tok : items) {
        t.row(
            Json.text(tok, "id"),
            Json.text(tok, "name"),
            Json.text(tok, "role"),
            tok.has("groups") ? String.join(",", toList(tok.get("groups"))) : "",
            Json.text(tok, "expiresAt"),
            Json.text(tok, "status"));
      }
      t.print(ctx.out());
      return 0;
    }
  }

  @Command(name = "revoke", description = "Revoke an API token by id (revoking twice is fine).")
  public static final class Revoke implements Callable<Integer> {
    private final CliContext ctx;

    @Mixin ClientOptions client;

    @Parameters(paramLabel = "ID", description = "Token id, as `sightline token list` shows it.")
    String id;

    public Revoke(CliContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      ctx.client(client.server)
          .delete("/api/v1/tokens/" + URLEncoder.encode(id, StandardCharsets.UTF_8));
      ctx.err().printf("Revoked token %s%n", id);
      ctx.err().flush();
      return 0;
    }
  }

  static List<String> toList(JsonNode array) {
    List<String> out = new ArrayList<>();
    if (array != null) {
      array.forEach(n -> out.add(n.asText()));
    }
    return out;
  }
}
