package io.sightline.kubernetes.mint;

import io.sightline.core.SecretValue;
import java.time.Instant;

/**
 * A lease's short-lived token and what may be recorded about it.
 *
 * @param token the bearer token (hand it only to the task)
 * @param expiresAt when the token expires, read from its {@code exp} claim
 * @param jti the token's {@code jti} claim, for the audit record (null if the cluster sets none)
 * @param sha256 the SHA-256 of the token, hex, for the audit record when there is no jti
 * @param serviceAccount the identity the token authenticates as, e.g. {@code
 *     system:serviceaccount:sightline-prod:deployer-web}
 * @param secretName the Secret the token is bound to ({@code sightline-lease-<id>})
 * @param secretUid that Secret's uid (the token stops working when a Secret of that uid is gone)
 */
public record MintedToken(
    SecretValue token,
    Instant expiresAt,
    String jti,
    String sha256,
    String serviceAccount,
    String secretName,
    String secretUid) {}
