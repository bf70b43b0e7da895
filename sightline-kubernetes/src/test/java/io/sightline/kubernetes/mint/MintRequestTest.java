package io.sightline.kubernetes.mint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sightline.core.SightlineException;
import io.sightline.kubernetes.mint.internal.Jwts;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class MintRequestTest {

  @Test
  @DisplayName("a TTL under 600 s is refused, naming ttlSeconds and Kubernetes' minimum")
  void ttlMinimum() {
    assertThatThrownBy(
            () -> MintRequest.of("l1", "sightline-prod", "deployer-web", Duration.ofSeconds(300)))
        .isInstanceOfSatisfying(
            SightlineException.class,
            e -> {
              assertThat(e.code()).isEqualTo("TTL_TOO_SHORT");
              assertThat(e.field()).isEqualTo("ttlSeconds");
              assertThat(e.getMessage()).contains("300").contains("600");
            });
    assertThat(
            MintRequest.of("l1", "sightline-prod", "deployer-web", Duration.ofSeconds(600)).ttl())
        .hasSeconds(600);
  }

  @Test
  @DisplayName("a lease id must be able to name a Secret and a label")
  void leaseIds() {
    assertThat(MintRequest.of("0f3a-77", "h", "d", Duration.ofMinutes(10)).secretName())
        .isEqualTo("sightline-lease-0f3a-77");
    for (String bad : new String[] {"ABC", "a_b", "-a", "a".repeat(48), ""}) {
      assertThatThrownBy(() -> MintRequest.of(bad, "h", "d", Duration.ofMinutes(10)))
          .isInstanceOfSatisfying(
              SightlineException.class, e -> assertThat(e.field()).isEqualTo("leaseId"));
    }
    assertThat(MintRequest.of("a".repeat(47), "h", "d", Duration.ofMinutes(10)).secretName())
        .hasSize(63);
  }

  @Test
  @DisplayName("JWT claims are read without verification; garbage gives no claims")
  void jwtClaims() {
    String payload =
        Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString(
                "{\"exp\":1700000000,\"jti\":\"abc\"}".getBytes(StandardCharsets.UTF_8));
    assertThat(Jwts.unverifiedClaims("x." + payload + ".y").get("jti").asText()).isEqualTo("abc");
    assertThat(Jwts.unverifiedClaims("not-a-jwt").isEmpty()).isTrue();
    assertThat(Jwts.unverifiedClaims("a.!!!.b").isEmpty()).isTrue();
  }
}
