package io.sightline.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sightline.cli.CliContext;
import io.sightline.cli.ClientOptions;
import io.sightline.cli.Json;
import io.sightline.cli.OutputOptions;
import io.sightline.cli.Table;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "trust",
    description = {
      "Trust a CI provider's OIDC ID tokens (admins), so pipelines take leases as themselves:",
      "  sightline trust add --preset github --audience https://sightline.example.com",
      "Then allow pipelines per connection: sightline connection permit NAME --pipeline PATTERN."
    },
    subcommands = {
      TrustCommand.Add.class,
      TrustCommand.ListTrust.class,
      TrustCommand.Show.class,
      TrustCommand.Remove.class
    })
public final class TrustCommand {
  private static final String BASE = "/api/v1/trust";

  @Command(
      name = "add",
      description = {
        "Trust an OIDC issuer. Presets map its claims to pipeline identities:",
        "  github        <name>:<repository>@<ref>      e.g. github:org/app@refs/heads/main",
        "  gitlab        <name>:<project_path>@refs/heads/<ref>",
        "  azure-devops  <name>:<org>/<project>/<service connection> (vstoken issuer) or"
            + " <name>:<org id>/<connection id> (Entra issuer: --subject-prefix required)",
        "  generic       <name>:<sub>"
      })
  public static final class Add implements Callable<Integer> {
    private final CliContext ctx;

    @Mixin ClientOptions client;
    @Mixin OutputOptions output;

    @Option(
        names = "--preset",
        required = true,
        description = "github, gitlab, azure-devops or generic.")
    String preset;

    @Option(
        names = "--name",
        description = "Name, and prefix of its pipeline identities (default: the preset).")
    String name;

    @Option(
        names = "--issuer",
        paramLabel = "URL",
        description =
            "https URL, exactly the tokens' iss (default github:"
                + " https://token.actions.githubusercontent.com, gitlab: https://gitlab.com).")
    String issuer;

    @Option(
        names = "--audience",
        paramLabel = "AUD",
        description =
            "Accepted audience (repeatable; required except for azure-devops, whose tokens carry"
                + " api://AzureADTokenExchange).")
    List<String> audiences = new ArrayList<>();

    @Option(
        names = "--subject-prefix",
        paramLabel = "PREFIX",
        description = "Tokens' sub must start with this (e.g. /eid1/c/pub/t/T/a/A/sc/ORG/).")
    String subjectPrefix;

    @Option(
        names = "--subject-pattern",
        paramLabel = "GLOB",
        description = "Tokens' sub must match this glob (* within a segment, ** anything).")
    String subjectPattern;

    @Option(
        names = "--claim",
        paramLabel = "CLAIM",
        description = "Another claim to record with each lease (repeatable).")
    List<String> claims = new ArrayList<>();

    public Add(CliContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      ObjectNode body = Json.MAPPER.createObjectNode();
      body.put("preset", preset);
      if (name != null) {
        body.put("name", name);
      }
      if (issuer != null) {
        body.put("issuer", issuer);
      }
      if (!audiences.isEmpty()) {
        audiences.forEach(body.putArray("audiences")::add);
      }
      if (subjectPrefix != null) {
        body.put("subjectPrefix", subjectPrefix);
      }
      if (subjectPattern != null) {
        body.put("subjectPattern", subjectPattern);
      }
      if (!claims.isEmpty()) {
        claims.forEach(body.putArray("claims")::add);
      }
      JsonNode t = ctx.client(client.server).post(BASE, body);
      if (output.json()) {
        Json.print(ctx.out(), t);
      } else {
        ctx.err()
            .printf(
                "Trusting %s (%s). Its pipelines read as %s%n",
                Json.text(t, "issuer"), Json.text(t, "name"), Json.text(t, "identity"));
        ctx.err().flush();
      }
      return 0;
    }
  }

  @Command(name = "list", description = "List trusted OIDC issuers.")
  public static final class ListTrust implements Callable<Integer> {
    private final CliContext ctx;

    @Mixin ClientOptions client;
    @Mixin OutputOptions output;

    public ListTrust(CliContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      JsonNode list = ctx.client(client.server).get(BASE);
      output.printList(
          ctx.out(),
          list,
          new Table("NAME", "PRESET", "ISSUER", "AUDIENCES", "SUBJECT PIN", "IDENTITY"),
          i -> {
            String pin =
                i.hasNonNull("subjectPrefix")
                    ? i.get("subjectPrefix").asText() + "…"
                    : i.hasNonNull("subjectPattern") ? i.get("subjectPattern").asText() : "-";
            return new Object[] {
              Json.text(i, "name"),
              Json.text(i, "preset"),
              Json.text(i, "issuer"),
              String.join(",", TokenCommand.toList(i.get("audiences"))),
              pin,
              Json.text(i, "identity")
            };
          });
      return 0;
    }
  }

  @Command(name = "show", description = "Show a trusted OIDC issuer.")
  public static final class Show implements Callable<Integer> {
    private final CliContext ctx;

    @Mixin ClientOptions client;

    @Parameters(paramLabel = "NAME")
    String name;

    public Show(CliContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      Json.print(ctx.out(), ctx.client(client.server).get(BASE + "/" + enc(name)));
      return 0;
    }
  }

  @Command(name = "remove", description = "Stop trusting an OIDC issuer's tokens.")
  public static final class Remove implements Callable<Integer> {
    private final CliContext ctx;

    @Mixin ClientOptions client;

    @Parameters(paramLabel = "NAME")
    String name;

    public Remove(CliContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      ctx.client(client.server).delete(BASE + "/" + enc(name));
      ctx.err().printf("No longer trusting %s%n", name);
      ctx.err().flush();
      return 0;
    }
  }

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
