package io.sightline.cli.kubelogin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

class KubeconfigConverterTest {
  static final String KUBECONFIG =
      String.join(
          "\n",
          "apiVersion: v1",
          "kind: Config",
          "clusters:",
          "- name: aks",
          "  cluster: {server: 'https://aks.example:443', certificate-authority-data: Q0E=}",
          "- name: other",
          "  cluster: {server: 'https://other.example'}",
          "contexts:",
          "- name: aks",
          "  context: {cluster: aks, user: clusterUser_rg_aks}",
          "- name: legacy",
          "  context: {cluster: aks, user: legacy}",
          "- name: other",
          "  context: {cluster: other, user: plain}",
          "current-context: aks",
          "users:",
          "- name: clusterUser_rg_aks",
          "  user:",
          "    exec:",
          "      apiVersion: client.authentication.k8s.io/v1beta1",
          "      command: kubelogin",
          "      args: [get-token, --login, devicecode, --server-id, srv-id, --client-id, aks-client,"
              + " --tenant-id, tenant-1, --environment, AzurePublicCloud]",
          "- name: legacy",
          "  user:",
          "    auth-provider:",
          "      name: azure",
          "      config: {apiserver-id: legacy-srv, client-id: legacy-client, tenant-id: tenant-2,"
              + " environment: AzurePublicCloud, access-token: old-secret-token}",
          "- name: plain",
          "  user: {token: plain-static-token}",
          "");

  static KubeconfigConverter.Settings settings(LoginMode m, String context, String command) {
    return new KubeconfigConverter.Settings(
        m, context, command, null, null, null, null, null, null, null, null, null, null, null, null,
        false, false);
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> user(String yaml, String name) {
    Map<String, Object> root =
        (Map<String, Object>) new Load(LoadSettings.builder().build()).loadFromString(yaml);
    for (Object u : (List<Object>) root.get("users")) {
      Map<String, Object> m = (Map<String, Object>) u;
      if (name.equals(m.get("name"))) {
        return (Map<String, Object>) m.get("user");
      }
    }
    throw new AssertionError(name);
  }

  @Test
  @DisplayName(
      "kubelogin exec and azure auth-provider users become sightline exec users; others stay")
  @SuppressWarnings("unchecked")
  void convertsEntraUsers() {
    KubeconfigConverter.Result r =
        KubeconfigConverter.convert(KUBECONFIG, settings(LoginMode.DEVICECODE, null, null));
    assertThat(r.converted()).containsExactly("clusterUser_rg_aks", "legacy");
    Map<String, Object> exec =
        (Map<String, Object>) user(r.yaml(), "clusterUser_rg_aks").get("exec");
    assertThat(exec.get("command")).isEqualTo("sightline");
    assertThat((List<String>) exec.get("args"))
        .containsExactly(
            "kubelogin",
            "get-token",
            "--login",
            "devicecode",
            "--server-id",
            "srv-id",
            "--client-id",
            "aks-client",
            "--tenant-id",
            "tenant-1",
            "--environment",
            "AzurePublicCloud");
    Map<String, Object> legacy = user(r.yaml(), "legacy");
    assertThat(legacy).doesNotContainKey("auth-provider");
    assertThat((List<String>) ((Map<String, Object>) legacy.get("exec")).get("args"))
        .contains("legacy-srv", "legacy-client", "tenant-2");
    assertThat(user(r.yaml(), "plain")).containsEntry("token", "plain-static-token");
    assertThat(r.yaml()).doesNotContain("old-secret-token");
  }

  @Test
  @DisplayName(
      "spn drops the AKS public client id (the service principal's comes from the environment)")
  @SuppressWarnings("unchecked")
  void spnDropsPublicClient() {
    KubeconfigConverter.Result r =
        KubeconfigConverter.convert(KUBECONFIG, settings(LoginMode.SPN, "aks", "kubelogin"));
    assertThat(r.converted()).containsExactly("clusterUser_rg_aks");
    Map<String, Object> exec =
        (Map<String, Object>) user(r.yaml(), "clusterUser_rg_aks").get("exec");
    assertThat(exec.get("command")).isEqualTo("kubelogin");
    assertThat((List<String>) exec.get("args"))
        .startsWith("get-token", "--login", "spn", "--server-id", "srv-id")
        .doesNotContain("aks-client")
        .contains("tenant-1");
    assertThat(exec.get("interactiveMode")).isEqualTo("Never");
    // --context converted only that context's user
    assertThat(user(r.yaml(), "legacy")).containsKey("auth-provider");
  }

  @Test
  @DisplayName("an unknown --context and a kubeconfig that is not YAML are usage errors")
  void badInput() {
    assertThatThrownBy(
            () -> KubeconfigConverter.convert(KUBECONFIG, settings(LoginMode.SPN, "nope", null)))
        .hasMessageContaining("no context named 'nope'");
    assertThatThrownBy(
            () -> KubeconfigConverter.convert("a: [", settings(LoginMode.SPN, null, null)))
        .hasMessageContaining("not valid YAML");
  }
}
