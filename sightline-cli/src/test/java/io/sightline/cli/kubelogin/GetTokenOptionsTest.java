package io.sightline.cli.kubelogin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class GetTokenOptionsTest {
  static final String[] SPN = {
    "-l",
    "spn",
    "--server-id",
    "srv",
    "--client-id",
    "flag-client",
    "--client-secret",
    "flag-secret",
    "-t",
    "flag-tenant"
  };

  @Test
  @DisplayName("flags apply when the environment says nothing")
  void flagsAlone() {
    GetTokenOptions o = GetTokenOptions.parse(SPN, Map.of("HOME", "/home/u"));
    assertThat(o.login()).isEqualTo(LoginMode.SPN);
    assertThat(o.clientId()).isEqualTo("flag-client");
    assertThat(o.clientSecret().reveal()).isEqualTo("flag-secret");
    assertThat(o.tenantId()).isEqualTo("flag-tenant");
    assertThat(o.scope()).isEqualTo("srv/.default");
    assertThat(o.timeout()).isEqualTo(Duration.ofSeconds(60));
    assertThat(o.cacheDir().toString()).isEqualTo("/home/u/.kube/cache/sightline");
    assertThat(o.authority()).isEqualTo("https://login.microsoftonline.com");
  }

  @Test
  @DisplayName(
      "AZURE_* wins over AAD_*, which wins over the flag; AAD_LOGIN_METHOD overrides --login")
  void environmentOverrides() {
    Map<String, String> env =
        Map.of(
            "AAD_SERVICE_PRINCIPAL_CLIENT_ID", "aad-client",
            "AZURE_CLIENT_ID", "azure-client",
            "AAD_SERVICE_PRINCIPAL_CLIENT_SECRET", "aad-secret",
            "AZURE_TENANT_ID", "env-tenant",
            "AAD_LOGIN_METHOD", "spn");
    String[] args = {"-l", "devicecode", "--server-id", "srv", "--client-id", "flag-client"};
    GetTokenOptions o = GetTokenOptions.parse(args, env);
    assertThat(o.login()).isEqualTo(LoginMode.SPN);
    assertThat(o.clientId()).isEqualTo("azure-client");
    assertThat(o.clientSecret().reveal()).isEqualTo("aad-secret");
    assertThat(o.tenantId()).isEqualTo("env-tenant");
  }

  @Test
  @DisplayName("--disable-environment-override keeps the flags")
  void disableOverride() {
    Map<String, String> env = Map.of("AZURE_CLIENT_ID", "azure-client", "AAD_LOGIN_METHOD", "msi");
    String[] args = new String[SPN.length + 1];
    System.arraycopy(SPN, 0, args, 0, SPN.length);
    args[SPN.length] = "--disable-environment-override";
    GetTokenOptions o = GetTokenOptions.parse(args, env);
    assertThat(o.login()).isEqualTo(LoginMode.SPN);
    assertThat(o.clientId()).isEqualTo("flag-client");
  }

  @Test
  @DisplayName("--use-azurerm-env-vars reads Terraform's ARM_* names instead of AZURE_*")
  void azurermVars() {
    Map<String, String> env =
        Map.of(
            "ARM_CLIENT_ID", "arm-client",
            "ARM_CLIENT_SECRET", "arm-secret",
            "ARM_TENANT_ID", "arm-tenant",
            "AZURE_CLIENT_ID", "ignored");
    GetTokenOptions o =
        GetTokenOptions.parse(
            new String[] {"-l", "spn", "--server-id", "s", "--use-azurerm-env-vars"}, env);
    assertThat(o.clientId()).isEqualTo("arm-client");
    assertThat(o.clientSecret().reveal()).isEqualTo("arm-secret");
    assertThat(o.tenantId()).isEqualTo("arm-tenant");
  }

  @Test
  @DisplayName("msi and azurecli are not cached unless --cache; others are unless --no-cache")
  void cacheDefaults() {
    assertThat(
            GetTokenOptions.parse(new String[] {"-l", "msi", "--server-id", "s"}, Map.of()).cache())
        .isFalse();
    assertThat(
            GetTokenOptions.parse(
                    new String[] {"-l", "azurecli", "--server-id", "s", "--cache"}, Map.of())
                .cache())
        .isTrue();
    assertThat(GetTokenOptions.parse(SPN, Map.of()).cache()).isTrue();
    String[] noCache = {
      "-l", "spn", "--server-id=s", "--client-id=c", "--client-secret=x", "-t", "t", "--no-cache"
    };
    assertThat(GetTokenOptions.parse(noCache, Map.of()).cache()).isFalse();
  }

  @Test
  @DisplayName("bad input gets a usage error naming the flag or variable to set")
  void badInput() {
    assertThatThrownBy(() -> GetTokenOptions.parse(new String[] {"-l", "spn"}, Map.of()))
        .hasMessageContaining("--server-id is required");
    assertThatThrownBy(
            () -> GetTokenOptions.parse(new String[] {"-l", "bogus", "--server-id", "s"}, Map.of()))
        .hasMessageContaining("'bogus' is not a supported login method");
    assertThatThrownBy(
            () ->
                GetTokenOptions.parse(
                    new String[] {"-l", "spn", "--server-id", "s", "--client-id", "c", "-t", "t"},
                    Map.of()))
        .hasMessageContaining("AZURE_CLIENT_SECRET");
    assertThatThrownBy(
            () ->
                GetTokenOptions.parse(
                    new String[] {"--server-id", "s", "--timeout", "soon"}, Map.of()))
        .hasMessageContaining("--timeout");
    assertThatThrownBy(
            () ->
                GetTokenOptions.parse(new String[] {"--server-id", "s", "--frobnicate"}, Map.of()))
        .hasMessageContaining("unknown option '--frobnicate'");
    assertThatThrownBy(
            () ->
                GetTokenOptions.parse(
                    new String[] {
                      "-l", "workloadidentity", "--server-id", "s", "--client-id", "c", "-t", "t"
                    },
                    Map.of()))
        .hasMessageContaining("ACTIONS_ID_TOKEN_REQUEST_URL");
    assertThatThrownBy(
            () ->
                GetTokenOptions.parse(
                    new String[] {
                      "-l",
                      "azurepipelines",
                      "--server-id",
                      "s",
                      "--client-id",
                      "c",
                      "-t",
                      "t",
                      "--azure-pipelines-service-connection-id",
                      "x"
                    },
                    Map.of()))
        .hasMessageContaining("SYSTEM_ACCESSTOKEN");
  }

  @Test
  @DisplayName(
      "the cache key tells apart modes, clients, tenants, server ids, users and clouds, and holds no secret")
  void cacheKeys() {
    String base = GetTokenOptions.parse(SPN, Map.of()).cacheKey();
    assertThat(base).doesNotContain("flag-secret");
    assertThat(GetTokenOptions.parse(SPN, Map.of("AZURE_CLIENT_ID", "other")).cacheKey())
        .isNotEqualTo(base);
    assertThat(GetTokenOptions.parse(SPN, Map.of("AZURE_TENANT_ID", "other")).cacheKey())
        .isNotEqualTo(base);
    assertThat(
            GetTokenOptions.parse(SPN, Map.of("AZURE_AUTHORITY_HOST", "https://127.0.0.1:1"))
                .cacheKey())
        .isNotEqualTo(base);
    String[] ropc = {
      "-l", "ropc", "--server-id", "srv", "--client-id", "c", "-t", "t", "--password", "p"
    };
    assertThat(GetTokenOptions.parse(ropc, Map.of("AZURE_USERNAME", "a@x")).cacheKey())
        .isNotEqualTo(GetTokenOptions.parse(ropc, Map.of("AZURE_USERNAME", "b@x")).cacheKey());
    assertThat(GetTokenOptions.parse(SPN, Map.of()).toString()).doesNotContain("flag-secret");
  }
}
