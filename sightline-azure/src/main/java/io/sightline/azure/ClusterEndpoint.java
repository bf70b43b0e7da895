package io.sightline.azure;

import io.sightline.core.SecretValue;

/**
 * What {@code listClusterUserCredential} says about reaching a cluster: the API server URL and its
 * CA, and whether the user in that kubeconfig signs in with Entra ID (an exec plugin or the {@code
 * azure} auth provider) or carries a static credential (then {@code staticKubeconfig} holds the
 * whole kubeconfig; null otherwise).
 */
public record ClusterEndpoint(
    String server, String certificateAuthorityData, boolean entra, SecretValue staticKubeconfig) {}
