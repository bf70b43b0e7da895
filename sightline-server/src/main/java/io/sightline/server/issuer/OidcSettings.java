package io.sightline.server.issuer;

import io.sightline.azure.OidcIssuer;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * The server as an OIDC issuer (workload identity federation).
 *
 * @param issuerUrl the {@code iss} of its assertions ({@code sightline.oidc.issuer-url}); null:
 *     {@code --public-url}, else the URL the server listens on
 * @param serverName the server's name in subjects {@code sc://<server-name>/<connection>} ({@code
 *     sightline.oidc.server-name}, default {@code sightline})
 * @param keyRotation how long a signing key signs ({@code sightline.oidc.key-rotation}, default 30
 *     days)
 * @param publishAhead how long the next key is published in the JWKS before it signs ({@code
 *     sightline.oidc.key-publish-ahead}, default 7 days)
 */
public record OidcSettings(
    URI issuerUrl, String serverName, Duration keyRotation, Duration publishAhead) {

  public static final String DEFAULT_SERVER_NAME = "sightline";

  public OidcSettings {
    Objects.requireNonNull(serverName, "serverName");
    Objects.requireNonNull(keyRotation, "keyRotation");
    Objects.requireNonNull(publishAhead, "publishAhead");
  }

  public static OidcSettings defaults() {
    return new OidcSettings(null, DEFAULT_SERVER_NAME, Duration.ofDays(30), Duration.ofDays(7));
  }

  public OidcIssuer.RotationPolicy policy() {
    return new OidcIssuer.RotationPolicy(keyRotation, publishAhead);
  }
}
