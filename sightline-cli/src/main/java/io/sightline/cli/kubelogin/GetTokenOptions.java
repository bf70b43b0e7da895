package io.sightline.cli.kubelogin;

import io.sightline.core.Durations;
import io.sightline.core.SecretValue;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * {@code sightline kubelogin get-token}'s options, resolved from flags and the environment with
 * kubelogin's rules: an environment variable, when set, wins over its flag ({@code AZURE_*} over
 * {@code AAD_*}, {@code AAD_LOGIN_METHOD} over {@code --login}); {@code
 * --disable-environment-override} ignores the environment's identity variables; {@code
 * --use-azurerm-env-vars} reads Terraform's {@code ARM_*} names instead. Parsed by hand, not by
 * picocli: this runs on every kubectl call.
 */
public record GetTokenOptions(
    LoginMode login,
    String serverId,
    String tenantId,
    String clientId,
    String rawClientSecret,
    String clientCertificate,
    String rawClientCertificatePassword,
    String username,
    String rawPassword,
    String environment,
    String authorityHost,
    String federatedTokenFile,
    String identityResourceId,
    String pipelinesServiceConnectionId,
    String redirectUrl,
    Path cacheDir,
    boolean cache,
    Duration timeout,
    Map<String, String> env) {

  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

  /** The usage text of {@code get-token --help}. */
  public static final String USAGE =
      String.join(
          "\n",
          "Usage: sightline kubelogin get-token --server-id ID [-l MODE] [options]",
          "Prints an ExecCredential with an Entra ID token for <server-id>/.default on standard"
              + " output (kubectl's exec plugin protocol); messages and errors go to standard error.",
          "",
          "  -l, --login MODE                 devicecode (default), interactive, spn, ropc, msi,"
              + " azurecli, workloadidentity, azurepipelines [$AAD_LOGIN_METHOD]",
          "      --server-id ID               the cluster's AAD server application id (required)",
          "  -t, --tenant-id ID               [$AZURE_TENANT_ID]",
          "      --client-id ID               [$AAD_SERVICE_PRINCIPAL_CLIENT_ID, $AZURE_CLIENT_ID]",
          "      --client-secret S            spn [$AAD_SERVICE_PRINCIPAL_CLIENT_SECRET,"
              + " $AZURE_CLIENT_SECRET]",
          "      --client-certificate FILE    spn: PEM (key + certificate) or PFX"
              + " [$AAD_SERVICE_PRINCIPAL_CLIENT_CERTIFICATE, $AZURE_CLIENT_CERTIFICATE_PATH]",
          "      --client-certificate-password P  PFX password"
              + " [$AAD_SERVICE_PRINCIPAL_CLIENT_CERTIFICATE_PASSWORD,"
              + " $AZURE_CLIENT_CERTIFICATE_PASSWORD]",
          "      --username U, --password P   ropc [$AAD_USER_PRINCIPAL_NAME, $AZURE_USERNAME /"
              + " $AAD_USER_PRINCIPAL_PASSWORD, $AZURE_PASSWORD]",
          "      --federated-token-file FILE  workloadidentity [$AZURE_FEDERATED_TOKEN_FILE]; without"
              + " it, GitHub Actions' $ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN (fresh token per call)",
          "      --identity-resource-id ID    msi: a user-assigned identity's resource id",
          "      --azure-pipelines-service-connection-id ID"
              + "  [$AZURESUBSCRIPTION_SERVICE_CONNECTION_ID]; needs $SYSTEM_ACCESSTOKEN",
          "  -e, --environment NAME           AzurePublicCloud (default), AzureChinaCloud,"
              + " AzureUSGovernmentCloud",
          "      --authority-host URL         [$AZURE_AUTHORITY_HOST]",
          "      --redirect-url URL           interactive: the loopback redirect (default"
              + " http://localhost:<free port>/)",
          "      --cache-dir DIR              default $KUBECACHEDIR/sightline, else ~/.kube/cache/sightline",
          "      --cache / --no-cache         keep tokens on disk (default: yes, except msi and"
              + " azurecli)",
          "      --timeout DURATION           default 60s",
          "      --use-azurerm-env-vars       read ARM_CLIENT_ID, ARM_CLIENT_SECRET,"
              + " ARM_CLIENT_CERTIFICATE_PATH, ARM_CLIENT_CERTIFICATE_PASSWORD, ARM_TENANT_ID,"
              + " ARM_OIDC_TOKEN_FILE_PATH",
          "      --disable-environment-override  ignore the environment's identity variables",
          "TLS trust: the JVM's, or exactly the PEM bundle in $SSL_CERT_FILE.",
          "");

  /**
   * The client secret (spn), or null. Kept raw until a sign-in needs it: no work on a cache hit.
   */
  public SecretValue clientSecret() {
    return rawClientSecret == null ? null : SecretValue.of(rawClientSecret);
  }

  /** The PFX password (spn with a certificate), or null. */
  public SecretValue clientCertificatePassword() {
    return rawClientCertificatePassword == null
        ? null
        : SecretValue.of(rawClientCertificatePassword);
  }

  /** The password (ropc), or null. */
  public SecretValue password() {
    return rawPassword == null ? null : SecretValue.of(rawPassword);
  }

  @Override
  public String toString() {
    return "GetTokenOptions[login="
        + login.flag()
        + ", serverId="
        + serverId
        + ", tenantId="
        + tenantId
        + ", clientId="
        + clientId
        + "]";
  }

  /** The scope asked for: {@code <server-id>/.default}. */
  public String scope() {
    return serverId.endsWith("/.default") ? serverId : serverId + "/.default";
  }

  /** The authority host, without a trailing slash. */
  public String authority() {
    String a = authorityHost;
    if (a == null || a.isBlank()) {
      switch (environment.toLowerCase(Locale.ROOT)) {
        case "azurechinacloud":
          a = "https://login.chinacloudapi.cn";
          break;
        case "azureusgovernmentcloud":
        case "azureusgovernment":
          a = "https://login.microsoftonline.us";
          break;
        default:
          a = "https://login.microsoftonline.com";
      }
    }
    return a.endsWith("/") ? a.substring(0, a.length() - 1) : a;
  }

  /** What tells two signed-in identities apart beyond tenant, client, server id and mode. */
  public String account() {
    switch (login) {
      case ROPC:
        return username == null ? "" : username.toLowerCase(Locale.ROOT);
      case MSI:
        return identityResourceId == null ? "" : identityResourceId;
      case AZUREPIPELINES:
        return pipelinesServiceConnectionId == null ? "" : pipelinesServiceConnectionId;
      case SPN:
        return clientCertificate == null ? "secret" : "cert:" + clientCertificate;
      default:
        return "";
    }
  }

  /** The cache entry's identity: every field that changes whose token it is. */
  public String cacheKey() {
    return String.join(
        "\n",
        "kubelogin/v1",
        login.flag(),
        authority(),
        nz(tenantId),
        nz(clientId),
        serverId,
        account());
  }

  private static String nz(String s) {
    return s == null ? "" : s;
  }

  /** Parses {@code get-token}'s arguments (after {@code get-token}) against {@code env}. */
  public static GetTokenOptions parse(String[] args, Map<String, String> env) {
    Flags f = Flags.parse(args);
    boolean useEnv = !f.bool("disable-environment-override");
    boolean arm = f.bool("use-azurerm-env-vars");
    Env e = new Env(env, useEnv);

    String loginText = e.pick(f.get("login"), "AAD_LOGIN_METHOD");
    LoginMode login = LoginMode.parse(loginText == null ? "devicecode" : loginText);

    String clientId;
    String secret;
    String cert;
    String certPassword;
    String tenant;
    String federatedFile;
    if (arm) {
      clientId = e.pick(f.get("client-id"), "ARM_CLIENT_ID");
      secret = secret(e.pick(f.get("client-secret"), "ARM_CLIENT_SECRET"));
      cert = e.pick(f.get("client-certificate"), "ARM_CLIENT_CERTIFICATE_PATH");
      certPassword =
          secret(e.pick(f.get("client-certificate-password"), "ARM_CLIENT_CERTIFICATE_PASSWORD"));
      tenant = e.pick(f.get("tenant-id"), "ARM_TENANT_ID");
      federatedFile = e.pick(f.get("federated-token-file"), "ARM_OIDC_TOKEN_FILE_PATH");
    } else {
      clientId = e.pick(f.get("client-id"), "AAD_SERVICE_PRINCIPAL_CLIENT_ID", "AZURE_CLIENT_ID");
      secret =
          secret(
              e.pick(
                  f.get("client-secret"),
                  "AAD_SERVICE_PRINCIPAL_CLIENT_SECRET",
                  "AZURE_CLIENT_SECRET"));
      cert =
          e.pick(
              f.get("client-certificate"),
              "AAD_SERVICE_PRINCIPAL_CLIENT_CERTIFICATE",
              "AZURE_CLIENT_CERTIFICATE_PATH");
      certPassword =
          secret(
              e.pick(
                  f.get("client-certificate-password"),
                  "AAD_SERVICE_PRINCIPAL_CLIENT_CERTIFICATE_PASSWORD",
                  "AZURE_CLIENT_CERTIFICATE_PASSWORD"));
      tenant = e.pick(f.get("tenant-id"), "AZURE_TENANT_ID");
      federatedFile = e.pick(f.get("federated-token-file"), "AZURE_FEDERATED_TOKEN_FILE");
    }
    String serviceConnection =
        e.pick(
            f.get("azure-pipelines-service-connection-id"),
            "AZURESUBSCRIPTION_SERVICE_CONNECTION_ID");
    if (login == LoginMode.AZUREPIPELINES) {
      // The AzureCLI@2 / AzurePowerShell task's names, as azure-identity reads them.
      clientId = clientId != null ? clientId : e.pick(null, "AZURESUBSCRIPTION_CLIENT_ID");
      tenant = tenant != null ? tenant : e.pick(null, "AZURESUBSCRIPTION_TENANT_ID");
    }
    String username = e.pick(f.get("username"), "AAD_USER_PRINCIPAL_NAME", "AZURE_USERNAME");
    String password =
        secret(e.pick(f.get("password"), "AAD_USER_PRINCIPAL_PASSWORD", "AZURE_PASSWORD"));
    String authorityHost = e.pick(f.get("authority-host"), "AZURE_AUTHORITY_HOST");

    String serverId = f.get("server-id");
    if (serverId == null || serverId.isBlank()) {
      throw KubeloginException.usage(
          "--server-id is required: the cluster's AAD server application id (AKS:"
              + " 6dae42f8-4368-4678-94ff-3960e28e3630)");
    }
    if (f.bool("pop-enabled") || f.get("pop-claims") != null) {
      throw KubeloginException.usage(
          "--pop-enabled/--pop-claims (proof-of-possession tokens) are not supported: drop them");
    }
    String cacheDirText = f.get("cache-dir");
    if (cacheDirText == null) {
      cacheDirText = f.get("token-cache-dir");
    }
    Path cacheDir = cacheDirText != null ? Path.of(cacheDirText) : defaultCacheDir(env);
    boolean cache = login.cachedByDefault();
    if (f.bool("cache")) {
      cache = true;
    }
    if (f.bool("no-cache")) {
      cache = false;
    }
    Duration timeout = DEFAULT_TIMEOUT;
    if (f.get("timeout") != null) {
      try {
        timeout = Durations.parse(f.get("timeout"), "--timeout");
      } catch (RuntimeException ex) {
        throw KubeloginException.usage(
            "--timeout must be a duration such as 60s or 2m (got \"" + f.get("timeout") + "\")");
      }
      if (timeout.isZero() || timeout.isNegative()) {
        throw KubeloginException.usage("--timeout must be greater than 0");
      }
    }
    String environment = f.get("environment");
    GetTokenOptions o =
        new GetTokenOptions(
            login,
            serverId.trim(),
            blankToNull(tenant),
            blankToNull(clientId),
            secret,
            blankToNull(cert),
            certPassword,
            blankToNull(username),
            password,
            environment == null ? "AzurePublicCloud" : environment,
            blankToNull(authorityHost),
            blankToNull(federatedFile),
            blankToNull(f.get("identity-resource-id")),
            blankToNull(serviceConnection),
            blankToNull(f.get("redirect-url")),
            cacheDir,
            cache,
            timeout,
            env);
    o.validate();
    return o;
  }

  /**
   * {@code $KUBECACHEDIR/sightline} (kubectl's own cache root, as kubelogin uses it), else {@code
   * ~/.kube/cache/sightline}.
   */
  public static Path defaultCacheDir(Map<String, String> env) {
    String root = blankToNull(env.get("KUBECACHEDIR"));
    return root != null
        ? Path.of(root, "sightline")
        : Path.of(
            env.getOrDefault("HOME", System.getProperty("user.home")),
            ".kube",
            "cache",
            "sightline");
  }

  private void validate() {
    switch (login) {
      case SPN:
        need(tenantId, "--tenant-id (or AZURE_TENANT_ID)");
        need(clientId, "--client-id (or AZURE_CLIENT_ID / AAD_SERVICE_PRINCIPAL_CLIENT_ID)");
        if (rawClientSecret == null && clientCertificate == null) {
          throw KubeloginException.usage(
              "spn login needs --client-secret (or AZURE_CLIENT_SECRET /"
                  + " AAD_SERVICE_PRINCIPAL_CLIENT_SECRET) or --client-certificate (or"
                  + " AZURE_CLIENT_CERTIFICATE_PATH)");
        }
        break;
      case ROPC:
        need(tenantId, "--tenant-id (or AZURE_TENANT_ID)");
        need(clientId, "--client-id");
        need(username, "--username (or AAD_USER_PRINCIPAL_NAME / AZURE_USERNAME)");
        if (rawPassword == null) {
          throw KubeloginException.usage(
              "ropc login needs --password (or AAD_USER_PRINCIPAL_PASSWORD / AZURE_PASSWORD)");
        }
        break;
      case DEVICECODE:
      case INTERACTIVE:
        need(tenantId, "--tenant-id (or AZURE_TENANT_ID)");
        need(clientId, "--client-id");
        break;
      case WORKLOADIDENTITY:
        need(tenantId, "--tenant-id (or AZURE_TENANT_ID)");
        need(clientId, "--client-id (or AZURE_CLIENT_ID)");
        if (federatedTokenFile == null
            && (blankToNull(env.get("ACTIONS_ID_TOKEN_REQUEST_URL")) == null
                || blankToNull(env.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN")) == null)) {
          throw KubeloginException.usage(
              "workloadidentity login needs --federated-token-file (or"
                  + " AZURE_FEDERATED_TOKEN_FILE), or GitHub Actions' ACTIONS_ID_TOKEN_REQUEST_URL"
                  + " and ACTIONS_ID_TOKEN_REQUEST_TOKEN (give the job `permissions: id-token:"
                  + " write`)");
        }
        break;
      case AZUREPIPELINES:
        need(tenantId, "--tenant-id (or AZURESUBSCRIPTION_TENANT_ID)");
        need(clientId, "--client-id (or AZURESUBSCRIPTION_CLIENT_ID)");
        need(
            pipelinesServiceConnectionId,
            "--azure-pipelines-service-connection-id (or AZURESUBSCRIPTION_SERVICE_CONNECTION_ID)");
        if (blankToNull(env.get("SYSTEM_ACCESSTOKEN")) == null
            || blankToNull(env.get("SYSTEM_OIDCREQUESTURI")) == null) {
          throw KubeloginException.usage(
              "azurepipelines login needs SYSTEM_ACCESSTOKEN and SYSTEM_OIDCREQUESTURI: map"
                  + " $(System.AccessToken) into the step's env");
        }
        break;
      default:
        break;
    }
  }

  private void need(String value, String what) {
    if (value == null) {
      throw KubeloginException.usage(login.flag() + " login needs " + what);
    }
  }

  private static String secret(String s) {
    return s == null || s.isEmpty() ? null : s;
  }

  static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }

  /** The environment, read with kubelogin's override rule. */
  private record Env(Map<String, String> env, boolean enabled) {
    /** The last set variable of {@code names} (later ones win), else the flag's value. */
    String pick(String flag, String... names) {
      if (enabled) {
        for (int i = names.length - 1; i >= 0; i--) {
          String v = env.get(names[i]);
          if (v != null && !v.isEmpty()) {
            return v;
          }
        }
      }
      return flag;
    }
  }

  /** {@code --name value}, {@code --name=value}, {@code -l value} and boolean flags. */
  static final class Flags {
    private static final java.util.Set<String> BOOLEANS =
        java.util.Set.of(
            "legacy",
            "use-azurerm-env-vars",
            "disable-environment-override",
            "disable-instance-discovery",
            "cache",
            "no-cache",
            "pop-enabled",
            "help");
    private static final java.util.Set<String> VALUED =
        java.util.Set.of(
            "login",
            "server-id",
            "tenant-id",
            "client-id",
            "client-secret",
            "client-certificate",
            "client-certificate-password",
            "username",
            "password",
            "environment",
            "authority-host",
            "federated-token-file",
            "identity-resource-id",
            "azure-pipelines-service-connection-id",
            "redirect-url",
            "login-hint",
            "cache-dir",
            "token-cache-dir",
            "timeout",
            "pop-claims",
            "azure-config-dir");

    private final Map<String, String> values = new java.util.HashMap<>();

    static Flags parse(String[] args) {
      Flags f = new Flags();
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        String name;
        String value = null;
        if (a.startsWith("--")) {
          name = a.substring(2);
          int eq = name.indexOf('=');
          if (eq >= 0) {
            value = name.substring(eq + 1);
            name = name.substring(0, eq);
          }
        } else if (a.equals("-l")) {
          name = "login";
        } else if (a.equals("-t")) {
          name = "tenant-id";
        } else if (a.equals("-e")) {
          name = "environment";
        } else if (a.equals("-h")) {
          name = "help";
        } else if (a.equals("-v") || a.startsWith("-v=")) {
          // kubelogin's klog verbosity: accepted, nothing to raise
          if (a.equals("-v")) {
            i++;
          }
          continue;
        } else {
          throw KubeloginException.usage(
              "unexpected argument '" + a + "': see sightline kubelogin get-token --help");
        }
        if (BOOLEANS.contains(name)) {
          f.values.put(name, value == null ? "true" : value);
        } else if (VALUED.contains(name) || name.equals("v")) {
          if (value == null) {
            if (i + 1 >= args.length) {
              throw KubeloginException.usage("--" + name + " needs a value");
            }
            value = args[++i];
          }
          f.values.put(name, value);
        } else if (name.equals("logtostderr")) {
          continue;
        } else {
          throw KubeloginException.usage(
              "unknown option '" + a + "': see sightline kubelogin get-token --help");
        }
      }
      return f;
    }

    String get(String name) {
      return values.get(name);
    }

    boolean bool(String name) {
      String v = values.get(name);
      return v != null && !v.equalsIgnoreCase("false");
    }
  }
}
