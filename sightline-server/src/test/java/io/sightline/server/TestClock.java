package io.sightline.server;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/** A clock tests can move forward. */
final class TestClock extends Clock {
  private volatile Instant now = Instant.parse("2026-11-29T12:00:00Z");
  private volatile boolean real;
  private volatile Duration ahead = Duration.ZERO;

  /** Follows the system clock from now on (for tests with real agents signing proofs). */
  void useSystemTime() {
    real = true;
  }

  /** Following the system clock, runs this far ahead of it (zero: back to the system's time). */
  void runAhead(Duration d) {
    ahead = d;
  }

  void set(Instant instant) {
    now = instant;
  }

  void advance(Duration d) {
    now = now.plus(d);
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return this;
  }

  @Override
  public Instant instant() {
    if (real) {
      return Instant.now().plus(ahead);
    }
    return now;
  }
}
