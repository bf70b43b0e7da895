package io.sightline.server.environments;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sightline.core.SightlineException;
import io.sightline.server.environments.EnvironmentWire.CheckBody;
import io.sightline.server.leases.PipelineIdentity;
import io.sightline.store.Environments.Scope;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ChecksTest {
  static CheckBody hours(List<String> days, String start, String end, String zone) {
    return new CheckBody(
        "businessHours", null, null, null, null, null, days, start, end, zone, null, null);
  }

  @Test
  @DisplayName("business hours are read in their time zone, days included, end exclusive")
  void businessHours() {
    Map<String, Object> s =
        Checks.settings(
            hours(List.of("Monday", "fri"), "09:00", "17:00", "America/New_York"),
            Scope.ENVIRONMENT);
    assertThat(s.get("days")).isEqualTo(List.of("mon", "fri"));
    // Monday 2026-11-30 09:00 in New York is 14:00 UTC
    assertThat(Checks.open(s, Instant.parse("2026-11-30T13:59:00Z"))).isFalse();
    assertThat(Checks.open(s, Instant.parse("2026-11-30T14:00:00Z"))).isTrue();
    assertThat(Checks.open(s, Instant.parse("2026-11-30T21:59:00Z"))).isTrue();
    assertThat(Checks.open(s, Instant.parse("2026-11-30T22:00:00Z"))).isFalse();
    // Tuesday: closed all day; opens Friday 09:00
    Instant tuesday = Instant.parse("2026-12-01T15:00:00Z");
    assertThat(Checks.open(s, tuesday)).isFalse();
    assertThat(Checks.nextOpening(s, tuesday).orElseThrow().toInstant())
        .isEqualTo(Instant.parse("2026-12-04T14:00:00Z"));
    assertThat(Checks.hoursProgress(s, tuesday)).endsWith("opens Fri 09:00 — 71 h 0 min left");
  }

  @Test
  @DisplayName("bad checks are refused naming the field")
  void badChecks() {
    Object[][] cases = {
      {
        new CheckBody(null, null, null, null, null, null, null, null, null, null, null, null),
        "type"
      },
      {hours(null, "17:00", "09:00", null), "end"},
      {hours(List.of("funday"), "09:00", "17:00", null), "days"},
      {
        new CheckBody(
            "approval",
            List.of("has space"),
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null),
        "approvers"
      },
      {
        new CheckBody(
            "approval", List.of("a"), null, null, null, 10L, null, null, null, null, null, null),
        "timeoutSeconds"
      },
      {
        new CheckBody(
            "branchControl", null, null, null, null, null, null, null, null, null, true, null),
        "failFast"
      },
    };
    for (Object[] c : cases) {
      assertThatThrownBy(() -> Checks.settings((CheckBody) c[0], Scope.ENVIRONMENT))
          .isInstanceOfSatisfying(
              SightlineException.class,
              e -> {
                assertThat(e.status()).isEqualTo(400);
                assertThat(e.field()).isEqualTo(c[1]);
              });
    }
  }

  @Test
  @DisplayName("branch control reads refs/… from the ref claim, short GitLab refs included")
  void refs() {
    PipelineIdentity gh =
        new PipelineIdentity(
            "github",
            "https://i",
            "s",
            "github:org/app@refs/heads/main",
            Map.of("ref", "refs/heads/main"));
    PipelineIdentity gitlabTag =
        new PipelineIdentity(
            "gitlab",
            "https://i",
            "s",
            "gitlab:g/p@refs/tags/v1",
            Map.of("ref", "v1", "ref_type", "tag"));
    PipelineIdentity noClaim =
        new PipelineIdentity("ado", "https://i", "s", "ado:org/p@refs/heads/rel", Map.of());
    assertThat(EnvironmentService.ref(gh)).isEqualTo("refs/heads/main");
    assertThat(EnvironmentService.ref(gitlabTag)).isEqualTo("refs/tags/v1");
    assertThat(EnvironmentService.ref(noClaim)).isEqualTo("refs/heads/rel");
    assertThat(EnvironmentService.ref(null)).isNull();
    assertThat(Checks.refAllowed(List.of("refs/heads/release/*"), "refs/heads/release/1.2"))
        .isTrue();
    assertThat(Checks.refAllowed(List.of("refs/heads/release/*"), "refs/heads/release/1/2"))
        .isFalse();
    assertThat(Checks.refAllowed(List.of("refs/heads/main"), null)).isFalse();
  }

  @Test
  @DisplayName("progress reads as a person would say it")
  void words() {
    assertThat(Checks.ordinal(1)).isEqualTo("1st");
    assertThat(Checks.ordinal(2)).isEqualTo("2nd");
    assertThat(Checks.ordinal(3)).isEqualTo("3rd");
    assertThat(Checks.ordinal(11)).isEqualTo("11th");
    assertThat(Checks.ordinal(22)).isEqualTo("22nd");
    assertThat(Checks.minutes(Duration.ofSeconds(14 * 60 + 1))).isEqualTo("15 min");
    assertThat(Checks.minutes(Duration.ofMinutes(14))).isEqualTo("14 min");
    assertThat(Checks.minutes(Duration.ofMinutes(150))).isEqualTo("2 h 30 min");
  }
}
