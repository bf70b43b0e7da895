package io.sightline.testing.azure.internal;

import io.sightline.testing.azure.AksCluster;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** The kubeconfigs AKS returns from {@code listCluster{User,Admin}Credential}, as YAML. */
public final class Kubeconfigs {
  private Kubeconfigs() {}

  /** The format of an Entra ID cluster's user kubeconfig ({@code format} query parameter). */
  public enum UserFormat {
    EXEC,
    AZURE
  }

  public static String user(AksCluster c, String tenantId, UserFormat format) {
    String userName = "clusterUser_" + c.resourceGroup() + "_" + c.name();
    StringBuilder u = new StringBuilder();
    u.append("- name: ").append(userName).append('\n').append("  user:\n");
    if (!c.aad()) {
      return staticConfig(c, userName);
    }
    if (format == UserFormat.AZURE) {
      u.append("    auth-provider:\n")
          .append("      config:\n")
          .append("        apiserver-id: ")
          .append(AksCluster.AKS_SERVER_APP_ID)
          .append('\n')
          .append("        client-id: ")
          .append(AksCluster.AKS_CLIENT_APP_ID)
          .append('\n')
          .append("        config-mode: '1'\n")
          .append("        environment: AzurePublicCloud\n")
          .append("        tenant-id: ")
          .append(tenantId)
          .append('\n')
          .append("      name: azure\n");
    } else {
      u.append("    exec:\n")
          .append("      apiVersion: client.authentication.k8s.io/v1beta1\n")
          .append("      args:\n")
          .append("      - get-token\n")
          .append("      - --login\n")
          .append("      - devicecode\n")
          .append("      - --server-id\n")
          .append("      - ")
          .append(AksCluster.AKS_SERVER_APP_ID)
          .append('\n')
          .append("      - --client-id\n")
          .append("      - ")
          .append(AksCluster.AKS_CLIENT_APP_ID)
          .append('\n')
          .append("      - --tenant-id\n")
          .append("      - ")
          .append(tenantId)
          .append('\n')
          .append("      - --environment\n")
          .append("      - AzurePublicCloud\n")
          .append("      command: kubelogin\n")
          .append("      env: null\n")
          .append("      installHint: |2\n\n")
          .append(
              "        kubelogin is not installed which is required to connect to AAD enabled"
                  + " cluster.\n\n")
          .append("        To learn more, please go to https://aka.ms/aks/kubelogin\n")
          .append("      interactiveMode: IfAvailable\n")
          .append("      provideClusterInfo: false\n");
    }
    return document(c, userName, u.toString());
  }

  public static String admin(AksCluster c) {
    return staticConfig(c, "clusterAdmin_" + c.resourceGroup() + "_" + c.name());
  }

  private static String staticConfig(AksCluster c, String userName) {
    StringBuilder u = new StringBuilder();
    u.append("- name: ").append(userName).append('\n').append("  user:\n");
    if (c.staticClientCertPem() != null) {
      u.append("    client-certificate-data: ").append(b64(c.staticClientCertPem())).append('\n');
    }
    if (c.staticClientKeyPem() != null) {
      u.append("    client-key-data: ").append(b64(c.staticClientKeyPem())).append('\n');
    }
    if (c.staticToken() != null) {
      u.append("    token: ").append(c.staticToken()).append('\n');
    }
    return document(c, userName, u.toString());
  }

  private static String document(AksCluster c, String userName, String users) {
    StringBuilder y = new StringBuilder();
    y.append("apiVersion: v1\nclusters:\n- cluster:\n");
    if (c.caPem() != null) {
      y.append("    certificate-authority-data: ").append(b64(c.caPem())).append('\n');
    }
    y.append("    server: ").append(c.apiServer()).append('\n');
    y.append("  name: ").append(c.name()).append('\n');
    y.append("contexts:\n- context:\n");
    y.append("    cluster: ").append(c.name()).append('\n');
    y.append("    user: ").append(userName).append('\n');
    y.append("  name: ")
        .append(userName.startsWith("clusterAdmin") ? c.name() + "-admin" : c.name())
        .append('\n');
    y.append("current-context: ")
        .append(userName.startsWith("clusterAdmin") ? c.name() + "-admin" : c.name())
        .append('\n');
    y.append("kind: Config\npreferences: {}\nusers:\n").append(users);
    return y.toString();
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }
}
