package io.sightline.cli.run;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class RenewScheduleTest {
  private static final Instant NOW = Instant.parse("2026-11-29T12:00:00Z");

  private static Duration after(Duration ttl) {
    return Duration.between(NOW, TaskRunner.renewAt(NOW, NOW.plus(ttl)));
  }

  @Test
  @DisplayName("a lease is renewed at 2/3 of its TTL, and so at least 2 minutes before expiry")
  void schedule() {
    assertThat(after(Duration.ofMinutes(15))).isEqualTo(Duration.ofMinutes(10));
    assertThat(after(Duration.ofMinutes(60))).isEqualTo(Duration.ofMinutes(40));
    assertThat(after(Duration.ofMinutes(10)))
        .isLessThanOrEqualTo(Duration.ofMinutes(8))
        .isGreaterThanOrEqualTo(Duration.ofMinutes(5));
    assertThat(after(Duration.ofMinutes(5))).isEqualTo(Duration.ofMinutes(3));
    assertThat(after(Duration.ofSeconds(3))).isEqualTo(Duration.ofSeconds(2));
  }
}
