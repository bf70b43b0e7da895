package io.sightline.server.leases;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;

/**
 * Where a TokenRequest lease's issuance spends its time, as the timer {@code
 * sightline.lease.issue.phase} ({@code sightline_lease_issue_phase_seconds} on /metrics) with tag
 * {@code phase}: {@code check} (idempotency look-up, the connection read with the environments'
 * gate, pipeline permissions), {@code record} (the lease row's durable commit, before anything
 * exists on the cluster), {@code mint} (the lease Secret and the TokenRequest on the cluster, or on
 * its agent), {@code activate} (the activation and audit record's durable commit). Operators see
 * which one grows; the benchmark reports them per lease.
 */
final class IssueTimers {
  static final IssueTimers NONE = new IssueTimers(null);

  private final Timer check;
  private final Timer record;
  private final Timer mint;
  private final Timer activate;

  IssueTimers(MeterRegistry meters) {
    this.check = timer(meters, "check");
    this.record = timer(meters, "record");
    this.mint = timer(meters, "mint");
    this.activate = timer(meters, "activate");
  }

  private static Timer timer(MeterRegistry meters, String phase) {
    return meters == null
        ? null
        : Timer.builder("sightline.lease.issue.phase")
            .description("time a TokenRequest lease's issuance spends in each phase")
            .tag("phase", phase)
            .register(meters);
  }

  /** Records the check phase that began at {@code since}; answers now. */
  long check(long since) {
    return lap(check, since);
  }

  long record(long since) {
    return lap(record, since);
  }

  long mint(long since) {
    return lap(mint, since);
  }

  long activate(long since) {
    return lap(activate, since);
  }

  private static long lap(Timer timer, long since) {
    long now = System.nanoTime();
    if (timer != null) {
      timer.record(now - since, TimeUnit.NANOSECONDS);
    }
    return now;
  }
}
