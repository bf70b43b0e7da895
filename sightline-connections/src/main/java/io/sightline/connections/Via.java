package io.sightline.connections;

import com.fasterxml.jackson.databind.JsonNode;
import io.sightline.core.SightlineException;
import java.util.Iterator;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The {@code via} field of {@code kubernetes} connections (issue 9): {@code "via": {"pool": "P"}}
 * runs every cluster operation of the connection (probe, namespaces, provisioning, minting,
 * revoking, reaping) on an online agent of pool {@code P} instead of from the server.
 */
public final class Via {
  public static final String FIELD = "via";
  private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");

  private Via() {}

  /** The declaration every kubernetes kind shares. */
  public static FieldSpec field() {
    return FieldSpec.text(
            FIELD,
            "Via agent pool",
            "run cluster operations on an agent of this pool, for clusters the server cannot"
                + " reach: {\"pool\": \"private-eu\"}")
        .ofType(FieldType.VIA);
  }

  /** The pool of a connection's stored or given values; null when it has no {@code via}. */
  public static String pool(Map<String, Object> values) {
    Object v = values == null ? null : values.get(FIELD);
    if (v instanceof Map<?, ?> m && m.get("pool") != null) {
      return String.valueOf(m.get("pool"));
    }
    return null;
  }

  static Map<String, String> parse(String key, JsonNode v) {
    if (!v.isObject()) {
      throw SightlineException.badRequest(
          "INVALID_TYPE", key, "via must be an object naming an agent pool: {\"pool\": \"P\"}");
    }
    Iterator<String> names = v.fieldNames();
    while (names.hasNext()) {
      String n = names.next();
      if (!"pool".equals(n)) {
        throw SightlineException.badRequest(
            "UNKNOWN_FIELD", key + "." + n, "via takes only pool: {\"pool\": \"P\"}");
      }
    }
    JsonNode pool = v.get("pool");
    if (pool == null
        || !pool.isTextual()
        || !NAME.matcher(pool.asText()).matches()
        || pool.asText().length() > 63) {
      throw SightlineException.badRequest(
          "INVALID_POOL",
          key + ".pool",
          "via.pool names an agent pool: 1-63 lowercase letters, digits and '-', e.g. private-eu");
    }
    return Map.of("pool", pool.asText());
  }
}
