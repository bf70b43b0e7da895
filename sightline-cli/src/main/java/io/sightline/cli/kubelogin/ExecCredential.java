package io.sightline.cli.kubelogin;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The exec plugin's answer to kubectl: {@code client.authentication.k8s.io/v1} or {@code v1beta1},
 * the version kubectl announced in {@code KUBERNETES_EXEC_INFO} (v1beta1 when it announced none, as
 * kubelogin does). Written by hand: no JSON library on the warm path.
 */
public final class ExecCredential {
  public static final String V1 = "client.authentication.k8s.io/v1";
  public static final String V1BETA1 = "client.authentication.k8s.io/v1beta1";

  private static final Pattern API_VERSION = Pattern.compile("\"apiVersion\"\\s*:\\s*\"([^\"]*)\"");

  private ExecCredential() {}

  /** The apiVersion to answer with, from {@code KUBERNETES_EXEC_INFO}. */
  public static String apiVersion(Map<String, String> env) {
    String info = env.get("KUBERNETES_EXEC_INFO");
    if (info == null || info.isBlank()) {
      return V1BETA1;
    }
    Matcher m = API_VERSION.matcher(info);
    if (!m.find() || m.group(1).isEmpty()) {
      return V1BETA1;
    }
    String v = m.group(1);
    if (!v.equals(V1) && !v.equals(V1BETA1)) {
      throw KubeloginException.failed(
          "kubectl asked for ExecCredential "
              + v
              + " (KUBERNETES_EXEC_INFO); this plugin speaks "
              + V1
              + " and "
              + V1BETA1
              + ": set the kubeconfig's exec apiVersion to one of them");
    }
    return v;
  }

  /** The ExecCredential JSON, one line. */
  public static String json(String apiVersion, String token, Instant expiresAt) {
    StringBuilder b = new StringBuilder(token.length() + 200);
    b.append("{\"kind\":\"ExecCredential\",\"apiVersion\":\"")
        .append(apiVersion)
        .append("\",\"spec\":{\"interactive\":false},\"status\":{\"expirationTimestamp\":\"")
        .append(expiresAt.truncatedTo(ChronoUnit.SECONDS))
        .append("\",\"token\":\"");
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      if (c == '"' || c == '\\') {
        b.append('\\').append(c);
      } else if (c < 0x20) {
        b.append(String.format("\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.append("\"}}").toString();
  }
}
