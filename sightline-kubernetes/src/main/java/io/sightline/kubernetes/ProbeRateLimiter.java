package io.sightline.kubernetes;

import io.sightline.core.SightlineException;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Limits probes per caller (a token bucket per caller key), so the server cannot be used as a port
 * scanner. Each caller may burst {@code capacity} probes, refilled at {@code capacity} per {@code
 * period}. Memory is bounded: at most {@code maxCallers} buckets are kept, the least recently used
 * (and by then full again, or nearly) are dropped first.
 */
public final class ProbeRateLimiter {
  /** The code of the 429 {@link SightlineException}. */
  public static final String CODE = "PROBE_RATE_LIMITED";

  private final int capacity;
  private final double tokensPerNano;
  private final int maxCallers;
  private final LongSupplier nanoClock;
  private final Map<String, Bucket> buckets;

  private static final class Bucket {
    double tokens;
    long updated;

    Bucket(double tokens, long updated) {
      this.tokens = tokens;
      this.updated = updated;
    }
  }

  /** {@code capacity} probes per {@code period} per caller; at most 10 000 callers tracked. */
  public ProbeRateLimiter(int capacity, Duration period) {
    this(capacity, period, 10_000, System::nanoTime);
  }

  /** For tests: a given clock (nanoseconds, monotonic). */
  public ProbeRateLimiter(int capacity, Duration period, int maxCallers, LongSupplier nanoClock) {
    if (capacity < 1 || period.isZero() || period.isNegative() || maxCallers < 1) {
      throw new IllegalArgumentException("capacity, period and maxCallers must be positive");
    }
    this.capacity = capacity;
    this.tokensPerNano = capacity / (double) period.toNanos();
    this.maxCallers = maxCallers;
    this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
    this.buckets = new LinkedHashMap<>(16, 0.75f, true);
  }

  /** Takes one probe from {@code caller}'s bucket; false when the caller must wait. */
  public synchronized boolean tryAcquire(String caller) {
    return waitNanos(caller) == 0;
  }

  /**
   * Takes one probe from {@code caller}'s bucket, or throws a 429 {@link SightlineException} with
   * {@code retryAfterSeconds}.
   */
  public synchronized void acquire(String caller) {
    long wait = waitNanos(caller);
    if (wait > 0) {
      int seconds = (int) Math.max(1, (wait + 999_999_999L) / 1_000_000_000L);
      throw new SightlineException(
          CODE,
          429,
          null,
          "Too many probes: at most "
              + capacity
              + " in a row per caller. Try again in "
              + seconds
              + " s.",
          seconds,
          null);
    }
  }

  /** 0 when a token was taken, else how long until one is available (nothing taken). */
  private long waitNanos(String caller) {
    Objects.requireNonNull(caller, "caller");
    long now = nanoClock.getAsLong();
    Bucket b = buckets.get(caller);
    if (b == null) {
      b = new Bucket(capacity, now);
      buckets.put(caller, b);
      evict();
    } else {
      b.tokens = Math.min(capacity, b.tokens + (now - b.updated) * tokensPerNano);
      b.updated = now;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return (long) Math.ceil((1 - b.tokens) / tokensPerNano);
  }

  private void evict() {
    Iterator<Map.Entry<String, Bucket>> it = buckets.entrySet().iterator();
    while (buckets.size() > maxCallers && it.hasNext()) {
      it.next();
      it.remove();
    }
  }
}
