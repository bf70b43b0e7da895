package io.sightline.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class SecretValueTest {

  @Test
  @DisplayName("toString never shows the value, also inside records and collections")
  void toStringRedacts() {
    SecretValue s = SecretValue.of("canary-value-0042");
    record Holder(String name, SecretValue secret) {}
    assertThat(s.toString()).isEqualTo("***");
    assertThat(new Holder("x", s).toString()).doesNotContain("canary-value-0042");
    assertThat(List.of(s).toString()).doesNotContain("canary-value-0042");
  }

  @Test
  @DisplayName("equal values compare equal; reveal gives the value back")
  void equalityAndReveal() {
    assertThat(SecretValue.of("same-value-123")).isEqualTo(SecretValue.of("same-value-123"));
    assertThat(SecretValue.of("same-value-123")).isNotEqualTo(SecretValue.of("other-value-123"));
    assertThat(SecretValue.of("same-value-123").reveal()).isEqualTo("same-value-123");
  }
}
