package io.sightline.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class RedactorTest {

  @Test
  @DisplayName("a registered secret value is masked wherever it appears in a text")
  void registeredValueIsMasked() {
    SecretValue secret = SecretValue.of("canary-8f3a1c-registered");
    String text = "connect failed for password=" + secret.reveal() + " at host";
    assertThat(Redactor.redact(text))
        .doesNotContain("canary-8f3a1c-registered")
        .contains("password=***");
  }

  @Test
  @DisplayName("JWTs, slt_ tokens and bearer values are masked even when never registered")
  void shapesAreMaskedWithoutRegistration() {
    String jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2EifQ.c2lnbmF0dXJlLXZhbHVl";
    String text =
        "token "
            + jwt
            + " api slt_AbCdEfGhIjKlMnOpQrStUv0123456789 header Authorization: Bearer opaque0123456789";
    String out = Redactor.redact(text);
    assertThat(out)
        .doesNotContain(jwt)
        .doesNotContain("slt_AbCdEfGh")
        .doesNotContain("opaque0123456789")
        .contains("Authorization: Bearer ***");
  }

  @Test
  @DisplayName("short values are not registered, so ordinary words survive")
  void shortValuesAreNotMasked() {
    SecretValue.of("abc");
    assertThat(Redactor.redact("abc is a word")).isEqualTo("abc is a word");
  }

  @Test
  @DisplayName("text without secrets is returned unchanged")
  void plainTextUnchanged() {
    assertThat(Redactor.redact("GET /api/v1/tokens 200 3ms"))
        .isEqualTo("GET /api/v1/tokens 200 3ms");
    assertThat(Redactor.redact(null)).isNull();
  }
}
