package io.sightline.connections;

import io.sightline.core.SightlineException;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Every kind of connection Sightline knows, as the wire names it: {@code kind} plus {@code
 * authorizationType} (Azure DevOps' words). {@link ConnectionTypes#of} maps each to its package in
 * one exhaustive {@code switch}, so a new constant without an implementation does not compile.
 */
public enum ConnectionKind {
  KUBERNETES_KUBECONFIG("kubernetes", "Kubeconfig"),
  KUBERNETES_SERVICE_ACCOUNT("kubernetes", "ServiceAccount"),
  KUBERNETES_AZURE_SUBSCRIPTION("kubernetes", "AzureSubscription");

  private final String kind;
  private final String authorizationType;

  ConnectionKind(String kind, String authorizationType) {
    this.kind = kind;
    this.authorizationType = authorizationType;
  }

  /** The wire {@code kind}, e.g. {@code kubernetes}. */
  public String kind() {
    return kind;
  }

  /** The wire {@code authorizationType}, e.g. {@code Kubeconfig}. */
  public String authorizationType() {
    return authorizationType;
  }

  /**
   * The kind named by the wire fields ({@code authorizationType} compared case-insensitively, so
   * {@code kubeconfig} and {@code Kubeconfig} both work).
   *
   * @throws SightlineException 400 naming {@code kind} or {@code authorizationType} and the
   *     accepted values
   */
  public static ConnectionKind fromWire(String kind, String authorizationType) {
    if (kind == null || kind.isBlank()) {
      throw SightlineException.badRequest(
          "MISSING_FIELD", "kind", "kind is required: kubernetes (the only kind so far)");
    }
    boolean kindKnown = Arrays.stream(values()).anyMatch(k -> k.kind.equals(kind.strip()));
    if (!kindKnown) {
      throw SightlineException.badRequest(
          "UNKNOWN_KIND", "kind", "kind \"" + kind + "\" is not known: use kubernetes");
    }
    String accepted =
        Arrays.stream(values())
            .filter(k -> k.kind.equals(kind.strip()))
            .map(ConnectionKind::authorizationType)
            .collect(Collectors.joining(", "));
    if (authorizationType == null || authorizationType.isBlank()) {
      throw SightlineException.badRequest(
          "MISSING_FIELD",
          "authorizationType",
          "authorizationType is required for kind " + kind + ": one of " + accepted);
    }
    String wanted = authorizationType.strip().toLowerCase(Locale.ROOT).replace("-", "");
    for (ConnectionKind k : values()) {
      if (k.kind.equals(kind.strip())
          && k.authorizationType.toLowerCase(Locale.ROOT).equals(wanted)) {
        return k;
      }
    }
    throw SightlineException.badRequest(
        "UNKNOWN_AUTHORIZATION_TYPE",
        "authorizationType",
        "authorizationType \"" + authorizationType + "\" is not known: use one of " + accepted);
  }
}
