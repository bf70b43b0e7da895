package io.sightline.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import io.sightline.cli.CliContext;
import io.sightline.cli.ClientOptions;
import io.sightline.cli.Json;
import io.sightline.cli.OutputOptions;
import io.sightline.cli.Table;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "audit",
    description = "Read and verify the audit log (role reader or above).",
    subcommands = {AuditCommand.ListRecords.class, AuditCommand.Verify.class})
public final class AuditCommand {

  @Command(name = "list", description = "List audit records, newest first.")
  public static final class ListRecords implements Callable<Integer> {
    private final CliContext ctx;

    @Mixin ClientOptions client;
    @Mixin OutputOptions output;

    @Option(names = "--action", description = "Only this action, e.g. token.create.")
    String action;

    @Option(names = "--actor", description = "Only records caused by this principal.")
    String actor;

    @Option(names = "--target", description = "Only records about this target, e.g. token/ID.")
    String target;

    @Option(names = "--outcome", description = "success, failure or denied.")
    String outcome;

    @Option(names = "--since", paramLabel = "TIME", description = "ISO-8601 instant, inclusive.")
    String since;

    @Option(names = "--until", paramLabel = "TIME", description = "ISO-8601 instant, exclusive.")
    String until;

    @Option(names = "--limit", defaultValue = "50", description = "Page size (default 50).")
    int limit;

    @Option(
        names = "--cursor",
        paramLabel = "CURSOR",
        description = "Page cursor printed after the previous page (older records).")
    String cursor;

    public ListRecords(CliContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      Map<String, String> q = new LinkedHashMap<>();
      q.put("action", action);
      q.put("actor", actor);
      q.put("target", target);
      q.put("outcome", outcome);
      q.put("since", since);
      q.put("until", until);
      q.put("limit", Integer.toString(limit));
      q.put("cursor", cursor);
      JsonNode page = ctx.client(client.server).get("/api/v1/audit", q);
      output.printList(
          ctx.out(),
          page,
          new Table("SEQ", "AT", "ACTION", "ACTOR", "TARGET", "OUTCOME"),
          r ->
              new Object[] {
                Json.text(r, "seq"),
                Json.text(r, "at"),
                Json.text(r, "action"),
                Json.text(r, "actor"),
                Json.text(r, "target"),
                Json.text(r, "outcome")
              });
      if (output.json()) {
        return 0;
      }
      String next = Json.text(page, "nextCursor");
      if (next != null) {
        ctx.err().printf("More: sightline audit list --cursor %s%n", next);
        ctx.err().flush();
      }
      return 0;
    }
  }

  @Command(
      name = "verify",
      description = {
        "Verify the audit chain: every record's HMAC link and the tail against the newest signed"
            + " checkpoint. Exits 1 and names the first broken record, or the missing tail.",
      })
  public static final class Verify implements Callable<Integer> {
    private final CliContext ctx;

    @Mixin ClientOptions client;
    @Mixin OutputOptions output;

    public Verify(CliContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      JsonNode v = ctx.client(client.server).get("/api/v1/audit/verify");
      boolean ok = v.path("ok").asBoolean(false);
      if (output.json()) {
        Json.print(ctx.out(), v);
      } else {
        ctx.out()
            .printf(
                "%s: %s records checked. %s%n",
                ok ? "OK" : "BROKEN",
                Json.text(v, "checked"),
                v.hasNonNull("message") ? Json.text(v, "message") : "");
        ctx.out().flush();
      }
      return ok ? 0 : 1;
    }
  }
}
