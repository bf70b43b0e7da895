package io.sightline.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import io.sightline.cli.CliContext;
import io.sightline.cli.ClientOptions;
import io.sightline.cli.Json;
import io.sightline.cli.OutputOptions;
import io.sightline.cli.Table;
import io.sightline.cli.UsageException;
import io.sightline.cli.client.ApiClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(
    name = "issuer",
    description =
        "The server as an OIDC issuer for workload identity federation (Entra trusts its"
            + " assertions through a federated credential).",
    subcommands = {IssuerCommand.Export.class, IssuerCommand.Show.class})
public final class IssuerCommand {

  static final String DISCOVERY = "/.well-known/openid-configuration";
  static final String JWKS = "/.well-known/jwks.json";

  @Command(
      name = "export",
      description = {
        "Write the issuer's discovery document and JWKS as static files, to host where Entra can"
            + " fetch them: DIR/.well-known/openid-configuration and DIR/.well-known/jwks.json.",
        "",
        "Entra fetches <issuer>/.well-known/openid-configuration and then its jwks_uri over HTTPS"
            + " from the internet. When the server itself is not reachable from there, start it"
            + " with --oidc-issuer-url set to a public HTTPS location (a static website, a storage"
            + " account's static website or blob container with public read, a CDN) and upload"
            + " the contents of DIR there, so that <issuer>/.well-known/openid-configuration is"
            + " this file. An issuer URL with a path (https://host/sightline) means the files go"
            + " under that path. Serve them as application/json.",
        "",
        "Keys rotate: a new key is published (staged) in the JWKS days before it signs"
            + " (sightline.oidc.key-publish-ahead, default 7 days), and the server logs a warning"
            + " when it stages one. Re-export and upload again after each rotation or staging;"
            + " `sightline issuer show` lists the keys and when the next one signs.",
        "",
        "Reads the server's public routes only: no token, no database access."
      })
  public static final class Export implements Callable<Integer> {
    private final CliContext ctx;

    @Mixin ClientOptions client;

    @Parameters(index = "0", paramLabel = "DIR", description = "Directory to write into.")
    Path dir;

    public Export(CliContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() throws Exception {
      ApiClient api = ctx.client(client.server);
      JsonNode discovery = api.get(DISCOVERY);
      JsonNode jwks = api.get(JWKS);
      if (!discovery.hasNonNull("issuer") || !discovery.hasNonNull("jwks_uri")) {
        throw new UsageException(
            api.base() + DISCOVERY.substring(1) + " is not an OIDC discovery document");
      }
      if (Files.exists(dir) && !Files.isDirectory(dir)) {
        throw new UsageException(dir + " exists and is not a directory: choose another DIR");
      }
      Path wk = dir.resolve(".well-known");
      Files.createDirectories(wk);
      write(wk.resolve("openid-configuration"), discovery);
      write(wk.resolve("jwks.json"), jwks);
      String issuer = discovery.get("issuer").asText();
      ctx.err()
          .printf("Wrote %s and %s%n", wk.resolve("openid-configuration"), wk.resolve("jwks.json"));
      ctx.err()
          .printf(
              "Host them so that %s%s and %s serve these files (HTTPS, application/json).%n",
              issuer, DISCOVERY, discovery.get("jwks_uri").asText());
      ctx.err()
          .printf(
              "The JWKS holds %d key(s). Re-export after each key rotation: a new key is published"
                  + " before it signs.%n",
              jwks.path("keys").size());
      if (!issuer.startsWith("https://")) {
        ctx.err()
            .printf(
                "Warning: the issuer %s is not HTTPS; Entra accepts only HTTPS issuers. Start the"
                    + " server with --oidc-issuer-url https://…%n",
                issuer);
      }
      ctx.err().flush();
      return 0;
    }

    /**
     * Writes atomically (a temp file moved over the old one), so a web server never serves half.
     */
    private static void write(Path file, JsonNode json) throws IOException {
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.writeString(tmp, Json.MAPPER.writeValueAsString(json) + "\n", StandardCharsets.UTF_8);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
  }

  @Command(
      name = "show",
      description =
          "Show the issuer URL, the subject and audience to register in the Entra app's federated"
              + " credential, and the signing keys with their states (next: published, not signing"
              + " yet; active; retired: published until its last assertion expired).")
  public static final class Show implements Callable<Integer> {
    private final CliContext ctx;

    @Mixin ClientOptions client;
    @Mixin OutputOptions output;

    public Show(CliContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      JsonNode info = ctx.client(client.server).get("/api/v1/issuer");
      if (output.json()) {
        Json.print(ctx.out(), info);
        return 0;
      }
      var out = ctx.out();
      out.printf("Issuer:    %s%n", Json.text(info, "issuerUrl"));
      out.printf("JWKS:      %s%n", Json.text(info, "jwksUri"));
      out.printf("Subject:   %s%n", Json.text(info, "subjectPattern"));
      out.printf("Audience:  %s%n", Json.text(info, "audience"));
      out.printf(
          "Rotation:  every %s, next key published %s ahead%n",
          days(info.path("keyRotationSeconds").asLong()),
          days(info.path("publishAheadSeconds").asLong()));
      out.println();
      Table t = new Table("KEY ID", "ALG", "STATE", "CREATED", "SINCE/UNTIL");
      for (JsonNode k : info.path("keys")) {
        String state = Json.text(k, "state");
        String when =
            switch (state == null ? "" : state) {
              case "next" -> "signs from " + Json.text(k, "signsFrom");
              case "active" -> "since " + Json.text(k, "activatedAt");
              case "retired" -> "retired " + Json.text(k, "retiredAt");
              default -> "";
            };
        t.row(
            Json.text(k, "keyId"),
            Json.text(k, "algorithm"),
            state,
            Json.text(k, "createdAt"),
            when);
      }
      t.print(out);
      out.flush();
      return 0;
    }

    private static String days(long seconds) {
      return seconds % 86400 == 0 ? seconds / 86400 + "d" : seconds + "s";
    }
  }
}
