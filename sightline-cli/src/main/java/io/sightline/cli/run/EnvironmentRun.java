package io.sightline.cli.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sightline.cli.client.ApiException;
import io.sightline.core.SecretValue;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code sightline run --environment E --resource R}: requests a deployment as the pipeline, waits
 * for its checks with progress on stderr ({@code waiting for approval: 1 of 2, by ops-leads — 14
 * min left}), claims the lease with the deployment's one-shot claim handle (the CI's ID token may
 * have expired by then), runs the command exactly as {@code run --connection} does ({@link
 * TaskRunner}), and reports the end and the exit code. Interrupted while waiting (Ctrl-C, SIGTERM),
 * it withdraws the request.
 */
public final class EnvironmentRun {
  /** Progress is repeated at least this often while it does not change. */
  static final Duration REPEAT = Duration.ofMinutes(1);

  private final DeploymentApi api;
  private final PrintWriter err;
  private final Duration poll;

  private volatile String id;
  private volatile SecretValue claim;
  private volatile boolean claimed;
  private volatile boolean done;

  public EnvironmentRun(DeploymentApi api, PrintWriter err, Duration poll) {
    this.api = api;
    this.err = err;
    this.poll = poll;
  }

  /** Runs; answers the command's exit code (1 when the deployment does not get its lease). */
  public int run(
      String environment,
      ObjectNode request,
      SecretValue caller,
      TaskRunner runner,
      TaskRunner.Spec spec)
      throws IOException, InterruptedException {
    Thread hook = new Thread(this::onShutdown, "sightline-run-withdraw");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      JsonNode d = api.request(environment, request, caller);
      id = d.get("id").asText();
      claim = SecretValue.of(d.get("claimHandle").asText());
      say(
          "deployment "
              + id
              + " to "
              + environment
              + "/"
              + d.path("resource").asText()
              + " requested ("
              + d.path("connectionType").asText()
              + ")");
      for (JsonNode a : d.path("approvals")) {
        List<String> approvers = new ArrayList<>();
        a.path("approvers").forEach(x -> approvers.add(x.asText()));
        say(
            "approval "
                + a.path("id").asText()
                + " needs "
                + a.path("minApprovers").asInt()
                + " of "
                + String.join(", ", approvers)
                + (a.hasNonNull("instructions") ? " (" + a.get("instructions").asText() + ")" : "")
                + ": sightline approve "
                + a.path("id").asText()
                + " --comment …");
      }
      String last = null;
      long lastAt = 0;
      boolean unreachable = false;
      while (true) {
        String state = d.path("state").asText();
        if (state.equals("finished")) {
          say(
              "deployment "
                  + id
                  + " "
                  + d.path("result").asText()
                  + (d.hasNonNull("failure") ? ": " + d.get("failure").asText() : "")
                  + "; no lease was taken");
          done = true;
          return 1;
        }
        if (!state.equals("waiting")) {
          break;
        }
        String line = d.path("waitingFor").asText("checks");
        if (!line.equals(last) || System.nanoTime() - lastAt > REPEAT.toNanos()) {
          say("waiting for " + line);
          last = line;
          lastAt = System.nanoTime();
        }
        Thread.sleep(poll.toMillis());
        try {
          d = api.get(id, claim);
          unreachable = false;
        } catch (ApiException e) {
          if (e.status() != 0 && e.status() < 500) {
            throw e;
          }
          // The server restarts or a replica is away: the deployment is in its store; keep asking.
          if (!unreachable) {
            say("cannot reach the server (" + e.getMessage() + "): still waiting");
          }
          unreachable = true;
          continue;
        }
      }
      List<String> approvers = new ArrayList<>();
      d.path("approvers").forEach(x -> approvers.add(x.asText()));
      say(
          "checks passed"
              + (approvers.isEmpty() ? "" : " (approved by " + String.join(", ", approvers) + ")")
              + ": claiming the lease");
      claimed = true;
      SecretValue handle = claim;
      String deployment = id;
      int code =
          runner.run(
              new TaskRunner.Spec(
                  spec.leaseRequest(),
                  handle,
                  spec.command(),
                  spec.environment(),
                  spec.exportAzurePipelines(),
                  spec.timeout()),
              () -> api.claim(deployment, handle));
      try {
        JsonNode f = api.finish(id, claim, code);
        say("deployment " + id + " " + f.path("result").asText() + " (exit code " + code + ")");
      } catch (ApiException e) {
        say("could not record the deployment's end: " + e.getMessage());
      }
      done = true;
      return code;
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // shutting down: the hook runs
      }
    }
  }

  private void onShutdown() {
    String d = id;
    SecretValue c = claim;
    if (d == null || c == null || done) {
      return;
    }
    try {
      if (!claimed) {
        api.cancel(d, c);
        say("interrupted: withdrew deployment " + d);
      } else {
        api.finish(d, c, 143);
        say("interrupted: deployment " + d + " recorded as failed");
      }
    } catch (RuntimeException e) {
      say("interrupted: could not withdraw deployment " + d + ": " + e.getMessage());
    }
  }

  private void say(String message) {
    synchronized (err) {
      err.println("sightline: " + message);
      err.flush();
    }
  }
}
