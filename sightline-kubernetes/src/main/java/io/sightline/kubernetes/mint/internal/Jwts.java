package io.sightline.kubernetes.mint.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Base64;

/**
 * Reads a JWT's payload <em>without verifying it</em>: only for tokens Sightline just received from
 * the API server over TLS, to record {@code exp}, {@code jti} and the bound object for the audit.
 */
public final class Jwts {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private Jwts() {}

  /** The payload's claims; an empty object when the token is not a JWT. */
  public static JsonNode unverifiedClaims(String jwt) {
    String[] parts = jwt.split("\\.");
    if (parts.length != 3) {
      return MAPPER.createObjectNode();
    }
    try {
      return MAPPER.readTree(Base64.getUrlDecoder().decode(parts[1]));
    } catch (IOException | IllegalArgumentException e) {
      return MAPPER.createObjectNode();
    }
  }
}
