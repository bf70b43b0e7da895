package io.sightline.bench;

import io.sightline.core.SecretValue;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The server's own timers, read from its {@code /metrics} (Prometheus text) before and after a
 * phase: what the server spent per request, without the client's side of HTTP.
 */
final class ServerTimers {
  /** The lease issuance phases the server times (LeaseService's IssueTimers). */
  static final String[] LEASE_PHASES = {"check", "record", "mint", "activate"};

  private final Map<String, double[]> countAndSum;

  private ServerTimers(Map<String, double[]> countAndSum) {
    this.countAndSum = countAndSum;
  }

  /** Reads the server's timers now. */
  static ServerTimers read(String base, SecretValue token) throws IOException {
    PlainHttp.Response r = PlainHttp.send("GET", base + "/metrics", token, null);
    if (r.status() != 200) {
      throw new IOException("GET /metrics answered " + r.status());
    }
    return parse(r.body());
  }

  static ServerTimers parse(String text) {
    Map<String, double[]> m = new LinkedHashMap<>();
    for (String line : text.split("\n")) {
      if (line.startsWith("#") || line.isBlank()) {
        continue;
      }
      int space = line.lastIndexOf(' ');
      String series = line.substring(0, space);
      double value;
      try {
        value = Double.parseDouble(line.substring(space + 1));
      } catch (NumberFormatException e) {
        continue;
      }
      int brace = series.indexOf('{');
      String name = brace < 0 ? series : series.substring(0, brace);
      String labels = brace < 0 ? "" : series.substring(brace);
      if (name.endsWith("_seconds_count")) {
        key(m, name.substring(0, name.length() - "_count".length()), labels)[0] = value;
      } else if (name.endsWith("_seconds_sum")) {
        key(m, name.substring(0, name.length() - "_sum".length()), labels)[1] = value;
      }
    }
    return new ServerTimers(m);
  }

  private static double[] key(Map<String, double[]> m, String name, String labels) {
    return m.computeIfAbsent(name + labels, k -> new double[2]);
  }

  /**
   * Mean milliseconds per event between {@code before} and this reading, of the timer {@code name}
   * whose labels contain every one of {@code labels} (e.g. {@code phase="mint"}); NaN when none
   * happened.
   */
  double meanMsSince(ServerTimers before, String name, String... labels) {
    double count = 0;
    double sum = 0;
    for (var e : countAndSum.entrySet()) {
      if (!e.getKey().startsWith(name + "{") && !e.getKey().equals(name)) {
        continue;
      }
      boolean all = true;
      for (String l : labels) {
        all &= e.getKey().contains(l);
      }
      if (!all) {
        continue;
      }
      double[] b = before.countAndSum.getOrDefault(e.getKey(), new double[2]);
      count += e.getValue()[0] - b[0];
      sum += e.getValue()[1] - b[1];
    }
    return count == 0 ? Double.NaN : sum / count * 1000;
  }
}
