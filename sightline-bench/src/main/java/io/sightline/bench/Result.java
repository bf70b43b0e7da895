package io.sightline.bench;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A figure's outcome: the headline value against the target, and the supporting statistics (median,
 * p99, min, max, baseline and ratio where they apply).
 */
record Result(
    String name,
    String target,
    double value,
    String unit,
    boolean pass,
    Map<String, Object> stats) {

  static Result of(String name, String target, double value, String unit, boolean pass) {
    return new Result(name, target, value, unit, pass, new LinkedHashMap<>());
  }

  Result with(String key, Object v) {
    stats.put(key, v);
    return this;
  }
}
