package io.sightline.cli.identity;

import io.sightline.core.SecretValue;

/**
 * The credential {@code sightline run} presents to the server: a pipeline's OIDC ID token or a
 * Sightline API token, and a one-line description of where it came from (never the token).
 *
 * @param source what was used, for stderr, e.g. "GitHub Actions ID token (audience sightline)"
 * @param token the bearer token
 * @param idToken true for a pipeline ID token, false for a Sightline API token
 */
public record PipelineIdentity(String source, SecretValue token, boolean idToken) {}
