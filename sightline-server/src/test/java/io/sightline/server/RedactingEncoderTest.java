package io.sightline.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sightline.core.SecretValue;
import io.sightline.server.logging.RedactingEncoder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

class RedactingEncoderTest {
  private static final Logger log = LoggerFactory.getLogger(RedactingEncoderTest.class);
  private static final String JWT =
      "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJjaSIsImF1ZCI6Imt1YmUifQ.c2lnbmF0dXJlc2lnbmF0dXJl";

  @AfterEach
  void text() {
    RedactingEncoder.useJson(false);
    MDC.clear();
  }

  @Test
  void secretsTokensAndJwtsAreMaskedInMessagesArgumentsMdcAndStackTraces() {
    SecretValue secret = SecretValue.of("hunter2-canary-value");
    String slt = "slt_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefg";
    try (LogCapture logs = new LogCapture()) {
      MDC.put("principal", "Bearer abcdefghijklmnop");
      log.info("value {} token {} jwt {}", secret.reveal(), slt, JWT);
      log.warn(
          "Authorization: Bearer opaque-token-1234567",
          new IllegalStateException("bad " + slt, new RuntimeException(secret.reveal())));
      String out = logs.text();
      assertThat(out)
          .doesNotContain("hunter2-canary-value")
          .doesNotContain(slt)
          .doesNotContain("slt_AbCd")
          .doesNotContain(JWT)
          .doesNotContain("opaque-token-1234567")
          .doesNotContain("abcdefghijklmnop")
          .contains("***")
          .contains("IllegalStateException");
    }
  }

  @Test
  void javaUtilLoggingLinesPassThroughTheSameRedaction() {
    io.sightline.server.logging.Logging.configure(false);
    try (LogCapture logs = new LogCapture()) {
      java.util.logging.Logger.getLogger("org.postgresql.Driver")
          .warning("connecting with slt_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefg");
      assertThat(logs.text()).contains("org.postgresql.Driver").contains("connecting with ***");
    }
  }

  @Test
  void jsonFormatWritesOneRedactedObjectPerLine() throws Exception {
    RedactingEncoder.useJson(true);
    try (LogCapture logs = new LogCapture()) {
      MDC.put("request.id", "r-1");
      log.info("line \"one\"\nwith slt_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefg");
      log.error("two", new RuntimeException("boom"));
      String[] lines = logs.text().split("\n");
      assertThat(lines).hasSize(2);
      JsonNode first = new ObjectMapper().readTree(lines[0]);
      assertThat(first.get("msg").asText()).isEqualTo("line \"one\"\nwith ***");
      assertThat(first.get("level").asText()).isEqualTo("INFO");
      assertThat(first.get("request.id").asText()).isEqualTo("r-1");
      JsonNode second = new ObjectMapper().readTree(lines[1]);
      assertThat(second.get("exception").asText()).contains("RuntimeException: boom");
    }
  }
}
