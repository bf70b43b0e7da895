package io.sightline.cli.kubelogin;

import java.util.Locale;

/** kubelogin's login modes ({@code --login}, {@code AAD_LOGIN_METHOD}). */
public enum LoginMode {
  DEVICECODE("devicecode", true),
  INTERACTIVE("interactive", true),
  SPN("spn", true),
  ROPC("ropc", true),
  MSI("msi", false),
  AZURECLI("azurecli", false),
  WORKLOADIDENTITY("workloadidentity", true),
  AZUREPIPELINES("azurepipelines", true);

  private final String flag;
  private final boolean cachedByDefault;

  LoginMode(String flag, boolean cachedByDefault) {
    this.flag = flag;
    this.cachedByDefault = cachedByDefault;
  }

  /** The name on the command line. */
  public String flag() {
    return flag;
  }

  /**
   * Whether tokens are kept in the on-disk cache unless asked otherwise. {@code msi} and {@code
   * azurecli} are not: the identity's own endpoint caches, and a cached token must not outlive
   * {@code az logout}.
   */
  public boolean cachedByDefault() {
    return cachedByDefault;
  }

  /** Whether a person signs in (a refresh token is kept so the next sign-in is silent). */
  public boolean interactive() {
    return this == DEVICECODE || this == INTERACTIVE || this == ROPC;
  }

  public static LoginMode parse(String text) {
    String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
    for (LoginMode m : values()) {
      if (m.flag.equals(t)) {
        return m;
      }
    }
    throw KubeloginException.usage(
        "'"
            + text
            + "' is not a supported login method: use one of devicecode, interactive, spn, ropc,"
            + " msi, azurecli, workloadidentity, azurepipelines");
  }
}
