package io.sightline.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.sightline.core.SightlineException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProbeRateLimiterTest {
  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final ProbeRateLimiter limiter =
      new ProbeRateLimiter(3, Duration.ofSeconds(30), 100, now::get);

  @Test
  void aCallerMayBurstUpToTheCapacityThenMustWait() {
    assertThat(limiter.tryAcquire("alice")).isTrue();
    assertThat(limiter.tryAcquire("alice")).isTrue();
    assertThat(limiter.tryAcquire("alice")).isTrue();
    assertThat(limiter.tryAcquire("alice")).isFalse();
  }

  @Test
  void callersHaveSeparateBuckets() {
    for (int i = 0; i < 3; i++) {
      limiter.acquire("alice");
    }
    assertThat(limiter.tryAcquire("bob")).isTrue();
  }

  @Test
  void tokensComeBackWithTime() {
    for (int i = 0; i < 3; i++) {
      limiter.acquire("alice");
    }
    now.addAndGet(Duration.ofSeconds(9).toNanos());
    assertThat(limiter.tryAcquire("alice")).isFalse();
    now.addAndGet(Duration.ofSeconds(1).toNanos());
    assertThat(limiter.tryAcquire("alice")).as("one token per 10 s").isTrue();
    assertThat(limiter.tryAcquire("alice")).isFalse();
  }

  @Test
  void aLimitedCallerGetsA429WithRetryAfter() {
    for (int i = 0; i < 3; i++) {
      limiter.acquire("alice");
    }
    SightlineException e =
        catchThrowableOfType(SightlineException.class, () -> limiter.acquire("alice"));
    assertThat(e.status()).isEqualTo(429);
    assertThat(e.code()).isEqualTo("PROBE_RATE_LIMITED");
    assertThat(e.retryAfterSeconds()).isEqualTo(10);
    assertThat(e.getMessage()).contains("Try again in 10 s");
  }

  @Test
  void memoryIsBoundedByForgettingTheLeastRecentCallers() {
    ProbeRateLimiter small = new ProbeRateLimiter(1, Duration.ofHours(1), 2, now::get);
    assertThat(small.tryAcquire("a")).isTrue();
    assertThat(small.tryAcquire("b")).isTrue();
    assertThat(small.tryAcquire("c")).isTrue(); // evicts a
    assertThat(small.tryAcquire("b")).isFalse(); // b is still tracked
    assertThat(small.tryAcquire("a")).as("a was forgotten, starts with a full bucket").isTrue();
  }
}
