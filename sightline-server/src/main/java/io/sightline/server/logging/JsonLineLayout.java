package io.sightline.server.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

/**
 * One JSON object per line: {@code ts}, {@code level}, {@code logger}, {@code thread}, {@code msg},
 * the MDC keys, and {@code exception} (the stack trace) when there is one. Redaction happens in
 * {@link RedactingEncoder}, after this layout.
 */
final class JsonLineLayout {

  String doLayout(ILoggingEvent event) {
    StringBuilder sb = new StringBuilder(256);
    sb.append('{');
    field(sb, "ts", Instant.ofEpochMilli(event.getTimeStamp()).toString());
    sb.append(',');
    field(sb, "level", event.getLevel().toString());
    sb.append(',');
    field(sb, "logger", event.getLoggerName());
    sb.append(',');
    field(sb, "thread", event.getThreadName());
    sb.append(',');
    field(sb, "msg", event.getFormattedMessage());
    Map<String, String> mdc = event.getMDCPropertyMap();
    if (mdc != null) {
      for (Map.Entry<String, String> e : new TreeMap<>(mdc).entrySet()) {
        sb.append(',');
        field(sb, e.getKey(), e.getValue());
      }
    }
    IThrowableProxy tp = event.getThrowableProxy();
    if (tp != null) {
      sb.append(',');
      field(sb, "exception", ThrowableProxyUtil.asString(tp));
    }
    sb.append("}\n");
    return sb.toString();
  }

  private static void field(StringBuilder sb, String name, String value) {
    quote(sb, name);
    sb.append(':');
    if (value == null) {
      sb.append("null");
    } else {
      quote(sb, value);
    }
  }

  static void quote(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20 || c == 0x2028 || c == 0x2029) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }
}
