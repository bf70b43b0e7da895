package io.sightline.azure;

import java.net.URI;
import java.util.Locale;
import java.util.Objects;

/**
 * Which Azure: the Entra authority host, the ARM endpoint and the scope for ARM tokens. The three
 * public clouds have fixed endpoints (names as Azure DevOps' {@code environment} field spells
 * them); Azure Stack and other private clouds give their own through {@link #custom}.
 */
public record AzureCloud(String name, URI authorityHost, URI armEndpoint, String armAudience) {

  public static final AzureCloud AZURE_CLOUD =
      new AzureCloud(
          "AzureCloud",
          URI.create("https://login.microsoftonline.com/"),
          URI.create("https://management.azure.com/"),
          "https://management.azure.com/");

  public static final AzureCloud AZURE_CHINA_CLOUD =
      new AzureCloud(
          "AzureChinaCloud",
          URI.create("https://login.chinacloudapi.cn/"),
          URI.create("https://management.chinacloudapi.cn/"),
          "https://management.chinacloudapi.cn/");

  public static final AzureCloud AZURE_US_GOVERNMENT =
      new AzureCloud(
          "AzureUSGovernment",
          URI.create("https://login.microsoftonline.us/"),
          URI.create("https://management.usgovcloudapi.net/"),
          "https://management.usgovcloudapi.net/");

  public AzureCloud {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(authorityHost, "authorityHost");
    Objects.requireNonNull(armEndpoint, "armEndpoint");
    Objects.requireNonNull(armAudience, "armAudience");
  }

  /** Custom endpoints, as for Azure Stack Hub: the authority host, ARM and ARM's audience. */
  public static AzureCloud custom(String authorityHost, String armEndpoint, String armAudience) {
    return new AzureCloud(
        "Custom", URI.create(authorityHost), URI.create(armEndpoint), armAudience);
  }

  /**
   * The cloud named as Azure DevOps' {@code environment} field names it ({@code AzureCloud}, {@code
   * AzureChinaCloud}, {@code AzureUSGovernment}); case-insensitive.
   */
  public static AzureCloud named(String name) {
    switch (name == null ? "" : name.toLowerCase(Locale.ROOT)) {
      case "":
      case "azurecloud":
        return AZURE_CLOUD;
      case "azurechinacloud":
        return AZURE_CHINA_CLOUD;
      case "azureusgovernment":
        return AZURE_US_GOVERNMENT;
      default:
        throw io.sightline.core.SightlineException.badRequest(
            "INVALID_FIELD",
            "environment",
            "unknown Azure environment '"
                + name
                + "': use AzureCloud, AzureChinaCloud, AzureUSGovernment or custom endpoints");
    }
  }

  /**
   * True for user-supplied endpoints (Azure Stack, private clouds): calls to them obey the server's
   * egress rules. The three public clouds are not custom.
   */
  public boolean isCustom() {
    return !(sameEndpoints(AZURE_CLOUD)
        || sameEndpoints(AZURE_CHINA_CLOUD)
        || sameEndpoints(AZURE_US_GOVERNMENT));
  }

  private boolean sameEndpoints(AzureCloud known) {
    return authorityHostString().equals(known.authorityHostString())
        && armEndpointString().equals(known.armEndpointString());
  }

  /** The scope of ARM tokens: the audience plus {@code .default}. */
  public String armScope() {
    return (armAudience.endsWith("/") ? armAudience : armAudience + "/") + ".default";
  }

  /** The authority host without a trailing slash, as azure-identity takes it. */
  public String authorityHostString() {
    String s = authorityHost.toString();
    return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
  }

  /** The ARM endpoint without a trailing slash. */
  public String armEndpointString() {
    String s = armEndpoint.toString();
    return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
  }
}
