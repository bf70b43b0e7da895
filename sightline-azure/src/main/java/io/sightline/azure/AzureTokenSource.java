package io.sightline.azure;

import java.time.Duration;

/**
 * Obtains Entra ID access tokens for one identity. Implementations answer within the deadline or
 * throw {@link io.sightline.core.SightlineException} {@code ENTRA_AUTH_FAILED}; they never hang.
 */
public interface AzureTokenSource {

  /**
   * A token for {@code scope} (e.g. {@code https://management.azure.com/.default}).
   *
   * @throws io.sightline.core.SightlineException {@code ENTRA_AUTH_FAILED} with Entra's AADSTS code
   *     and what to do, or when Entra did not answer within {@code deadline}
   */
  AccessToken token(String scope, Duration deadline);

  /** The scheme, for messages and audit: {@code ServicePrincipal}, {@code ManagedIdentity}, … */
  String scheme();
}
