package io.sightline.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sightline.cli.CliContext;
import io.sightline.cli.ClientOptions;
import io.sightline.cli.Json;
import io.sightline.cli.OutputOptions;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sightline approve ID} and {@code sightline reject ID}: decide on a deployment. */
public final class ApprovalCommands {
  private ApprovalCommands() {}

  abstract static class Decide implements Callable<Integer> {
    private final CliContext ctx;

    @Mixin ClientOptions client;
    @Mixin OutputOptions output;

    @Parameters(
        paramLabel = "ID",
        description = "The approval's id (`sightline env approvals`, or the waiting run's output).")
    String id;

    @Option(
        names = {"-m", "--comment"},
        paramLabel = "TEXT",
        description = "Why (recorded on the deployment and in the audit log).")
    String comment;

    Decide(CliContext ctx) {
      this.ctx = ctx;
    }

    abstract String decision();

    @Override
    public Integer call() {
      ObjectNode body = Json.MAPPER.createObjectNode().put("decision", decision());
      if (comment != null) {
        body.put("comment", comment);
      }
      JsonNode a =
          ctx.client(client.server)
              .post("/api/v1/approvals/" + URLEncoder.encode(id, StandardCharsets.UTF_8), body);
      if (output.json()) {
        Json.print(ctx.out(), a);
        return 0;
      }
      ctx.err()
          .printf(
              "%s deployment %s to %s/%s: approval %s is %s (%d of %d approvals)%n",
              decision().equals("approve") ? "Approved" : "Rejected",
              Json.text(a, "deployment"),
              Json.text(a, "environment"),
              Json.text(a, "resource"),
              id,
              Json.text(a, "state"),
              a.path("approved").asInt(),
              a.path("minApprovers").asInt());
      ctx.err().flush();
      return 0;
    }
  }

  @Command(
      name = "approve",
      description = {
        "Approve a deployment waiting for an approval check:",
        "  sightline approve 3f2a… --comment 'canary is green'",
        "You must be one of the check's approvers (by principal name or group). With"
            + " minApprovers above 1, others approve too; the run proceeds once enough have."
      })
  public static final class Approve extends Decide {
    public Approve(CliContext ctx) {
      super(ctx);
    }

    @Override
    String decision() {
      return "approve";
    }
  }

  @Command(
      name = "reject",
      description = {
        "Reject a deployment waiting for an approval check: it ends (result rejected) and its run"
            + " gets no lease.",
        "  sightline reject 3f2a… --comment 'not during the sale'"
      })
  public static final class Reject extends Decide {
    public Reject(CliContext ctx) {
      super(ctx);
    }

    @Override
    String decision() {
      return "reject";
    }
  }
}
