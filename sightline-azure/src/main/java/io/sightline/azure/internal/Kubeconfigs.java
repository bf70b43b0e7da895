package io.sightline.azure.internal;

import io.sightline.api.probe.DiagnosisCode;
import io.sightline.azure.ClusterEndpoint;
import io.sightline.core.SecretValue;
import io.sightline.core.SightlineException;
import java.util.List;
import java.util.Map;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/** Reads ARM's kubeconfigs and writes Sightline's token kubeconfig. */
public final class Kubeconfigs {
  private Kubeconfigs() {}

  /** The server, CA and kind of credential of the first cluster and user of an ARM kubeconfig. */
  @SuppressWarnings("unchecked")
  public static ClusterEndpoint endpoint(SecretValue kubeconfig) {
    Object doc;
    try {
      doc =
          new Load(LoadSettings.builder().setAllowDuplicateKeys(false).build())
              .loadFromString(kubeconfig.reveal());
    } catch (RuntimeException e) {
      throw bad("ARM's kubeconfig is not valid YAML");
    }
    if (!(doc instanceof Map)) {
      throw bad("ARM's kubeconfig is not a YAML mapping");
    }
    Map<String, Object> root = (Map<String, Object>) doc;
    Map<String, Object> cluster = first(root.get("clusters"), "cluster");
    Map<String, Object> user = first(root.get("users"), "user");
    Object server = cluster.get("server");
    if (!(server instanceof String)) {
      throw bad("ARM's kubeconfig names no server");
    }
    Object ca = cluster.get("certificate-authority-data");
    boolean entra = user.containsKey("exec") || user.containsKey("auth-provider");
    return new ClusterEndpoint(
        (String) server,
        ca instanceof String ? (String) ca : null,
        entra,
        entra ? null : kubeconfig);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> first(Object list, String key) {
    if (list instanceof List<?> l && !l.isEmpty() && l.get(0) instanceof Map<?, ?> m) {
      Object inner = m.get(key);
      if (inner instanceof Map) {
        return (Map<String, Object>) inner;
      }
    }
    throw bad("ARM's kubeconfig has no " + key);
  }

  private static SightlineException bad(String detail) {
    return new SightlineException(
        DiagnosisCode.UNEXPECTED_RESPONSE.name(), 502, null, detail, null, null);
  }

  /** A kubeconfig with one cluster, one token user and one context (namespace optional). */
  public static SecretValue tokenKubeconfig(
      String name, String server, String caData, String token, String namespace) {
    StringBuilder y = new StringBuilder();
    y.append("apiVersion: v1\nkind: Config\n");
    y.append("clusters:\n- name: ").append(q(name)).append("\n  cluster:\n");
    y.append("    server: ").append(q(server)).append('\n');
    if (caData != null) {
      y.append("    certificate-authority-data: ").append(q(caData)).append('\n');
    }
    y.append("users:\n- name: ").append(q(name)).append("\n  user:\n");
    y.append("    token: ").append(q(token)).append('\n');
    y.append("contexts:\n- name: ").append(q(name)).append("\n  context:\n");
    y.append("    cluster: ").append(q(name)).append('\n');
    y.append("    user: ").append(q(name)).append('\n');
    if (namespace != null) {
      y.append("    namespace: ").append(q(namespace)).append('\n');
    }
    y.append("current-context: ").append(q(name)).append('\n');
    return SecretValue.of(y.toString());
  }

  /** A YAML double-quoted scalar. */
  static String q(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') {
        b.append('\\').append(c);
      } else if (c < 0x20) {
        b.append(String.format("\\x%02x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.append('"').toString();
  }
}
