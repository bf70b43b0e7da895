package io.sightline.cli.kubelogin;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.snakeyaml.engine.v2.api.Dump;
import org.snakeyaml.engine.v2.api.DumpSettings;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.common.FlowStyle;

/**
 * {@code convert-kubeconfig}'s rewrite, as kubelogin does it: users with the legacy {@code azure}
 * auth-provider or a kubelogin (or Sightline) exec become exec users calling {@code sightline
 * kubelogin get-token --login MODE} (or {@code kubelogin get-token}); other users are left as they
 * are. Secrets are never written: the converted arguments carry ids, never a client secret,
 * password or certificate password (those stay in the environment).
 */
public final class KubeconfigConverter {

  /** What to convert to. Null fields keep what the kubeconfig has (or leave the flag out). */
  public record Settings(
      LoginMode login,
      String context,
      String command,
      String serverId,
      String clientId,
      String tenantId,
      String environment,
      String authorityHost,
      String clientCertificate,
      String federatedTokenFile,
      String identityResourceId,
      String pipelinesServiceConnectionId,
      String redirectUrl,
      String cacheDir,
      String timeout,
      boolean useAzurermEnvVars,
      boolean disableEnvironmentOverride) {}

  /** The rewritten kubeconfig and the names of the users converted. */
  public record Result(String yaml, List<String> converted) {}

  private KubeconfigConverter() {}

  @SuppressWarnings("unchecked")
  public static Result convert(String kubeconfig, Settings s) {
    Object doc;
    try {
      doc =
          new Load(LoadSettings.builder().setAllowDuplicateKeys(false).build())
              .loadFromString(kubeconfig);
    } catch (RuntimeException e) {
      throw KubeloginException.usage(
          "the kubeconfig is not valid YAML: " + GetToken.oneLine(e.getMessage()));
    }
    if (!(doc instanceof Map)) {
      throw KubeloginException.usage("the kubeconfig is not a YAML mapping");
    }
    Map<String, Object> root = (Map<String, Object>) doc;
    String onlyUser = null;
    if (s.context() != null) {
      onlyUser = userOfContext(root, s.context());
    }
    List<String> converted = new ArrayList<>();
    Object users = root.get("users");
    if (users instanceof List<?> list) {
      for (Object u : list) {
        if (!(u instanceof Map)) {
          continue;
        }
        Map<String, Object> named = (Map<String, Object>) u;
        String name = String.valueOf(named.get("name"));
        if (onlyUser != null && !onlyUser.equals(name)) {
          continue;
        }
        Object inner = named.get("user");
        if (!(inner instanceof Map)) {
          continue;
        }
        Map<String, Object> user = (Map<String, Object>) inner;
        Map<String, String> found = azureUser(user);
        if (found == null) {
          continue;
        }
        user.remove("auth-provider");
        user.put("exec", exec(found, s));
        converted.add(name);
      }
    }
    DumpSettings ds =
        DumpSettings.builder()
            .setDefaultFlowStyle(FlowStyle.BLOCK)
            .setIndent(2)
            .setIndicatorIndent(0)
            .build();
    return new Result(new Dump(ds).dumpToString(root), converted);
  }

  @SuppressWarnings("unchecked")
  private static String userOfContext(Map<String, Object> root, String context) {
    Object contexts = root.get("contexts");
    if (contexts instanceof List<?> list) {
      for (Object c : list) {
        if (c instanceof Map<?, ?> m && context.equals(String.valueOf(m.get("name")))) {
          Object ctx = m.get("context");
          if (ctx instanceof Map<?, ?> cm && cm.get("user") != null) {
            return String.valueOf(cm.get("user"));
          }
        }
      }
    }
    throw KubeloginException.usage(
        "no context named '" + context + "' in the kubeconfig: see `kubectl config get-contexts`");
  }

  /**
   * The AAD settings of a user that uses Entra (legacy auth-provider {@code azure}, or a kubelogin
   * / Sightline exec), or null for any other user.
   */
  @SuppressWarnings("unchecked")
  static Map<String, String> azureUser(Map<String, Object> user) {
    Map<String, String> found = new LinkedHashMap<>();
    Object ap = user.get("auth-provider");
    if (ap instanceof Map<?, ?> provider && "azure".equals(provider.get("name"))) {
      Object cfg = provider.get("config");
      if (cfg instanceof Map<?, ?> c) {
        put(found, "server-id", c.get("apiserver-id"));
        put(found, "client-id", c.get("client-id"));
        put(found, "tenant-id", c.get("tenant-id"));
        put(found, "environment", c.get("environment"));
      }
      return found;
    }
    Object ex = user.get("exec");
    if (!(ex instanceof Map)) {
      return null;
    }
    Map<String, Object> exec = (Map<String, Object>) ex;
    String command = String.valueOf(exec.get("command"));
    String base = command.substring(command.lastIndexOf('/') + 1);
    List<String> args = new ArrayList<>();
    if (exec.get("args") instanceof List<?> a) {
      for (Object x : a) {
        args.add(String.valueOf(x));
      }
    }
    int start;
    if ((base.equals("kubelogin") || base.equals("kubelogin.exe"))
        && !args.isEmpty()
        && args.get(0).equals("get-token")) {
      start = 1;
    } else if (args.size() >= 2
        && args.get(0).equals("kubelogin")
        && args.get(1).equals("get-token")) {
      start = 2;
    } else {
      return null;
    }
    for (int i = start; i < args.size(); i++) {
      String a = args.get(i);
      String name = null;
      String value = null;
      if (a.startsWith("--") && a.contains("=")) {
        name = a.substring(2, a.indexOf('='));
        value = a.substring(a.indexOf('=') + 1);
      } else if (a.equals("--server-id")
          || a.equals("--client-id")
          || a.equals("--tenant-id")
          || a.equals("-t")
          || a.equals("--environment")
          || a.equals("-e")) {
        name = a.equals("-t") ? "tenant-id" : a.equals("-e") ? "environment" : a.substring(2);
        value = i + 1 < args.size() ? args.get(++i) : null;
      }
      if (name != null
          && (name.equals("server-id")
              || name.equals("client-id")
              || name.equals("tenant-id")
              || name.equals("environment"))) {
        put(found, name, value);
      }
    }
    return found;
  }

  private static void put(Map<String, String> m, String k, Object v) {
    if (v != null && !String.valueOf(v).isBlank()) {
      m.put(k, String.valueOf(v));
    }
  }

  private static Map<String, Object> exec(Map<String, String> found, Settings s) {
    String serverId = s.serverId() != null ? s.serverId() : found.get("server-id");
    if (serverId == null) {
      throw KubeloginException.usage(
          "a user of the kubeconfig names no AAD server id: give --server-id");
    }
    // The AKS kubeconfig's client id is the public AKS client app: right for people's sign-ins,
    // wrong for service principals and managed identities, whose id comes from a flag or the env.
    LoginMode m = s.login();
    boolean person = m.interactive();
    String clientId = s.clientId() != null ? s.clientId() : person ? found.get("client-id") : null;
    String tenantId = s.tenantId() != null ? s.tenantId() : found.get("tenant-id");
    String environment = s.environment() != null ? s.environment() : found.get("environment");
    if (m == LoginMode.MSI || m == LoginMode.AZURECLI) {
      tenantId = s.tenantId();
    }
    List<String> args = new ArrayList<>();
    boolean sightline = s.command() == null || !isKubelogin(s.command());
    if (sightline) {
      args.add("kubelogin");
    }
    args.add("get-token");
    args.addAll(List.of("--login", m.flag(), "--server-id", serverId));
    add(args, "--client-id", clientId);
    add(args, "--tenant-id", tenantId);
    if (m != LoginMode.MSI && m != LoginMode.AZURECLI) {
      add(args, "--environment", environment);
    }
    add(args, "--authority-host", s.authorityHost());
    add(args, "--client-certificate", m == LoginMode.SPN ? s.clientCertificate() : null);
    add(
        args,
        "--federated-token-file",
        m == LoginMode.WORKLOADIDENTITY ? s.federatedTokenFile() : null);
    add(args, "--identity-resource-id", m == LoginMode.MSI ? s.identityResourceId() : null);
    add(
        args,
        "--azure-pipelines-service-connection-id",
        m == LoginMode.AZUREPIPELINES ? s.pipelinesServiceConnectionId() : null);
    add(args, "--redirect-url", m == LoginMode.INTERACTIVE ? s.redirectUrl() : null);
    add(args, sightline ? "--cache-dir" : "--token-cache-dir", s.cacheDir());
    add(args, "--timeout", s.timeout());
    if (s.useAzurermEnvVars()) {
      args.add("--use-azurerm-env-vars");
    }
    if (s.disableEnvironmentOverride()) {
      args.add("--disable-environment-override");
    }
    Map<String, Object> exec = new LinkedHashMap<>();
    exec.put("apiVersion", ExecCredential.V1BETA1);
    exec.put("command", s.command() == null ? "sightline" : s.command());
    exec.put("args", args);
    exec.put("env", null);
    exec.put(
        "installHint",
        sightline
            ? "sightline is not on the PATH: it is the exec plugin this kubeconfig uses for Entra ID"
                + " sign-in."
            : "kubelogin is not installed: see https://aka.ms/aks/kubelogin");
    exec.put("interactiveMode", person && m != LoginMode.ROPC ? "IfAvailable" : "Never");
    exec.put("provideClusterInfo", false);
    return exec;
  }

  private static boolean isKubelogin(String command) {
    String base = command.substring(command.lastIndexOf('/') + 1);
    return base.equals("kubelogin") || base.equals("kubelogin.exe");
  }

  private static void add(List<String> args, String flag, String value) {
    if (value != null && !value.isBlank()) {
      args.add(flag);
      args.add(value);
    }
  }
}
