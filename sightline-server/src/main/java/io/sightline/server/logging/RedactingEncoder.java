package io.sightline.server.logging;

import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.encoder.EncoderBase;
import io.sightline.core.Redactor;
import java.nio.charset.StandardCharsets;

/**
 * The one encoder every Sightline appender uses: it lays the event out (text or one JSON object per
 * line) and then passes the whole line — message, arguments, MDC, stack trace — through {@link
 * Redactor#redact(String)}, so no log path can emit a registered secret or anything shaped like a
 * bearer token, a JWT or an {@code slt_} token.
 */
public final class RedactingEncoder extends EncoderBase<ILoggingEvent> {
  public static final String DEFAULT_PATTERN =
      "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level %logger{36} [%X{request.id:-}] %msg%n";

  private static volatile boolean json = Boolean.getBoolean("sightline.log.json");

  private String pattern = DEFAULT_PATTERN;
  private PatternLayout textLayout;
  private final JsonLineLayout jsonLayout = new JsonLineLayout();

  /** Switches every encoder of the process between text and JSON lines. */
  public static void useJson(boolean enabled) {
    json = enabled;
  }

  public static boolean isJson() {
    return json;
  }

  public void setPattern(String pattern) {
    this.pattern = pattern;
  }

  @Override
  public void start() {
    textLayout = new PatternLayout();
    textLayout.setContext(getContext());
    textLayout.setPattern(pattern);
    textLayout.start();
    super.start();
  }

  @Override
  public void stop() {
    if (textLayout != null) {
      textLayout.stop();
    }
    super.stop();
  }

  @Override
  public byte[] headerBytes() {
    return null;
  }

  @Override
  public byte[] encode(ILoggingEvent event) {
    String line = json ? jsonLayout.doLayout(event) : textLayout.doLayout(event);
    return Redactor.redact(line).getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public byte[] footerBytes() {
    return null;
  }
}
