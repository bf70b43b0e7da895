package io.sightline.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sightline.cli.CliContext;
import io.sightline.cli.ClientOptions;
import io.sightline.cli.Json;
import io.sightline.cli.OutputOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "admin",
    description = "Server administration (admins).",
    subcommands = {AdminCommand.RotateMasterKey.class, AdminCommand.RotateIssuerKey.class})
public final class AdminCommand {

  @Command(
      name = "rotate-master-key",
      description = {
        "Re-wrap every data key and the audit key under a new master key, online, through the"
            + " running server (the embedded database is locked while it runs).",
        "With a key file (the embedded default) the server generates the new key and replaces the"
            + " file. When the key comes from $SIGHTLINE_MASTER_KEY, pass the new key with"
            + " --new-key-file and update the environment before the next restart."
      })
  public static final class RotateMasterKey implements Callable<Integer> {
    private final CliContext ctx;

    @Mixin ClientOptions client;
    @Mixin OutputOptions output;

    @Option(
        names = "--new-key-file",
        paramLabel = "FILE",
        description =
            "File holding the new key: base64 of 32 random bytes (openssl rand -base64 32).")
    Path newKeyFile;

    public RotateMasterKey(CliContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() throws Exception {
      ObjectNode body = Json.MAPPER.createObjectNode();
      if (newKeyFile != null) {
        body.put("newKey", Files.readString(newKeyFile, StandardCharsets.UTF_8).strip());
      }
      JsonNode answer = ctx.client(client.server).post("/api/v1/admin/rotate-master-key", body);
      if (output.json()) {
        Json.print(ctx.out(), answer);
      }
      ctx.err()
          .printf(
              "Master key rotated: now %s. %s%n",
              Json.text(answer, "keyId"),
              answer.hasNonNull("message") ? Json.text(answer, "message") : "");
      ctx.err().flush();
      return 0;
    }
  }

  @Command(
      name = "rotate-issuer-key",
      description = {
        "Rotate the OIDC issuer's signing key (workload identity federation). By default the next"
            + " key is published in the JWKS now and signs once it has been published for"
            + " sightline.oidc.key-publish-ahead (default 7 days); with --now it signs at once.",
        "If the issuer documents are hosted as static files, run `sightline issuer export DIR`"
            + " and upload them right after this command: Entra refuses assertions signed by a key"
            + " it cannot find in the JWKS."
      })
  public static final class RotateIssuerKey implements Callable<Integer> {
    private final CliContext ctx;

    @Mixin ClientOptions client;
    @Mixin OutputOptions output;

    @Option(
        names = "--now",
        description =
            "Let the next key sign immediately (e.g. after a key leak); the old key stays published"
                + " until its last assertion has expired (about 6 minutes).")
    boolean now;

    public RotateIssuerKey(CliContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      ObjectNode body = Json.MAPPER.createObjectNode();
      body.put("now", now);
      JsonNode answer = ctx.client(client.server).post("/api/v1/admin/rotate-issuer-key", body);
      if (output.json()) {
        Json.print(ctx.out(), answer);
      }
      ctx.err().println("Issuer key rotated: " + Json.text(answer, "message"));
      ctx.err().flush();
      return 0;
    }
  }
}
