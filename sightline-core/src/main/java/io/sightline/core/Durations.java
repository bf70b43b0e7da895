package io.sightline.core;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Human durations as the CLI and config files accept them: {@code 30s}, {@code 15m}, {@code 1h},
 * {@code 90d}, {@code 1h30m}, or a bare number of seconds. The API itself takes integer {@code
 * ttlSeconds}.
 */
public final class Durations {
  private static final Pattern PART = Pattern.compile("(\\d+)(ms|s|m|h|d)");

  private Durations() {}

  /**
   * Parses a duration.
   *
   * @param field the option or key being parsed, named in the error
   * @throws SightlineException 400 naming {@code field} and the accepted forms
   */
  public static Duration parse(String text, String field) {
    String t = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
    if (t.matches("\\d{1,12}")) {
      return Duration.ofSeconds(Long.parseLong(t));
    }
    Matcher m = PART.matcher(t);
    Duration total = Duration.ZERO;
    int end = 0;
    while (m.find() && m.start() == end) {
      long n = Long.parseLong(m.group(1));
      total =
          total.plus(
              switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
              });
      end = m.end();
    }
    if (t.isEmpty() || end != t.length()) {
      throw SightlineException.badRequest(
          "INVALID_DURATION",
          field,
          field
              + " must be a duration such as 30s, 15m, 1h, 90d or 1h30m (got \""
              + (text == null ? "" : text)
              + "\")");
    }
    return total;
  }

  /** Formats as the largest exact units, e.g. {@code 1h30m}, {@code 90d}, {@code 45s}. */
  public static String format(Duration d) {
    long s = d.getSeconds();
    if (s == 0) {
      return d.toMillis() + "ms";
    }
    StringBuilder b = new StringBuilder();
    long days = s / 86400;
    long hours = s % 86400 / 3600;
    long minutes = s % 3600 / 60;
    long seconds = s % 60;
    if (days > 0) {
      b.append(days).append('d');
    }
    if (hours > 0) {
      b.append(hours).append('h');
    }
    if (minutes > 0) {
      b.append(minutes).append('m');
    }
    if (seconds > 0) {
      b.append(seconds).append('s');
    }
    return b.toString();
  }
}
