package io.sightline.kubernetes.provision.internal;

import io.fabric8.kubernetes.client.VersionInfo;

/** A server's {@code major.minor} from {@code /version} ({@code minor} may read {@code "24+"}). */
public record KubeVersion(int major, int minor) {

  public static KubeVersion of(VersionInfo info) {
    return new KubeVersion(digits(info.getMajor()), digits(info.getMinor()));
  }

  /** From 1.24 the token controller no longer creates a token Secret for each ServiceAccount. */
  public boolean createsNoTokenSecrets() {
    return major > 1 || (major == 1 && minor >= 24);
  }

  @Override
  public String toString() {
    return major + "." + minor;
  }

  private static int digits(String s) {
    if (s == null) {
      return 0;
    }
    String d = s.replaceAll("[^0-9].*$", "");
    return d.isEmpty() ? 0 : Integer.parseInt(d);
  }
}
