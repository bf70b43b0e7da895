package io.sightline.azure;

import io.sightline.core.SecretValue;
import java.time.Instant;
import java.util.Objects;

/** An Entra access token (a JWT, kept secret) and when Entra says it expires. */
public record AccessToken(SecretValue token, Instant expiresAt) {
  public AccessToken {
    Objects.requireNonNull(token, "token");
    Objects.requireNonNull(expiresAt, "expiresAt");
  }
}
