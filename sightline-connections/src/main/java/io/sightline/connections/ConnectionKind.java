package io.sightline.connections;

import io.sightline.core.SightlineException;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Every kind of connection Sightline knows, as the wire names it: {@code kind} plus {@code
 * authorizationType} (Azure DevOps' words). {@link ConnectionTypes#of} maps each to its package in
 * one exhaustive {@code switch}, so a new constant without an implementation does not compile.
 *
 * <p>For {@code kind: azurerm} the second coordinate is Azure DevOps' {@code scheme} ({@code
 * ServicePrincipal}, {@code WorkloadIdentityFederation}, {@code ManagedServiceIdentity}): the wire
 * field is {@code scheme} (an {@code authorizationType} with the same value is accepted too), and
 * the store keeps it in the authorization-type column. Each scheme is its own constant because each
 * declares different fields (secret or certificate, none, an optional client id).
 */
public enum ConnectionKind {
  KUBERNETES_KUBECONFIG("kubernetes", "Kubeconfig"),
  KUBERNETES_SERVICE_ACCOUNT("kubernetes", "ServiceAccount"),
  KUBERNETES_AZURE_SUBSCRIPTION("kubernetes", "AzureSubscription"),
  KUBERNETES_AGENT_IDENTITY("kubernetes", "AgentIdentity"),
  AZURERM_SERVICE_PRINCIPAL("azurerm", "ServicePrincipal"),
  AZURERM_WORKLOAD_IDENTITY_FEDERATION("azurerm", "WorkloadIdentityFederation"),
  AZURERM_MANAGED_SERVICE_IDENTITY("azurerm", "ManagedServiceIdentity");

  /** The wire {@code kind} of Azure Resource Manager connections. */
  public static final String AZURERM = "azurerm";

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

  /** Whether this is an {@code azurerm} kind (whose second coordinate is {@code scheme}). */
  public boolean isAzureRm() {
    return AZURERM.equals(kind);
  }

  /** The wire name of the second coordinate: {@code scheme} for azurerm, else authorizationType. */
  public String typeField() {
    return isAzureRm() ? "scheme" : "authorizationType";
  }

  /** The wire {@code authorizationType}, e.g. {@code Kubeconfig} (the scheme for azurerm). */
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
          "MISSING_FIELD", "kind", "kind is required: kubernetes or azurerm");
    }
    boolean kindKnown = Arrays.stream(values()).anyMatch(k -> k.kind.equals(kind.strip()));
    if (!kindKnown) {
      throw SightlineException.badRequest(
          "UNKNOWN_KIND", "kind", "kind \"" + kind + "\" is not known: use kubernetes or azurerm");
    }
    String accepted =
        Arrays.stream(values())
            .filter(k -> k.kind.equals(kind.strip()))
            .map(ConnectionKind::authorizationType)
            .collect(Collectors.joining(", "));
    String field = AZURERM.equals(kind.strip()) ? "scheme" : "authorizationType";
    if (authorizationType == null || authorizationType.isBlank()) {
      throw SightlineException.badRequest(
          "MISSING_FIELD", field, field + " is required for kind " + kind + ": one of " + accepted);
    }
    String wanted = authorizationType.strip().toLowerCase(Locale.ROOT).replace("-", "");
    for (ConnectionKind k : values()) {
      if (k.kind.equals(kind.strip())
          && k.authorizationType.toLowerCase(Locale.ROOT).equals(wanted)) {
        return k;
      }
    }
    throw SightlineException.badRequest(
        AZURERM.equals(kind.strip()) ? "UNKNOWN_SCHEME" : "UNKNOWN_AUTHORIZATION_TYPE",
        field,
        field + " \"" + authorizationType + "\" is not known: use one of " + accepted);
  }
}
