package io.sightline.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class DurationsTest {

  @Test
  @DisplayName("accepts 30s, 15m, 1h, 90d, 1h30m and bare seconds")
  void acceptsCommonForms() {
    assertThat(Durations.parse("30s", "ttl")).isEqualTo(Duration.ofSeconds(30));
    assertThat(Durations.parse("15m", "ttl")).isEqualTo(Duration.ofMinutes(15));
    assertThat(Durations.parse("1h", "ttl")).isEqualTo(Duration.ofHours(1));
    assertThat(Durations.parse("90d", "ttl")).isEqualTo(Duration.ofDays(90));
    assertThat(Durations.parse("1h30m", "ttl")).isEqualTo(Duration.ofMinutes(90));
    assertThat(Durations.parse("600", "ttl")).isEqualTo(Duration.ofSeconds(600));
    assertThat(Durations.parse("500ms", "timeout")).isEqualTo(Duration.ofMillis(500));
  }

  @Test
  @DisplayName("rejects garbage with a message naming the field and the accepted forms")
  void rejectsGarbage() {
    for (String bad : new String[] {"", "ten minutes", "5x", "m5", "1h 30m", "-5s"}) {
      assertThatThrownBy(() -> Durations.parse(bad, "--ttl"))
          .isInstanceOfSatisfying(
              SightlineException.class,
              e -> {
                assertThat(e.field()).isEqualTo("--ttl");
                assertThat(e.getMessage()).contains("15m");
              });
    }
  }

  @Test
  @DisplayName("formats durations in the largest exact units")
  void formats() {
    assertThat(Durations.format(Duration.ofMinutes(90))).isEqualTo("1h30m");
    assertThat(Durations.format(Duration.ofDays(90))).isEqualTo("90d");
    assertThat(Durations.format(Duration.ofSeconds(45))).isEqualTo("45s");
  }
}
