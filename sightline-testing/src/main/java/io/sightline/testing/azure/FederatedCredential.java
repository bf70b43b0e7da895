package io.sightline.testing.azure;

import java.util.Objects;

/**
 * A federated identity credential of an {@link EntraApp}: Entra exchanges an assertion whose {@code
 * iss}, {@code sub} and {@code aud} match exactly, after checking its signature against the
 * issuer's JWKS (found through {@code {issuer}/.well-known/openid-configuration}).
 */
public record FederatedCredential(String issuer, String subject, String audience) {
  /** The audience Entra expects by default in federated client assertions. */
  public static final String TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";

  public FederatedCredential {
    Objects.requireNonNull(issuer, "issuer");
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(audience, "audience");
  }

  /** A credential with the default audience {@value #TOKEN_EXCHANGE_AUDIENCE}. */
  public static FederatedCredential of(String issuer, String subject) {
    return new FederatedCredential(issuer, subject, TOKEN_EXCHANGE_AUDIENCE);
  }
}
