package io.sightline.cli.run;

import com.fasterxml.jackson.databind.JsonNode;
import io.sightline.core.SecretValue;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A lease as {@code POST /api/v1/leases} (and {@code …/renew}) answer it. {@code toString} never
 * shows the token or the handle.
 */
public record Lease(
    String id,
    String credential,
    SecretValue token,
    String server,
    String certificateAuthorityData,
    String namespace,
    Instant expiresAt,
    Instant maxExpiresAt,
    long ttlSeconds,
    List<String> warnings,
    SecretValue handle,
    String connectionId,
    JsonNode json) {

  /** Reads an answer; {@code previousHandle} stands in when a renewal answer carries none. */
  public static Lease of(JsonNode n, SecretValue previousHandle) {
    List<String> warnings = new ArrayList<>();
    JsonNode w = n.get("warnings");
    if (w != null && w.isArray()) {
      w.forEach(
          x -> warnings.add(x.isTextual() ? x.asText() : x.path("detail").asText(x.toString())));
    }
    String handle = text(n, "handle");
    String token = text(n, "token");
    if (token == null || text(n, "id") == null) {
      throw new IllegalStateException(
          "the server's lease answer has no " + (token == null ? "token" : "id"));
    }
    return new Lease(
        text(n, "id"),
        text(n, "credential"),
        SecretValue.of(token),
        text(n, "server"),
        text(n, "certificateAuthorityData"),
        text(n, "namespace"),
        instant(n, "expiresAt"),
        instant(n, "maxExpiresAt"),
        n.path("ttlSeconds").asLong(0),
        List.copyOf(warnings),
        handle != null ? SecretValue.of(handle) : previousHandle,
        text(n, "connectionId"),
        n);
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }

  private static Instant instant(JsonNode n, String field) {
    String s = text(n, field);
    return s == null ? null : Instant.parse(s);
  }

  @Override
  public String toString() {
    return "Lease[id=" + id + ", credential=" + credential + ", expiresAt=" + expiresAt + "]";
  }
}
