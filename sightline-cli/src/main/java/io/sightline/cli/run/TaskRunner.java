package io.sightline.cli.run;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sightline.cli.client.ApiException;
import io.sightline.core.Redactor;
import io.sightline.core.SecretValue;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One {@code sightline run}: takes a lease, writes the task's kubeconfig, runs the command with
 * {@code KUBECONFIG} set and its output masked, renews the lease while the command runs, and on
 * every way out (the command ends or fails, is killed, times out, or {@code sightline run} gets
 * SIGINT/SIGTERM) revokes the lease with its handle and deletes the files.
 */
public final class TaskRunner {
  /**
   * What to run and how.
   *
   * @param environment the command's environment (the CLI's own), to which KUBECONFIG is added
   * @param timeout stop the command after this long, or null
   */
  public record Spec(
      ObjectNode leaseRequest,
      SecretValue caller,
      List<String> command,
      Map<String, String> environment,
      boolean exportAzurePipelines,
      Duration timeout) {}

  static final Duration RENEW_MARGIN = Duration.ofMinutes(2);
  static final Duration KILL_GRACE = Duration.ofSeconds(5);

  private final LeaseApi api;
  private final PrintWriter err;
  private final OutputStream childOut;
  private final OutputStream childErr;
  private final Clock clock;
  private final SecretMasker masker = new SecretMasker();

  private volatile Lease lease;
  private volatile TaskKubeconfig files;
  private volatile Process process;
  private volatile Thread renewer;
  private volatile boolean cleanedUp;
  private final Object startLock = new Object();
  private boolean shuttingDown;
  private Thread hook;
  private Thread[] pumps = new Thread[0];

  public TaskRunner(
      LeaseApi api, PrintWriter err, OutputStream childOut, OutputStream childErr, Clock clock) {
    this.api = api;
    this.err = err;
    this.childOut = childOut;
    this.childErr = childErr;
    this.clock = clock;
  }

  /** A runner writing the child's output into the CLI's writers. */
  public static TaskRunner forWriters(LeaseApi api, PrintWriter out, PrintWriter err) {
    return new TaskRunner(
        api, err, new WriterOutputStream(out), new WriterOutputStream(err), Clock.systemUTC());
  }

  /** Runs the task; answers the command's exit code. */
  public int run(Spec spec) throws IOException, InterruptedException {
    return run(spec, () -> api.create(spec.leaseRequest(), spec.caller()));
  }

  /**
   * Runs the task with a lease {@code acquire} takes (an environment's deployment claims it with
   * its claim handle, {@code spec.caller()}); answers the command's exit code.
   */
  public int run(Spec spec, java.util.function.Supplier<Lease> acquire)
      throws IOException, InterruptedException {
    masker.add(spec.caller().reveal());
    Lease l = acquire.get();
    lease = l;
    masker.add(l.token().reveal());
    if (l.handle() != null) {
      masker.add(l.handle().reveal());
    }
    hook = new Thread(this::onShutdown, "sightline-run-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      say(
          "lease "
              + l.id()
              + " ("
              + l.credential()
              + (l.namespace() == null ? "" : ", namespace " + l.namespace())
              + ") expires at "
              + l.expiresAt());
      for (String w : l.warnings()) {
        say("warning: " + w);
      }
      files = TaskKubeconfig.write(l);
      ProcessBuilder pb = new ProcessBuilder(spec.command());
      Map<String, String> env = pb.environment();
      env.clear();
      env.putAll(spec.environment());
      env.put("KUBECONFIG", files.kubeconfig().toString());
      if (spec.exportAzurePipelines()) {
        env.putAll(AzurePipelinesExport.variables(l));
        say(
            "exported Azure Pipelines endpoint "
                + l.connectionId()
                + " to the command; tasks inline its token, so it is NOT renewed: the TTL must"
                + " cover the task");
        String warning = AzurePipelinesExport.warning(l);
        if (warning != null) {
          say("warning: " + warning);
        }
      }
      pb.redirectInput(ProcessBuilder.Redirect.INHERIT);
      Process p;
      synchronized (startLock) {
        if (shuttingDown) {
          return 143;
        }
        try {
          p = pb.start();
        } catch (IOException e) {
          say("cannot start " + spec.command().get(0) + ": " + e.getMessage());
          return 127;
        }
        // assigned under the lock, so a SIGTERM right after the start still stops the command
        process = p;
      }
      pumps =
          new Thread[] {
            pump(p.getInputStream(), childOut, "stdout"),
            pump(p.getErrorStream(), childErr, "stderr")
          };
      startRenewer(spec);
      int code = waitFor(p, spec.timeout());
      for (Thread t : pumps) {
        t.join(2000);
      }
      return code;
    } finally {
      cleanup();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // shutting down: the hook runs (and finds the work done)
      }
    }
  }

  private int waitFor(Process p, Duration timeout) throws InterruptedException {
    if (timeout == null) {
      return p.waitFor();
    }
    if (p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      return p.exitValue();
    }
    say("the command ran longer than --timeout " + timeout.toSeconds() + "s: stopping it");
    return stop(p);
  }

  /** SIGTERM to the command and everything it started, SIGKILL to what is left after a grace. */
  private static int stop(Process p) throws InterruptedException {
    List<ProcessHandle> tree = p.descendants().toList();
    tree.forEach(ProcessHandle::destroy);
    p.destroy();
    if (!p.waitFor(KILL_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
      p.destroyForcibly();
    }
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
    for (ProcessHandle h : tree) {
      while (h.isAlive() && System.nanoTime() < until) {
        Thread.sleep(20);
      }
      if (h.isAlive()) {
        h.destroyForcibly();
      }
    }
    return p.waitFor();
  }

  private Thread pump(InputStream in, OutputStream out, String name) {
    Thread t =
        new Thread(
            () -> {
              try (in) {
                masker.copy(in, out);
              } catch (IOException e) {
                // the child's pipe closed
              }
            },
            "sightline-run-" + name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  /**
   * When to renew: at 2/3 of the time left, or earlier when that is less than 2 minutes before
   * expiry (but never before half the time left, so short leases are not renewed in a loop).
   */
  static Instant renewAt(Instant now, Instant expiresAt) {
    Duration left = Duration.between(now, expiresAt);
    Instant margin = expiresAt.minus(RENEW_MARGIN);
    Instant twoThirds = now.plus(left.multipliedBy(2).dividedBy(3));
    Instant half = now.plus(left.dividedBy(2));
    // short leases (under 6 minutes): the 2-minute margin would come too early, take 2/3
    return margin.isBefore(twoThirds) && !margin.isBefore(half) ? margin : twoThirds;
  }

  private void startRenewer(Spec spec) {
    long ttl = spec.leaseRequest().path("ttlSeconds").asLong(0);
    Thread t =
        new Thread(
            () -> {
              try {
                renewLoop(ttl);
              } catch (InterruptedException e) {
                // stopped
              }
            },
            "sightline-run-renew");
    t.setDaemon(true);
    renewer = t;
    t.start();
  }

  private void renewLoop(long ttl) throws InterruptedException {
    while (!cleanedUp) {
      Lease l = lease;
      if (l.expiresAt() == null) {
        return;
      }
      Instant at = renewAt(clock.instant(), l.expiresAt());
      long wait = Duration.between(clock.instant(), at).toMillis();
      if (wait > 0) {
        Thread.sleep(wait);
      }
      if (cleanedUp) {
        return;
      }
      try {
        Lease renewed = api.renew(l, ttl > 0 ? ttl : l.ttlSeconds());
        masker.add(renewed.token().reveal());
        files.rewriteToken(renewed.token());
        lease = renewed;
        say("renewed lease " + renewed.id() + " until " + renewed.expiresAt());
      } catch (ApiException e) {
        if (e.status() == 409 && "LEASE_MAX_LIFETIME".equals(e.code())) {
          say(
              "lease "
                  + l.id()
                  + " reached its maximum lifetime and cannot be renewed: the command keeps its"
                  + " token until "
                  + l.expiresAt());
          return;
        }
        say("could not renew lease " + l.id() + " (" + Redactor.redact(e.getMessage()) + ")");
        if (Duration.between(clock.instant(), l.expiresAt()).toSeconds() < 20) {
          return;
        }
        Thread.sleep(
            Math.min(30_000, Duration.between(clock.instant(), l.expiresAt()).toMillis() / 3));
      } catch (IOException e) {
        say("could not write the renewed token (" + e.getClass().getSimpleName() + ")");
        return;
      }
    }
  }

  private void onShutdown() {
    Process p;
    synchronized (startLock) {
      shuttingDown = true; // a command not started yet never starts
      p = process;
    }
    if (p != null && p.isAlive()) {
      say("interrupted: stopping the command");
      try {
        stop(p);
        for (Thread t : pumps) {
          t.join(1000);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    cleanup();
  }

  /** Revokes the lease and deletes the files, once. */
  private synchronized void cleanup() {
    if (cleanedUp) {
      return;
    }
    cleanedUp = true;
    Thread r = renewer;
    if (r != null) {
      r.interrupt();
    }
    Lease l = lease;
    if (l != null) {
      try {
        api.revoke(l.id(), l.handle());
        say("revoked lease " + l.id());
      } catch (RuntimeException e) {
        say(
            "could not revoke lease "
                + l.id()
                + " ("
                + Redactor.redact(e.getMessage())
                + "); it expires at "
                + l.expiresAt()
                + " — revoke it with `sightline lease revoke "
                + l.id()
                + "`");
      }
    }
    TaskKubeconfig f = files;
    if (f != null) {
      try {
        f.close();
      } catch (IOException e) {
        say("could not delete " + f.dir() + " (" + e.getMessage() + "): delete it yourself");
      }
    }
  }

  private void say(String message) {
    synchronized (err) {
      err.println("sightline: " + message);
      err.flush();
    }
  }

  /** The lease in use (for tests). */
  Lease lease() {
    return lease;
  }

  TaskKubeconfig files() {
    return files;
  }
}
